//! `perlinsos demo` end to end with a small field day (5 households per agent): the embedded
//! server, the offline day, sync through the faulty 3G link, the district's decisions by the
//! `perlinsos-server` binary when it was built beside `perlinsos`, and the final check.
use std::path::Path;
use std::process::{Command, Output};

fn demo(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_perlinsos"))
        .arg("demo")
        .args(args)
        .arg("--dir")
        .arg(dir)
        .env_remove("PERLINSOS_SERVER_BIN")
        .output()
        .unwrap()
}

/// A run of `n` digits: a NIK or KK shown unmasked.
fn has_digit_run(text: &str, n: usize) -> bool {
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        if run >= n {
            return true;
        }
    }
    false
}

#[test]
fn a_small_field_day_ends_with_the_server_holding_exactly_what_the_phones_sent() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("demo");
    let output = demo(&["--households", "5", "--seed", "7"], &dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("VERIFIKASI: OK — server memegang tepat apa yang dikirim ponsel ("),
        "{stdout}"
    );
    assert!(last.ends_with("rantai audit utuh"), "{last}");

    // The mistakes were refused with their codes and Indonesian messages.
    for code in [
        "BIRTH_DATE_MISMATCH_NIK",
        "SEX_MISMATCH_NIK",
        "SANGGAHAN_OTHER_KELURAHAN",
        "SANGGAHAN_PHOTO_TOO_OLD",
    ] {
        assert!(stdout.contains(&format!("→ [{code}] ")), "{code}\n{stdout}");
    }
    // The reused photo is flagged on the phone and across phones on the server.
    assert!(stdout.contains("di ponsel ini (beda 0 bit dari 64): ditandai"));
    assert!(stdout.contains("⚑ Server: foto sanggahan"));
    // The decisions reached the phones.
    assert!(stdout.contains("→ Terverifikasi oleh dinas"));
    assert!(stdout.contains("→ Ditolak oleh dinas — alasan: "));
    // Decided by the real binary when cargo built it beside perlinsos, else in process (said).
    let server = Path::new(env!("CARGO_BIN_EXE_perlinsos"))
        .with_file_name(format!("perlinsos-server{}", std::env::consts::EXE_SUFFIX));
    if server.is_file() {
        assert!(
            stdout.contains("$ perlinsos-server review --data "),
            "{stdout}"
        );
    } else {
        assert!(
            stdout.contains("perlinsos-server tidak ditemukan"),
            "{stdout}"
        );
    }
    // NIK and KK only masked.
    assert!(!has_digit_run(&stdout, 16), "{stdout}");
    // The data stays in the folder asked for.
    assert!(dir.join("server").join("server.db").is_file());
}

#[test]
fn a_folder_already_in_use_is_refused_before_anything_starts() {
    let temp = tempfile::tempdir().unwrap();
    std::fs::write(temp.path().join("lain.txt"), "isi").unwrap();
    let output = demo(&["--households", "1"], temp.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout
            .lines()
            .last()
            .unwrap_or_default()
            .starts_with("VERIFIKASI: GAGAL — demo berhenti sebelum selesai: folder "),
        "{stdout}"
    );
}
