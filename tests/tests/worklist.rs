//! Worklists end to end over HTTP: the district imports a DTSEN extract and assigns families,
//! the agent's phone receives them as signed deltas and searches them offline; a newer extract
//! and a withdrawal follow; a device reads only its scope's part; a download cut again and
//! again by a hostile link, or by killing the phone's process, resumes and ends with every
//! family exactly once.
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use perlinsos_core::date::now_millis;
use perlinsos_core::sample::Rng;
use perlinsos_core::worklist::{Filter, VisitStatus};
use perlinsos_core::Date;
use perlinsos_e2e::field::{FieldPhone, Server};
use perlinsos_netsim::{FaultMix, Proxy};
use perlinsos_server::families::{self, Selection};

const MINE: &str = "52.71.01.1004";
const OTHER: &str = "52.71.02.1001";

fn families(seed: u64, count: usize, kelurahan: &[&str]) -> Vec<perlinsos_rules::dtsen::Family> {
    perlinsos_core::sample::families(seed, count, kelurahan, Date::of_unix_millis(now_millis()))
}

fn place(kelurahan: &str) -> Selection {
    Selection::Place {
        kelurahan_code: kelurahan.to_owned(),
        rw: None,
        rt: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worklist_follows_the_district() {
    let server = Server::start().await;
    let all = families(11, 160, &[MINE, OTHER]);
    let imported = server.import_families(&all);
    assert_eq!((imported.families, imported.added), (160, 160));
    let phone = FieldPhone::enrolled(&server, "agen-01", &[MINE]).await;

    // Families of both kelurahan assigned; the phone's scope is one of them.
    let done = families::assign(&server.state, "operator", "agen-01", &place(MINE)).unwrap();
    assert_eq!(done.changed, 80);
    families::assign(&server.state, "operator", "agen-01", &place(OTHER)).unwrap();
    let again = families::assign(&server.state, "operator", "agen-01", &place(MINE)).unwrap();
    assert_eq!((again.changed, again.already), (0, 80));
    let report = phone.sync().await;
    assert_eq!(report.changes_refused, 0);
    let list = phone.worklist();
    assert_eq!(
        list.count().unwrap(),
        80,
        "only the device's scope reaches it"
    );

    let mine: Vec<_> = all.iter().filter(|f| f.kelurahan_code == MINE).collect();
    let target = mine[5];
    let found = list.find_number(&target.members[0].nik).unwrap();
    assert_eq!(found[0].family_id, target.id);
    let outside = all.iter().find(|f| f.kelurahan_code == OTHER).unwrap();
    assert!(list.find_number(&outside.kk).unwrap().is_empty());
    let page = list.list(&Filter::default(), 0, 30).unwrap();
    assert_eq!(page.len(), 30);
    assert!(page
        .iter()
        .all(|e| e.status == VisitStatus::BelumDikunjungi));

    // A newer extract: one family changed (version 2), the rest the same.
    let mut newer = all.clone();
    let changed = newer.iter_mut().find(|f| f.id == target.id).unwrap();
    changed.version = 2;
    changed.address = "Jl. Pejanggik No. 9".to_owned();
    let imported = server.import_families(&newer);
    assert_eq!((imported.updated, imported.unchanged), (1, 159));
    assert_eq!(imported.changes, 1, "one agent holds the changed family");
    // An older extract changes nothing.
    let stale = server.import_families(&all);
    assert_eq!(stale.older, 1);
    phone.sync().await;
    let (entry, family) = list.family(&target.id).unwrap().unwrap();
    assert_eq!(
        (entry.version, family.address.as_str()),
        (2, "Jl. Pejanggik No. 9")
    );

    // Withdrawn by RW.
    let rw = target.rw;
    let in_rw = mine.iter().filter(|f| f.rw == rw).count();
    let withdrawn = families::unassign(
        &server.state,
        "operator",
        "agen-01",
        &Selection::Place {
            kelurahan_code: MINE.to_owned(),
            rw: Some(rw),
            rt: None,
        },
    )
    .unwrap();
    assert_eq!(withdrawn.changed, in_rw);
    phone.sync().await;
    assert_eq!(list.count().unwrap(), 80 - in_rw);
    assert!(list.family(&target.id).unwrap().is_none());

    // Ids that were never imported are named, and nothing else is refused.
    let by_ids = families::assign(
        &server.state,
        "operator",
        "agen-01",
        &Selection::Ids(vec![target.id.clone(), "DTSEN-tidak-ada".to_owned()]),
    )
    .unwrap();
    assert_eq!(by_ids.changed, 1);
    assert_eq!(by_ids.unknown, ["DTSEN-tidak-ada"]);

    // Every assignment is in the operators' audit, with no personal value.
    let audit = server
        .state
        .db
        .scalar("SELECT count(*) FROM operator_audit WHERE action LIKE '%assign_families'")
        .unwrap();
    assert_eq!(audit, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_extract_changes_nothing() {
    let server = Server::start().await;
    let mut all = families(12, 20, &[MINE]);
    all[7].members[0].nik = "527101".to_owned();
    let csv = perlinsos_rules::dtsen::extract::write(&all);
    let refused = families::import(&server.state, csv.as_bytes(), "test").unwrap_err();
    let text = refused.to_string();
    assert!(text.contains("NIK_LENGTH"), "{text}");
    assert!(text.contains("baris "), "{text}");
    assert!(!text.contains("527101,"), "no value in the message: {text}");
    assert_eq!(
        server
            .state
            .db
            .scalar("SELECT count(*) FROM families")
            .unwrap(),
        0
    );
    assert_eq!(
        server
            .state
            .db
            .scalar("SELECT count(*) FROM family_niks")
            .unwrap(),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_cut_again_and_again_ends_complete() {
    let server = Server::start().await;
    let all = families(13, 1_200, &[MINE]);
    server.import_families(&all);
    let phone = FieldPhone::enrolled(&server, "agen-01", &[MINE]).await;
    families::assign(&server.state, "operator", "agen-01", &place(MINE)).unwrap();

    let upstream: std::net::SocketAddr = server.url.trim_start_matches("http://").parse().unwrap();
    // Most connections are cut mid-answer or refused by the "proxy".
    let mix = FaultMix {
        cut_response: 45,
        status: 20,
        ..FaultMix::HOSTILE
    };
    let proxy = Proxy::start(upstream, 0x3_2026, mix, None).await.unwrap();
    let syncer = phone
        .syncer()
        .via_proxy(&proxy.url())
        .unwrap()
        .with_backoff(2, 10);
    let mut passes = 0;
    while phone.worklist().count().unwrap() < all.len() && passes < 200 {
        let _ = syncer.sync().await;
        passes += 1;
    }
    assert_eq!(
        phone.worklist().count().unwrap(),
        all.len(),
        "{passes} passes"
    );
    assert!(proxy.stats.faults.load(std::sync::atomic::Ordering::SeqCst) > 0);
    // What a clean link carries for the same list, for a second agent's phone.
    let clean_phone = FieldPhone::enrolled(&server, "agen-02", &[MINE]).await;
    families::assign(&server.state, "operator", "agen-02", &place(MINE)).unwrap();
    let clean = Proxy::start(upstream, 1, FaultMix::NONE, None)
        .await
        .unwrap();
    clean_phone
        .syncer()
        .via_proxy(&clean.url())
        .unwrap()
        .sync()
        .await
        .unwrap();
    assert_eq!(clean_phone.worklist().count().unwrap(), all.len());
    let down = |p: &Proxy| p.stats.bytes_down.load(std::sync::atomic::Ordering::SeqCst);
    let (hostile, clean) = (down(&proxy), down(&clean));
    eprintln!("cut link: {hostile} B down in {passes} passes; clean link: {clean} B");
    // Resumed, not started over: what was applied is never fetched again.
    assert!(hostile < 3 * clean, "{hostile} B vs {clean} B");
    for family in all.iter().step_by(37) {
        let (_, held) = phone.worklist().family(&family.id).unwrap().unwrap();
        assert_eq!(&held, family);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_phone_mid_download_loses_and_duplicates_nothing() {
    let server = Server::start().await;
    let all = families(14, 2_000, &[MINE]);
    server.import_families(&all);
    let dir = tempfile::tempdir().unwrap();
    {
        // The worker's phone: the test key's agent store, enrolled as the kill tests do.
        let store = perlinsos_core::store::Store::open(dir.path().join("device.db")).unwrap();
        let cipher = perlinsos_core::crypt::Cipher::new(
            &perlinsos_core::crypt::DataKey::from_bytes(perlinsos_e2e::TEST_KEY),
        )
        .unwrap();
        store.verify_key(&cipher).unwrap();
        let device =
            perlinsos_core::session::device::Device::open_or_create(&store, b"keystore").unwrap();
        let ticket = server.ticket("agen-01", &[MINE.to_owned()]);
        perlinsos_core::sync::enroll(&store, &device, &ticket)
            .await
            .unwrap();
    }
    families::assign(&server.state, "operator", "agen-01", &place(MINE)).unwrap();
    let worker = env!("CARGO_BIN_EXE_sync_worker");
    let mut rng = Rng::new(0x1157_2026);
    // Killed once it has applied `pages` pages of changes (None: left to finish).
    let run = |pages: Option<usize>| {
        let mut child = Command::new(worker)
            .arg(dir.path())
            .arg("1")
            .arg("drain")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            lines.push(line);
            let seen = lines.iter().filter(|l| l.starts_with("CHANGES")).count();
            if pages.is_some_and(|p| seen >= p) {
                child.kill().unwrap();
                break;
            }
        }
        child.wait().unwrap();
        lines
    };
    let held = || -> i64 {
        let store = perlinsos_core::store::Store::open(dir.path().join("device.db")).unwrap();
        store
            .read(|c| Ok(c.query_row("SELECT count(*) FROM worklist_families", [], |r| r.get(0))?))
            .unwrap()
    };
    let mut partial = Vec::new();
    for _ in 0..6 {
        run(Some(1 + rng.below(2) as usize));
        partial.push(held());
    }
    eprintln!("held after each kill: {partial:?}");
    assert!(
        partial.iter().any(|&n| n > 0 && n < all.len() as i64),
        "some kill must land mid-download: {partial:?}"
    );
    let last = run(None);
    assert!(last.iter().any(|l| l == "SYNCED"), "{last:?}");
    assert_eq!(held(), all.len() as i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visits_sent_through_a_hostile_link_arrive_once_each() {
    let server = Server::start().await;
    let all = families(15, 30, &[MINE]);
    server.import_families(&all);
    let phone = FieldPhone::enrolled(&server, "agen-01", &[MINE]).await;
    families::assign(&server.state, "operator", "agen-01", &place(MINE)).unwrap();
    phone.sync().await;
    let receipts: Vec<_> = all
        .iter()
        .take(20)
        .map(|f| phone.visit_found(&f.id))
        .collect();

    let upstream: std::net::SocketAddr = server.url.trim_start_matches("http://").parse().unwrap();
    let proxy = Proxy::start(upstream, 0x5_2026, FaultMix::HOSTILE, None)
        .await
        .unwrap();
    let syncer = phone
        .syncer()
        .via_proxy(&proxy.url())
        .unwrap()
        .with_backoff(2, 10);
    let pending = || {
        phone
            .store
            .read(|c| {
                Ok(c.query_row(
                    "SELECT count(*) FROM outbox WHERE kind = 'visit.recorded'",
                    [],
                    |r| r.get::<_, i64>(0),
                )?)
            })
            .unwrap()
    };
    let mut passes = 0;
    while pending() > 0 && passes < 200 {
        let _ = syncer.sync().await;
        passes += 1;
    }
    assert_eq!(pending(), 0, "{passes} passes");
    assert!(proxy.stats.faults.load(std::sync::atomic::Ordering::SeqCst) > 0);
    let db = &server.state.db;
    assert_eq!(db.scalar("SELECT count(*) FROM visits").unwrap(), 20);
    assert_eq!(
        db.scalar("SELECT count(DISTINCT id) FROM visits").unwrap(),
        20
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM entries WHERE kind = 'visit.recorded'")
            .unwrap(),
        20
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM resident_receipts").unwrap(),
        20
    );
    for r in &receipts {
        assert_eq!(
            perlinsos_server::receipts::check(&server.state, &r.code)
                .unwrap()
                .len(),
            1
        );
    }
    assert!(phone
        .visits()
        .visits()
        .unwrap()
        .iter()
        .all(|v| v.status == perlinsos_core::visits::ACCEPTED));
}
