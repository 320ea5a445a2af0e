-- The district's revision of a listed family within one DTSEN version (an accepted visit's PMT
-- answers flowing back): a delta replaces the held family when its (version, revision) is
-- greater. Families stored before it are revision 0, as the server sent them.
ALTER TABLE worklist_families ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
