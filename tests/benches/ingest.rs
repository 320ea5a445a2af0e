//! Ingest at a field day's peak (`./build.sh bench`, never a timed test): 50 phones at once,
//! each pushing 200 households of 5 members with their audit entries through the real HTTP API
//! on loopback, into PostgreSQL. Side by side in the same run: plain INSERTs of the same rows
//! (the records as JSON, one typed row per household and per member) through the same driver
//! and pool, with no validation and no sealing. Reports households/s, the ratio and the batch
//! latencies to PERLINSOS_INGEST_BENCH_REPORT (default bench/INGEST-REPORT.md). Needs
//! PERLINSOS_TEST_DATABASE_URL (`./build.sh bench` starts a throw-away cluster).
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use perlinsos_core::crypt::{Cipher, DataKey};
use perlinsos_core::date::now_millis;
use perlinsos_core::registration::Registry;
use perlinsos_core::sample::Generator;
use perlinsos_core::session::device::Device;
use perlinsos_core::store::Store;
use perlinsos_core::sync::{self, Syncer};
use perlinsos_core::Date;
use perlinsos_protocol::signing::{self, canonical_request};
use perlinsos_protocol::wire::{Outcome, PushEntry, PushRequest, PushResponse};
use perlinsos_server::db::{self, Db};
use perlinsos_server::AppState;
use ring::digest::{digest, SHA256};

const PHONES: usize = 50;
const HOUSEHOLDS: usize = 200;
const MEMBERS: usize = 5;
/// The phone's own batch size (core::sync::BATCH).
const BATCH: usize = perlinsos_core::sync::BATCH;
const KELURAHAN: &str = "52.71.01.1004";

struct Phone {
    _dir: tempfile::TempDir,
    device: Arc<Device>,
    entries: Vec<PushEntry>,
    /// The entries as the phone sends them, batch by batch (JSON, gzip), made before the clock
    /// starts: 50 phones compress on their own CPUs, not on the server's.
    bodies: Vec<Vec<u8>>,
    /// The same records opened (the plain-INSERT baseline stores these).
    plain: Vec<perlinsos_e2e::PlainEntry>,
}

fn hex(bytes: &[u8]) -> String {
    perlinsos_core::hex::encode(bytes)
}

