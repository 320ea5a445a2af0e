-- Evidence photos captured on this phone. The JPEG itself is a sealed blob named by its
-- SHA-256 in the folder beside the database (evidence/store.rs); a row says what the photo is
-- and which record it belongs to. Location and the signed attestation (which carries the
-- location) are sealed; the hashes are not personal and are what near-duplicate search reads.
CREATE TABLE evidence (
    id           TEXT PRIMARY KEY,
    record_kind  TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    phash        INTEGER NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    source_bytes INTEGER NOT NULL,
    captured_at  INTEGER NOT NULL,
    details      BLOB NOT NULL,
    attestation  BLOB NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX evidence_by_record ON evidence (record_kind, record_id);
CREATE INDEX evidence_by_sha256 ON evidence (sha256);
