//! PMT preview speed (`./build.sh bench`, never a timed test): previews per second on one
//! core, explanation included, for the shipped log-linear model (issue floor: 500,000/s), the
//! same for the default scorecard, and the time to load a model file and check its signature.
//! Writes a Markdown report to PERLINSOS_PMT_BENCH_REPORT (default bench/PMT-REPORT.md).
use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use perlinsos_core::pmt::model::Model;
use perlinsos_core::pmt::signed::{self, TrustedKey};
use perlinsos_core::pmt::{self, Answer, Answers, Scorer};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use std::sync::Arc;

const LOG_LINEAR: &str = include_str!("../models/ilustratif-kota-mataram.json");
const SCORECARD: &str = include_str!("../models/ppi-indonesia-2022.json");
const FLOOR_PER_SECOND: f64 = 500_000.0;
const RUNS: usize = 3;
const RUN_TIME: Duration = Duration::from_secs(2);

/// A small deterministic generator, so every run scores the same households.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }
}

/// Varied, valid answer sets: every choice question gets a random option, counts a value in
/// range, yes/no a coin toss.
fn households(model: &Model, count: usize) -> Vec<Answers> {
    let mut rng = Lcg(2026);
    (0..count)
        .map(|_| {
            let mut answers = Answers::new();
            for q in &model.questions {
                let answer = match q.kind {
                    pmt::model::QuestionType::Choice => {
                        Answer::Choice(q.options[rng.next(q.options.len())].id.clone())
                    }
                    pmt::model::QuestionType::YesNo => Answer::YesNo(rng.next(2) == 1),
                    _ => {
                        let (lo, hi) = (q.min.unwrap_or(0.0), q.max.unwrap_or(10.0).min(12.0));
                        Answer::Number((lo + rng.next((hi - lo) as usize + 1) as f64).min(hi))
                    }
                };
                answers.insert(q.id.clone(), answer);
            }
            pmt::preview(model, &answers).expect("generated answers are valid");
            answers
        })
        .collect()
}

/// Previews per second on this thread over RUN_TIME, cycling through `sets`.
/// The phone prepares the active model once ([`Scorer`]) and scores every household with it.
fn previews_per_second(scorer: &Scorer, sets: &[Answers]) -> f64 {
    let start = Instant::now();
    let mut done = 0u64;
    while start.elapsed() < RUN_TIME {
        for answers in sets {
            black_box(scorer.preview(black_box(answers)).unwrap());
        }
        done += sets.len() as u64;
    }
    done as f64 / start.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Median time of `f` over `iterations` calls, in microseconds.
fn micros(iterations: usize, mut f: impl FnMut()) -> f64 {
    let samples = (0..iterations)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    median(samples)
}

fn main() {
    let log_linear = Model::parse(LOG_LINEAR.as_bytes()).unwrap();
    let scorecard = Model::parse(SCORECARD.as_bytes()).unwrap();
    // A phone or server scores an answer set it has just read, so it is in cache: the headline
    // cycles 64 households (about 45 KB of answers). The cold row cycles 8,192 (several MB),
    // so every answer comes from memory: the worst case for bulk re-scoring.
    let ll_sets = households(&log_linear, 64);
    let sc_sets = households(&scorecard, 64);
    let ll_cold_sets = households(&log_linear, 8_192);
    let ll_scorer = Scorer::new(Arc::new(log_linear.clone())).unwrap();
    let sc_scorer = Scorer::new(Arc::new(scorecard.clone())).unwrap();
    let mut ll_runs = Vec::new();
    let mut cold_runs = Vec::new();
    let mut sc_runs = Vec::new();
    for _ in 0..RUNS {
        ll_runs.push(previews_per_second(&ll_scorer, &ll_sets));
        sc_runs.push(previews_per_second(&sc_scorer, &sc_sets));
        cold_runs.push(previews_per_second(&ll_scorer, &ll_cold_sets));
    }
    let ll = median(ll_runs.clone());
    let sc = median(sc_runs.clone());
    let cold = median(cold_runs.clone());

    let rng = SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let trusted = [TrustedKey {
        key_id: "ntb-5271".into(),
        public_key: key.public_key().as_ref().to_vec(),
    }];
    let mut load = Vec::new();
    for (name, json) in [
        ("ilustratif-kota-mataram", LOG_LINEAR),
        ("ppi-indonesia-2022", SCORECARD),
    ] {
        let file = serde_json::to_vec(&signed::sign(json, "ntb-5271", &key).unwrap()).unwrap();
        let parse = micros(2_000, || {
            black_box(Model::parse(black_box(json.as_bytes())).unwrap());
        });
        let prepare = micros(2_000, || {
            let model = Model::parse(black_box(json.as_bytes())).unwrap();
            black_box(Scorer::new(Arc::new(model)).unwrap());
        });
        let verify = micros(2_000, || {
            black_box(signed::verify(black_box(&file), &trusted).unwrap());
        });
        load.push((name, file.len(), parse, prepare, verify));
    }

    let mut report = String::new();
    writeln!(report, "# PMT preview benchmark\n").unwrap();
    writeln!(
        report,
        "Written by `./build.sh bench` (core/benches/pmt.rs). One thread scoring valid, varied \
         households with a `Scorer` (the model prepared once), {} s per run, median of {RUNS} \
         runs taken in turn. Every preview includes the desil probabilities, the sorted \
         contributions and the Indonesian explanation. Warm rows cycle {} households whose \
         answers stay in cache, as a freshly read answer set is; the cold row cycles {} so \
         that every answer is fetched from memory.\n",
        RUN_TIME.as_secs(),
        ll_sets.len(),
        ll_cold_sets.len()
    )
    .unwrap();
    writeln!(
        report,
        "| preview | per second (median) | runs | vs floor 500,000/s |"
    )
    .unwrap();
    writeln!(report, "|---|---:|---|---:|").unwrap();
    let runs = |r: &[f64]| {
        r.iter()
            .map(|v| format!("{v:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    writeln!(
        report,
        "| log_linear (ilustratif-kota-mataram, 14 questions), warm | {ll:.0} | {} | {:.2}x |",
        runs(&ll_runs),
        ll / FLOOR_PER_SECOND
    )
    .unwrap();
    writeln!(
        report,
        "| log_linear, cold (answers from memory) | {cold:.0} | {} | {:.2}x |",
        runs(&cold_runs),
        cold / FLOOR_PER_SECOND
    )
    .unwrap();
    writeln!(
        report,
        "| scorecard (ppi-indonesia-2022, 10 questions), warm | {sc:.0} | {} | {:.2}x |",
        runs(&sc_runs),
        sc / FLOOR_PER_SECOND
    )
    .unwrap();
    writeln!(
        report,
        "\n| model file | signed file bytes | parse + check (µs, median of 2,000) | parse + check + prepare a Scorer (µs) | signature verify + parse + check (µs) |"
    )
    .unwrap();
    writeln!(report, "|---|---:|---:|---:|---:|").unwrap();
    for (name, bytes, parse, prepare, verify) in &load {
        writeln!(
            report,
            "| {name} | {bytes} | {parse:.1} | {prepare:.1} | {verify:.1} |"
        )
        .unwrap();
    }
    print!("{report}");
    let path = std::env::var("PERLINSOS_PMT_BENCH_REPORT")
        .unwrap_or_else(|_| format!("{}/../bench/PMT-REPORT.md", env!("CARGO_MANIFEST_DIR")));
    std::fs::write(&path, report).unwrap();
    eprintln!("report written to {path}");
}
