//! The console and the change feed at a province's size (issue 17; `./build.sh bench`, never a
//! timed test). A PostgreSQL database is filled with 1,000,000 registered households of 5
//! members and 100,000 sanggahan (PERLINSOS_PROVINCE_HOUSEHOLDS / _SANGGAHAN to change), spread
//! over the pilot's real kelurahan, each stored as the server stores an accepted record: the
//! record sealed in `entries`, its typed rows and blind indexes through `stored::insert_*`. The
//! worklist changes come from importing and assigning DTSEN families of ten kelurahan. Then,
//! 200 times each with different arguments, the server's own functions behind the pages:
//! the sanggahan list (all, by status, by kelurahan, a peninjau's kecamatan), a sanggahan's
//! detail (with the near-duplicate look-up of its two photos among 200,000 indexed), a NIK
//! search, a change-feed page for a one-kelurahan phone, and the expiry sweep as
//! the server runs it (every ten minutes of the district's clock). Floor: p99 <= 100 ms each.
//!
//! The households are copies of 200 households registered on a real phone store, each copy
//! with its own ids, KK and NIKs (the template's region and birth date, a new serial), so
//! every blind index is distinct as it would be in the field. Needs PERLINSOS_TEST_DATABASE_URL
//! (`./build.sh bench` starts a throw-away cluster). Writes PERLINSOS_PROVINCE_BENCH_REPORT
//! (default bench/PROVINCE-REPORT.md).
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use perlinsos_core::crypt::{Cipher, DataKey};
use perlinsos_core::date::now_millis;
use perlinsos_core::registration::Registry;
use perlinsos_core::sample::{Generator, Rng};
use perlinsos_core::session::device::Device;
use perlinsos_core::store::Store;
use perlinsos_core::Date;
use perlinsos_protocol::outbox_kind;
use perlinsos_protocol::record::{HouseholdRegistered, Record, SanggahanFiled};
use perlinsos_rules::registration::RegisteredHousehold;
use perlinsos_rules::sanggahan::lifecycle::Status;
use perlinsos_rules::sanggahan::{Reason, Reporter};
use perlinsos_server::blobs::BlobName;
use perlinsos_server::console::accounts::Scope;
use perlinsos_server::db::{self, Db};
use perlinsos_server::families::{self, Selection};
use perlinsos_server::{review, stored, AppState};

const TEMPLATES: usize = 200;
const RUNS: usize = 200;
const BATCH: usize = 1_000;
const DAY_MS: i64 = 86_400_000;
const FLOOR_MS: f64 = 100.0;

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The pilot's kelurahan/desa: Lombok Timur (52.03) and Kota Mataram (52.71).
fn pilot_kelurahan() -> Vec<String> {
    let mut out = Vec::new();
    for (kabupaten, kecamatan) in [("52.03", 1..=40), ("52.71", 1..=10)] {
        for k in kecamatan {
            out.extend(perlinsos_rules::identity::wilayah::desa_in_kecamatan(
                &format!("{kabupaten}.{k:02}"),
            ));
        }
    }
    out
}

/// A 16-digit number with its last four digits replaced by `serial` (1..=9999).
fn with_serial(number: &str, serial: usize) -> String {
    format!("{}{:04}", &number[..12], serial % 10_000)
}

/// Copy `copy` of a template household: new ids, KK and member NIKs; placed in `kelurahan`.
fn copy_of(
    template: &RegisteredHousehold,
    copy: usize,
    index: usize,
    kelurahan: &str,
    at: i64,
) -> RegisteredHousehold {
    let mut h = template.clone();
    let id = format!("{index:08x}-5a1e-4000-8000-{:012x}", copy);
    h.id = id.clone();
    h.draft_id = id.clone();
    h.kk = with_serial(&template.kk, copy + 1);
    h.address.kelurahan_code = kelurahan.to_owned();
    h.registered_at = at;
    for (i, m) in h.members.iter_mut().enumerate() {
        let member_id = format!("{index:08x}-0000-4000-8000-{i:012x}");
        if template.head_member_id == m.id {
            h.head_member_id = member_id.clone();
        }
        m.id = member_id;
        m.input.nik = with_serial(&m.input.nik, copy + 1);
    }
    h
}

