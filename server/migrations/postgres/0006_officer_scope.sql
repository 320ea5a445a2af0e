-- The regions a peninjau works in (JSON list of province, kabupaten, kecamatan or kelurahan
-- codes); NULL for an admin, who sees the whole district. A peninjau without one sees nothing
-- until an admin gives it (`user scope`).
ALTER TABLE operators ADD COLUMN scope TEXT;
