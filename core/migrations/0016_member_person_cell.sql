-- A member's NIK, name, birth date and profile are sealed together in one cell, `person`:
-- one AES-GCM seal and 29 bytes of nonce and tag instead of four, fewer bytes appended at
-- every registration. `household_id` and `position` go: a member's rowid is its household's
-- rowid * 64 + its position (0014). Rows stored before this keep their four cells (sealed
-- under the agent's key, which a migration cannot open) until they are purged after sync.
CREATE TABLE members_person (
    id         TEXT NOT NULL,
    nik_index  BLOB NOT NULL,
    person     BLOB,
    nik        BLOB,
    full_name  BLOB,
    birth_date BLOB,
    profile    BLOB,
    CHECK ((person IS NULL) = (nik IS NOT NULL AND full_name IS NOT NULL
                               AND birth_date IS NOT NULL AND profile IS NOT NULL))
) STRICT;
INSERT INTO members_person (rowid, id, nik_index, nik, full_name, birth_date, profile)
    SELECT rowid, id, nik_index, nik, full_name, birth_date, profile FROM members ORDER BY rowid;
DROP TABLE members;
ALTER TABLE members_person RENAME TO members;
