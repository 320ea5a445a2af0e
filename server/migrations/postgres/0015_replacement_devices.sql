-- Re-enrollment (server/src/handover.rs): an operator's code may name the revoked device a new
-- phone replaces (`enroll_codes.replaces`); the device enrolled with it keeps that name
-- (`devices.replaces`), and only it may hand over the old device's queue, which is kept as
-- held entries of the old device (`quarantined_entries`, with the device that handed each
-- over in `handed_over_by`; NULL for what the revoked device pushed itself).
ALTER TABLE enroll_codes ADD COLUMN replaces TEXT;
ALTER TABLE devices ADD COLUMN replaces TEXT;
ALTER TABLE quarantined_entries ADD COLUMN handed_over_by TEXT;
