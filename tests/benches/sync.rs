//! Sync of 1,000 households and 100 evidence photos (`./build.sh bench`, never a timed test),
//! once straight over loopback and once through the proxy shaped like a poor 3G link (384
//! kbit/s, 200 ms round trip, 2% of connections cut). Reports the time and the bytes on the
//! wire per household and per photo next to the minimum: the normalized photo bytes plus the
//! records compressed as one gzip stream. Written to PERLINSOS_SYNC_BENCH_REPORT (default
//! bench/SYNC-REPORT.md).
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use perlinsos_core::crypt::{Cipher, DataKey};
use perlinsos_core::date::now_millis;
use perlinsos_core::evidence::book::{Capture, EvidenceBook};
use perlinsos_core::evidence::{ingest, Options};
use perlinsos_core::registration::Registry;
use perlinsos_core::sample::{Generator, KELURAHAN as SCOPE};
use perlinsos_core::session::device::Device;
use perlinsos_core::store::Store;
use perlinsos_core::sync::{self, Report, Syncer};
use perlinsos_core::Date;
use perlinsos_netsim::{FaultMix, Proxy, Shape};
use perlinsos_server::AppState;

const HOUSEHOLDS: usize = 1_000;
const PHOTOS: usize = 100;
const CAM: [&[u8]; 3] = [
    include_bytes!("../../core/data/photos/cam1_kleiber_o6.jpg"),
    include_bytes!("../../core/data/photos/cam2_wood.jpg"),
    include_bytes!("../../core/data/photos/cam3_ladybird.jpg"),
];

struct Phone {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    device: Arc<Device>,
    cipher: Arc<Cipher>,
    blob_dir: std::path::PathBuf,
    photo_bytes: u64,
    records_gzip: u64,
}

/// A phone with the households and photos registered and enrolled at `url`.
async fn phone(url: &str, state: &AppState) -> Phone {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("device.db")).unwrap());
    let device = Arc::new(Device::open_or_create(&store, b"keystore").unwrap());
    let cipher = Arc::new(Cipher::new(&DataKey::from_bytes([3; 32])).unwrap());
    let scope: Vec<String> = SCOPE.iter().map(|s| s.to_string()).collect();
    let code = perlinsos_e2e::ticket(state, "agen-01", &scope, url);
    sync::enroll(&store, &device, &code).await.unwrap();
    let registry = Registry::new(store.clone(), cipher.clone())
        .for_agent("agen-01")
        .with_audit(device.signer());
    let blob_dir = dir.path().join("evidence");
    let book = EvidenceBook::open(store.clone(), cipher.clone(), &blob_dir)
        .unwrap()
        .with_audit(device.signer());
    let mut generator = Generator::new(2026, Date::of_unix_millis(now_millis()));
    let mut photo_bytes = 0;
    for i in 0..HOUSEHOLDS {
        let now = now_millis();
        let id = generator
            .household("agen-01", 1 + i % 6, now)
            .register(&registry, now)
            .unwrap();
        if i % (HOUSEHOLDS / PHOTOS) == 0 {
            // Each photo distinct: the camera photo at a slightly different size.
            let source = ingest(
                CAM[i % 3],
                &Options {
                    long_side: 1600 - (i / 30) as u32,
                    quality: 92,
                    keep_gps: false,
                },
            )
            .unwrap()
            .jpeg;
            let record = book
                .capture(
                    &source,
                    &Options::default(),
                    Capture {
                        record_kind: "household",
                        record_id: &id,
                        captured_at: now,
                        gps: None,
                        device_id: &device.id,
                        device_key: device.key(),
                        agent_id: "agen-01",
                    },
                )
                .unwrap();
            photo_bytes += record.bytes;
        }
    }
    // The minimum for the records: every outbox entry as queued (sealed for the district), one
    // gzip stream.
    let syncer = Syncer::new(
        store.clone(),
        device.clone(),
        cipher.clone(),
        &blob_dir,
        Arc::new(now_millis),
    )
    .unwrap();
    let records = syncer.wire_records().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&records).unwrap();
    let records_gzip = gz.finish().unwrap().len() as u64;
    Phone {
        _dir: dir,
        store,
        device,
        cipher,
        blob_dir,
        photo_bytes,
        records_gzip,
    }
}

struct Row {
    label: &'static str,
    seconds: f64,
    up: u64,
    down: u64,
    faults: u64,
    report: Report,
    photo_bytes: u64,
    records_gzip: u64,
}

