-- The near-duplicate photo search without a scan: each perceptual hash's four 16-bit bands,
-- each indexed (server/src/photo_bands.rs). Two hashes within the threshold share a band up
-- to a small radius, so the look-up is a few index probes instead of every row.
ALTER TABLE evidence_index ADD COLUMN band0 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE evidence_index ADD COLUMN band1 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE evidence_index ADD COLUMN band2 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE evidence_index ADD COLUMN band3 BIGINT NOT NULL DEFAULT 0;
UPDATE evidence_index SET band0 = (phash >> 48) & 65535, band1 = (phash >> 32) & 65535,
                          band2 = (phash >> 16) & 65535, band3 = phash & 65535;
CREATE INDEX evidence_by_band0 ON evidence_index (band0);
CREATE INDEX evidence_by_band1 ON evidence_index (band1);
CREATE INDEX evidence_by_band2 ON evidence_index (band2);
CREATE INDEX evidence_by_band3 ON evidence_index (band3);
