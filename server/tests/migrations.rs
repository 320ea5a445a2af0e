//! The migration runner on SQLite and (with `PERLINSOS_TEST_DATABASE_URL`) PostgreSQL: a
//! version-1 database holding the frozen records of `fixtures/v1` is upgraded and its typed
//! rows derived; a database made before migrations existed is adopted; one newer than the
//! server is refused; running again changes nothing.
use perlinsos_protocol::record::Record;
use perlinsos_server::db::{self, Db, Tx};
use perlinsos_server::keys::ServerKeys;
use perlinsos_server::{migrate, record_rules};

const HOUSEHOLD: &str = include_str!("fixtures/v1/household.registered.json");
const SANGGAHAN: &str = include_str!("fixtures/v1/sanggahan.filed.json");
const DAY_MS: i64 = 86_400_000;

struct Backend {
    name: &'static str,
    db: Db,
    _dir: tempfile::TempDir,
}

fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let mut out = vec![Backend {
        name: "sqlite",
        db: Db::open_sqlite(&dir.path().join("server.db")).unwrap(),
        _dir: dir,
    }];
    if let Ok(admin) = std::env::var("PERLINSOS_TEST_DATABASE_URL") {
        if !admin.is_empty() {
            let mut suffix = [0u8; 8];
            ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut suffix).unwrap();
            let name = format!("perlinsos_migr_{}", perlinsos_rules::hex::encode(&suffix));
            let url = Db::create_postgres_database(&admin, &name).unwrap();
            out.push(Backend {
                name: "postgres",
                db: Db::open_postgres(&url).unwrap(),
                _dir: tempfile::tempdir().unwrap(),
            });
        }
    }
    out
}

fn keys() -> ServerKeys {
    ServerKeys::from_secret(&[7; 32])
}

/// An entry as a version-1 server stored it (its record in clear, as the phone sent it then).
#[derive(Clone, serde::Deserialize)]
struct StoredEntry {
    id: String,
    kind: String,
    entity_id: String,
    body: serde_json::Value,
    kelurahan_code: Option<String>,
    #[serde(default)]
    blobs: Vec<String>,
    created_at: i64,
}

fn fixture(text: &str) -> StoredEntry {
    serde_json::from_str(text).unwrap()
}

/// The stored entry as the outbox sees one once opened: its record decoded into its type.
fn opened(entry: &StoredEntry) -> perlinsos_server::opened::Entry {
    let encoded = serde_json::to_vec(&serde_json::json!({
        "kind": entry.kind, "version": 1, "record": entry.body,
    }))
    .unwrap();
    perlinsos_server::opened::Entry {
        id: entry.id.clone(),
        kind: entry.kind.clone(),
        entity_id: entry.entity_id.clone(),
        record: Record::decode(&encoded).unwrap(),
        kelurahan_code: entry.kelurahan_code.clone(),
        blobs: entry.blobs.clone(),
        created_at: entry.created_at,
    }
}

fn insert_entry(tx: &mut dyn Tx, device: &str, entry: &StoredEntry) -> db::DbResult<()> {
    tx.execute(
        "INSERT INTO entries (id, device_id, kind, entity_id, kelurahan_code, body, created_at,
                              received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        &[
            db::text(entry.id.as_str()),
            db::text(device),
            db::text(entry.kind.as_str()),
            db::text(entry.entity_id.as_str()),
            db::opt_text(entry.kelurahan_code.as_deref()),
            db::text(entry.body.to_string()),
            db::int(entry.created_at),
        ],
    )
    .map(drop)
}

fn scalar(db: &Db, sql: &str) -> i64 {
    db.scalar(sql).unwrap()
}

fn text(db: &Db, sql: &str) -> Vec<String> {
    let sql = sql.to_owned();
    db.read(move |tx| tx.query(&sql, &[]))
        .unwrap()
        .iter()
        .map(|r| r[0].text().unwrap_or_default())
        .collect()
}

#[test]
fn the_frozen_version_1_records_still_decode_and_pass_the_rules() {
    for text in [HOUSEHOLD, SANGGAHAN] {
        let entry = opened(&fixture(text));
        let checked = record_rules::check_content(&entry, entry.created_at);
        assert!(checked.is_ok(), "{}: {:?}", entry.kind, checked.err());
    }
}

