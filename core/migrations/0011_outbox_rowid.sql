-- The outbox now holds each record sealed (about 1 kB): as a WITHOUT ROWID table, a row past
-- ~1/20 of a page spills into an overflow page, one more page written at every commit. A rowid
-- table keeps such rows in its leaf pages; the entry id stays unique through its own index.
CREATE TABLE outbox_rows (
    id              TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    entity_id       TEXT NOT NULL,
    payload         BLOB NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'parked')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    park_reason     TEXT,
    created_at      INTEGER NOT NULL,
    key_id          TEXT,
    kelurahan_code  TEXT,
    blobs           TEXT
) STRICT;
INSERT INTO outbox_rows (id, kind, entity_id, payload, status, attempts, next_attempt_at,
                         park_reason, created_at, key_id, kelurahan_code, blobs)
    SELECT id, kind, entity_id, payload, status, attempts, next_attempt_at, park_reason,
           created_at, key_id, kelurahan_code, blobs
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_rows RENAME TO outbox;
