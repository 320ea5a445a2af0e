//! NIK and KK numbers: parsing and validation against the Kemendagri region codes.
//!
//! Both are `PP KK CC DD MM YY SSSS`: the kecamatan where the number was first issued, a date
//! (birth date for a NIK, +40 on the day for women; issue date for a KK) and a serial from 0001.
//! There is no check digit, so validation is about plausibility, and an unknown kecamatan is
//! only a warning: the official registry, not this phone, is the authority.
pub mod wilayah;

use serde::Serialize;

use crate::date::{parse_digits, Date};
use crate::error::ErrorCode;
pub use wilayah::KecamatanStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum Sex {
    /// Laki-laki
    L,
    /// Perempuan
    P,
}

impl Sex {
    pub const ALL: &'static [Sex] = &[Sex::L, Sex::P];

    /// As the KK writes it, and the wire: "L" or "P".
    pub fn code(self) -> &'static str {
        match self {
            Sex::L => "L",
            Sex::P => "P",
        }
    }

    pub fn parse(code: &str) -> Option<Sex> {
        Sex::ALL.iter().copied().find(|s| s.code() == code)
    }

    /// What the form shows.
    pub fn label(self) -> &'static str {
        match self {
            Sex::L => "Laki-laki",
            Sex::P => "Perempuan",
        }
    }
}

/// What a valid NIK says about its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NikInfo {
    pub sex: Sex,
    pub birth_date: Date,
    /// `PP.KK.CC`
    pub kecamatan: String,
    pub kecamatan_status: KecamatanStatus,
    pub warnings: Vec<ErrorCode>,
}

/// What a valid KK number says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KkInfo {
    pub issue_date: Date,
    pub kecamatan: String,
    pub kecamatan_status: KecamatanStatus,
    pub warnings: Vec<ErrorCode>,
}

/// Which of the two numbers is being read: they differ only in codes and the date rule.
struct Kind {
    length: ErrorCode,
    not_digits: ErrorCode,
    province: ErrorCode,
    date: ErrorCode,
    serial: ErrorCode,
    kecamatan: ErrorCode,
}

const NIK: Kind = Kind {
    length: ErrorCode::NikLength,
    not_digits: ErrorCode::NikNotDigits,
    province: ErrorCode::NikProvinceUnknown,
    date: ErrorCode::NikBirthDateInvalid,
    serial: ErrorCode::NikSerialZero,
    kecamatan: ErrorCode::NikKecamatanUnknown,
};

const KK: Kind = Kind {
    length: ErrorCode::KkLength,
    not_digits: ErrorCode::KkNotDigits,
    province: ErrorCode::KkProvinceUnknown,
    date: ErrorCode::KkIssueDateInvalid,
    serial: ErrorCode::KkSerialZero,
    kecamatan: ErrorCode::KkKecamatanUnknown,
};

/// The parts common to NIK and KK, after the shared checks.
struct Parsed {
    day: u8,
    month: u8,
    year2: u8,
    kecamatan: String,
    kecamatan_status: KecamatanStatus,
    warnings: Vec<ErrorCode>,
}

/// Leading and trailing whitespace is forgiven (copy-paste); anything inside is not.
fn parse_common(input: &str, kind: &Kind) -> Result<Parsed, ErrorCode> {
    let text = input.trim();
    // Full-width or Arabic-Indic digits look right on screen but are not a NIK.
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(kind.not_digits);
    }
    let bytes = text.as_bytes();
    if bytes.len() != 16 {
        return Err(kind.length);
    }
    let num = |range: std::ops::Range<usize>| parse_digits(&bytes[range]).unwrap_or(0);
    let province = num(0..2) as u8;
    if !wilayah::province_exists(province) {
        return Err(kind.province);
    }
    if num(12..16) == 0 {
        return Err(kind.serial);
    }
    let kecamatan_number = num(0..6);
    let kecamatan_status = wilayah::kecamatan_status(kecamatan_number);
    let mut warnings = Vec::new();
    if kecamatan_status == KecamatanStatus::Unknown {
        warnings.push(kind.kecamatan);
    }
    Ok(Parsed {
        day: num(6..8) as u8,
        month: num(8..10) as u8,
        year2: num(10..12) as u8,
        kecamatan: format!("{}.{}.{}", &text[0..2], &text[2..4], &text[4..6]),
        kecamatan_status,
        warnings,
    })
}

/// A two-digit year names the most recent such date that is not in the future.
fn resolve_two_digit_year(year2: u8, month: u8, day: u8, today: Date) -> Option<Date> {
    let century = today.year() - today.year().rem_euclid(100);
    for year in [century + i32::from(year2), century - 100 + i32::from(year2)] {
        if let Some(date) = Date::new(year, month, day) {
            if date <= today {
                return Some(date);
            }
        } else if year <= today.year() {
            // A day that does not exist in the candidate year (29 February) is not moved a
            // century back to a year where it happens to exist.
            return None;
        }
    }
    None
}

/// Validates a NIK. `today` decides which century a two-digit year means.
pub fn parse_nik(input: &str, today: Date) -> Result<NikInfo, ErrorCode> {
    let parsed = parse_common(input, &NIK)?;
    let (sex, day) = match parsed.day {
        1..=31 => (Sex::L, parsed.day),
        41..=71 => (Sex::P, parsed.day - 40),
        _ => return Err(NIK.date),
    };
    let birth_date =
        resolve_two_digit_year(parsed.year2, parsed.month, day, today).ok_or(NIK.date)?;
    Ok(NikInfo {
        sex,
        birth_date,
        kecamatan: parsed.kecamatan,
        kecamatan_status: parsed.kecamatan_status,
        warnings: parsed.warnings,
    })
}

/// Validates a KK number. `today` decides which century a two-digit year means.
pub fn parse_kk(input: &str, today: Date) -> Result<KkInfo, ErrorCode> {
    let parsed = parse_common(input, &KK)?;
    let issue_date =
        resolve_two_digit_year(parsed.year2, parsed.month, parsed.day, today).ok_or(KK.date)?;
    Ok(KkInfo {
        issue_date,
        kecamatan: parsed.kecamatan,
        kecamatan_status: parsed.kecamatan_status,
        warnings: parsed.warnings,
    })
}

/// The canonical form stored and indexed: surrounding whitespace removed.
pub fn canonical(number: &str) -> &str {
    number.trim()
}

#[cfg(test)]
mod tests;
