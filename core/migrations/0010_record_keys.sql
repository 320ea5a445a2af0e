-- District record keys (X25519 public keys, each verified against the district key when it
-- arrived: at enrollment or through the change feed). Records and photos are sealed for the
-- newest when they are made. Before enrollment the phone's own holding key stands in (its
-- private half sealed under the platform secret); enrollment reseals for the district and
-- drops it.
CREATE TABLE record_keys (
    key_id TEXT PRIMARY KEY,
    public_key BLOB NOT NULL,
    private_sealed BLOB,
    district INTEGER NOT NULL,
    received_at INTEGER NOT NULL
);
-- What sync sends without opening anything: the key the payload is sealed for, the kelurahan
-- for the server's scope check and the photos (SHA-256, JSON list) it must upload first.
ALTER TABLE outbox ADD COLUMN key_id TEXT;
ALTER TABLE outbox ADD COLUMN kelurahan_code TEXT;
ALTER TABLE outbox ADD COLUMN blobs TEXT;
-- Photos on their way to the district, sealed for a record key when they were attached.
CREATE TABLE outbox_blobs (
    sha256 TEXT PRIMARY KEY,
    key_id TEXT NOT NULL,
    sealed BLOB NOT NULL
);
