-- Personal data sealed at rest: the record as received, the changes phones read and the
-- recipient lists move into sealed columns (AES-256-GCM under the server's data key, which is
-- kept outside the database); the migration's backfill seals what is there and empties the
-- clear columns.
ALTER TABLE entries ADD COLUMN sealed BYTEA;
ALTER TABLE changes ADD COLUMN sealed BYTEA;
ALTER TABLE recipients ADD COLUMN sealed BYTEA;
