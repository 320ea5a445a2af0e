//! No table scans in request paths. The real request paths run (phones enroll, register, file
//! a sanggahan with a photo and sync; the console's lists, detail, decisions, data ganda and
//! export; the sweeps) while the server records every statement; then each recorded read,
//! update and delete is EXPLAINed on the same database. On PostgreSQL (with sequential scans
//! disabled, so any that remains is one no index can replace) a `Seq Scan` fails the test; on
//! SQLite a plain `SCAN` of a table does. The near-duplicate photo search goes through the
//! indexed bands of the perceptual hash (`perlinsos_server::photo_bands`).
use perlinsos_e2e::field::{FieldPhone, Server};
use perlinsos_server::console::accounts;
use perlinsos_server::db::{self, Tx, Value};
use perlinsos_server::{duplicates, registrations, review};

const CAM2: &[u8] = include_bytes!("../../core/data/photos/cam2_wood.jpg");
const MODEL: &str = include_str!("../../core/models/ilustratif-kota-mataram.json");

fn plan(tx: &mut dyn Tx, sql: &str, params: &[Value]) -> db::DbResult<Vec<String>> {
    let (prefix, column) = if tx.is_postgres() {
        ("EXPLAIN ", 0)
    } else {
        ("EXPLAIN QUERY PLAN ", 3)
    };
    Ok(tx
        .query(&format!("{prefix}{sql}"), params)?
        .iter()
        .filter_map(|r| r[column].text())
        .collect())
}