async fn phone(url: &str, state: &AppState, index: usize) -> Phone {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("device.db")).unwrap());
    let device = Arc::new(Device::open_or_create(&store, b"keystore").unwrap());
    let cipher = Arc::new(Cipher::new(&DataKey::from_bytes([3; 32])).unwrap());
    let agent = format!("agen-{index:02}");
    let code = perlinsos_e2e::ticket(state, &agent, &[KELURAHAN.to_owned()], url);
    sync::enroll(&store, &device, &code).await.unwrap();
    let registry = Registry::new(store.clone(), cipher.clone())
        .for_agent(&agent)
        .with_audit(device.signer());
    let mut generator = Generator::new(10_000 + index as u64, Date::of_unix_millis(now_millis()));
    let mut registered = 0;
    while registered < HOUSEHOLDS {
        let now = now_millis();
        let sample = generator.household(&agent, MEMBERS, now);
        if sample.household.address.kelurahan_code != KELURAHAN {
            continue;
        }
        sample.register(&registry, now).unwrap();
        registered += 1;
    }
    let syncer = Syncer::new(
        store.clone(),
        device.clone(),
        cipher,
        dir.path().join("evidence"),
        Arc::new(now_millis),
    )
    .unwrap();
    let entries: Vec<PushEntry> = serde_json::from_slice(&syncer.wire_records().unwrap()).unwrap();
    let plain = entries
        .iter()
        .map(|e| perlinsos_e2e::PlainEntry::open(state, e))
        .collect();
    let bodies = entries
        .chunks(BATCH)
        .map(|batch| {
            gzip(
                &serde_json::to_vec(&PushRequest {
                    entries: batch.to_vec(),
                })
                .unwrap(),
            )
        })
        .collect();
    Phone {
        _dir: dir,
        device,
        entries,
        bodies,
        plain,
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Pushes the phone's entries in its batches, as its sync would; returns each batch's time.
async fn push_all(http: reqwest::Client, url: String, phone: Arc<Phone>) -> Vec<Duration> {
    let mut times = Vec::new();
    for body in &phone.bodies {
        let body = body.clone();
        let mut nonce = [0u8; 16];
        perlinsos_core::crypt::random_bytes(&mut nonce).unwrap();
        let (nonce, at) = (hex(&nonce), now_millis());
        let text = canonical_request(
            "POST",
            "/v1/outbox",
            &phone.device.id,
            at,
            &nonce,
            &hex(digest(&SHA256, &body).as_ref()),
        );
        let started = Instant::now();
        let response = http
            .post(format!("{url}/v1/outbox"))
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .header(signing::HEADER_DEVICE, phone.device.id.as_str())
            .header(signing::HEADER_TIMESTAMP, at.to_string())
            .header(signing::HEADER_NONCE, nonce)
            .header(
                signing::HEADER_SIGNATURE,
                hex(phone.device.key().sign(&text).as_ref()),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        let answer: PushResponse = response.json().await.unwrap();
        times.push(started.elapsed());
        for r in &answer.results {
            assert_eq!(r.outcome, Outcome::Accepted, "{}", r.id);
        }
    }
    times
}

/// Rounds of the API run and the plain run (`main`).
const ROUNDS: usize = 3;

/// Empties what the pushes stored, so the next round pushes the same entries anew: the
/// entries and typed rows, the nonces, and each device's audit head.
fn forget_pushes(state: &AppState) {
    state
        .db
        .write(|tx| {
            tx.batch(
                "TRUNCATE entries, households, household_members, duplicates, resident_receipts,
                          nonces;
                 UPDATE devices SET audit_seq = 0, audit_hash = NULL;",
            )
        })
        .unwrap();
}

/// The same rows as plain INSERTs through the same driver and pool: the records as JSON, one
/// row per household and per member, in transactions of a phone batch, 50 writers at once.
fn plain_inserts(url: &str, phones: &[Arc<Phone>]) -> Duration {
    let db = Arc::new(Db::open_postgres(url).unwrap());
    db.write(|tx| {
        tx.batch(
            "DROP TABLE IF EXISTS plain_entries, plain_households, plain_members;
             CREATE TABLE plain_entries (id TEXT PRIMARY KEY, device_id TEXT NOT NULL,
                 kind TEXT NOT NULL, entity_id TEXT NOT NULL, body TEXT NOT NULL);
             CREATE TABLE plain_households (id TEXT PRIMARY KEY, kk TEXT NOT NULL,
                 kelurahan_code TEXT NOT NULL);
             CREATE TABLE plain_members (household_id TEXT NOT NULL, member_id TEXT NOT NULL,
                 nik TEXT NOT NULL, PRIMARY KEY (household_id, member_id));
             CREATE INDEX plain_members_nik ON plain_members (nik);
             CREATE INDEX plain_households_kk ON plain_households (kk);",
        )
    })
    .unwrap();
    let started = Instant::now();
    std::thread::scope(|s| {
        for phone in phones {
            let db = db.clone();
            s.spawn(move || {
                for batch in phone.plain.chunks(BATCH) {
                    db.write(|tx| {
                        for e in batch {
                            tx.execute(
                                "INSERT INTO plain_entries (id, device_id, kind, entity_id, body)
                                 VALUES (?1, ?2, ?3, ?4, ?5)",
                                &[
                                    db::text(e.id.as_str()),
                                    db::text(phone.device.id.as_str()),
                                    db::text(e.kind.as_str()),
                                    db::text(e.entity_id.as_str()),
                                    db::text(e.body.to_string()),
                                ],
                            )?;
                            if e.kind != "household.registered" {
                                continue;
                            }
                            tx.execute(
                                "INSERT INTO plain_households (id, kk, kelurahan_code)
                                 VALUES (?1, ?2, ?3)",
                                &[
                                    db::text(e.entity_id.as_str()),
                                    db::text(e.body["kk"].as_str().unwrap_or_default()),
                                    db::text(KELURAHAN),
                                ],
                            )?;
                            for m in e.body["members"].as_array().into_iter().flatten() {
                                tx.execute(
                                    "INSERT INTO plain_members (household_id, member_id, nik)
                                     VALUES (?1, ?2, ?3)",
                                    &[
                                        db::text(e.entity_id.as_str()),
                                        db::text(m["id"].as_str().unwrap_or_default()),
                                        db::text(m["nik"].as_str().unwrap_or_default()),
                                    ],
                                )?;
                            }
                        }
                        Ok::<_, db::DbError>(())
                    })
                    .unwrap();
                }
            });
        }
    });
    started.elapsed()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

// The server binary's allocator (server/src/main.rs), so the server here runs as it does there.
#[global_allocator]
static ALLOCATOR: perlinsos_server::Allocator = perlinsos_server::Allocator;

fn main() {
    let admin = std::env::var("PERLINSOS_TEST_DATABASE_URL")
        .expect("PERLINSOS_TEST_DATABASE_URL: ./build.sh bench starts a PostgreSQL cluster");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut suffix = [0u8; 6];
    perlinsos_core::crypt::random_bytes(&mut suffix).unwrap();
    let name = format!("perlinsos_ingest_{}", hex(&suffix));
    let url = Db::create_postgres_database(&admin, &name).unwrap();
    let plain_url = Db::create_postgres_database(&admin, &format!("{name}_plain")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = runtime.block_on(async {
        let state = AppState::open_with(
            dir.path(),
            Some(&url),
            Arc::new(perlinsos_server::now_millis),
        )
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(perlinsos_server::serve(listener, state.clone()));
        eprintln!("ingest: {PHONES} phones registering {HOUSEHOLDS} households each");
        let mut phones = Vec::new();
        for i in 0..PHONES {
            phones.push(Arc::new(phone(&base, &state, i).await));
        }
        let entries: usize = phones.iter().map(|p| p.entries.len()).sum();
        let http = reqwest::Client::new();
        // For `perf report --time`: where the pushing starts and ends on the system clock.
        let uptime = || std::fs::read_to_string("/proc/uptime").unwrap_or_default();
        let mut rounds = Vec::new();
        let mut times = Vec::new();
        for round in 0..ROUNDS {
            if round > 0 {
                forget_pushes(&state);
            }
            eprintln!(
                "ingest: round {round} pushing from uptime {}",
                uptime().trim()
            );
            let started = Instant::now();
            let tasks: Vec<_> = phones
                .iter()
                .map(|p| tokio::spawn(push_all(http.clone(), base.clone(), p.clone())))
                .collect();
            for t in tasks {
                times.extend(t.await.unwrap());
            }
            let http_elapsed = started.elapsed();
            eprintln!("ingest: round {round} pushed at uptime {}", uptime().trim());
            let stored = state.db.scalar("SELECT count(*) FROM households").unwrap();
            assert_eq!(
                stored as usize,
                PHONES * HOUSEHOLDS,
                "every household stored once"
            );
            let plain_phones = phones.clone();
            let plain_url = plain_url.clone();
            let plain =
                tokio::task::spawn_blocking(move || plain_inserts(&plain_url, &plain_phones))
                    .await
                    .unwrap();
            rounds.push((http_elapsed, plain));
        }
        times.sort();
        let version = state
            .db
            .read(|tx| tx.query_one("SHOW server_version", &[]))
            .unwrap()
            .and_then(|r| r[0].text())
            .unwrap_or_default();
        (entries, rounds, times, version)
    });
    let (entries, rounds, times, version) = report;
    let households = (PHONES * HOUSEHOLDS) as f64;
    let median = |mut d: Vec<Duration>| {
        d.sort();
        d[d.len() / 2]
    };
    let http_elapsed = median(rounds.iter().map(|r| r.0).collect());
    let plain = median(rounds.iter().map(|r| r.1).collect());
    let http_rate = households / http_elapsed.as_secs_f64();
    let plain_rate = households / plain.as_secs_f64();
    let mut out = String::new();
    let _ = writeln!(out, "# Ingest at a field day's peak\n");
    let _ = writeln!(
        out,
        "Measured by `./build.sh bench` (`tests/benches/ingest.rs`) on this machine (2 cores), \
         server and PostgreSQL {} on loopback (throw-away cluster, fsync off), {} (date in WIT).\n",
        version,
        perlinsos_core::date::Date::of_unix_millis(now_millis())
    );
    let _ = writeln!(
        out,
        "{PHONES} phones at once, each {HOUSEHOLDS} households of {MEMBERS} members plus its \
         audit entries ({entries} entries in all), pushed in the phone's batches of {BATCH} \
         (gzip, made before the clock starts as each phone would on its own CPU; signed at send) through `POST /v1/outbox`: decoded, checked with the phone's rules, \
         scope, ownership and duplicates, sealed at rest, typed rows and blind indexes written.\n"
    );
    let _ = writeln!(
        out,
        "{ROUNDS} rounds, each the API run then the plain run (this machine's speed drifts by a \
         fifth over minutes; each round's pair shares its moment). Between rounds the server \
         forgets what was pushed (its entries, typed rows, nonces and the devices' audit \
         heads), so every round stores the same {} households anew.\n",
        PHONES * HOUSEHOLDS
    );
    let _ = writeln!(
        out,
        "| path | median time | households/s (median) | rounds |"
    );
    let _ = writeln!(out, "|---|---:|---:|---|");
    let each = |pick: fn(&(Duration, Duration)) -> Duration| {
        rounds
            .iter()
            .map(|r| format!("{:.0}", households / pick(r).as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        out,
        "| real HTTP API | {:.2} s | {:.0} | {} |",
        http_elapsed.as_secs_f64(),
        http_rate,
        each(|r| r.0)
    );
    let _ = writeln!(
        out,
        "| plain INSERTs, same rows, same driver and pool (no validation, no sealing) | {:.2} s | {:.0} | {} |",
        plain.as_secs_f64(),
        plain_rate,
        each(|r| r.1)
    );
    let ratios: Vec<String> = rounds
        .iter()
        .map(|(api, plain)| format!("{:.2}x", plain.as_secs_f64() / api.as_secs_f64()))
        .collect();
    let _ = writeln!(
        out,
        "\nRatio (API / plain): {:.2}x (each round: {}). Floor: 1,000 households/s through the API.\n",
        http_rate / plain_rate,
        ratios.join(", ")
    );
    let _ = writeln!(
        out,
        "Batch latency through the API ({} batches, all rounds): p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms.",
        times.len(),
        percentile(&times, 0.5).as_secs_f64() * 1000.0,
        percentile(&times, 0.99).as_secs_f64() * 1000.0,
        times
            .last()
            .map(|t| t.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    );
    print!("{out}");
    let path = std::env::var("PERLINSOS_INGEST_BENCH_REPORT")
        .unwrap_or_else(|_| "bench/INGEST-REPORT.md".into());
    std::fs::write(&path, out).unwrap();
    drop(runtime);
}
