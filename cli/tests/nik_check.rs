//! `perlinsos nik check` and `perlinsos kk check` as an operator runs them.
use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn perlinsos(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_perlinsos"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn lines(output: &Output) -> Vec<Value> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn valid_niks_exit_zero_with_one_json_object_each() {
    let output = perlinsos(
        &["nik", "check", "5271011705850001", "5203055705900002"],
        None,
    );
    assert_eq!(output.status.code(), Some(0));
    let reports = lines(&output);
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0]["nik"], "5271011705850001");
    assert_eq!(reports[0]["valid"], true);
    assert_eq!(reports[0]["sex"], "L");
    assert_eq!(reports[0]["birth_date"], "1985-05-17");
    assert_eq!(reports[0]["kecamatan"], "52.71.01");
    assert_eq!(reports[0]["warnings"], Value::Array(vec![]));
    assert!(reports[0].get("error").is_none());
    assert_eq!(reports[1]["sex"], "P");
    assert_eq!(reports[1]["birth_date"], "1990-05-17");
    assert_eq!(reports[1]["kecamatan"], "52.03.05");
}

#[test]
fn one_invalid_nik_makes_the_exit_status_nonzero() {
    let output = perlinsos(
        &["nik", "check", "5271011705850001", "5271013202850001"],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    let reports = lines(&output);
    assert_eq!(reports[1]["valid"], false);
    assert_eq!(reports[1]["error"]["code"], "NIK_BIRTH_DATE_INVALID");
    assert!(reports[1]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Tanggal lahir"));
    assert_eq!(reports[1]["sex"], Value::Null);
}

#[test]
fn unknown_kecamatan_is_valid_with_a_warning() {
    let output = perlinsos(&["nik", "check", "5271991705850001"], None);
    assert_eq!(output.status.code(), Some(0));
    let report = &lines(&output)[0];
    assert_eq!(report["warnings"][0]["code"], "NIK_KECAMATAN_UNKNOWN");
}

#[test]
fn reads_a_list_from_stdin_and_from_a_file() {
    let list = "\u{feff}5271011705850001\r\n\n 5203055705900002 \n12345\n";
    let output = perlinsos(&["nik", "check", "--file", "-"], Some(list));
    assert_eq!(output.status.code(), Some(1));
    let reports = lines(&output);
    assert_eq!(reports.len(), 3);
    assert_eq!(reports[2]["error"]["code"], "NIK_LENGTH");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("daftar.txt");
    std::fs::write(&file, "5271011705850001\n5203055705900002\n").unwrap();
    let output = perlinsos(&["nik", "check", "--file", file.to_str().unwrap()], None);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(lines(&output).len(), 2);
}

#[test]
fn binary_garbage_in_a_file_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rusak.txt");
    std::fs::write(&file, [0xff, 0xfe, 0x00, b'1', b'\n', b'5']).unwrap();
    let output = perlinsos(&["nik", "check", "--file", file.to_str().unwrap()], None);
    assert_eq!(output.status.code(), Some(1));
    let reports = lines(&output);
    assert_eq!(reports[0]["error"]["code"], "NIK_NOT_DIGITS");
    assert_eq!(reports[1]["error"]["code"], "NIK_LENGTH");
}

#[test]
fn missing_file_and_empty_input_are_usage_errors() {
    let output = perlinsos(&["nik", "check", "--file", "/nonexistent/daftar.txt"], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("tidak dapat dibaca"));
    let output = perlinsos(&["nik", "check"], None);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn kk_check_reports_issue_date_and_region() {
    let output = perlinsos(
        &["kk", "check", "5271010203150004", "5271010203150000"],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    let reports = lines(&output);
    assert_eq!(reports[0]["kk"], "5271010203150004");
    assert_eq!(reports[0]["issue_date"], "2015-03-02");
    assert_eq!(reports[0]["kabupaten"], "Kota Mataram");
    assert_eq!(reports[1]["error"]["code"], "KK_SERIAL_ZERO");
}
