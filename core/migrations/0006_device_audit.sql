-- The device: its identity and its audit trail. The trail records who did what, when, to which
-- record; never personal data. Each
-- entry's hash covers its fields and the previous entry's hash, and the device key signs it, so
-- a deleted, reordered, inserted or edited entry breaks the chain. Each entry is also queued
-- for the server (outbox), which keeps the copy a phone cannot rewrite.
CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    agent_id  TEXT NOT NULL,
    action    TEXT NOT NULL,
    record_id TEXT,
    prev_hash BLOB NOT NULL,
    hash      BLOB NOT NULL,
    signature BLOB NOT NULL
) STRICT;

-- This phone's identity: an id and an Ed25519 key pair whose private half is sealed under a
-- key derived from the platform secret (on Android, held by the Keystore).
CREATE TABLE device (
    singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
    device_id    TEXT NOT NULL,
    public_key   BLOB NOT NULL,
    salt         BLOB NOT NULL,
    sealed_pkcs8 BLOB NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;