#[test]
fn a_version_1_database_with_records_is_upgraded_and_its_typed_rows_derived() {
    for b in backends() {
        let keys = keys();
        assert_eq!(
            migrate::run_to(&b.db, &keys, 1, 1).unwrap(),
            1,
            "{}",
            b.name
        );
        let household = fixture(HOUSEHOLD);
        let sanggahan = fixture(SANGGAHAN);
        // The same family registered again on another phone (same KK and NIKs).
        let mut again = household.clone();
        again.id = format!("{}-2", household.id);
        again.entity_id = format!("{}-2", household.entity_id);
        again.body["id"] = again.entity_id.clone().into();
        let filed_at = sanggahan.body["filed_at"].as_i64().unwrap();
        b.db.write(|tx| {
            insert_entry(tx, "hp-1", &household)?;
            insert_entry(tx, "hp-2", &again)?;
            insert_entry(tx, "hp-1", &sanggahan)?;
            // A record version 1 accepted unchecked: it stays, and stops nothing.
            let mut broken = household.clone();
            broken.id = "e-broken".into();
            broken.entity_id = "h-broken".into();
            broken.body = serde_json::json!({ "kk": 5 });
            insert_entry(tx, "hp-1", &broken)?;
            tx.execute(
                "INSERT INTO sanggahan_decisions (sanggahan_id, status, reason, decided_at,
                                                  decided_by)
                 VALUES (?1, 'ditolak', 'Tidak terbukti.', ?2, 'peninjau01')",
                &[
                    db::text(sanggahan.entity_id.as_str()),
                    db::int(filed_at + DAY_MS),
                ],
            )?;
            db::add_change_v1(tx, Some("52.71.01.1004"), None, "{}", 1)?;
            db::add_change_v1(tx, None, Some("hp-1"), "{}", 2)?;
            db::add_change_v1(tx, None, None, "{}", 3)?;
            Ok::<_, db::DbError>(())
        })
        .unwrap();

        assert_eq!(
            migrate::run(&b.db, &keys, 2).unwrap(),
            migrate::latest(),
            "{}",
            b.name
        );
        assert_eq!(scalar(&b.db, "SELECT count(*) FROM households"), 2);
        assert_eq!(
            scalar(&b.db, "SELECT count(*) FROM household_members"),
            2 * household.body["members"].as_array().unwrap().len() as i64
        );
        assert_eq!(
            text(&b.db, "SELECT DISTINCT status FROM households"),
            vec!["data_ganda"]
        );
        assert_eq!(scalar(&b.db, "SELECT count(*) FROM duplicates"), 1);
        assert_eq!(
            text(&b.db, "SELECT status FROM sanggahan"),
            vec!["ditolak"],
            "{}",
            b.name
        );
        assert_eq!(
            scalar(&b.db, "SELECT due_at - filed_at FROM sanggahan"),
            14 * DAY_MS
        );
        assert_eq!(
            text(&b.db, "SELECT audience FROM changes ORDER BY cursor"),
            vec!["k:52.71.01.1004", "d:hp-1", "all"]
        );
        // No NIK in clear in the typed tables: blind indexes only.
        let nik = household.body["members"][0]["nik"].as_str().unwrap();
        let indexes: Vec<Vec<u8>> =
            b.db.read(|tx| tx.query("SELECT nik_index FROM household_members", &[]))
                .unwrap()
                .iter()
                .map(|r| r[0].blob().unwrap_or_default())
                .collect();
        assert!(indexes.iter().all(|i| i.len() == 16 && i != nik.as_bytes()));

        // Again: nothing to do, nothing doubled.
        assert_eq!(migrate::run(&b.db, &keys, 3).unwrap(), migrate::latest());
        assert_eq!(scalar(&b.db, "SELECT count(*) FROM households"), 2);
        assert_eq!(
            scalar(&b.db, "SELECT count(*) FROM schema_migrations"),
            migrate::latest()
        );

        // 0003 sealed what version 1 kept in clear, and it opens with the key.
        assert_eq!(
            scalar(
                &b.db,
                "SELECT count(*) FROM entries WHERE body <> '' OR sealed IS NULL"
            ),
            0
        );
        let opened =
            b.db.read(|tx| perlinsos_server::stored::entry_body(tx, &keys, &household.id))
                .unwrap()
                .expect("opens");
        assert!(opened.contains(nik));
        assert_eq!(
            scalar(&b.db, "SELECT count(*) FROM changes WHERE body <> ''"),
            0
        );
    }
}

