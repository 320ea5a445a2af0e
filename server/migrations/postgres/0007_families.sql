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
-- Verification visits as they arrived (the record itself stays sealed in `entries`). Two
-- agents' visits of a family started from the same version are a conflict ('konflik') until
-- an officer keeps one ('diterima') and the other is 'digantikan'.
CREATE TABLE visits (
    id TEXT PRIMARY KEY,
    entry_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    family_id TEXT NOT NULL,
    family_version BIGINT NOT NULL,
    kelurahan_code TEXT NOT NULL,
    outcome TEXT NOT NULL,
    visited_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    status_at BIGINT NOT NULL,
    decided_by TEXT,
    reason TEXT
);
CREATE INDEX visits_by_family ON visits (family_id, status);
CREATE INDEX visits_by_status ON visits (status, kelurahan_code, received_at);
-- Receipts residents keep (a visit, an objection, a proposal): the short code and the record it
-- names, stored when the record arrives with its device's valid signature.
CREATE TABLE resident_receipts (
    code TEXT NOT NULL,
    record_kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    signature TEXT NOT NULL,
    PRIMARY KEY (code, record_id)
);
-- The district's published result per family, sealed (context "result:<id>"); the deadline in
-- clear for the objection check.
CREATE TABLE family_results (
    family_id TEXT PRIMARY KEY,
    announced_at BIGINT NOT NULL,
    objection_deadline BIGINT NOT NULL,
    sealed BYTEA NOT NULL,
    published_at BIGINT NOT NULL
);
-- Objections of families to their own result (sanggahan hasil), and the officer's decision.
CREATE TABLE objections (
    id TEXT PRIMARY KEY,
    entry_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    family_id TEXT NOT NULL,
    kelurahan_code TEXT NOT NULL,
    reason TEXT NOT NULL,
    filed_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    status_at BIGINT NOT NULL,
    decided_by TEXT,
    decision_reason TEXT
);
CREATE INDEX objections_by_status ON objections (status, kelurahan_code, filed_at);
CREATE INDEX objections_by_family ON objections (family_id);
