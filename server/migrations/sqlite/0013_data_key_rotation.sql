-- A data key rotation under way (`rotate-data-key`, server/src/data_key_rotation.rs): at most
-- one row, there from the rotation's start until everything is resealed under the new key.
-- The server refuses to start while it is there. The checks are one-way values naming the old
-- and the new key, so a resumed rotation cannot go on with another key; `step` and `last_done`
-- say where it stands (a step's last key done, NULL at a step's start), moved in the same
-- transaction as each batch of rows.
CREATE TABLE data_key_rotation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    from_version INTEGER NOT NULL,
    to_version INTEGER NOT NULL,
    from_check BLOB NOT NULL,
    to_check BLOB NOT NULL,
    step TEXT NOT NULL,
    last_done TEXT,
    started_at INTEGER NOT NULL
) STRICT;