#[test]
fn a_version_10_photo_index_gets_the_bands_its_near_duplicate_search_reads() {
    for b in backends() {
        let keys = keys();
        migrate::run_to(&b.db, &keys, 10, 1).unwrap();
        // One hash with the top bit set: stored as a negative integer.
        let hashes = [0x8123_4567_89ab_cdefu64, 0x0000_0000_0000_ffff];
        b.db.write(|tx| {
            for (i, hash) in hashes.iter().enumerate() {
                tx.execute(
                    "INSERT INTO evidence_index (sha256, record_kind, record_id, device_id, phash)
                     VALUES (?1, 'sanggahan', ?2, 'hp-1', ?3)",
                    &[
                        db::text(format!("{i:064}").as_str()),
                        db::text(format!("s-{i}").as_str()),
                        db::int(*hash as i64),
                    ],
                )?;
            }
            Ok::<_, db::DbError>(())
        })
        .unwrap();
        assert_eq!(migrate::run(&b.db, &keys, 2).unwrap(), migrate::latest());
        for (i, hash) in hashes.iter().enumerate() {
            let row = b
                .db
                .read(|tx| {
                    tx.query_one(
                        "SELECT band0, band1, band2, band3 FROM evidence_index WHERE record_id = ?1",
                        &[db::text(format!("s-{i}").as_str())],
                    )
                })
                .unwrap()
                .unwrap();
            let got: Vec<i64> = (0..4).map(|c| row[c].int()).collect();
            assert_eq!(
                got,
                perlinsos_server::photo_bands::bands(*hash).to_vec(),
                "{}",
                b.name
            );
        }
    }
}

#[test]
fn a_version_11_devices_scope_becomes_indexed_rows() {
    for b in backends() {
        let keys = keys();
        migrate::run_to(&b.db, &keys, 11, 1).unwrap();
        b.db.write(|tx| {
            for (device, agent, scope) in [
                ("hp-1", "agen-01", r#"["52.71.01.1004","52.71.03.1005"]"#),
                ("hp-2", "agen-02", r#"["52.71.01.1004"]"#),
            ] {
                tx.execute(
                    "INSERT INTO devices (device_id, public_key, agent_id, scope, enrolled_at)
                     VALUES (?1, ?2, ?3, ?4, 1)",
                    &[
                        db::text(device),
                        db::blob(vec![1; 32]),
                        db::text(agent),
                        db::text(scope),
                    ],
                )?;
            }
            Ok::<_, db::DbError>(())
        })
        .unwrap();
        assert_eq!(migrate::run(&b.db, &keys, 2).unwrap(), migrate::latest());
        let agents = |kelurahan: &str| {
            b.db.read(|tx| perlinsos_server::families::agents_enrolled_for(tx, kelurahan))
                .unwrap()
        };
        assert_eq!(
            agents("52.71.01.1004"),
            vec!["agen-01", "agen-02"],
            "{}",
            b.name
        );
        assert_eq!(agents("52.71.03.1005"), vec!["agen-01"], "{}", b.name);
        assert!(agents("52.03.01.2001").is_empty());
    }
}

#[test]
fn a_database_made_before_migrations_is_adopted() {
    for b in backends() {
        let schema = if b.name == "postgres" {
            include_str!("../migrations/postgres/0001_initial.sql")
        } else {
            include_str!("../migrations/sqlite/0001_initial.sql")
        };
        let household = fixture(HOUSEHOLD);
        b.db.write(|tx| {
            tx.batch(schema)?;
            insert_entry(tx, "hp-1", &household)
        })
        .unwrap();
        assert_eq!(
            migrate::run(&b.db, &keys(), 1).unwrap(),
            migrate::latest(),
            "{}",
            b.name
        );
        assert_eq!(scalar(&b.db, "SELECT count(*) FROM households"), 1);
    }
}

#[test]
fn a_database_newer_than_the_server_is_refused_and_left_alone() {
    for b in backends() {
        let keys = keys();
        migrate::run(&b.db, &keys, 1).unwrap();
        b.db.write(|tx| {
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'x', 1)",
                &[],
            )
        })
        .unwrap();
        let refused = migrate::run(&b.db, &keys, 2).unwrap_err();
        assert!(refused.0.contains("newer"), "{}: {}", b.name, refused.0);
        assert_eq!(
            scalar(&b.db, "SELECT count(*) FROM schema_migrations"),
            migrate::latest() + 1
        );
    }
}

