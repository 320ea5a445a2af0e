-- A registered household is an usulan baru (a proposal) unless its KK or one of its NIKs is in
-- the imported DTSEN families: the server decides it from its own data, not from the phone.
-- The DTSEN family it matched, NULL for an usulan baru; kept current when either side arrives.
ALTER TABLE households ADD COLUMN dtsen_family_id TEXT;
CREATE INDEX families_by_kk ON families (kk_blind);
UPDATE households SET dtsen_family_id = COALESCE(
    (SELECT f.family_id FROM families f WHERE f.kk_blind = households.kk_index
     ORDER BY f.family_id LIMIT 1),
    (SELECT n.family_id FROM household_members m JOIN family_niks n ON n.nik_blind = m.nik_index
     WHERE m.household_id = households.id ORDER BY n.family_id LIMIT 1));
