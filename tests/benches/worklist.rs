//! The worklist cycle's figures (`./build.sh bench`, never a timed test), against the floors
//! issue 20 names:
//! - a phone holding 3,000 families / ~12,000 members: opening the list (< 100 ms), NIK search
//!   (< 5 ms), name-prefix search (p95 < 30 ms), database bytes per family;
//! - downloading those 3,000 families through the 3G-shaped proxy: bytes per family on the wire
//!   (goal <= 300 B) and time, and a download cut half-way that resumes without starting over;
//! - the server importing a 400,000-family extract into PostgreSQL (floor 2,000 families/s;
//!   `PERLINSOS_WORKLIST_BENCH_FAMILIES` to change the count), when
//!   PERLINSOS_TEST_DATABASE_URL names a cluster (`./build.sh bench` starts one).
//!
//! Writes PERLINSOS_WORKLIST_BENCH_REPORT (default bench/WORKLIST-REPORT.md).
use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use perlinsos_core::crypt::{Cipher, DataKey};
use perlinsos_core::date::now_millis;
use perlinsos_core::sample::{families_sized, Rng};
use perlinsos_core::store::Store;
use perlinsos_core::worklist::{self, search, Filter, Worklist};
use perlinsos_core::Date;
use perlinsos_e2e::field::{FieldPhone, Server};
use perlinsos_netsim::{FaultMix, Proxy, Shape};
use perlinsos_server::families::{self, Selection};

const FAMILIES: usize = 3_000;
const KELURAHAN: &str = "52.71.01.1004";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Timing {
    median: f64,
    p95: f64,
    max: f64,
}

fn timing(mut samples: Vec<f64>) -> Timing {
    samples.sort_by(|a, b| a.total_cmp(b));
    Timing {
        median: percentile(&samples, 0.5),
        p95: percentile(&samples, 0.95),
        max: *samples.last().unwrap_or(&0.0),
    }
}

fn today() -> Date {
    Date::of_unix_millis(now_millis())
}