#[test]
fn accounts_made_before_0009_are_upgraded_active_and_can_be_disabled() {
    for b in backends() {
        let keys = keys();
        assert_eq!(
            migrate::run_to(&b.db, &keys, 8, 1).unwrap(),
            8,
            "{}",
            b.name
        );
        b.db.write(|tx| {
            tx.execute(
                "INSERT INTO operators (username, role, salt, hash, iterations, created_at, scope)
                 VALUES ('peninjau01', 'peninjau', ?1, ?2, 600000, 1, '[\"52.71.01\"]')",
                &[db::blob(vec![0; 16]), db::blob(vec![1; 32])],
            )
        })
        .unwrap();
        assert_eq!(migrate::run(&b.db, &keys, 2).unwrap(), migrate::latest());
        assert_eq!(
            scalar(
                &b.db,
                "SELECT count(*) FROM operators WHERE disabled_at IS NULL"
            ),
            1,
            "{}",
            b.name
        );
        let active =
            b.db.read(|tx| perlinsos_server::console::accounts::operator(tx, "peninjau01"));
        assert!(active.unwrap().is_some(), "{}", b.name);
        b.db.write(|tx| tx.execute("UPDATE operators SET disabled_at = 3", &[]))
            .unwrap();
        let disabled =
            b.db.read(|tx| perlinsos_server::console::accounts::operator(tx, "peninjau01"));
        assert!(disabled.unwrap().is_none(), "{}", b.name);
    }
}

#[test]
fn accounts_made_before_0010_have_no_second_factor() {
    for b in backends() {
        let keys = keys();
        assert_eq!(
            migrate::run_to(&b.db, &keys, 9, 1).unwrap(),
            9,
            "{}",
            b.name
        );
        b.db.write(|tx| {
            tx.execute(
                "INSERT INTO operators (username, role, salt, hash, iterations, created_at)
                 VALUES ('admin01', 'admin', ?1, ?2, 600000, 1)",
                &[db::blob(vec![0; 16]), db::blob(vec![1; 32])],
            )
        })
        .unwrap();
        assert_eq!(migrate::run(&b.db, &keys, 2).unwrap(), migrate::latest());
        let factor = b
            .db
            .read(|tx| perlinsos_server::console::second_factor::state_of(tx, &keys, "admin01"));
        assert_eq!(
            factor.unwrap(),
            perlinsos_server::console::second_factor::SecondFactor::Off,
            "{}",
            b.name
        );
        let allowed = b.db.write(|tx| {
            perlinsos_server::console::second_factor::login_allowed(tx, &keys, "admin01", None, 1)
        });
        assert!(allowed.unwrap(), "{}", b.name);
    }
}

