-- An officer's TOTP second factor (RFC 6238): the secret sealed under the server data key
-- (never in clear), active from totp_enabled_at (NULL while it waits for its first code), and
-- the last time step a code was accepted for, so no code works twice.
ALTER TABLE operators ADD COLUMN totp_sealed BLOB;
ALTER TABLE operators ADD COLUMN totp_enabled_at INTEGER;
ALTER TABLE operators ADD COLUMN totp_last_step INTEGER;
