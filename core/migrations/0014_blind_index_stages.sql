-- NIK and KK look-up in two stages (core/src/registration/blind_index.rs). A registration's
-- blind indexes are random keys: kept as UNIQUE columns of households and members, each one
-- rewrote a random page of its index at every commit, most of what a commit wrote. They now
-- stay only in the household's own rows (kk_index, nik_index: plain columns, appended with
-- the rows) until, a few hundred households later, they move into blind_index in one merge;
-- blind_merged.upto is the last household rowid merged so far.
CREATE TABLE blind_index (
    blind        BLOB PRIMARY KEY,
    household_id TEXT NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO blind_index (blind, household_id)
    SELECT kk_index, id FROM households
    UNION ALL
    SELECT nik_index, household_id FROM members;

-- Rowid tables: a household's rows (about 2 kB) are appended to the last leaf page, where a
-- WITHOUT ROWID table rebalanced three sibling pages at each split. Ids are time-ordered, so
-- the unique index on households.id is appended too. A member's rowid is its household's
-- rowid * 64 + its position (at most 30 members): a household's members are one rowid range,
-- found without an index of their own, and removed with their household by that range.
CREATE TABLE households_rows (
    id                TEXT NOT NULL UNIQUE,
    agent_id          TEXT NOT NULL,
    kelurahan_code    TEXT NOT NULL,
    kk_index          BLOB NOT NULL,
    kk                BLOB NOT NULL,
    address           BLOB NOT NULL,
    visit             BLOB NOT NULL,
    consent           BLOB NOT NULL,
    head_member_id    TEXT NOT NULL,
    member_count      INTEGER NOT NULL CHECK (member_count > 0),
    registered_at     INTEGER NOT NULL,
    pmt_model_id      TEXT,
    pmt_model_version INTEGER,
    pmt               BLOB,
    receipt           TEXT
) STRICT;
INSERT INTO households_rows (id, agent_id, kelurahan_code, kk_index, kk, address, visit, consent,
                             head_member_id, member_count, registered_at, pmt_model_id,
                             pmt_model_version, pmt, receipt)
    SELECT id, agent_id, kelurahan_code, kk_index, kk, address, visit, consent, head_member_id,
           member_count, registered_at, pmt_model_id, pmt_model_version, pmt, receipt
    FROM households ORDER BY id;

CREATE TABLE members_rows (
    household_id TEXT NOT NULL,
    position     INTEGER NOT NULL CHECK (position BETWEEN 0 AND 63),
    id           TEXT NOT NULL,
    nik_index    BLOB NOT NULL,
    nik          BLOB NOT NULL,
    full_name    BLOB NOT NULL,
    birth_date   BLOB NOT NULL,
    profile      BLOB NOT NULL
) STRICT;
INSERT INTO members_rows (rowid, household_id, position, id, nik_index, nik, full_name,
                          birth_date, profile)
    SELECT h.rowid * 64 + m.position, m.household_id, m.position, m.id, m.nik_index, m.nik,
           m.full_name, m.birth_date, m.profile
    FROM members m JOIN households_rows h ON h.id = m.household_id
    ORDER BY h.rowid, m.position;

DROP TABLE members;
DROP TABLE households;
ALTER TABLE households_rows RENAME TO households;
ALTER TABLE members_rows RENAME TO members;

-- Every household copied above is in blind_index already.
CREATE TABLE blind_merged (upto INTEGER NOT NULL) STRICT;
INSERT INTO blind_merged (upto) SELECT coalesce(max(rowid), 0) FROM households;
