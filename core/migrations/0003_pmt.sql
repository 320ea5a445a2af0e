-- A household keeps the PMT answers and preview it was registered with (sealed: the answers
-- describe the home), and in clear which model produced them, so a district can tell which
-- households a new model version would move without opening any record.
ALTER TABLE households ADD COLUMN pmt_model_id TEXT;
ALTER TABLE households ADD COLUMN pmt_model_version INTEGER;
ALTER TABLE households ADD COLUMN pmt BLOB;
