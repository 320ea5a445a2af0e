//! `perlinsos evidence ingest|verify` on the sample photos and on hostile files.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use perlinsos_core::evidence::{self, attest};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::Value;

fn perlinsos(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_perlinsos"))
        .args(args)
        .output()
        .unwrap()
}

fn photo(name: &str) -> String {
    format!("{}/../core/data/photos/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn lines(output: &Output) -> Vec<Value> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn ingest_writes_normalized_photos_and_prints_their_identity() {
    let out = tempfile::tempdir().unwrap();
    let output = perlinsos(&[
        "evidence",
        "ingest",
        &photo("cam1_kleiber_o6.jpg"),
        &photo("cam2_wood.jpg"),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = lines(&output);
    assert_eq!(printed.len(), 2);
    assert_eq!(
        (printed[0]["width"].as_u64(), printed[0]["height"].as_u64()),
        (Some(1200), Some(1600))
    );
    assert_eq!(
        (printed[1]["width"].as_u64(), printed[1]["height"].as_u64()),
        (Some(1600), Some(1200))
    );
    for p in &printed {
        let file = PathBuf::from(p["file"].as_str().unwrap());
        let bytes = std::fs::read(&file).unwrap();
        assert_eq!(p["bytes"].as_u64(), Some(bytes.len() as u64));
        assert_eq!(
            p["sha256"].as_str().unwrap(),
            evidence::hex(&evidence::sha256(&bytes))
        );
        assert_eq!(p["phash"].as_str().unwrap().len(), 16);
        assert!(p["gps"].is_null(), "GPS only with --keep-gps");
        assert!(!bytes.windows(4).any(|w| w == b"Exif"));
    }
}

#[test]
fn bad_files_fail_with_their_code_and_the_good_ones_still_land() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let empty = write("kosong.jpg", b"");
    let html = write(
        "halaman.jpg",
        b"<!DOCTYPE html><html><body>bukan foto</body></html>",
    );
    let truncated = write(
        "terpotong.jpg",
        &std::fs::read(photo("cam3_ladybird.jpg")).unwrap()[..50_000],
    );
    let out = dir.path().join("out");
    let output = perlinsos(&[
        "evidence",
        "ingest",
        &empty,
        &photo("cam3_ladybird.jpg"),
        &html,
        &truncated,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let errors: Vec<&str> = stderr.lines().collect();
    assert_eq!(errors.len(), 3, "{stderr}");
    assert!(errors[0].contains("EVIDENCE_EMPTY") && errors[0].contains("kosong.jpg"));
    assert!(errors[1].contains("EVIDENCE_FORMAT_UNSUPPORTED"));
    assert!(errors[2].contains("EVIDENCE_CORRUPT"));
    assert!(!stderr.contains("panicked"));
    assert_eq!(
        lines(&Output {
            stderr: vec![],
            ..output
        })
        .len(),
        1
    );
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
}

fn attested(dir: &Path) -> (PathBuf, PathBuf, String) {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let normalized =
        evidence::ingest_path(Path::new(&photo("cam2_wood.jpg")), &Default::default()).unwrap();
    let att = attest::attest(&normalized, 1_795_000_000_000, None, "hp-01", "rec-1", &key).unwrap();
    let jpeg = dir.join("foto.jpg");
    std::fs::write(&jpeg, &normalized.jpeg).unwrap();
    let json = dir.join("pengesahan.json");
    std::fs::write(&json, serde_json::to_vec(&att).unwrap()).unwrap();
    (jpeg, json, evidence::hex(key.public_key().as_ref()))
}

#[test]
fn verify_accepts_the_attested_photo_and_refuses_a_changed_one() {
    let dir = tempfile::tempdir().unwrap();
    let (jpeg, json, key) = attested(dir.path());
    let run = || {
        perlinsos(&[
            "evidence",
            "verify",
            jpeg.to_str().unwrap(),
            "--attestation",
            json.to_str().unwrap(),
            "--public-key",
            &key,
        ])
    };
    let ok = run();
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(lines(&ok)[0]["valid"], true);
    let mut bytes = std::fs::read(&jpeg).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    std::fs::write(&jpeg, &bytes).unwrap();
    let changed = run();
    assert_eq!(changed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&changed.stderr).contains("EVIDENCE_ATTESTATION_INVALID"));
}

/// Peak RSS (KiB) of the largest child this test process has waited for.
fn children_peak_rss_kib() -> i64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr());
        usage.assume_init()
    };
    usage.ru_maxrss
}

#[test]
fn decompression_bombs_stay_within_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    // 7,000 x 7,000 black pixels (49 MP, just under the limit) in a PNG of about 50 KB.
    let (w, h) = (7_000u32, 7_000u32);
    let mut png_bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png_bytes, w, h);
        encoder.set_color(png::ColorType::Grayscale);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&vec![0; (w * h) as usize]).unwrap();
    }
    assert!(png_bytes.len() < 200_000, "{} bytes", png_bytes.len());
    let bomb = dir.path().join("bom.png");
    std::fs::write(&bomb, &png_bytes).unwrap();
    // 20,000 x 20,000 (400 MP) claimed by a PNG header: refused before decoding.
    let mut huge = png_bytes.clone();
    huge[16..24].copy_from_slice(&[0, 0, 0x4e, 0x20, 0, 0, 0x4e, 0x20]);
    let crc = crc32fast::hash(&huge[12..29]);
    huge[29..33].copy_from_slice(&crc.to_be_bytes());
    let huge_path = dir.path().join("raksasa.png");
    std::fs::write(&huge_path, &huge).unwrap();
    let out = dir.path().join("out");
    let ok = perlinsos(&[
        "evidence",
        "ingest",
        bomb.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(lines(&ok)[0]["width"].as_u64(), Some(1600));
    let refused = perlinsos(&[
        "evidence",
        "ingest",
        huge_path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("EVIDENCE_TOO_MANY_PIXELS"));
    // One grey byte per pixel plus the decoder's buffers (about 65 MiB measured): well under the 8-bit RGBA bound of
    // the pixel limit (200 MB), and nothing like the 400 MP the header claimed.
    let peak_mib = children_peak_rss_kib() / 1024;
    assert!(peak_mib < 128, "peak RSS {peak_mib} MiB");
}
