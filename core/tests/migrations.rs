//! Every older schema upgrades to the current one without losing data; a newer one is refused.
use perlinsos_core::store::{migrations, Store};
use perlinsos_core::Error;
use rusqlite::Connection;

/// (version, SQL that builds a database of that version with data in it)
const FIXTURES: &[(i64, &str)] = &[
    (0, ""),
    (1, include_str!("fixtures/schema_v1.sql")),
    (2, include_str!("fixtures/schema_v2.sql")),
    (3, include_str!("fixtures/schema_v3.sql")),
    (4, include_str!("fixtures/schema_v4.sql")),
    (5, include_str!("fixtures/schema_v5.sql")),
    (6, include_str!("fixtures/schema_v6.sql")),
    (7, include_str!("fixtures/schema_v7.sql")),
    (8, include_str!("fixtures/schema_v8.sql")),
    (9, include_str!("fixtures/schema_v9.sql")),
    (10, include_str!("fixtures/schema_v10.sql")),
    (11, include_str!("fixtures/schema_v11.sql")),
    (12, include_str!("fixtures/schema_v12.sql")),
    (13, include_str!("fixtures/schema_v13.sql")),
    (14, include_str!("fixtures/schema_v14.sql")),
    (15, include_str!("fixtures/schema_v15.sql")),
    (16, include_str!("fixtures/schema_v16.sql")),
];

fn build(path: &std::path::Path, sql: &str) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(sql).unwrap();
}

#[test]
fn there_is_a_fixture_for_every_older_schema() {
    let versions: Vec<i64> = FIXTURES.iter().map(|(v, _)| *v).collect();
    let expected: Vec<i64> = (0..migrations::latest_version()).collect();
    assert_eq!(versions, expected, "add a fixture when you add a migration");
}

#[test]
fn every_older_schema_upgrades_and_keeps_its_rows() {
    for (version, sql) in FIXTURES {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.db");
        build(&path, sql);
        let before: i64 = Connection::open(&path)
            .unwrap()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(before, *version);
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            migrations::latest_version()
        );
        let (outbox, parked_reason): (i64, Option<String>) = store
            .read(|conn| {
                Ok(conn.query_row(
                    "SELECT count(*), (SELECT park_reason FROM outbox WHERE status = 'parked')
                     FROM outbox",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?)
            })
            .unwrap();
        if *version >= 1 {
            assert_eq!(outbox, 2, "v{version}");
            assert_eq!(parked_reason.as_deref(), Some("ditolak server"));
        }
        // The registration tables exist, with the rows a v2 app wrote; those households
        // predate the PMT step and have no PMT record.
        let (drafts, households, members, with_pmt): (i64, i64, i64, i64) = store
            .read(|conn| {
                Ok(conn.query_row(
                    "SELECT (SELECT count(*) FROM drafts), (SELECT count(*) FROM households),
                         (SELECT count(*) FROM members),
                         (SELECT count(*) FROM households WHERE pmt IS NOT NULL)",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )?)
            })
            .unwrap();
        let expected = if *version >= 2 { 1 } else { 0 };
        assert_eq!(
            (drafts, households, members),
            (expected, expected, expected),
            "v{version}"
        );
        assert_eq!(with_pmt, i64::from(*version >= 3), "v{version}");
        // The household's KK and its member's NIK are found through the staged look-up
        // (0014), and the rows kept what later migrations added.
        let (indexed, by_nik, receipts): (i64, Option<String>, i64) = store
            .read(|conn| {
                Ok(conn.query_row(
                    "SELECT (SELECT count(*) FROM blind_index),
                         (SELECT household_id FROM blind_index WHERE blind = X'BB'),
                         (SELECT count(*) FROM households WHERE receipt IS NOT NULL)",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )?)
            })
            .unwrap();
        assert_eq!(indexed, 2 * expected, "v{version}");
        // A member's rowid is its household's rowid * 64 + its position.
        let member_rows: Vec<(i64, i64)> = store
            .read(|conn| {
                let mut stmt = conn.prepare(
                    "SELECT m.rowid, h.rowid * 64 + m.position
                     FROM members m JOIN households h ON h.id = m.household_id",
                )?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok(rows.collect::<rusqlite::Result<_>>()?)
            })
            .unwrap();
        assert_eq!(member_rows.len() as i64, expected, "v{version}");
        assert!(member_rows.iter().all(|(a, b)| a == b), "v{version}");
        if *version >= 2 {
            assert_eq!(
                by_nik.as_deref(),
                Some("019ac9a0-0000-7000-8000-000000000002"),
                "v{version}"
            );
        }
        assert_eq!(receipts, i64::from(*version >= 13), "v{version}");
        let evidence: i64 = store
            .read(|conn| Ok(conn.query_row("SELECT count(*) FROM evidence", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(evidence, i64::from(*version >= 4), "v{version}");
        let (agents, failed): (i64, Option<i64>) = store
            .read(|conn| {
                Ok(conn.query_row(
                    "SELECT count(*), max(failed_attempts) FROM agents",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?)
            })
            .unwrap();
        assert_eq!(
            (agents, failed),
            if *version >= 5 {
                (1, Some(2))
            } else {
                (0, None)
            }
        );
        let audit: i64 = store
            .read(|conn| Ok(conn.query_row("SELECT count(*) FROM audit", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(audit, i64::from(*version >= 6), "v{version}");
        let receipts: i64 = store
            .read(|conn| Ok(conn.query_row("SELECT count(*) FROM receipts", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(receipts, i64::from(*version >= 7), "v{version}");
        let sanggahan: i64 = store
            .read(|conn| Ok(conn.query_row("SELECT count(*) FROM sanggahan", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(sanggahan, i64::from(*version >= 8), "v{version}");
        // A family listed before 0015 is the district's revision 0 of its version, status kept.
        let listed: Vec<(String, i64, i64, String)> = store
            .read(|conn| {
                let mut stmt = conn.prepare(
                    "SELECT family_id, version, revision, status FROM worklist_families",
                )?;
                let rows =
                    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })
            .unwrap();
        let expected: Vec<(String, i64, i64, String)> = if *version >= 14 {
            vec![("DTSEN-0001".into(), 2, 0, "dikunjungi".into())]
        } else {
            Vec::new()
        };
        assert_eq!(listed, expected, "v{version}");
        let integrity: String = store
            .read(|conn| Ok(conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(integrity, "ok");
        drop(store);
        // Opening again is a no-op.
        assert_eq!(
            Store::open(&path).unwrap().schema_version().unwrap(),
            migrations::latest_version()
        );
    }
}

#[test]
fn a_database_from_a_newer_app_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let newer = migrations::latest_version() + 1;
    build(
        &path,
        &format!("CREATE TABLE future (x); PRAGMA user_version = {newer};"),
    );
    match Store::open(&path) {
        Err(Error::SchemaTooNew { found, supported }) => {
            assert_eq!((found, supported), (newer, migrations::latest_version()));
        }
        other => panic!("expected SchemaTooNew, got {:?}", other.err()),
    }
    let conn = Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, newer);
}

#[test]
fn a_failing_migration_leaves_the_old_schema_in_place() {
    // A v1 database where a table the next migration creates already exists (as a damaged or
    // hand-edited file might): the upgrade fails as a whole and the version stays 1.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    build(
        &path,
        &format!(
            "{}\nCREATE TABLE members (x);",
            include_str!("fixtures/schema_v1.sql")
        ),
    );
    assert!(Store::open(&path).is_err());
    let conn = Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 1);
    let drafts: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'drafts'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(drafts, 0);
}
