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
