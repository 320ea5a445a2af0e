//! Seeded randomized sync runs through the fault-injecting proxy: connections cut mid-request
//! and mid-response, delays, 500/502/503 answers, requests delivered twice, and passes
//! cancelled (the future dropped) at random moments. After every run the server must hold
//! every record and blob the phone made exactly once and the phone's outbox must be empty.
//!
//! `PERLINSOS_FAULT_RUNS=N` runs more (a long run outside `./build.sh test`).
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use perlinsos_core::date::now_millis;
use perlinsos_core::evidence::{ingest, Options};
use perlinsos_core::sample::{Generator, Rng, KELURAHAN as SCOPE};
use perlinsos_core::Date;
use perlinsos_e2e::{attach_household_photo, photo_sized};
use perlinsos_netsim::{FaultMix, Proxy};
use perlinsos_server::AppState;

const CAM2: &[u8] = include_bytes!("../../core/data/photos/cam2_wood.jpg");
const CAM3: &[u8] = include_bytes!("../../core/data/photos/cam3_ladybird.jpg");
const DEFAULT_RUNS: usize = 200;

fn count(state: &AppState, sql: &str) -> i64 {
    state.db.scalar(sql).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_runs_through_a_hostile_proxy_lose_and_duplicate_nothing() {
    let runs: usize = std::env::var("PERLINSOS_FAULT_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_RUNS);
    let server_dir = tempfile::tempdir().unwrap();
    let state = perlinsos_e2e::server_state(server_dir.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server_addr = listener.local_addr().unwrap();
    tokio::spawn(perlinsos_server::serve(listener, state.clone()));
    let scope: Vec<String> = SCOPE.iter().map(|s| s.to_string()).collect();
    let code = perlinsos_e2e::ticket(&state, "agen-01", &scope, &format!("http://{server_addr}"));

    let dir = tempfile::tempdir().unwrap();
    let phone =
        perlinsos_core::phone::Phone::open(dir.path(), b"keystore", Arc::new(now_millis)).unwrap();
    let session = phone
        .agents()
        .enroll("agen-01", "482913", &[5; 32])
        .unwrap();
    phone.enroll(&code).await.unwrap();
    let (store, device) = (phone.store().clone(), phone.device().clone());
    let registry = phone.registry(&session).unwrap();
    let book = phone.evidence(&session).unwrap();
    // Small photos keep 200 runs quick; each run's photo is new (its pixels differ).
    let base: Vec<Vec<u8>> = [CAM2, CAM3]
        .iter()
        .map(|p| {
            ingest(
                p,
                &Options {
                    long_side: 400,
                    quality: 70,
                    keep_gps: false,
                },
            )
            .unwrap()
            .jpeg
        })
        .collect();

    let mut generator = Generator::new(0xFA17, Date::of_unix_millis(now_millis()));
    let mut rng = Rng::new(0x5EED_0007);
    let (mut households, mut photos, mut faults, mut cancelled) = (0i64, 0i64, 0u64, 0usize);
    for run in 0..runs {
        for _ in 0..1 + rng.below(2) {
            let now = now_millis();
            let id = generator
                .household("agen-01", 1 + rng.below(4) as usize, now)
                .register(&registry, now)
                .unwrap();
            households += 1;
            if rng.below(4) == 0 {
                // Another size, another photo (the same size twice is the same blob).
                let photo = photo_sized(&base[run % 2], 300 + run as u32 % 97);
                attach_household_photo(&book, &device, &id, &photo, now);
                photos += 1;
            }
        }
        let proxy = Proxy::start(server_addr, 0xC0FFEE ^ run as u64, FaultMix::HOSTILE, None)
            .await
            .unwrap();
        // Half the runs as the background worker, every agent locked: the same guarantees.
        let syncer = if run % 2 == 0 {
            phone.syncer(&session)
        } else {
            phone.background_syncer()
        }
        .and_then(|s| s.via_proxy(&proxy.url()))
        .unwrap()
        .with_backoff(2, 50);
        // Some passes are abandoned part-way: the phone went to sleep, the app was closed.
        if rng.below(3) == 0 {
            let budget = Duration::from_millis(1 + rng.below(40));
            if tokio::time::timeout(budget, syncer.sync()).await.is_err() {
                cancelled += 1;
            }
        }
        let report = syncer.run(200).await;
        assert!(report.is_ok(), "run {run}: {report:?}");
        faults += proxy.stats.faults.load(Ordering::Relaxed);
        let pending = store.read(perlinsos_core::outbox::entries).unwrap();
        assert!(
            pending.is_empty(),
            "run {run}: outbox not empty: {pending:?}"
        );
    }

    let audit: i64 = store
        .read(|c| Ok(c.query_row("SELECT max(seq) FROM audit", [], |r| r.get(0))?))
        .unwrap();
    let stored_households = count(
        &state,
        "SELECT count(DISTINCT entity_id) FROM entries WHERE kind = 'household.registered'",
    );
    let stored_audit = count(
        &state,
        "SELECT count(DISTINCT entity_id) FROM entries WHERE kind = 'audit.appended'",
    );
    let duplicated = count(
        &state,
        "SELECT count(*) FROM (SELECT kind, entity_id FROM entries GROUP BY kind, entity_id
                               HAVING count(*) > 1) AS twice",
    );
    let stored_blobs = count(&state, "SELECT count(*) FROM blobs");
    let blobs: i64 = store
        .read(|c| {
            Ok(
                c.query_row("SELECT count(DISTINCT sha256) FROM evidence", [], |r| {
                    r.get(0)
                })?,
            )
        })
        .unwrap();
    let lost = (households - stored_households) + (audit - stored_audit) + (blobs - stored_blobs);
    eprintln!(
        "| runs | faults injected | passes cancelled | households | photos (blobs) | audit entries | lost | duplicated |\n\
         |---|---|---|---|---|---|---|---|\n\
         | {runs} | {faults} | {cancelled} | {households} | {photos} ({blobs}) | {audit} | {lost} | {duplicated} |"
    );
    assert_eq!(lost, 0);
    assert_eq!(duplicated, 0);
    assert_eq!(count(&state, "SELECT audit_seq FROM devices"), audit);
    assert!(faults as usize > runs / 2, "the proxy injected faults");
}
