-- Typed tables for what request paths read, and the indexes each path needs.
-- The nonce sweep deletes by age.
CREATE INDEX nonces_by_at ON nonces (at);
-- The change feed reads one audience at a time: everyone, one device, one kelurahan.
ALTER TABLE changes ADD COLUMN audience TEXT NOT NULL DEFAULT 'all';
UPDATE changes SET audience = CASE
    WHEN device_id IS NOT NULL THEN 'd:' || device_id
    WHEN kelurahan_code IS NOT NULL THEN 'k:' || kelurahan_code
    ELSE 'all' END;
CREATE INDEX changes_by_audience ON changes (audience, cursor);
CREATE INDEX evidence_by_record ON evidence_index (record_id);
CREATE TABLE sanggahan (
    id TEXT PRIMARY KEY, entry_id TEXT NOT NULL, device_id TEXT NOT NULL,
    kelurahan_code TEXT NOT NULL, recipient_id TEXT NOT NULL, reason TEXT NOT NULL,
    reporter_index BLOB NOT NULL, filed_at INTEGER NOT NULL, due_at INTEGER NOT NULL,
    status TEXT NOT NULL, status_at INTEGER NOT NULL) STRICT;
CREATE INDEX sanggahan_by_status_due ON sanggahan (status, due_at);
CREATE INDEX sanggahan_by_filed ON sanggahan (filed_at, id);
CREATE INDEX sanggahan_by_status_filed ON sanggahan (status, filed_at, id);
CREATE INDEX sanggahan_by_kelurahan ON sanggahan (kelurahan_code, filed_at, id);
CREATE INDEX sanggahan_by_reporter ON sanggahan (reporter_index);
CREATE TABLE households (
    id TEXT PRIMARY KEY, entry_id TEXT NOT NULL, device_id TEXT NOT NULL,
    kelurahan_code TEXT NOT NULL, kk_index BLOB NOT NULL, member_count INTEGER NOT NULL,
    registered_at INTEGER NOT NULL, status TEXT NOT NULL) STRICT;
CREATE INDEX households_by_kelurahan ON households (kelurahan_code, registered_at, id);
CREATE INDEX households_by_registered ON households (registered_at, id);
CREATE INDEX households_by_kk ON households (kk_index);
CREATE TABLE household_members (
    household_id TEXT NOT NULL, member_id TEXT NOT NULL, nik_index BLOB NOT NULL,
    PRIMARY KEY (household_id, member_id)) STRICT;
CREATE INDEX members_by_nik ON household_members (nik_index);
-- The same NIK or KK in two households (two phones, two agents): both kept, for officers.
CREATE TABLE duplicates (
    id INTEGER PRIMARY KEY AUTOINCREMENT, household_id TEXT NOT NULL, other_id TEXT NOT NULL,
    basis TEXT NOT NULL, found_at INTEGER NOT NULL, resolution TEXT, resolved_by TEXT,
    resolved_at INTEGER, UNIQUE (household_id, other_id)) STRICT;
CREATE INDEX duplicates_by_resolution ON duplicates (resolution, found_at);
CREATE INDEX duplicates_by_other ON duplicates (other_id);
