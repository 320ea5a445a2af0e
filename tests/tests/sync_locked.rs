//! Background sync: with every agent locked, a process that opens only the phone's store and
//! device (what Android's WorkManager runs when the signal comes back) sends the whole queue —
//! households, a photo added after registration, sanggahan with photos, a withdrawal, the audit
//! trail — to a real server. Before it does, the phone's database, its WAL and its blob folder
//! hold no NIK, name or photo of the queue in clear: the records are sealed for the district.
use std::sync::Arc;

use perlinsos_core::date::now_millis;
use perlinsos_core::evidence::book::Capture;
use perlinsos_core::evidence::Options;
use perlinsos_core::phone::Phone;
use perlinsos_e2e::field::{FieldPhone, Server, HOUSE};
use perlinsos_e2e::PlainEntry;
use perlinsos_protocol::wire::PushEntry;

const CAM1: &[u8] = include_bytes!("../../core/data/photos/cam1_kleiber_o6.jpg");
const CAM2: &[u8] = include_bytes!("../../core/data/photos/cam2_wood.jpg");
const CAM3: &[u8] = include_bytes!("../../core/data/photos/cam3_ladybird.jpg");

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every file of the phone's folder, database and WAL included, with its bytes.
fn files(dir: &std::path::Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_agent_locked_the_device_alone_syncs_the_whole_queue() {
    let server = Server::start().await;
    let scope = perlinsos_core::sample::KELURAHAN;
    server.import_recipients(scope);
    let phone = FieldPhone::enrolled(&server, "agen-01", scope).await;
    let households: Vec<String> = (0..4).map(|seed| phone.register(200 + seed, 3)).collect();
    // A photo of a household already registered travels as its own record.
    let book = phone.evidence();
    let photo = book
        .capture(
            CAM1,
            &Options::default(),
            Capture {
                record_kind: "household",
                record_id: &households[0],
                captured_at: now_millis(),
                gps: Some(HOUSE),
                device_id: &phone.device.id,
                device_key: phone.device.key(),
                agent_id: "agen-01",
            },
        )
        .unwrap();
    let (kept, _) = phone.file_sanggahan(7, scope, &[CAM2, CAM3]);
    let (withdrawn, _) = phone.file_against(8, scope, &[CAM3], "");
    phone.sanggahan().withdraw(&withdrawn).unwrap();

    // What waits, opened with the server's key: every NIK, KK and name in it.
    let queued: Vec<PushEntry> =
        serde_json::from_slice(&phone.syncer().wire_records().unwrap()).unwrap();
    let kinds: std::collections::BTreeSet<&str> = queued.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            "audit.appended",
            "evidence.attached",
            "household.registered",
            "sanggahan.filed",
            "sanggahan.withdrawn"
        ]
    );
    let mut secrets = Vec::new();
    for entry in &queued {
        let plain = PlainEntry::open(&server.state, entry);
        for m in plain.body["members"].as_array().into_iter().flatten() {
            secrets.push(m["nik"].as_str().unwrap().to_owned());
            secrets.push(m["full_name"].as_str().unwrap().to_owned());
        }
        if let Some(kk) = plain.body.get("kk").and_then(|k| k.as_str()) {
            secrets.push(kk.to_owned());
        }
        if let Some(r) = plain.body.get("reporter") {
            secrets.push(r["nik"].as_str().unwrap().to_owned());
            secrets.push(r["full_name"].as_str().unwrap().to_owned());
        }
    }
    assert!(secrets.len() >= 4 * 7 + 4, "{}", secrets.len());
    let jpeg = book.photo(&photo.id).unwrap();
    let middle = jpeg.len() / 2;
    let photo_piece = jpeg[middle..middle + 64].to_vec();

    // The app is closed: what the agent's session held is not used again (the worker below
    // opens the files afresh, with the platform secret and nothing else).
    let dir = phone.dir().to_owned();
    drop(book);
    let report_before = server
        .state
        .db
        .scalar("SELECT count(*) FROM entries")
        .unwrap();
    // Scanned as they are: the WAL still holds the newest writes.
    let mut on_disk = Vec::new();
    files(&dir, &mut on_disk);
    assert!(
        on_disk.iter().any(|(p, _)| p.ends_with("device.db-wal")),
        "the WAL is scanned too"
    );
    for (path, bytes) in &on_disk {
        for secret in &secrets {
            assert!(
                !contains(bytes, secret.as_bytes()),
                "a personal field in clear in {path}"
            );
        }
        assert!(
            !contains(bytes, &photo_piece),
            "photo bytes in clear in {path}"
        );
    }

    // The background worker: the phone opened afresh with its platform secret, no agent, no
    // PIN.
    let worker = Phone::open(&dir, b"keystore", Arc::new(now_millis)).unwrap();
    let store = worker.store().clone();
    let report = worker.background_syncer().unwrap().sync().await.unwrap();
    assert_eq!(report.parked, 0, "{report:?}");
    // Four households, the later photo, two filings and the withdrawal.
    assert_eq!(report.records_accepted, 8, "{report:?}");
    assert_eq!(report.blobs_uploaded, 3, "{report:?}");
    let pending = store
        .read(|c| Ok(c.query_row("SELECT count(*) FROM outbox", [], |r| r.get::<_, i64>(0))?))
        .unwrap();
    assert_eq!(pending, 0, "nothing left to send");
    let staged = store
        .read(|c| {
            Ok(c.query_row("SELECT count(*) FROM outbox_blobs", [], |r| {
                r.get::<_, i64>(0)
            })?)
        })
        .unwrap();
    assert_eq!(
        staged, 0,
        "the district's photo copies leave once the server has them"
    );

    let count = |sql: &str| server.state.db.scalar(sql).unwrap();
    assert_eq!(count("SELECT count(*) FROM households"), 4);
    assert_eq!(count("SELECT count(*) FROM sanggahan"), 2);
    assert_eq!(count("SELECT count(*) FROM blobs"), 3);
    assert!(count("SELECT count(*) FROM entries") > report_before);
    assert_eq!(
        count(&format!(
            "SELECT count(*) FROM evidence_index WHERE record_kind = 'household' AND record_id = '{}'",
            households[0]
        )),
        1,
        "the later photo is the household's"
    );
    let _ = kept;
}