async fn run(label: &'static str, shape: Option<Shape>, cut_percent: u64) -> Row {
    let server_dir = tempfile::tempdir().unwrap();
    let state = perlinsos_e2e::server_state(server_dir.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server_addr = listener.local_addr().unwrap();
    tokio::spawn(perlinsos_server::serve(listener, state.clone()));
    let direct = format!("http://{server_addr}");
    let phone = phone(&direct, &state).await;
    let mix = FaultMix {
        cut_request: cut_percent / 2,
        cut_response: cut_percent - cut_percent / 2,
        ..FaultMix::NONE
    };
    let proxy = Proxy::start(server_addr, 0xBE7C4, mix, shape)
        .await
        .unwrap();
    let syncer = Syncer::new(
        phone.store.clone(),
        phone.device.clone(),
        phone.cipher.clone(),
        &phone.blob_dir,
        Arc::new(now_millis),
    )
    .unwrap()
    .via_proxy(&proxy.url())
    .unwrap()
    .with_backoff(200, 2_000);
    let start = Instant::now();
    let report = syncer.run(1_000).await.expect("sync completes");
    let seconds = start.elapsed().as_secs_f64();
    let pending = phone.store.read(perlinsos_core::outbox::entries).unwrap();
    assert!(pending.is_empty());
    Row {
        label,
        seconds,
        up: proxy.stats.bytes_up.load(Ordering::Relaxed),
        down: proxy.stats.bytes_down.load(Ordering::Relaxed),
        faults: proxy.stats.faults.load(Ordering::Relaxed),
        photo_bytes: phone.photo_bytes,
        records_gzip: phone.records_gzip,
        report,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let straight = run("loopback, straight", None, 0).await;
    eprintln!("straight: {:.1} s", straight.seconds);
    if std::env::var_os("PERLINSOS_SYNC_BENCH_STRAIGHT_ONLY").is_some() {
        // For profiling the straight run alone; no report written.
        return;
    }
    let shaped = run(
        "poor 3G (384 kbit/s, 200 ms RTT, 2% of connections and 2% per 64 KiB sent cut)",
        Some(Shape {
            bits_per_second: 384_000,
            round_trip_ms: 200,
            cut_percent_per_64k: 2,
        }),
        2,
    )
    .await;
    eprintln!("3G: {:.1} s", shaped.seconds);

    let mut out = String::new();
    writeln!(out, "# Sync benchmark\n").unwrap();
    writeln!(
        out,
        "{HOUSEHOLDS} households (1–6 members, with their audit entries) and {PHOTOS} evidence \
         photos (normalized, ~1600 px) from one phone to a real perlinsos-server (SQLite) through \
         the test proxy. Bytes are counted on the TCP stream (HTTP headers included). Minimum = \
         the normalized photo bytes + every outbox entry as queued (each record sealed for the district) in one gzip stream. Generated by \
         `./build.sh bench` (tests/benches/sync.rs).\n"
    )
    .unwrap();
    writeln!(
        out,
        "| link | time | up: bytes | up / minimum | per household (records) | per photo | down: bytes | cuts | up beyond the straight run |\n|---|---|---|---|---|---|---|---|---|"
    )
    .unwrap();
    for row in [&straight, &shaped] {
        let minimum = row.photo_bytes + row.records_gzip;
        // Everything sent that is not photo bytes: records, signatures, HTTP headers.
        let other_up = row.up.saturating_sub(row.report.blob_bytes_sent);
        writeln!(
            out,
            "| {} | {:.1} s | {} | {:.3}x | {:.0} B (min {:.0} B) | {:.0} B (min {:.0} B) | {} | {} | {} |",
            row.label,
            row.seconds,
            row.up,
            row.up as f64 / minimum as f64,
            other_up as f64 / HOUSEHOLDS as f64,
            row.records_gzip as f64 / HOUSEHOLDS as f64,
            row.report.blob_bytes_sent as f64 / PHOTOS as f64,
            row.photo_bytes as f64 / PHOTOS as f64,
            row.down,
            row.faults,
            row.up as i64 - straight.up as i64,
        )
        .unwrap();
    }
    let cuts = shaped.faults.max(1);
    writeln!(
        out,
        "\nAfter {} cuts the shaped run sent {} B more than the straight one: {:.0} B per cut, \
         under one 128 KiB chunk (an upload restarted from zero would cost a whole photo, \
         ~175 kB, each time).",
        shaped.faults,
        shaped.up as i64 - straight.up as i64,
        (shaped.up as i64 - straight.up as i64) as f64 / cuts as f64
    )
    .unwrap();
    writeln!(
        out,
        "\nMinimum (straight run): {} B of photos + {} B of gzip records. Up counts every byte \
         the phone sent, including requests cut by the proxy. Machine: {} cores.",
        straight.photo_bytes,
        straight.records_gzip,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    )
    .unwrap();
    let path = std::env::var("PERLINSOS_SYNC_BENCH_REPORT")
        .unwrap_or_else(|_| format!("{}/../bench/SYNC-REPORT.md", env!("CARGO_MANIFEST_DIR")));
    std::fs::write(&path, &out).unwrap();
    print!("{out}");
}
