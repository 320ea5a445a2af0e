-- The DTSEN families the district imported: the family sealed under the server data key
-- (context "family:<id>"), its place in clear (kelurahan, RT/RW: what assignment selects by),
-- its KK and NIKs as blind indexes only.
CREATE TABLE families (
    family_id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    kelurahan_code TEXT NOT NULL,
    rt BIGINT NOT NULL,
    rw BIGINT NOT NULL,
    kk_blind BYTEA NOT NULL,
    sealed BYTEA NOT NULL,
    imported_at BIGINT NOT NULL
);
CREATE INDEX families_by_place ON families (kelurahan_code, rw, rt);
CREATE TABLE family_niks (
    nik_blind BYTEA PRIMARY KEY,
    family_id TEXT NOT NULL
);
CREATE INDEX family_niks_by_family ON family_niks (family_id);
-- Which agent verifies which family (a family may be on more than one agent's list).
CREATE TABLE assignments (
    family_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    assigned_at BIGINT NOT NULL,
    assigned_by TEXT NOT NULL,
    PRIMARY KEY (family_id, agent_id)
);
CREATE INDEX assignments_by_agent ON assignments (agent_id, family_id);
