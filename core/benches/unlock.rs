//! What an agent waits for at the PIN screen (`./build.sh bench`, never a timed test):
//! enrolling and unlocking a profile at the production PBKDF2 count, median of RUNS, written
//! to PERLINSOS_UNLOCK_BENCH_REPORT (default bench/UNLOCK-REPORT.md).
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use perlinsos_core::date::now_millis;
use perlinsos_core::session::{Agents, PIN_ITERATIONS};
use perlinsos_core::store::Store;

const RUNS: usize = 9;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("device.db")).unwrap());
    let agents = Agents::new(store, b"platform secret", Arc::new(now_millis));
    let mut enroll = Vec::new();
    for n in 0..RUNS {
        let start = Instant::now();
        agents
            .enroll(&format!("agen-{n}"), "482913", &[7; 32])
            .unwrap();
        enroll.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let unlock: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            agents.unlock("agen-0", "482913").unwrap();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    let mut report = String::new();
    writeln!(report, "# Unlock benchmark\n").unwrap();
    writeln!(
        report,
        "Written by `./build.sh bench` (core/benches/unlock.rs): PBKDF2-HMAC-SHA256 at {PIN_ITERATIONS} \
         iterations (ring), one thread, median of {RUNS}.\n"
    )
    .unwrap();
    writeln!(report, "| step | median ms |\n|---|---:|").unwrap();
    writeln!(
        report,
        "| unlock with the right PIN | {:.1} |",
        median(unlock)
    )
    .unwrap();
    writeln!(
        report,
        "| enroll a profile (one PBKDF2, two key wraps) | {:.1} |",
        median(enroll)
    )
    .unwrap();
    print!("{report}");
    let path = std::env::var("PERLINSOS_UNLOCK_BENCH_REPORT")
        .unwrap_or_else(|_| format!("{}/../bench/UNLOCK-REPORT.md", env!("CARGO_MANIFEST_DIR")));
    std::fs::write(&path, report).unwrap();
}
