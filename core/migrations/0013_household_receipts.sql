-- The resident's receipt of a registration (an usulan baru or any household registered): the
-- device's signature over the receipt text, kept until the household is purged, so the agent
-- can show it again.
ALTER TABLE households ADD COLUMN receipt TEXT;
