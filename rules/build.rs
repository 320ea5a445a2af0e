//! Packs the Kemendagri region codes (rules/data/wilayah) into a compact binary blob that the
//! library embeds, so validation works offline without shipping 2.4 MB of CSV.
//!
//! Blob layout (see `src/identity/wilayah.rs` for the reader), deflated as a whole:
//!   varint count + delta-varint list of current kecamatan codes (PPKKCC as an integer)
//!   varint count + delta-varint list of retired kecamatan codes
//!   varint count + delta-varint list of desa/kelurahan codes (PPKKCCDDDD as an integer)
//!   varint count + (varint byte length + UTF-8) pairs: "code\tname" for provinces,
//!     kabupaten/kota, and every region inside the pilot areas (52.71, 52.03)
use std::collections::BTreeSet;
use std::env;
use std::fs;
use std::path::Path;

const PILOT_PREFIXES: [&str; 2] = ["52.71.", "52.03."];

fn main() {
    let dir = Path::new("data/wilayah");
    let current = dir.join("wilayah.csv");
    let history = dir.join("kecamatan_history.csv");
    println!("cargo:rerun-if-changed={}", current.display());
    println!("cargo:rerun-if-changed={}", history.display());

    let current_text = fs::read_to_string(&current).expect("read wilayah.csv");
    let history_text = fs::read_to_string(&history).expect("read kecamatan_history.csv");

    let mut kecamatan = BTreeSet::new();
    let mut desa = BTreeSet::new();
    let mut names = Vec::new();
    for line in current_text.lines().skip(1) {
        let (code, name) = line.split_once(',').expect("kode,nama");
        let name = name.trim_matches('"');
        let digits: String = code.chars().filter(char::is_ascii_digit).collect();
        match code.len() {
            2 | 5 => names.push(format!("{code}\t{name}")),
            8 => {
                kecamatan.insert(digits.parse::<u64>().unwrap());
                if PILOT_PREFIXES.iter().any(|p| code.starts_with(p)) {
                    names.push(format!("{code}\t{name}"));
                }
            }
            13 => {
                desa.insert(digits.parse::<u64>().unwrap());
                if PILOT_PREFIXES.iter().any(|p| code.starts_with(p)) {
                    names.push(format!("{code}\t{name}"));
                }
            }
            other => panic!("unexpected code length {other} in {line}"),
        }
    }
    let mut retired = BTreeSet::new();
    for line in history_text.lines().skip(1) {
        let code = line.split(',').next().unwrap();
        let value: u64 = code.replace('.', "").parse().unwrap();
        if !kecamatan.contains(&value) {
            retired.insert(value);
        }
    }

    let mut blob = Vec::new();
    for set in [&kecamatan, &retired, &desa] {
        put_varint(&mut blob, set.len() as u64);
        let mut previous = 0;
        for &value in set.iter() {
            put_varint(&mut blob, value - previous);
            previous = value;
        }
    }
    put_varint(&mut blob, names.len() as u64);
    for entry in &names {
        put_varint(&mut blob, entry.len() as u64);
        blob.extend_from_slice(entry.as_bytes());
    }
    let out = Path::new(&env::var("OUT_DIR").unwrap()).join("wilayah.bin");
    fs::write(out, miniz_oxide::deflate::compress_to_vec(&blob, 10)).expect("write wilayah.bin");
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}