fn scans(lines: &[String], postgres: bool) -> Vec<String> {
    lines
        .iter()
        .filter(|l| {
            let l = l.trim_start_matches([' ', '-', '>']);
            if postgres {
                l.starts_with("Seq Scan")
            } else {
                l.starts_with("SCAN ") && !l.contains(" USING ")
            }
        })
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_path_reads_through_an_index() {
    let server = Server::start().await;
    let scope = perlinsos_core::sample::KELURAHAN;
    server.import_recipients(scope);
    *db::QUERY_LOG.lock().unwrap() = Some(Vec::new());

    let first = FieldPhone::enrolled(&server, "agen-01", scope).await;
    let second = FieldPhone::enrolled(&server, "agen-02", scope).await;
    first.register(77, 4);
    first.register(5, 3);
    let (sanggahan, _) = first.file_sanggahan(7, scope, &[CAM2]);
    first.sync().await;
    second.register(77, 4);
    second.sync().await;
    first.sanggahan().withdraw(&sanggahan).unwrap();
    first.sync().await;
    let (other, _) = second.file_sanggahan(9, scope, &[CAM2]);
    second.sync().await;

    let state = &server.state;
    // A peninjau's scope: one kecamatan (its kelurahan as one indexed IN list).
    let officer = accounts::Scope::Regions(vec![scope[0][..8].to_owned()]);
    for query in [
        review::ListQuery::default(),
        review::ListQuery {
            status: Some(perlinsos_core::sanggahan::Status::Kedaluwarsa),
            kelurahan: Some(scope[0].to_owned()),
            page: 2,
            scope: officer.clone(),
        },
        review::ListQuery {
            scope: officer.clone(),
            ..Default::default()
        },
        review::ListQuery {
            status: Some(perlinsos_core::sanggahan::Status::Diterima),
            ..Default::default()
        },
        review::ListQuery {
            status: Some(perlinsos_core::sanggahan::Status::Ditolak),
            ..Default::default()
        },
    ] {
        review::list(state, &query).unwrap();
    }
    review::kelurahan_with_sanggahan(state, &accounts::Scope::All).unwrap();
    review::kelurahan_with_sanggahan(state, &officer).unwrap();
    review::detail(state, &other).unwrap().expect("detail");
    review::decide(
        state,
        "peninjau01",
        &other,
        "ditolak",
        Some("Tidak terbukti."),
    )
    .unwrap();
    review::expire_overdue(state).unwrap();
    registrations::list(state, Some(scope[0]), Some(0), &accounts::Scope::All).unwrap();
    registrations::list(state, None, Some(3), &accounts::Scope::All).unwrap();
    registrations::list(state, None, Some(0), &officer).unwrap();
    registrations::kelurahan_with_households(state, &accounts::Scope::All).unwrap();
    registrations::kelurahan_with_households(state, &officer).unwrap();
    duplicates::open_pairs(state, 0, &officer).unwrap();
    let (pairs, _) = duplicates::open_pairs(state, 0, &accounts::Scope::All).unwrap();
    duplicates::resolve(
        state,
        "peninjau01",
        &accounts::Scope::All,
        pairs[0].id,
        "berbeda",
    )
    .unwrap();
    first.sync().await;

    // The worklist cycle: import, assignment, the agents' feeds, visits with a conflict and
    // its resolution, results, an objection and its decision, a receipt checked.
    let here = scope[0];
    let today = perlinsos_core::Date::of_unix_millis(perlinsos_core::date::now_millis());
    let families = perlinsos_core::sample::families(61, 6, &[here], today);
    server.import_families(&families);
    server.import_families(&families);
    for agent in ["agen-01", "agen-02"] {
        let place = perlinsos_server::families::Selection::Place {
            kelurahan_code: here.to_owned(),
            rw: None,
            rt: None,
        };
        perlinsos_server::families::assign(state, "op", agent, &place).unwrap();
    }
    perlinsos_server::families::unassign(
        state,
        "op",
        "agen-02",
        &perlinsos_server::families::Selection::Ids(vec![families[5].id.clone()]),
    )
    .unwrap();
    first.sync().await;
    second.sync().await;
    let a = first.visit_found(&families[0].id);
    second.visit_found(&families[0].id);
    first.sync().await;
    second.sync().await;
    state
        .db
        .read(|tx| perlinsos_server::visits::conflicts(tx, None))
        .unwrap();
    perlinsos_server::visits::resolve(state, "op", &a.record_id, "lengkap").unwrap();
    // A visit's PMT answers flowing back to the family's agents, and a newer extract without
    // answers that keeps them.
    perlinsos_server::operator::publish_model(state, MODEL).unwrap();
    let model = perlinsos_rules::pmt::model::Model::parse(MODEL.as_bytes()).unwrap();
    first.visit_found_with_answers(&families[2].id, &model, 4.0);
    first.sync().await;
    let newer: Vec<_> = families
        .iter()
        .map(|f| perlinsos_rules::dtsen::Family {
            version: f.version + 1,
            pmt_answers: Default::default(),
            ..f.clone()
        })
        .collect();
    server.import_families(&newer);
    second.sync().await;
    perlinsos_server::receipts::check(state, &a.code).unwrap();
    perlinsos_server::receipts::check(state, &a.payload).unwrap();
    server.publish_results(&families, 1, 30);
    first.sync().await;
    let photo = perlinsos_core::sample::photo_taken_on(CAM2, today);
    let objection = first
        .objections()
        .file(
            &perlinsos_core::objections::ObjectionForm {
                family_id: families[1].id.clone(),
                objector_nik: families[1].members[0].nik.clone(),
                reason: perlinsos_core::objections::ObjectionReason::Lainnya,
                statement: "Kami tidak setuju karena kondisi kami sudah berubah.".into(),
            },
            &[perlinsos_core::objections::ObjectionPhotoInput {
                bytes: &photo,
                shows: perlinsos_core::objections::ObjectionPhoto::Dokumen,
                captured_at: perlinsos_core::date::now_millis(),
                gps: None,
            }],
        )
        .unwrap();
    first.sync().await;
    state.db.read(perlinsos_server::objections::open).unwrap();
    perlinsos_server::objections::decide(state, "op", &objection.record_id, false, "tetap")
        .unwrap();
    first.sync().await;
    // The assignment page of the kelurahan.
    perlinsos_server::families::kelurahan_with_families(state, &officer).unwrap();
    state
        .db
        .read(|tx| {
            perlinsos_server::families::place_summary(tx, here)?;
            perlinsos_server::families::agents_enrolled_for(tx, here)
        })
        .unwrap();
    // An officer's NIK search: a registered member and a listed one.
    let registered = first
        .registry()
        .household(&first.registry().household_ids().unwrap()[0])
        .unwrap();
    for nik in [
        &registered.members[0].input.nik,
        &families[2].members[0].nik,
    ] {
        perlinsos_server::nik_search::find(state, "op", &accounts::Scope::All, nik).unwrap();
    }

    // What a revoked phone still sends: held, listed, one entry admitted, one rejected.
    let lost = FieldPhone::enrolled(&server, "agen-03", scope).await;
    lost.register_in(91, scope[0], 2);
    lost.register_in(92, scope[0], 2);
    perlinsos_server::operator::revoke_device(state, &lost.device.id, "op").unwrap();
    assert!(lost.syncer().sync().await.is_err());
    let held = state
        .db
        .read(|tx| perlinsos_server::quarantine::list(tx, &lost.device.id, ""))
        .unwrap();
    let households: Vec<&str> = held
        .iter()
        .filter(|h| h.kind == perlinsos_protocol::outbox_kind::HOUSEHOLD_REGISTERED)
        .map(|h| h.entry_id.as_str())
        .collect();
    assert_eq!(households.len(), 2);
    let admitted =
        perlinsos_server::quarantine::admit(state, &lost.device.id, households[0], "op").unwrap();
    assert_eq!(admitted, perlinsos_server::quarantine::Decided::Admitted);
    perlinsos_server::quarantine::reject(
        state,
        &lost.device.id,
        households[1],
        "op",
        "tidak dikenal",
    )
    .unwrap();

    let log = db::QUERY_LOG.lock().unwrap().take().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let statements: Vec<(String, Vec<Value>)> = log
        .into_iter()
        .filter(|(sql, _)| {
            let head = sql.trim_start().to_ascii_uppercase();
            (head.starts_with("SELECT") || head.starts_with("UPDATE") || head.starts_with("DELETE"))
                && !head.starts_with("SELECT MAX(VERSION)")
        })
        .filter(|(sql, _)| seen.insert(sql.clone()))
        .collect();
    assert!(statements.len() > 20, "the paths ran: {}", statements.len());
    let failures = state
        .db
        .write(|tx| {
            let postgres = tx.is_postgres();
            if postgres {
                tx.batch("SET LOCAL enable_seqscan = off")?;
            }
            let mut failures = Vec::new();
            for (sql, params) in &statements {
                let lines = plan(tx, sql, params)?;
                let found = scans(&lines, postgres);
                if std::env::var("PLANS").is_ok() {
                    eprintln!("{sql}\n  {}", lines.join("\n  "));
                }
                if !found.is_empty() {
                    failures.push(format!("{sql}\n  {}", lines.join("\n  ")));
                }
            }
            Ok::<_, db::DbError>(failures)
        })
        .unwrap();
    assert!(
        failures.is_empty(),
        "table scans:\n{}",
        failures.join("\n\n")
    );
}
