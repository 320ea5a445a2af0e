-- Sanggahan: residents' objections against listed aid recipients.

-- A kelurahan's recipient list as a resident may see it. Name and masked NIK are sealed; the
-- id is the district's opaque recipient id.
CREATE TABLE recipients (
    id             TEXT PRIMARY KEY,
    kelurahan_code TEXT NOT NULL,
    programme      TEXT NOT NULL,
    rt             INTEGER NOT NULL,
    rw             INTEGER NOT NULL,
    entry          BLOB NOT NULL,
    imported_at    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX recipients_by_kelurahan ON recipients (kelurahan_code);

-- A filed sanggahan. Who reported it, the reason and the statement are sealed in `body`;
-- `reporter_index` (a keyed blind index of the reporter's NIK) is what the per-reporter limits
-- count. `flags` lists photos near-identical to evidence of another sanggahan on this phone.
CREATE TABLE sanggahan (
    id             TEXT PRIMARY KEY,
    agent_id       TEXT NOT NULL,
    kelurahan_code TEXT NOT NULL,
    recipient_id   TEXT NOT NULL,
    reporter_index BLOB NOT NULL,
    body           BLOB NOT NULL,
    status         TEXT NOT NULL,
    status_source  TEXT NOT NULL CHECK (status_source IN ('phone', 'server')),
    flags          TEXT NOT NULL DEFAULT '[]',
    created_at     INTEGER NOT NULL,
    status_at      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX sanggahan_by_reporter ON sanggahan (reporter_index, created_at);
CREATE INDEX sanggahan_open ON sanggahan (status, created_at);

-- Every status a sanggahan has had, with its time and where it came from. The district's
-- reason for a refusal is sealed.
CREATE TABLE sanggahan_status (
    sanggahan_id TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    status       TEXT NOT NULL,
    at           INTEGER NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('phone', 'server')),
    reason       BLOB,
    PRIMARY KEY (sanggahan_id, seq)
) STRICT, WITHOUT ROWID;
