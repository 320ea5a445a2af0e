-- A household registered from now on carries its members in its own row: their ids, NIKs,
-- names, birth dates and profiles sealed together in `members_sealed`, and their NIK blind
-- indexes, 16 bytes each in member order, in `members_nik_index`. One row and one AES-GCM
-- seal per registration instead of six rows and twenty-one seals: a commit appends to one
-- B-tree fewer (bench/REPORT.md). Households stored before keep their rows in `members`
-- (sealed under the agent's key, which a migration cannot open) until they are purged.
ALTER TABLE households ADD COLUMN members_sealed BLOB;
ALTER TABLE households ADD COLUMN members_nik_index BLOB;