/// Households registered on a real phone store enrolled with the server (the registry seals
/// each for the district as the phone does).
async fn templates(state: &AppState) -> Vec<RegisteredHousehold> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(perlinsos_server::serve(listener, state.clone()));
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("device.db")).unwrap());
    let device = Arc::new(Device::open_or_create(&store, b"keystore").unwrap());
    let code = perlinsos_e2e::ticket(state, "agen-01", &["52.71.01.1004".to_owned()], &base);
    perlinsos_core::sync::enroll(&store, &device, &code)
        .await
        .unwrap();
    server.abort();
    let cipher = Arc::new(Cipher::new(&DataKey::from_bytes([5; 32])).unwrap());
    let registry = Registry::new(store, cipher).for_agent("agen-01");
    let now = now_millis();
    let mut generator = Generator::new(1_000_017, Date::of_unix_millis(now));
    (0..TEMPLATES)
        .map(|_| {
            let id = generator
                .household("agen-01", 5, now)
                .register(&registry, now)
                .unwrap();
            registry.household(&id).unwrap()
        })
        .collect()
}

fn entry_row(
    state: &AppState,
    entry_id: &str,
    device_id: &str,
    record: &Record,
    kelurahan: &str,
    at: i64,
) -> Vec<db::Value> {
    let sealed = stored::seal_text(
        &state.keys,
        &stored::entry_context(entry_id),
        &record.body_json(),
    )
    .unwrap();
    vec![
        db::text(entry_id),
        db::text(device_id),
        db::text(record.kind()),
        db::text(record.entity_id()),
        db::text(kelurahan),
        db::int(at),
        db::int(at),
        db::blob(sealed),
    ]
}

fn device_of(index: usize) -> String {
    format!("bench-device-{:03}", index % 500)
}

