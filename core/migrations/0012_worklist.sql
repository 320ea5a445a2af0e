-- The agents' worklists of DTSEN families, as the district's signed deltas delivered them.
-- Each family is sealed under the device's reference key (a locked phone's background sync
-- stores what arrives); only its place and status are in clear, for listing by RT/RW and
-- status. NIK, KK and name-prefix search keys are keyed blind indexes (worklist_keys).
CREATE TABLE worklist_families (
    id INTEGER PRIMARY KEY,
    agent_id TEXT NOT NULL,
    family_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    kelurahan_code TEXT NOT NULL,
    rt INTEGER NOT NULL,
    rw INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'belum_dikunjungi',
    sealed BLOB NOT NULL,
    received_at INTEGER NOT NULL,
    UNIQUE (agent_id, family_id)
) STRICT;
CREATE INDEX worklist_by_place ON worklist_families (agent_id, kelurahan_code, rw, rt, family_id);
CREATE INDEX worklist_by_status ON worklist_families (agent_id, status, family_id);
CREATE TABLE worklist_keys (
    key BLOB NOT NULL,
    family INTEGER NOT NULL REFERENCES worklist_families (id) ON DELETE CASCADE,
    PRIMARY KEY (key, family)
) STRICT, WITHOUT ROWID;
CREATE INDEX worklist_keys_by_family ON worklist_keys (family);
-- Verification visits: drafts sealed for the agent at every step, and the visits submitted
-- (ids, outcome and the district's status in clear; the record itself went to the outbox).
CREATE TABLE visit_drafts (
    id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    family_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    sealed BLOB NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX visit_drafts_by_agent ON visit_drafts (agent_id, updated_at);
CREATE TABLE visits (
    id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    family_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    status TEXT NOT NULL,
    -- The officer's reason, sealed under the device's reference key (background sync stores it).
    reason BLOB,
    recorded_at INTEGER NOT NULL,
    status_at INTEGER NOT NULL,
    -- The device's signature over the resident's receipt (hex).
    receipt TEXT NOT NULL
) STRICT;
CREATE INDEX visits_by_agent ON visits (agent_id, recorded_at);
-- The district's results for families on an agent's list, sealed under the device's reference
-- key; the deadline in clear for listing what can still be objected to.
CREATE TABLE family_results (
    agent_id TEXT NOT NULL,
    family_id TEXT NOT NULL,
    objection_deadline INTEGER NOT NULL,
    sealed BLOB NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (agent_id, family_id)
) STRICT;
-- Objections filed through this phone (sanggahan hasil): ids and status in clear, the
-- officer's reason sealed under the reference key, the device's receipt signature.
CREATE TABLE objections (
    id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    family_id TEXT NOT NULL,
    status TEXT NOT NULL,
    reason BLOB,
    filed_at INTEGER NOT NULL,
    status_at INTEGER NOT NULL,
    receipt TEXT NOT NULL
) STRICT;
CREATE INDEX objections_by_agent ON objections (agent_id, filed_at);
