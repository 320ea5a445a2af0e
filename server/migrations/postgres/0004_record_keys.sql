-- District record keys (X25519): phones seal every record and photo for the newest one at the
-- moment it is made; older keys stay to open what was sealed for them. The private key is kept
-- sealed under the server's data key.
CREATE TABLE record_keys (
    key_id TEXT PRIMARY KEY,
    public_key BYTEA NOT NULL,
    private_sealed BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX record_keys_newest ON record_keys (created_at, key_id);