fn phone_side(report: &mut String) {
    let all = families_sized(2026, FAMILIES, &[KELURAHAN], today(), 2..=6);
    let members: usize = all.iter().map(|f| f.members.len()).sum();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let store = Arc::new(Store::open(&path).unwrap());
    let cipher = Arc::new(Cipher::new(&DataKey::from_bytes([6; 32])).unwrap());
    let started = Instant::now();
    for part in all.chunks(perlinsos_server::families::FAMILIES_PER_CHANGE) {
        store
            .write(|tx| worklist::apply(tx, &cipher, "agen-01", part, &[], now_millis()))
            .unwrap();
    }
    let load = started.elapsed();
    store.checkpoint().unwrap();
    let size = std::fs::metadata(&path).unwrap().len()
        + std::fs::metadata(path.with_extension("db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    let list = Worklist::new(store.clone(), cipher.clone(), "agen-01");
    let mut open = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        let n = list.count().unwrap();
        let page = list.list(&Filter::default(), 0, 50).unwrap();
        open.push(ms(t.elapsed()));
        assert_eq!((n, page.len()), (FAMILIES, 50));
    }
    let mut rng = Rng::new(7);
    let mut nik = Vec::new();
    let mut name = Vec::new();
    for _ in 0..300 {
        let family = &all[rng.below(FAMILIES as u64) as usize];
        let member = &family.members[rng.below(family.members.len() as u64) as usize];
        let t = Instant::now();
        let found = list.find_number(&member.nik).unwrap();
        nik.push(ms(t.elapsed()));
        assert_eq!(found[0].family_id, family.id);
        // A word of two letters or more (a one-letter query, "I" of "I Made", finds nothing).
        let words: Vec<String> = search::words(&member.name)
            .into_iter()
            .filter(|w| w.chars().count() >= 2)
            .collect();
        let word = &words[rng.below(words.len() as u64) as usize];
        let query: String = word.chars().take(3).collect();
        let t = Instant::now();
        let found = list.find_name(&query, 50).unwrap();
        name.push(ms(t.elapsed()));
        assert!(!found.is_empty());
    }
    let (open, nik, name) = (timing(open), timing(nik), timing(name));
    let _ = writeln!(
        report,
        "## Phone: {FAMILIES} families, {members} members in one agent's worklist\n\n\
         | measure | median | p95 | max | floor |\n|---|---|---|---|---|\n\
         | open the list (count + first 50, opened) | {:.2} ms | {:.2} ms | {:.2} ms | < 100 ms |\n\
         | NIK search | {:.3} ms | {:.3} ms | {:.3} ms | < 5 ms |\n\
         | name-prefix search (3 letters, up to 50 families) | {:.2} ms | {:.2} ms | {:.2} ms | p95 < 30 ms |\n\n\
         Loading the {FAMILIES} families as deltas of 50 (checked, sealed, indexed): {:.1} s. \
         Database after a checkpoint: {:.1} MiB, **{} bytes per family** (families sealed, \
         NIK/KK and name-prefix blind indexes).\n",
        open.median, open.p95, open.max, nik.median, nik.p95, nik.max, name.median, name.p95,
        name.max,
        load.as_secs_f64(),
        size as f64 / 1048576.0,
        size / FAMILIES as u64,
    );
}

async fn download(report: &mut String) {
    let server = Server::start().await;
    let all = families_sized(2027, FAMILIES, &[KELURAHAN], today(), 2..=6);
    server.import_families(&all);
    let upstream: std::net::SocketAddr = server.url.trim_start_matches("http://").parse().unwrap();
    let place = Selection::Place {
        kelurahan_code: KELURAHAN.to_owned(),
        rw: None,
        rt: None,
    };
    // Straight through the 3G-shaped link.
    let phone = FieldPhone::enrolled(&server, "agen-01", &[KELURAHAN]).await;
    families::assign(&server.state, "bench", "agen-01", &place).unwrap();
    let shaped = Proxy::start(
        upstream,
        1,
        FaultMix::NONE,
        Some(Shape {
            cut_percent_per_64k: 0,
            ..Shape::POOR_3G
        }),
    )
    .await
    .unwrap();
    let syncer = phone.syncer().via_proxy(&shaped.url()).unwrap();
    let started = Instant::now();
    syncer.sync().await.unwrap();
    let whole = started.elapsed();
    assert_eq!(phone.worklist().count().unwrap(), FAMILIES);
    let down = shaped.stats.bytes_down.load(Ordering::SeqCst);
    let up = shaped.stats.bytes_up.load(Ordering::SeqCst);

    // Cut half-way (the connection dies), then synced again: only the rest travels.
    let second = FieldPhone::enrolled(&server, "agen-02", &[KELURAHAN]).await;
    families::assign(&server.state, "bench", "agen-02", &place).unwrap();
    let cut = Proxy::start(
        upstream,
        2,
        FaultMix::NONE,
        Some(Shape {
            cut_percent_per_64k: 0,
            ..Shape::POOR_3G
        }),
    )
    .await
    .unwrap();
    let syncer = second.syncer().via_proxy(&cut.url()).unwrap();
    let _ = tokio::time::timeout(whole / 2, syncer.sync()).await;
    let after_cut = second.worklist().count().unwrap();
    let started = Instant::now();
    syncer.sync().await.unwrap();
    let rest = started.elapsed();
    assert_eq!(second.worklist().count().unwrap(), FAMILIES);
    let cut_down = cut.stats.bytes_down.load(Ordering::SeqCst);
    let per_family = down as f64 / FAMILIES as f64;
    let _ = writeln!(
        report,
        "## Worklist download: {FAMILIES} families through the 3G-shaped proxy \
         (384 kbit/s, 200 ms round trip)\n\n\
         | measure | value | goal |\n|---|---|---|\n\
         | bytes down per family (signed deltas, gzip, HTTP) | **{per_family:.0} B** | <= 300 B |\n\
         | bytes down in all / up in all | {:.0} KiB / {:.0} KiB | |\n\
         | time for the whole list | {:.1} s | |\n\
         | cut at half time: families already kept | {after_cut} of {FAMILIES} | |\n\
         | then the rest: time, bytes down over both tries | {:.1} s, {:.0} KiB ({:.2}x one clean download) | no start over |\n\n\
         The synthetic names repeat more than real ones, so gzip does better here than on a \
         real extract; the NIKs, KK numbers and signatures (one per 50 families) are as random \
         as real ones.\n",
        down as f64 / 1024.0,
        up as f64 / 1024.0,
        whole.as_secs_f64(),
        rest.as_secs_f64(),
        cut_down as f64 / 1024.0,
        cut_down as f64 / down.max(1) as f64,
    );
}

fn import(report: &mut String) {
    let Ok(admin) = std::env::var("PERLINSOS_TEST_DATABASE_URL") else {
        let _ = writeln!(
            report,
            "## Server import\n\nNot run: PERLINSOS_TEST_DATABASE_URL unset.\n"
        );
        return;
    };
    let count = std::env::var("PERLINSOS_WORKLIST_BENCH_FAMILIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400_000usize);
    let kelurahan = &perlinsos_core::sample::KELURAHAN[..8];
    let t = Instant::now();
    let all = families_sized(2028, count, kelurahan, today(), 2..=6);
    let members: usize = all.iter().map(|f| f.members.len()).sum();
    let csv = perlinsos_rules::dtsen::extract::write(&all);
    drop(all);
    let generated = t.elapsed();
    let dir = tempfile::tempdir().unwrap();
    let name = format!("perlinsos_bench_import_{}", std::process::id());
    let url = perlinsos_server::db::Db::create_postgres_database(&admin, &name).unwrap();
    let state = perlinsos_server::AppState::open_with(dir.path(), Some(&url), Arc::new(now_millis))
        .unwrap();
    let started = Instant::now();
    let imported = families::import(&state, csv.as_bytes(), "bench").unwrap();
    let first = started.elapsed();
    assert_eq!(imported.added, count);
    // The same extract again: every family unchanged (what a monthly re-import mostly is).
    let started = Instant::now();
    let again = families::import(&state, csv.as_bytes(), "bench").unwrap();
    let second = started.elapsed();
    assert_eq!(again.unchanged, count);
    let rate = count as f64 / first.as_secs_f64();
    let _ = writeln!(
        report,
        "## Server import of a DTSEN extract into PostgreSQL\n\n\
         {count} families, {members} members, {:.0} MiB of CSV (generated in {:.1} s, not timed).\n\n\
         | run | time | families/s | floor |\n|---|---|---|---|\n\
         | first import (parse, check every row, seal, blind-index, one transaction) | {:.1} s | **{rate:.0}** | 2,000 |\n\
         | the same extract again (all unchanged) | {:.1} s | {:.0} | |\n",
        csv.len() as f64 / 1048576.0,
        generated.as_secs_f64(),
        first.as_secs_f64(),
        second.as_secs_f64(),
        count as f64 / second.as_secs_f64(),
    );
}

fn main() {
    let path = std::env::var("PERLINSOS_WORKLIST_BENCH_REPORT")
        .unwrap_or_else(|_| "bench/WORKLIST-REPORT.md".into());
    let mut report = format!(
        "# Worklist benchmark\n\nRun {} (date in UTC) on this machine ({} cores); \
         `./build.sh bench`.\n\n",
        Date::of_unix_millis(now_millis()),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    phone_side(&mut report);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(download(&mut report));
    import(&mut report);
    print!("{report}");
    std::fs::write(&path, &report).unwrap();
}
