-- Assisted household registration: drafts and submitted households.
-- Personal values are sealed BLOBs (see crypt.rs); *_index columns are keyed HMAC blind indexes.
-- Ids are time-ordered UUIDs, so WITHOUT ROWID tables keyed by them append at the end instead
-- of carrying a second index: fewer pages written per registration.

-- A registration in progress: the whole draft is one sealed JSON body, saved at every step.
CREATE TABLE drafts (
    id         TEXT PRIMARY KEY,
    agent_id   TEXT NOT NULL,
    step       TEXT NOT NULL,
    revision   INTEGER NOT NULL,
    body       BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE INDEX drafts_by_agent ON drafts (agent_id, updated_at);

-- A household keeps the id of the draft it was registered from: a repeated submit finds it by
-- its key, and no second index is needed.
CREATE TABLE households (
    id             TEXT PRIMARY KEY,
    agent_id       TEXT NOT NULL,
    kelurahan_code TEXT NOT NULL,
    kk_index       BLOB NOT NULL UNIQUE,
    kk             BLOB NOT NULL,
    address        BLOB NOT NULL,
    visit          BLOB NOT NULL,
    consent        BLOB NOT NULL,
    head_member_id TEXT NOT NULL,
    member_count   INTEGER NOT NULL CHECK (member_count > 0),
    registered_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE members (
    household_id TEXT NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    id           TEXT NOT NULL,
    nik_index    BLOB NOT NULL UNIQUE,
    nik          BLOB NOT NULL,
    full_name    BLOB NOT NULL,
    birth_date   BLOB NOT NULL,
    profile      BLOB NOT NULL,
    PRIMARY KEY (household_id, position)
) STRICT, WITHOUT ROWID;
