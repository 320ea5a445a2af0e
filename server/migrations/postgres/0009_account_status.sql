-- An admin can disable an officer's account from the console (and enable it again): a
-- disabled account cannot log in and its sessions end. NULL: the account is active.
ALTER TABLE operators ADD COLUMN disabled_at BIGINT;