#[test]
fn a_version_12_database_gains_an_empty_rotation_marker_that_holds_one_row() {
    for b in backends() {
        let keys = keys();
        migrate::run_to(&b.db, &keys, 12, 1).unwrap();
        assert_eq!(
            migrate::run(&b.db, &keys, 2).unwrap(),
            migrate::latest(),
            "{}",
            b.name
        );
        assert!(b
            .db
            .read(perlinsos_server::data_key_rotation::underway)
            .unwrap()
            .is_none());
        let begin = |tx: &mut dyn Tx, id: i64| {
            tx.execute(
                "INSERT INTO data_key_rotation (id, from_version, to_version, from_check,
                                                to_check, step, last_done, started_at)
                 VALUES (?1, 1, 2, ?2, ?3, 'entries', NULL, 5)",
                &[db::int(id), db::blob(vec![1; 16]), db::blob(vec![2; 16])],
            )
        };
        b.db.write(|tx| begin(tx, 1)).unwrap();
        assert!(b.db.write(|tx| begin(tx, 2)).is_err(), "{}", b.name);
        let marker =
            b.db.read(perlinsos_server::data_key_rotation::underway)
                .unwrap()
                .unwrap();
        assert_eq!(
            (marker.from_version, marker.to_version, marker.step.as_str()),
            (1, 2, "entries")
        );
        assert_eq!(marker.last_done, None);
    }
}

#[test]
fn entries_held_before_0014_stay_held_without_an_envelope_or_a_decision() {
    for b in backends() {
        let keys = keys();
        migrate::run_to(&b.db, &keys, 13, 1).unwrap();
        b.db.write(|tx| {
            tx.execute(
                "INSERT INTO quarantined_entries
                     (device_id, entry_id, kind, key_id, sealed, received_at)
                 VALUES ('hp-1', 'e-1', 'household.registered', 'k1', 'abcd', 5)",
                &[],
            )
        })
        .unwrap();
        assert_eq!(migrate::run(&b.db, &keys, 2).unwrap(), migrate::latest());
        let held =
            b.db.read(|tx| perlinsos_server::quarantine::list(tx, "hp-1", ""))
                .unwrap();
        assert_eq!(held.len(), 1, "{}", b.name);
        let held = &held[0];
        assert_eq!(
            (held.entry_id.as_str(), held.kind.as_str(), held.received_at),
            ("e-1", "household.registered", 5)
        );
        assert_eq!(held.kelurahan_code, None);
        assert_eq!(held.decision, None);
        assert_eq!(held.last_code, None);
        // Only the two decisions are stored.
        let odd = b.db.write(|tx| {
            tx.execute(
                "UPDATE quarantined_entries SET decision = 'maybe' WHERE entry_id = 'e-1'",
                &[],
            )
        });
        assert!(odd.is_err(), "{}", b.name);
    }
}

#[test]
fn devices_codes_and_held_entries_from_before_0015_replace_nothing() {
    for b in backends() {
        let keys = keys();
        migrate::run_to(&b.db, &keys, 14, 1).unwrap();
        b.db.write(|tx| {
            tx.execute(
                "INSERT INTO devices (device_id, public_key, agent_id, scope, enrolled_at)
                 VALUES ('hp-1', ?1, 'agen-01', '[\"5271011001\"]', 5)",
                &[db::blob(vec![1; 32])],
            )?;
            tx.execute(
                "INSERT INTO enroll_codes (code_hash, agent_id, scope, created_at, expires_at)
                 VALUES (?1, 'agen-01', '[\"5271011001\"]', 5, 6)",
                &[db::blob(vec![2; 32])],
            )?;
            tx.execute(
                "INSERT INTO quarantined_entries
                     (device_id, entry_id, kind, key_id, sealed, received_at)
                 VALUES ('hp-1', 'e-1', 'household.registered', 'k1', 'abcd', 5)",
                &[],
            )
        })
        .unwrap();
        assert_eq!(migrate::run(&b.db, &keys, 2).unwrap(), migrate::latest());
        // Nothing enrolled before is anyone's replacement, and nothing held was handed over.
        let bound =
            b.db.scalar("SELECT count(*) FROM devices WHERE replaces IS NOT NULL")
                .unwrap();
        let codes =
            b.db.scalar("SELECT count(*) FROM enroll_codes WHERE replaces IS NOT NULL")
                .unwrap();
        let handed =
            b.db.scalar("SELECT count(*) FROM quarantined_entries WHERE handed_over_by IS NULL")
                .unwrap();
        assert_eq!((bound, codes, handed), (0, 0, 1), "{}", b.name);
        let device =
            b.db.read(|tx| db::device(tx, "hp-1"))
                .unwrap()
                .expect("kept");
        assert_eq!(device.agent_id, "agen-01");
    }
}
