-- Evidence names the agent whose session took it, so a shared phone shows each agent only
-- their own photos. Rows from before this version belong to no agent (NULL) and are read only
-- outside an agent's session.
ALTER TABLE evidence ADD COLUMN agent_id TEXT;

-- What the server has confirmed, and what is left on the phone once a record's personal data
-- is purged: ids, status and dates, never a personal value. A record confirmed by the server
-- is purged after the retention period.
CREATE TABLE receipts (
    record_kind  TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    agent_id     TEXT NOT NULL,
    status       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    confirmed_at INTEGER NOT NULL,
    purged_at    INTEGER,
    PRIMARY KEY (record_kind, record_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX receipts_due ON receipts (purged_at, confirmed_at);
