//! `perlinsos pmt questions|preview` on the shipped model and on signed files.
use std::process::{Command, Output};

use serde_json::Value;

fn perlinsos(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_perlinsos"))
        .args(args)
        .output()
        .unwrap()
}

const MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../core/models/ppi-indonesia-2022.json"
);

#[test]
fn questions_lists_the_questionnaire() {
    let output = perlinsos(&["pmt", "questions", "--model", MODEL]);
    assert_eq!(output.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["model"], "ppi-indonesia-2022");
    assert_eq!(json["questions"].as_array().unwrap().len(), 10);
    assert_eq!(json["questions"][0]["derived"], "province");
}

#[test]
fn preview_derives_province_and_size_and_scores() {
    let dir = tempfile::tempdir().unwrap();
    let answers = dir.path().join("jawaban.json");
    std::fs::write(
        &answers,
        r#"{"tabungan":"B","lantai":"C","daging":"B","nasi_jadi":"B",
            "perawatan_pakaian":"A","bensin":"A","kulkas":"B","mobil":"B"}"#,
    )
    .unwrap();
    let a = answers.to_str().unwrap();
    let base = ["pmt", "preview", "--model", MODEL, "--answers", a];
    let mut args = base.to_vec();
    args.extend(["--region", "52.71.01.1004", "--household-size", "5"]);
    let output = perlinsos(&args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    // NTB 1 + five or more 0 + clothing care 7 + gasoline 9, National Poverty Line column.
    assert_eq!(json["score"], 17);
    assert_eq!(json["likelihood"], 0.454173);
    assert!(json["explanation"].as_str().unwrap().contains("BPS"));

    // Without the region, the province is a required answer that is missing.
    let output = perlinsos(&base);
    assert_eq!(output.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["errors"][0]["code"], "PMT_ANSWER_MISSING");
}

#[test]
fn a_signed_file_needs_its_key_and_a_broken_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let signed = dir.path().join("model.signed.json");
    std::fs::write(&signed, r#"{"key_id":"k","payload":"{}","signature":"00"}"#).unwrap();
    let s = signed.to_str().unwrap();
    let output = perlinsos(&["pmt", "questions", "--model", s]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--public-key"));
    let output = perlinsos(&[
        "pmt",
        "questions",
        "--model",
        s,
        "--public-key",
        &"11".repeat(32),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("PMT_SIGNATURE_INVALID"));
    let broken = dir.path().join("rusak.json");
    std::fs::write(&broken, "{\"id\": 5").unwrap();
    let output = perlinsos(&["pmt", "questions", "--model", broken.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
}
