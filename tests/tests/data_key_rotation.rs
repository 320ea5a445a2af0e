//! The data key rotated on a district that holds something in every sealed place: registered
//! households, a sanggahan with photos, DTSEN families with published results and a visit, an
//! officer's second factor. The real `perlinsos-server rotate-data-key` is refused while the
//! server runs, SIGKILLed twice part-way (the server then refuses to start), and run again to
//! the end. Afterwards everything reads as before; no value in the database, no blob file and
//! not the district key file is under the old key, which opens none of them; NIK search and the
//! duplicate checks find the old rows through the rebuilt blind indexes; and the change feed
//! serves a new phone. On SQLite, or on PostgreSQL with PERLINSOS_TEST_DATABASE_URL.
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use perlinsos_e2e::field::{FieldPhone, Server};
use perlinsos_e2e::PlainEntry;
use perlinsos_protocol::wire::PushEntry;
use perlinsos_server::console::accounts::{self, Role, Scope};
use perlinsos_server::data_key_reseal::SEALED_COLUMNS;
use perlinsos_server::db::{self, Db};
use perlinsos_server::keys::{Blind, DataSecret, ServerKeys};
use perlinsos_server::{blobs, data_key_rotation, families, AppState};

const CAM2: &[u8] = include_bytes!("../../core/data/photos/cam2_wood.jpg");
const CAM3: &[u8] = include_bytes!("../../core/data/photos/cam3_ladybird.jpg");
const MINE: &str = "52.71.01.1004";
const OFFICER: &str = "petugas";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The server binary on this district, with its key from the data folder.
fn server_command(dir: &Path, url: Option<&str>) -> Command {
    let mut command = Command::new(perlinsos_e2e::server_bin());
    command
        .arg("--data")
        .arg(dir)
        .env_remove("PERLINSOS_DATA_KEY")
        .env_remove("PERLINSOS_NEW_DATA_KEY")
        .env_remove("PERLINSOS_DATABASE_URL")
        .env("RUST_LOG", "warn");
    if let Some(url) = url {
        command.arg("--database-url").arg(url);
    }
    command
}

fn database(dir: &Path, url: Option<&str>) -> Db {
    match url {
        Some(url) => Db::open_postgres(url).unwrap(),
        None => Db::open_sqlite(&dir.join("server.db")).unwrap(),
    }
}

fn count(db: &Db, sql: &str, params: Vec<db::Value>) -> i64 {
    let sql = sql.to_owned();
    db.read(move |tx| {
        Ok(tx
            .query_one(&sql, &params)?
            .map(|r| r[0].int())
            .unwrap_or(0))
    })
    .unwrap()
}

/// Values of `table.column` whose first byte (the key version) is `version`.
fn under(db: &Db, table: &str, column: &str, version: u8) -> i64 {
    count(
        db,
        &format!("SELECT count(*) FROM {table} WHERE substr({column}, 1, 1) = ?1"),
        vec![db::blob(vec![version])],
    )
}

fn key_file(dir: &Path) -> DataSecret {
    DataSecret::from_file_bytes(&std::fs::read(dir.join("data.key")).unwrap()).unwrap()
}

/// What the console, the export and the search read of the district.
#[derive(Debug, PartialEq)]
struct Reads {
    export: Vec<u8>,
    reporter: String,
    reporter_other_filings: usize,
    photos: Vec<bool>,
    blobs: Vec<Vec<u8>>,
    results: Vec<String>,
    second_factor_pending: bool,
    households_of_nik: usize,
    families_of_nik: usize,
    duplicates: i64,
}

