-- PMT models received from the district by sync, kept as the signed files they arrived as and
-- verified against the district key before they are stored (and again when loaded).
CREATE TABLE models (
    id          TEXT NOT NULL,
    version     INTEGER NOT NULL,
    signed      TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (id, version)
) STRICT, WITHOUT ROWID;