/// Stores `count` households as accepted records, `BATCH` per transaction.
fn fill_households(
    state: &AppState,
    templates: &[RegisteredHousehold],
    kelurahan: &[String],
    count: usize,
    now: i64,
) -> Vec<String> {
    let started = Instant::now();
    let done = std::sync::atomic::AtomicUsize::new(0);
    // Two writers, as two phones' batches arrive at once: the fill takes half the time.
    let niks: Vec<Vec<String>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|worker| {
                let done = &done;
                scope.spawn(move || {
                    fill_part(
                        state, templates, kelurahan, count, now, worker, 2, done, started,
                    )
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    niks.concat()
}

#[allow(clippy::too_many_arguments)]
fn fill_part(
    state: &AppState,
    templates: &[RegisteredHousehold],
    kelurahan: &[String],
    count: usize,
    now: i64,
    worker: usize,
    workers: usize,
    done: &std::sync::atomic::AtomicUsize,
    started: Instant,
) -> Vec<String> {
    let mut sample_niks = Vec::new();
    for start in (worker * BATCH..count).step_by(BATCH * workers) {
        let end = (start + BATCH).min(count);
        let households: Vec<RegisteredHousehold> = (start..end)
            .map(|i| {
                let at = now - 90 * DAY_MS + (i as i64 * 90 * DAY_MS) / count as i64;
                copy_of(
                    &templates[i % TEMPLATES],
                    i / TEMPLATES,
                    i,
                    &kelurahan[i % kelurahan.len()],
                    at,
                )
            })
            .collect();
        if (start / BATCH).is_multiple_of(10) {
            sample_niks.push(households[0].members[2].input.nik.clone());
        }
        let rows: Vec<Vec<db::Value>> = households
            .iter()
            .enumerate()
            .map(|(k, h)| {
                let record = Record::HouseholdRegistered(Box::new(HouseholdRegistered {
                    household: h.clone(),
                    evidence: Vec::new(),
                    receipt: None,
                }));
                let entry_id = format!("e-{:08x}", start + k);
                entry_row(
                    state,
                    &entry_id,
                    &device_of(start + k),
                    &record,
                    &h.address.kelurahan_code,
                    h.registered_at,
                )
            })
            .collect();
        state
            .db
            .write(|tx| {
                db::insert_entries(tx, &rows)?;
                for (k, h) in households.iter().enumerate() {
                    let entry_id = format!("e-{:08x}", start + k);
                    stored::insert_household(
                        tx,
                        &state.keys,
                        &device_of(start + k),
                        &entry_id,
                        h,
                        h.registered_at,
                    )?;
                    stored::label_dtsen(tx, &state.keys, h)?;
                }
                Ok::<_, db::DbError>(())
            })
            .unwrap();
        let stored = done.fetch_add(end - start, Ordering::SeqCst) + (end - start);
        if stored.is_multiple_of(100_000) || stored == count {
            eprintln!(
                "households: {stored} of {count} ({:.0}/s)",
                stored as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    sample_niks
}

/// Stores `count` sanggahan filed over the last 30 days (so the oldest have lapsed), each by a
/// resident of one of the stored households, with its status change queued for its phone.
fn fill_sanggahan(
    state: &AppState,
    templates: &[RegisteredHousehold],
    kelurahan: &[String],
    count: usize,
    households: usize,
    now: i64,
) -> Vec<String> {
    let mut rng = Rng::new(77);
    let mut ids = Vec::with_capacity(count);
    for start in (0..count).step_by(BATCH) {
        let end = (start + BATCH).min(count);
        // Two house photos each, indexed as the server indexes an accepted record's photos
        // (their perceptual hashes drawn at random), for the detail's near-duplicate look-up.
        let photos: Vec<[(String, u64); 2]> = (start..end)
            .map(|_| {
                std::array::from_fn(|_| {
                    let name = (0..4).map(|_| format!("{:016x}", rng.next_u64())).collect();
                    (name, rng.next_u64())
                })
            })
            .collect();
        let filings: Vec<(SanggahanFiled, String)> = (start..end)
            .map(|i| {
                let of = rng.below(households as u64) as usize;
                let template = &templates[of % TEMPLATES];
                let member = &template.members[0];
                let kel = kelurahan[of % kelurahan.len()].clone();
                let filed_at = now - 30 * DAY_MS + (i as i64 * 30 * DAY_MS) / count as i64;
                let filed = SanggahanFiled {
                    id: format!("{i:08x}-5a66-4000-8000-000000000000"),
                    recipient_id: format!("R-{}", i % 5_000),
                    kelurahan_code: kel.clone(),
                    reporter: Reporter {
                        nik: with_serial(&member.input.nik, of / TEMPLATES + 1),
                        full_name: member.input.full_name.clone(),
                        address: perlinsos_rules::registration::Address {
                            kelurahan_code: kel.clone(),
                            rt: 1,
                            rw: 2,
                            street: "Jalan Pejanggik".into(),
                        },
                    },
                    reason: *rng.pick(&[Reason::Mampu, Reason::Pindah, Reason::Meninggal]),
                    statement: "Keluarga ini sudah mampu, rumahnya baru dan punya mobil.".into(),
                    photos: Vec::new(),
                    reused_photos: Vec::new(),
                    filed_at,
                    evidence: Vec::new(),
                };
                (filed, kel)
            })
            .collect();
        let rows: Vec<Vec<db::Value>> = filings
            .iter()
            .enumerate()
            .map(|(k, (f, kel))| {
                let record = Record::SanggahanFiled(Box::new(f.clone()));
                entry_row(
                    state,
                    &format!("s-{:08x}", start + k),
                    &device_of(start + k),
                    &record,
                    kel,
                    f.filed_at,
                )
            })
            .collect();
        state
            .db
            .write(|tx| {
                db::insert_entries(tx, &rows)?;
                for (k, (f, _)) in filings.iter().enumerate() {
                    let device = device_of(start + k);
                    let new = stored::NewSanggahan {
                        id: &f.id,
                        kelurahan_code: &f.kelurahan_code,
                        recipient_id: &f.recipient_id,
                        reason: f.reason.as_str(),
                        reporter_nik: &f.reporter.nik,
                        filed_at: f.filed_at,
                    };
                    let entry_id = format!("s-{:08x}", start + k);
                    stored::insert_sanggahan(
                        tx,
                        &state.keys,
                        &device,
                        &entry_id,
                        &new,
                        Status::Diterima,
                        f.filed_at,
                    )?;
                    for (name, hash) in &photos[k] {
                        let name = BlobName::parse(name).expect("a sha256 name");
                        review::index_photo(tx, &name, "sanggahan", &f.id, &device, *hash)?;
                    }
                    db::add_status_change(
                        tx,
                        &state.keys,
                        &device,
                        outbox_kind::SANGGAHAN_FILED,
                        &f.id,
                        Status::Diterima.as_str(),
                        None,
                        f.filed_at,
                    )?;
                }
                Ok::<_, db::DbError>(())
            })
            .unwrap();
        ids.extend(filings.into_iter().map(|(f, _)| f.id));
    }
    ids
}

struct Measure {
    name: String,
    samples: Vec<f64>,
}

impl Measure {
    fn run(name: &str, mut f: impl FnMut(usize)) -> Measure {
        // One untimed call warms the caches and the connection, as a live server has them.
        f(0);
        let samples = (1..=RUNS)
            .map(|i| {
                let t = Instant::now();
                f(i);
                ms(t.elapsed())
            })
            .collect();
        Measure {
            name: name.to_owned(),
            samples,
        }
    }

    fn row(&self) -> String {
        let mut s = self.samples.clone();
        s.sort_by(|a, b| a.total_cmp(b));
        let p99 = percentile(&s, 0.99);
        format!(
            "| {} | {:.2} | {:.2} | **{p99:.2}** | {:.2} | {} |",
            self.name,
            percentile(&s, 0.5),
            percentile(&s, 0.95),
            s.last().copied().unwrap_or(0.0),
            if p99 <= FLOOR_MS { "met" } else { "**over**" }
        )
    }
}

fn main() {
    let Ok(admin) = std::env::var("PERLINSOS_TEST_DATABASE_URL") else {
        eprintln!("province bench: PERLINSOS_TEST_DATABASE_URL unset (./build.sh bench starts PostgreSQL)");
        return;
    };
    let report_path = std::env::var("PERLINSOS_PROVINCE_BENCH_REPORT")
        .unwrap_or_else(|_| "bench/PROVINCE-REPORT.md".into());
    let households = env_count("PERLINSOS_PROVINCE_HOUSEHOLDS", 1_000_000);
    let sanggahan = env_count("PERLINSOS_PROVINCE_SANGGAHAN", 100_000);

    let dir = tempfile::tempdir().unwrap();
    let name = format!("perlinsos_bench_province_{}", std::process::id());
    let url = Db::create_postgres_database(&admin, &name).unwrap();
    let now = now_millis();
    let clock_at = Arc::new(AtomicI64::new(now));
    let reader = clock_at.clone();
    let state = AppState::open_with(
        dir.path(),
        Some(&url),
        Arc::new(move || reader.load(Ordering::SeqCst)),
    )
    .unwrap();
    let kelurahan = pilot_kelurahan();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let templates = runtime.block_on(templates(&state));

    let t = Instant::now();
    let niks = fill_households(&state, &templates, &kelurahan, households, now);
    let households_time = t.elapsed();
    let t = Instant::now();
    let ids = fill_sanggahan(&state, &templates, &kelurahan, sanggahan, households, now);
    let sanggahan_time = t.elapsed();
    // Worklists: ten kelurahan's DTSEN families, each kelurahan assigned to its own agent.
    let t = Instant::now();
    let worklist_kelurahan: Vec<&str> = kelurahan.iter().take(10).map(String::as_str).collect();
    let listed = perlinsos_core::sample::families_sized(
        2029,
        30_000,
        &worklist_kelurahan,
        Date::of_unix_millis(now),
        2..=6,
    );
    let listed_niks: Vec<String> = listed
        .iter()
        .step_by(1_500)
        .map(|f| f.members[0].nik.clone())
        .collect();
    let csv = perlinsos_rules::dtsen::extract::write(&listed);
    families::import(&state, csv.as_bytes(), "bench").unwrap();
    for (i, kel) in worklist_kelurahan.iter().enumerate() {
        let place = Selection::Place {
            kelurahan_code: kel.to_string(),
            rw: None,
            rt: None,
        };
        families::assign(&state, "bench", &format!("agen-{i:02}"), &place).unwrap();
    }
    let families_time = t.elapsed();
    state.db.write(|tx| tx.batch("ANALYZE")).unwrap();
    // The first sweep after the fill lapses the sanggahan already past their 14 days: once, as
    // at a server's start after downtime; the measured sweeps are the steady ones after it.
    let t = Instant::now();
    let lapsed_at_start = review::expire_overdue(&state).unwrap();
    let first_sweep = t.elapsed();

    let size: i64 = state
        .db
        .scalar(&format!("SELECT pg_database_size('{name}')"))
        .unwrap();
    let changes = state.db.scalar("SELECT count(*) FROM changes").unwrap();
    let members = state
        .db
        .scalar("SELECT count(*) FROM household_members")
        .unwrap();

    let mut rng = Rng::new(2026);
    let mut measures = Vec::new();
    let pages = (sanggahan / 50).max(1) as u64;
    measures.push(Measure::run("sanggahan list, all, a random page", |_| {
        let page = rng.below(pages.min(200)) as usize;
        review::list(
            &state,
            &review::ListQuery {
                page,
                ..Default::default()
            },
        )
        .unwrap();
    }));
    measures.push(Measure::run(
        "sanggahan list, one status, a random page",
        |i| {
            let status = [Status::Diterima, Status::Kedaluwarsa][i % 2];
            let page = rng.below(20) as usize;
            review::list(
                &state,
                &review::ListQuery {
                    status: Some(status),
                    page,
                    ..Default::default()
                },
            )
            .unwrap();
        },
    ));
    measures.push(Measure::run("sanggahan list, one kelurahan", |_| {
        let kel = rng.pick(&kelurahan).clone();
        review::list(
            &state,
            &review::ListQuery {
                kelurahan: Some(kel),
                ..Default::default()
            },
        )
        .unwrap();
    }));
    measures.push(Measure::run(
        "sanggahan list, a peninjau's kecamatan",
        |_| {
            let kecamatan = rng.pick(&kelurahan)[..8].to_owned();
            review::list(
                &state,
                &review::ListQuery {
                    scope: Scope::Regions(vec![kecamatan]),
                    ..Default::default()
                },
            )
            .unwrap();
        },
    ));
    measures.push(Measure::run("sanggahan detail", |_| {
        let id = rng.pick(&ids).clone();
        assert!(review::detail(&state, &id).unwrap().is_some());
    }));
    let mut all_niks = niks.clone();
    all_niks.extend(listed_niks.iter().cloned());
    measures.push(Measure::run("NIK search (registered or listed)", |_| {
        let nik = rng.pick(&all_niks).clone();
        let found = perlinsos_server::nik_search::find(&state, "bench", &Scope::All, &nik).unwrap();
        assert!(!found.is_empty());
    }));
    let devices: Vec<db::Device> = (0..10)
        .map(|i| db::Device {
            device_id: device_of(i),
            public_key: Vec::new(),
            agent_id: format!("agen-{i:02}"),
            scope: vec![worklist_kelurahan[i].to_owned()],
            audit_seq: 0,
            audit_hash: None,
            revoked_at: None,
        })
        .collect();
    let newest = state.db.scalar("SELECT max(cursor) FROM changes").unwrap();
    measures.push(Measure::run(
        "change-feed page, a one-kelurahan phone (from the start or a random cursor)",
        |i| {
            let device = rng.pick(&devices);
            let since = if i % 2 == 0 {
                0
            } else {
                rng.below(newest as u64) as i64
            };
            let page = perlinsos_server::changes_page(&state, device, since).unwrap();
            assert!(since > 0 || !page.changes.is_empty());
        },
    ));
    let mut lapsed = 0;
    measures.push(Measure::run(
        "expiry sweep (every 10 minutes of the clock)",
        |_| {
            clock_at.fetch_add(10 * 60 * 1000, Ordering::SeqCst);
            lapsed += review::expire_overdue(&state).unwrap();
        },
    ));

    let mut report = format!(
        "# Province-size benchmark: the console and the change feed on PostgreSQL\n\n\
         Run {} (UTC) on this machine ({} cores); `./build.sh bench` (tests/benches/province.rs).\n\n\
         The database: {households} households ({members} members), {sanggahan} sanggahan \
         over {} kelurahan of Lombok Timur and Kota Mataram, 30,000 DTSEN families of ten \
         kelurahan assigned to ten agents, {changes} changes in the feed. Stored as the server \
         stores accepted records (sealed record, typed rows, blind indexes); filled in {:.0} s \
         (households), {:.0} s (sanggahan), {:.0} s (families), not timed below.\n\n\
         **Database size: {:.0} MiB, {:.0} bytes per household** (all tables and indexes, \
         the sanggahan and families included).\n\n\
         Each measure: the server function behind the page or request, {RUNS} calls with \
         different arguments after one warm-up call; milliseconds.\n\n\
         | measure | median | p95 | p99 | max | floor p99 <= 100 ms |\n|---|---:|---:|---:|---:|---|\n",
        Date::of_unix_millis(now),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        kelurahan.len(),
        households_time.as_secs_f64(),
        sanggahan_time.as_secs_f64(),
        families_time.as_secs_f64(),
        size as f64 / 1048576.0,
        size as f64 / households.max(1) as f64,
    );
    for m in &measures {
        let _ = writeln!(report, "{}", m.row());
    }
    let _ = writeln!(
        report,
        "\nThe sweep lapsed {lapsed} sanggahan over its {RUNS} runs ({} hours of the clock); the \
         first sweep after the fill lapsed {lapsed_at_start} in {:.0} ms, in transactions of at \
         most {} (a server starting after downtime does this once).",
        RUNS * 10 / 60,
        ms(first_sweep),
        review::EXPIRE_CHUNK,
    );
    print!("{report}");
    std::fs::write(&report_path, &report).unwrap();
}
