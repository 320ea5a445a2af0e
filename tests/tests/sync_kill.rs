//! SIGKILL of the phone-side process at seeded random moments while it registers and syncs
//! against a real server. Afterwards one last process drains the outbox; the server must hold
//! every household, audit entry and photo the phone made exactly once.
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use perlinsos_core::crypt::{Cipher, DataKey};
use perlinsos_core::sample::{Rng, KELURAHAN as SCOPE};
use perlinsos_core::session::device::Device;
use perlinsos_core::store::Store;
use perlinsos_core::sync;
use perlinsos_e2e::TEST_KEY;
use perlinsos_server::AppState;

const KILLS: usize = 25;

fn count(state: &AppState, sql: &str) -> i64 {
    state.db.scalar(sql).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_phone_mid_sync_loses_and_duplicates_nothing() {
    let server_dir = tempfile::tempdir().unwrap();
    let state = perlinsos_e2e::server_state(server_dir.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(perlinsos_server::serve(listener, state.clone()));
    let scope: Vec<String> = SCOPE.iter().map(|s| s.to_string()).collect();
    let code = perlinsos_e2e::ticket(&state, "agen-01", &scope, &url);

    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path().join("device.db")).unwrap();
        let cipher = Cipher::new(&DataKey::from_bytes(TEST_KEY)).unwrap();
        store.verify_key(&cipher).unwrap();
        let device = Device::open_or_create(&store, b"keystore").unwrap();
        sync::enroll(&store, &device, &code).await.unwrap();
    }
    let worker = env!("CARGO_BIN_EXE_sync_worker");
    let mut rng = Rng::new(0x51C_2026);
    let mut registered = std::collections::HashSet::new();
    for kill in 0..KILLS {
        let mut child = Command::new(worker)
            .arg(dir.path())
            .arg((kill as u64 + 1).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<_>>()
        });
        tokio::time::sleep(Duration::from_millis(150 + rng.below(600))).await;
        child.kill().unwrap();
        child.wait().unwrap();
        for line in reader.join().unwrap() {
            if let Some(id) = line.strip_prefix("REGISTERED ") {
                registered.insert(id.to_owned());
            }
        }
    }
    let status = Command::new(worker)
        .arg(dir.path())
        .arg("0")
        .arg("drain")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());

    let store = Store::open(dir.path().join("device.db")).unwrap();
    let (households, audit, blobs, pending): (i64, i64, i64, i64) = store
        .read(|c| {
            Ok(c.query_row(
                "SELECT (SELECT count(*) FROM households), (SELECT max(seq) FROM audit),
                        (SELECT count(DISTINCT sha256) FROM evidence),
                        (SELECT count(*) FROM outbox)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?)
        })
        .unwrap();
    assert_eq!(pending, 0, "the outbox is empty");
    assert!(
        households as usize >= registered.len(),
        "every acknowledged household is kept"
    );
    assert!(households > KILLS as i64 / 2, "the workers got work done");
    let on_server = count(
        &state,
        "SELECT count(DISTINCT entity_id) FROM entries WHERE kind = 'household.registered'",
    );
    let duplicated = count(
        &state,
        "SELECT count(*) FROM (SELECT kind, entity_id FROM entries GROUP BY kind, entity_id
                               HAVING count(*) > 1) AS twice",
    );
    eprintln!(
        "kills {KILLS}: households {households} (server {on_server}), audit {audit}, blobs {blobs}, duplicated {duplicated}"
    );
    assert_eq!(on_server, households);
    assert_eq!(
        count(
            &state,
            "SELECT count(DISTINCT entity_id) FROM entries WHERE kind = 'audit.appended'"
        ),
        audit
    );
    assert_eq!(count(&state, "SELECT audit_seq FROM devices"), audit);
    assert_eq!(count(&state, "SELECT count(*) FROM blobs"), blobs);
    assert_eq!(duplicated, 0);
}
