-- Officers decide on what a revoked device still pushed (`quarantined_entries`,
-- server/src/quarantine.rs). The entry's envelope as it came (kept from now on, so an admitted
-- entry goes through the same checks as a push; NULL in rows kept before this version, whose
-- envelope is taken from the record itself), and the decision: NULL while held, 'admitted'
-- (applied exactly as a push would have been) or 'rejected' (with the officer's reason);
-- `last_code` is the refusal code of the latest admission that failed a check (the entry
-- stays held). A decided entry's sealed text is emptied: what was admitted lives on in
-- `entries`, what was rejected is not kept.
ALTER TABLE quarantined_entries ADD COLUMN entity_id TEXT;
ALTER TABLE quarantined_entries ADD COLUMN kelurahan_code TEXT;
ALTER TABLE quarantined_entries ADD COLUMN blobs TEXT;
ALTER TABLE quarantined_entries ADD COLUMN created_at BIGINT;
ALTER TABLE quarantined_entries ADD COLUMN decision TEXT CHECK (decision IN ('admitted', 'rejected'));
ALTER TABLE quarantined_entries ADD COLUMN decided_by TEXT;
ALTER TABLE quarantined_entries ADD COLUMN decided_at BIGINT;
ALTER TABLE quarantined_entries ADD COLUMN reason TEXT;
ALTER TABLE quarantined_entries ADD COLUMN last_code TEXT;
