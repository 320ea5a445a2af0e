//! Evidence photo speed (`./build.sh bench`, never a timed test). Side by side in one run, on
//! one core (`taskset -c 0`): the whole process `perlinsos evidence ingest` of a 12 MP sample
//! photo against `vipsthumbnail PHOTO -s 1600 -o out.jpg[Q=80,strip]` with
//! VIPS_CONCURRENCY=1, median of RUNS each, with peak RSS; then the perceptual hash and
//! SHA-256 (against `openssl speed -evp sha256`). Writes PERLINSOS_EVIDENCE_BENCH_REPORT
//! (default bench/EVIDENCE-REPORT.md).
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use perlinsos_core::evidence::{self, phash};

const RUNS: usize = 15;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Wall time (ms) and peak RSS (KiB, from GNU time) of one run of `program args` on core 0.
fn run(program: &str, args: &[&str], vips: bool) -> (f64, u64) {
    let rss_file = tempfile::NamedTempFile::new().unwrap();
    let mut command = Command::new("taskset");
    command
        .args(["-c", "0", "/usr/bin/time", "-f", "%M", "-o"])
        .arg(rss_file.path())
        .arg(program)
        .args(args)
        .stdout(std::process::Stdio::null());
    if vips {
        command.env("VIPS_CONCURRENCY", "1");
    }
    let start = Instant::now();
    let status = command.status().unwrap();
    let ms = start.elapsed().as_secs_f64() * 1e3;
    assert!(status.success(), "{program} failed");
    let rss = std::fs::read_to_string(rss_file.path()).unwrap();
    (ms, rss.trim().lines().last().unwrap().parse().unwrap())
}

/// openssl's SHA-256 throughput on 16 KiB blocks, bytes per second.
fn openssl_sha256() -> Option<f64> {
    let out = Command::new("taskset")
        .args([
            "-c", "0", "openssl", "speed", "-evp", "sha256", "-bytes", "16384", "-seconds", "2",
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.to_lowercase().starts_with("sha256"))?;
    let k: f64 = line
        .split_whitespace()
        .last()?
        .trim_end_matches('k')
        .parse()
        .ok()?;
    Some(k * 1000.0)
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let photo = root.join("core/data/photos/cam2_wood.jpg");
    let photo = photo.to_str().unwrap();
    let ours = env!("CARGO_BIN_EXE_perlinsos");
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap();
    let vips_out = format!("{}/vips.jpg[Q=80,strip]", out_dir);
    let have_vips = Command::new("vipsthumbnail")
        .arg("--version")
        .output()
        .is_ok();
    let (mut our_ms, mut our_rss, mut vips_ms, mut vips_rss) = (vec![], vec![], vec![], vec![]);
    // Warm the page cache, then alternate the two so drift hits both alike.
    run(
        ours,
        &["evidence", "ingest", photo, "--out", out_dir],
        false,
    );
    for _ in 0..RUNS {
        let (ms, rss) = run(
            ours,
            &["evidence", "ingest", photo, "--out", out_dir],
            false,
        );
        our_ms.push(ms);
        our_rss.push(rss);
        if have_vips {
            let (ms, rss) = run(
                "vipsthumbnail",
                &[photo, "-s", "1600", "-o", &vips_out],
                true,
            );
            vips_ms.push(ms);
            vips_rss.push(rss);
        }
    }

    let bytes = std::fs::read(photo).unwrap();
    let normalized = evidence::ingest(&bytes, &Default::default()).unwrap();
    let pixels = evidence::decode_jpeg(&normalized.jpeg).unwrap();
    let hash_ms = median(
        (0..50)
            .map(|_| {
                let start = Instant::now();
                black_box(phash::hash(black_box(&pixels)));
                start.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    );
    let block = vec![0x5au8; 16 * 1024];
    let start = Instant::now();
    let mut hashed = 0usize;
    while start.elapsed().as_secs_f64() < 2.0 {
        black_box(evidence::sha256(black_box(&block)));
        hashed += block.len();
    }
    let ring_rate = hashed as f64 / start.elapsed().as_secs_f64();
    let openssl_rate = openssl_sha256();

    let mut report = String::new();
    let m = |v: &Vec<f64>| median(v.clone());
    let max = |v: &Vec<u64>| v.iter().max().copied().unwrap_or(0) as f64 / 1024.0;
    writeln!(report, "# Evidence photo benchmark\n").unwrap();
    writeln!(
        report,
        "Written by `./build.sh bench` (cli/benches/evidence.rs): {} ({} bytes, 4000x3000) to \
         long side 1600, JPEG q80, no metadata. Whole processes on one core (`taskset -c 0`), \
         the two tools alternated, median of {RUNS} runs each; peak RSS is the largest of the \
         runs (GNU time).\n",
        Path::new(photo).file_name().unwrap().to_string_lossy(),
        bytes.len()
    )
    .unwrap();
    writeln!(report, "| tool | median ms | peak RSS MiB |").unwrap();
    writeln!(report, "|---|---:|---:|").unwrap();
    writeln!(
        report,
        "| perlinsos evidence ingest | {:.1} | {:.1} |",
        m(&our_ms),
        max(&our_rss)
    )
    .unwrap();
    if have_vips {
        writeln!(
            report,
            "| vipsthumbnail (VIPS_CONCURRENCY=1) | {:.1} | {:.1} |",
            m(&vips_ms),
            max(&vips_rss)
        )
        .unwrap();
        writeln!(
            report,
            "\n**Time ratio perlinsos / vipsthumbnail: {:.2}x** (floor 0.5x, goal 0.35x; lower is faster).",
            m(&our_ms) / m(&vips_ms)
        )
        .unwrap();
    } else {
        writeln!(
            report,
            "\nvipsthumbnail is not installed (Debian `libvips-tools`): no ratio."
        )
        .unwrap();
    }
    writeln!(
        report,
        "\n- Perceptual hash of the normalized {}x{} picture: {:.2} ms (median of 50; limit 5 ms).",
        pixels.width, pixels.height, hash_ms
    )
    .unwrap();
    match openssl_rate {
        Some(rate) => writeln!(
            report,
            "- SHA-256 (ring), 16 KiB blocks: {:.0} MB/s; openssl speed -evp sha256: {:.0} MB/s; \
             ratio {:.2}x (floor 0.9x).",
            ring_rate / 1e6,
            rate / 1e6,
            ring_rate / rate
        ),
        None => writeln!(
            report,
            "- SHA-256 (ring), 16 KiB blocks: {:.0} MB/s; openssl not found.",
            ring_rate / 1e6
        ),
    }
    .unwrap();
    print!("{report}");
    let path = std::env::var("PERLINSOS_EVIDENCE_BENCH_REPORT").unwrap_or_else(|_| {
        root.join("bench/EVIDENCE-REPORT.md")
            .to_string_lossy()
            .into_owned()
    });
    std::fs::write(&path, report).unwrap();
    eprintln!("report written to {path}");
}
