-- Store foundation: key check and the transactional outbox.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

-- One row per operation the server must apply exactly once. The id is generated on the phone
-- (time-ordered) and is the idempotency key on the server. The outbox holds only what has not
-- reached the server yet, so it stays small and needs no index beyond its key.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    entity_id       TEXT NOT NULL,
    payload         BLOB NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'parked')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    park_reason     TEXT,
    created_at      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

