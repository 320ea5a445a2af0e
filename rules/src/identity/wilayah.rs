//! Kemendagri region codes, embedded by `build.rs` as a compact deflated blob and decoded once
//! at first use.
use std::collections::HashMap;
use std::sync::OnceLock;

static BLOB: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/wilayah.bin"));

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KecamatanStatus {
    /// In today's code list.
    Current,
    /// No longer current but seen in an earlier list: NIKs keep the code they were issued with.
    Retired,
    Unknown,
}

struct Wilayah {
    kecamatan: Vec<u64>,
    retired: Vec<u64>,
    desa: Vec<u64>,
    names: HashMap<&'static str, &'static str>,
}

fn wilayah() -> &'static Wilayah {
    static DATA: OnceLock<Wilayah> = OnceLock::new();
    DATA.get_or_init(|| {
        let inflated =
            miniz_oxide::inflate::decompress_to_vec(BLOB).expect("embedded wilayah blob inflates");
        // Read once for the life of the process: the names borrow from it.
        decode(inflated.leak()).expect("embedded wilayah blob is well-formed")
    })
}

fn decode(blob: &'static [u8]) -> Option<Wilayah> {
    let mut pos = 0;
    let mut lists = Vec::new();
    for _ in 0..3 {
        let count = read_varint(blob, &mut pos)? as usize;
        let mut list = Vec::with_capacity(count);
        let mut value = 0u64;
        for _ in 0..count {
            value += read_varint(blob, &mut pos)?;
            list.push(value);
        }
        lists.push(list);
    }
    let count = read_varint(blob, &mut pos)? as usize;
    let mut names = HashMap::with_capacity(count);
    for _ in 0..count {
        let len = read_varint(blob, &mut pos)? as usize;
        let entry = std::str::from_utf8(blob.get(pos..pos + len)?).ok()?;
        pos += len;
        let (code, name) = entry.split_once('\t')?;
        names.insert(code, name);
    }
    let desa = lists.pop()?;
    let retired = lists.pop()?;
    let kecamatan = lists.pop()?;
    Some(Wilayah {
        kecamatan,
        retired,
        desa,
        names,
    })
}

fn read_varint(blob: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *blob.get(*pos)?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Bytes the region codes add to the library.
pub fn embedded_size() -> usize {
    BLOB.len()
}

pub fn province_exists(province: u8) -> bool {
    region_name(&format!("{province:02}")).is_some()
}

/// `kecamatan` is PPKKCC as an integer.
pub fn kecamatan_status(kecamatan: u32) -> KecamatanStatus {
    let data = wilayah();
    let code = u64::from(kecamatan);
    if data.kecamatan.binary_search(&code).is_ok() {
        KecamatanStatus::Current
    } else if data.retired.binary_search(&code).is_ok() {
        KecamatanStatus::Retired
    } else {
        KecamatanStatus::Unknown
    }
}

/// Whether `code` (`PP.KK.CC.DDDD`) is a current desa/kelurahan.
pub fn kelurahan_exists(code: &str) -> bool {
    parse_dotted(code, &[2, 2, 2, 4])
        .is_some_and(|value| wilayah().desa.binary_search(&value).is_ok())
}

/// Name of a province or kabupaten/kota anywhere, or of any region inside the pilot areas.
pub fn region_name(code: &str) -> Option<&'static str> {
    wilayah().names.get(code).copied()
}

/// The current desa/kelurahan codes inside kecamatan `PP.KK.CC`.
pub fn desa_in_kecamatan(kecamatan: &str) -> Vec<String> {
    let Some(prefix) = parse_dotted(kecamatan, &[2, 2, 2]) else {
        return Vec::new();
    };
    let low = prefix * 10_000;
    let data = &wilayah().desa;
    let start = data.partition_point(|&v| v < low);
    data[start..]
        .iter()
        .take_while(|&&v| v < low + 10_000)
        .map(|&v| format_desa(v))
        .collect()
}

fn format_desa(value: u64) -> String {
    let s = format!("{value:010}");
    format!("{}.{}.{}.{}", &s[0..2], &s[2..4], &s[4..6], &s[6..10])
}

/// Parses a dotted code with the given group widths into one integer; ASCII digits only.
fn parse_dotted(code: &str, widths: &[usize]) -> Option<u64> {
    let groups: Vec<&str> = code.split('.').collect();
    if groups.len() != widths.len() {
        return None;
    }
    let mut value = 0u64;
    for (group, &width) in groups.iter().zip(widths) {
        if group.len() != width || !group.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        value = value * 10u64.pow(width as u32) + group.parse::<u64>().ok()?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_lists_have_the_documented_counts() {
        let data = wilayah();
        assert_eq!(data.kecamatan.len(), 7_285);
        // SOURCE.md counts 613 codes whose last list is older, but 19 of those are current again.
        assert_eq!(data.retired.len(), 594);
        assert_eq!(data.desa.len(), 83_762);
        assert_eq!(region_name("52"), Some("Nusa Tenggara Barat"));
        assert_eq!(region_name("52.71"), Some("Kota Mataram"));
    }

    #[test]
    fn pilot_regions_are_complete() {
        let mataram: usize = (1..=6)
            .map(|k| desa_in_kecamatan(&format!("52.71.{k:02}")).len())
            .sum();
        assert_eq!(mataram, 50);
        assert!(kelurahan_exists("52.71.01.1004"));
        assert!(!kelurahan_exists("52.71.01.9999"));
        assert!(!kelurahan_exists("52.71.01"));
        assert!(!kelurahan_exists("52.71.01.１001"));
    }

    #[test]
    fn kecamatan_status_distinguishes_current_retired_unknown() {
        assert_eq!(kecamatan_status(527101), KecamatanStatus::Current);
        assert_eq!(kecamatan_status(910101), KecamatanStatus::Retired);
        assert_eq!(kecamatan_status(529999), KecamatanStatus::Unknown);
    }
}
