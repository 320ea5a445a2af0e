-- Which phones serve a kelurahan, as rows: the assignment page asks it per kelurahan, and a
-- device's scope is otherwise a JSON list that no index reads. Filled from devices.scope by
-- the migration's backfill and at every enrollment.
CREATE TABLE device_scope (
    kelurahan_code TEXT NOT NULL, device_id TEXT NOT NULL,
    PRIMARY KEY (kelurahan_code, device_id));
