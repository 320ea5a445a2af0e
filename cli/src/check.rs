//! `perlinsos nik check` / `perlinsos kk check`: validate whole lists, one JSON line each.
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use perlinsos_core::identity::{self, wilayah, Sex};
use perlinsos_core::{Date, ErrorCode};
use serde::Serialize;
use serde_json::{json, Value};

#[derive(Clone, Copy)]
pub enum Kind {
    Nik,
    Kk,
}

#[derive(Serialize)]
struct Problem {
    code: &'static str,
    message: &'static str,
}

impl From<ErrorCode> for Problem {
    fn from(code: ErrorCode) -> Problem {
        Problem {
            code: code.as_str(),
            message: code.message(),
        }
    }
}

/// One line of output. NIK lines always carry `sex`, `birth_date` and `kecamatan` (null when
/// invalid) so that a spreadsheet import sees the same columns on every line.
pub fn check(kind: Kind, input: &str, today: Date) -> (bool, Value) {
    let number = identity::canonical(input);
    let kabupaten = |kecamatan: &str| wilayah::region_name(&kecamatan[..5]);
    let warnings = |codes: Vec<ErrorCode>| codes.into_iter().map(Problem::from).collect::<Vec<_>>();
    match kind {
        Kind::Nik => match identity::parse_nik(number, today) {
            Ok(info) => (
                true,
                json!({
                    "nik": number,
                    "valid": true,
                    "sex": match info.sex { Sex::L => "L", Sex::P => "P" },
                    "birth_date": info.birth_date.to_string(),
                    "kecamatan": info.kecamatan,
                    "kecamatan_status": info.kecamatan_status,
                    "kabupaten": kabupaten(&info.kecamatan),
                    "warnings": warnings(info.warnings),
                }),
            ),
            Err(code) => (
                false,
                json!({
                    "nik": number,
                    "valid": false,
                    "sex": null,
                    "birth_date": null,
                    "kecamatan": null,
                    "warnings": [],
                    "error": Problem::from(code),
                }),
            ),
        },
        Kind::Kk => match identity::parse_kk(number, today) {
            Ok(info) => (
                true,
                json!({
                    "kk": number,
                    "valid": true,
                    "issue_date": info.issue_date.to_string(),
                    "kecamatan": info.kecamatan,
                    "kecamatan_status": info.kecamatan_status,
                    "kabupaten": kabupaten(&info.kecamatan),
                    "warnings": warnings(info.warnings),
                }),
            ),
            Err(code) => (
                false,
                json!({
                    "kk": number,
                    "valid": false,
                    "issue_date": null,
                    "kecamatan": null,
                    "warnings": [],
                    "error": Problem::from(code),
                }),
            ),
        },
    }
}

fn lines_of(file: &PathBuf) -> io::Result<Vec<String>> {
    let reader: Box<dyn BufRead> = if file.as_os_str() == "-" {
        Box::new(BufReader::new(io::stdin()))
    } else {
        Box::new(BufReader::new(File::open(file)?))
    };
    let mut lines = Vec::new();
    for line in reader.split(b'\n') {
        let bytes = line?;
        let text = String::from_utf8_lossy(&bytes);
        let text = text.trim_start_matches('\u{feff}').trim();
        if !text.is_empty() {
            lines.push(text.to_owned());
        }
    }
    Ok(lines)
}

pub fn run(kind: Kind, mut numbers: Vec<String>, file: Option<PathBuf>) -> ExitCode {
    if let Some(file) = &file {
        match lines_of(file) {
            Ok(lines) => numbers.extend(lines),
            Err(error) => {
                eprintln!(
                    "perlinsos: berkas tidak dapat dibaca ({}): {error}",
                    file.display()
                );
                return ExitCode::from(2);
            }
        }
    }
    if numbers.is_empty() {
        eprintln!("perlinsos: tidak ada nomor untuk diperiksa (berikan nomor atau --file)");
        return ExitCode::from(2);
    }
    let today = Date::today();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut all_valid = true;
    for number in &numbers {
        let (valid, report) = check(kind, number, today);
        all_valid &= valid;
        let line = report.to_string();
        if writeln!(out, "{line}").is_err() {
            return ExitCode::from(2);
        }
    }
    if out.flush().is_err() {
        return ExitCode::from(2);
    }
    if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