fn reads(state: &AppState, household_nik: &str, family_nik: &str, family_ids: &[String]) -> Reads {
    let (households, _) =
        perlinsos_server::registrations::list(state, None, None, &Scope::All).unwrap();
    let export = perlinsos_server::registrations::csv(&households, true);
    let listed = perlinsos_server::review::list(state, &Default::default()).unwrap();
    let oldest = listed.lines.iter().map(|l| l.id.clone()).min().unwrap();
    let detail = perlinsos_server::review::detail(state, &oldest)
        .unwrap()
        .unwrap();
    let names = state
        .db
        .read(|tx| tx.query("SELECT sha256 FROM blobs ORDER BY sha256", &[]))
        .unwrap();
    let blobs = names
        .iter()
        .map(|r| {
            let name = blobs::BlobName::parse(&r[0].text().unwrap()).unwrap();
            blobs::read_stored(state, &name)
                .unwrap()
                .expect("the photo opens")
        })
        .collect();
    let results = family_ids
        .iter()
        .map(|id| {
            let result = state
                .db
                .read(|tx| perlinsos_server::results::of_family(tx, &state.keys, id))
                .unwrap()
                .expect("a published result");
            serde_json::to_string(&result).unwrap()
        })
        .collect();
    let second_factor = state
        .db
        .read(|tx| {
            perlinsos_server::console::second_factor::state_of(tx, &state.keys, OFFICER)
                .map_err(|e| db::DbError(format!("{e:?}")))
        })
        .unwrap();
    let household_hits =
        perlinsos_server::nik_search::find(state, "test", &Scope::All, household_nik).unwrap();
    let family_hits =
        perlinsos_server::nik_search::find(state, "test", &Scope::All, family_nik).unwrap();
    Reads {
        export,
        reporter: detail.reporter.full_name,
        reporter_other_filings: detail.reporter_other_filings,
        photos: detail.photos.iter().map(|p| p.attestation_valid).collect(),
        blobs,
        results,
        second_factor_pending: matches!(
            second_factor,
            perlinsos_server::console::second_factor::SecondFactor::Pending(_)
        ),
        households_of_nik: household_hits.households.len(),
        families_of_nik: family_hits.families.len(),
        duplicates: state.db.scalar("SELECT count(*) FROM duplicates").unwrap(),
    }
}

/// Runs the rotation with one row a transaction and SIGKILLs it as soon as it prints a line
/// starting with `trigger`: the lines it printed.
fn kill_rotation_at(dir: &Path, url: Option<&str>, trigger: &str) -> Vec<String> {
    let mut child = server_command(dir, url)
        .args(["rotate-data-key", "--batch-size", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    loop {
        let Some(line) = lines.next() else {
            panic!("the rotation ended before {trigger}: {seen:?}");
        };
        let line = line.unwrap();
        let hit = line.starts_with(trigger);
        seen.push(line);
        if hit {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    seen
}

/// The server (binary and library) refuses to start, pointing at the rotation.
fn refuses_to_start(dir: &Path, url: Option<&str>) {
    let out = server_command(dir, url).arg("status").output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(said.contains("rotation is unfinished"), "{said}");
    let refused = AppState::open_with(dir, url, Arc::new(perlinsos_server::now_millis))
        .err()
        .expect("the server refuses to start");
    assert!(refused.to_string().contains("rotate-data-key"), "{refused}");
}

#[test]
fn the_data_key_rotates_through_kills_and_everything_reads_under_the_new_key_alone() {
    let scope = perlinsos_core::sample::KELURAHAN;
    let today = perlinsos_core::Date::of_unix_millis(perlinsos_core::date::now_millis());
    let listed = perlinsos_core::sample::families(21, 6, &[MINE], today);
    let family_ids: Vec<String> = listed.iter().map(|f| f.id.clone()).collect();
    let family_nik = listed[0].members[0].nik.clone();
    let family_kk = listed[0].kk.clone();

    // A district in use, served in-process.
    let first = runtime();
    let (dir, url, sent, before) = first.block_on(async {
        let server = Server::start().await;
        server.import_recipients(scope);
        server.import_families(&listed);
        server.publish_results(&listed, 1, 30);
        accounts::add(
            &server.state,
            OFFICER,
            Role::Admin,
            "kata-sandi-panjang-1",
            &[],
        )
        .unwrap();
        perlinsos_server::console::second_factor::begin(&server.state, OFFICER).unwrap();
        let phone = FieldPhone::enrolled(&server, "agen-01", scope).await;
        families::assign(
            &server.state,
            "operator",
            "agen-01",
            &families::Selection::Place {
                kelurahan_code: MINE.to_owned(),
                rw: None,
                rt: None,
            },
        )
        .unwrap();
        phone.sync().await;
        for seed in 0..12 {
            phone.register(100 + seed, 3);
        }
        phone.file_sanggahan(7, scope, &[CAM2, CAM3]);
        phone.visit_found(&listed[1].id);
        let wire: Vec<PushEntry> =
            serde_json::from_slice(&phone.syncer().wire_records().unwrap()).unwrap();
        let sent: Vec<PlainEntry> = wire
            .iter()
            .map(|e| PlainEntry::open(&server.state, e))
            .collect();
        let report = phone.sync().await;
        assert!(report.records_accepted >= 14, "{report:?}");
        let household = sent.iter().find(|e| e.body.get("kk").is_some()).unwrap();
        let nik = household.body["members"][0]["nik"].as_str().unwrap();
        let before = reads(&server.state, nik, &family_nik, &family_ids);
        assert_eq!(before.households_of_nik, 1);
        assert_eq!(before.families_of_nik, 1);
        assert_eq!(before.photos, vec![true, true]);
        assert!(before.second_factor_pending);

        // Not while the server runs.
        let out = server_command(
            server.state.data_dir.as_path(),
            server.state.database_url.as_deref(),
        )
        .arg("rotate-data-key")
        .output()
        .unwrap();
        assert!(!out.status.success());
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("stop it first"), "{said}");
        let (dir, url) = server.into_parts();
        (dir, url, sent, before)
    });
    // The server stops: its tasks (and their hold on the folder) end with the runtime.
    drop(first);
    let (dir, url) = (dir, url.as_deref());
    let data = dir.path();
    let household = sent.iter().find(|e| e.body.get("kk").is_some()).unwrap();
    let household_nik = household.body["members"][0]["nik"]
        .as_str()
        .unwrap()
        .to_owned();
    let household_kk = household.body["kk"].as_str().unwrap().to_owned();
    let reporter_nik = sent.iter().find_map(|e| e.body.get("reporter")).unwrap()["nik"]
        .as_str()
        .unwrap()
        .to_owned();
    let old = key_file(data);
    assert_eq!(old.version, 1);
    {
        let raw = database(data, url);
        for (table, column) in SEALED_COLUMNS {
            assert!(under(&raw, table, column, 1) > 0, "{table} holds nothing");
        }
    }

    // Killed in its first table: the new key is in place, the old one kept, the marker there,
    // the entries part done; the server refuses to start.
    let printed = kill_rotation_at(data, url, "entries: 1/");
    assert!(printed[0].contains("from version 1 to 2"), "{printed:?}");
    assert!(data.join(data_key_rotation::PREVIOUS_KEY_FILE).exists());
    assert_eq!(key_file(data).version, 2);
    {
        let raw = database(data, url);
        let marker = raw.read(data_key_rotation::underway).unwrap().unwrap();
        assert_ne!(marker.step, "done");
        assert!(under(&raw, "entries", "sealed", 2) > 0);
        assert!(under(&raw, "entries", "sealed", 1) > 0, "killed part-way");
    }
    refuses_to_start(data, url);

    // Killed again further on; again no start.
    let printed = kill_rotation_at(data, url, "households: ");
    assert!(printed[0].starts_with("resuming"), "{printed:?}");
    assert!(database(data, url)
        .read(data_key_rotation::underway)
        .unwrap()
        .is_some());
    refuses_to_start(data, url);

    // Run once more, it finishes.
    let out = server_command(data, url)
        .arg("rotate-data-key")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("now version 2"), "{said}");
    assert!(!said.contains("neither key"), "{said}");
    assert!(!data.join(data_key_rotation::PREVIOUS_KEY_FILE).exists());
    let new = key_file(data);
    assert_eq!(new.version, 2);
    let new_keys = ServerKeys::of(&new);
    let old_keys = ServerKeys::of(&old);
    // The old secret taken as if it were version 2: the bytes themselves must not open.
    let old_as_new = ServerKeys::of(&DataSecret {
        version: 2,
        bytes: old.bytes.clone(),
    });

    // Nothing under the old key: every sealed value, blob file and the district key are
    // version 2, and open with the new key but not the old.
    {
        let raw = database(data, url);
        assert!(raw.read(data_key_rotation::underway).unwrap().is_none());
        for (table, column) in SEALED_COLUMNS {
            let all = count(
                &raw,
                &format!("SELECT count(*) FROM {table} WHERE {column} IS NOT NULL"),
                vec![],
            );
            assert!(all > 0, "{table}");
            assert_eq!(under(&raw, table, column, 2), all, "{table}.{column}");
        }
        let entries = raw
            .read(|tx| tx.query("SELECT id, sealed FROM entries", &[]))
            .unwrap();
        for row in &entries {
            let context = perlinsos_server::stored::entry_context(&row[0].text().unwrap());
            let sealed = row[1].blob().unwrap();
            assert!(new_keys.open(&context, &sealed).is_some());
            assert!(old_keys.open(&context, &sealed).is_none());
            assert!(old_as_new.open(&context, &sealed).is_none());
        }
        // Blind indexes: the new key's values are there, the old key's nowhere.
        for (sql, blind) in [
            (
                "SELECT count(*) FROM household_members WHERE nik_index = ?1",
                (Blind::Nik, &household_nik),
            ),
            (
                "SELECT count(*) FROM households WHERE kk_index = ?1",
                (Blind::Kk, &household_kk),
            ),
            (
                "SELECT count(*) FROM sanggahan WHERE reporter_index = ?1",
                (Blind::Nik, &reporter_nik),
            ),
            (
                "SELECT count(*) FROM family_niks WHERE nik_blind = ?1",
                (Blind::Nik, &family_nik),
            ),
            (
                "SELECT count(*) FROM families WHERE kk_blind = ?1",
                (Blind::Kk, &family_kk),
            ),
        ] {
            let (domain, value) = blind;
            let of =
                |keys: &ServerKeys| count(&raw, sql, vec![db::blob(keys.blind(domain, value))]);
            assert_eq!(of(&new_keys), 1, "{sql}");
            assert_eq!(of(&old_keys), 0, "{sql}");
        }
    }
    let mut files = 0;
    for entry in std::fs::read_dir(data.join("blobs")).unwrap().flatten() {
        let Some(name) = entry.file_name().to_str().and_then(blobs::BlobName::parse) else {
            continue;
        };
        let sealed = std::fs::read(entry.path()).unwrap();
        assert_eq!(sealed[0], 2);
        let context = format!("blob\n{name}");
        assert!(new_keys.open(&context, &sealed).is_some());
        assert!(old_as_new.open(&context, &sealed).is_none());
        files += 1;
    }
    assert_eq!(files, before.blobs.len());
    let district = std::fs::read(data.join("district-key.pk8")).unwrap();
    assert_eq!(district[0], 2);
    assert!(old_as_new.open("district-key", &district).is_none());
    // A server given the old key does not start.
    for old_text in [
        perlinsos_rules::hex::encode(&old.bytes[..]),
        format!("2:{}", perlinsos_rules::hex::encode(&old.bytes[..])),
    ] {
        let out = server_command(data, url)
            .env("PERLINSOS_DATA_KEY", old_text)
            .arg("status")
            .output()
            .unwrap();
        assert!(!out.status.success());
    }

    // The district serves again under the new key alone.
    let second = runtime();
    second.block_on(async {
        let server = Server::reopen(dir, url.map(str::to_owned)).await;
        let after = reads(&server.state, &household_nik, &family_nik, &family_ids);
        assert_eq!(after, before);
        // A new phone reads the whole change feed (recipient lists, record keys, models), and
        // what it sends meets the old rows through the rebuilt indexes.
        let phone = FieldPhone::enrolled(&server, "agen-02", scope).await;
        phone.register(100, 3);
        let (filed, _) = phone.file_sanggahan(7, scope, &[CAM2]);
        let report = phone.sync().await;
        assert!(report.records_accepted >= 2, "{report:?}");
        let now = reads(&server.state, &household_nik, &family_nik, &family_ids);
        assert_eq!(now.households_of_nik, 2, "the same NIK found in both");
        assert!(
            now.duplicates > before.duplicates,
            "the duplicate check saw it"
        );
        let detail = perlinsos_server::review::detail(&server.state, &filed)
            .unwrap()
            .unwrap();
        assert_eq!(
            detail.reporter_other_filings, 1,
            "the reporter's earlier one"
        );
    });
}
