//! The recipient list of a kelurahan: who receives which programme, as far as a resident may
//! see it (name, masked NIK, RT/RW). It arrives by sync; until then it can be imported from the
//! district's JSON or CSV file. An import is checked whole and replaces the lists of the
//! kelurahan it covers in one transaction; a full NIK in the file is masked before it is stored.
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, FieldError, Result};
use crate::registration::validate::{check_kelurahan, check_name, check_rt_rw};

/// A file larger than this is not a kelurahan's list.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;
pub const MAX_RECIPIENTS: usize = 20_000;
const MAX_ID_CHARS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Programme {
    #[serde(rename = "PKH")]
    Pkh,
    /// BPNT, also called Program Sembako.
    #[serde(rename = "BPNT")]
    Bpnt,
    #[serde(rename = "PBI-JK")]
    PbiJk,
    #[serde(rename = "BLT-DD")]
    BltDd,
    #[serde(rename = "PIP")]
    Pip,
}

impl Programme {
    /// Accepts the names districts write, in any case.
    pub fn parse(text: &str) -> Option<Programme> {
        let text = text.trim().to_ascii_uppercase().replace(['_', ' '], "-");
        Some(match text.as_str() {
            "PKH" => Programme::Pkh,
            "BPNT" | "SEMBAKO" | "BPNT/SEMBAKO" | "PROGRAM-SEMBAKO" => Programme::Bpnt,
            "PBI-JK" | "PBI" | "PBI-JKN" => Programme::PbiJk,
            "BLT-DD" | "BLT-DESA" => Programme::BltDd,
            "PIP" => Programme::Pip,
            _ => return None,
        })
    }
}

/// One row of a district file, before it is checked.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RecipientRow {
    #[serde(alias = "recipient_id")]
    pub id: String,
    pub kelurahan_code: String,
    pub programme: String,
    pub name: String,
    /// A full NIK (masked on import) or an already masked one (`520101******0001`).
    pub nik: String,
    pub rt: u16,
    pub rw: u16,
}

/// What a resident sees of a recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recipient {
    pub id: String,
    pub kelurahan_code: String,
    pub programme: Programme,
    pub name: String,
    pub masked_nik: String,
    pub rt: u16,
    pub rw: u16,
}

/// First 6 and last 4 digits of a NIK, the rest starred; None if `nik` is neither a full
/// 16-digit NIK nor masked that way.
pub fn mask_nik(nik: &str) -> Option<String> {
    let nik = nik.trim();
    let bytes = nik.as_bytes();
    if bytes.len() != 16 {
        return None;
    }
    let ends_are_digits = bytes[..6]
        .iter()
        .chain(&bytes[12..])
        .all(u8::is_ascii_digit);
    let middle = &bytes[6..12];
    let middle_ok = middle.iter().all(u8::is_ascii_digit) || middle.iter().all(|&b| b == b'*');
    (ends_are_digits && middle_ok).then(|| format!("{}******{}", &nik[..6], &nik[12..]))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum JsonFile {
    Wrapped { recipients: Vec<RecipientRow> },
    Bare(Vec<RecipientRow>),
}

fn file_error() -> Error {
    Error::invalid("recipients", ErrorCode::RecipientFileInvalid)
}

/// Rows of a JSON file: an array of rows, or `{"recipients": [...]}`.
pub fn parse_json(bytes: &[u8]) -> Result<Vec<RecipientRow>> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(file_error());
    }
    match serde_json::from_slice(bytes).map_err(|_| file_error())? {
        JsonFile::Wrapped { recipients } | JsonFile::Bare(recipients) => Ok(recipients),
    }
}

/// Rows of a CSV file with a header row naming the columns (any order; `;` or `,`).
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<RecipientRow>> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(file_error());
    }
    let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let delimiter = if first_line.contains(&b';') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut rows = Vec::new();
    for (line, row) in reader.deserialize::<RecipientRow>().enumerate() {
        match row {
            Ok(row) => rows.push(row),
            Err(_) => {
                return Err(Error::Invalid(vec![FieldError::new(
                    format!("recipients[{line}]"),
                    ErrorCode::RecipientFileInvalid,
                )]))
            }
        }
        if rows.len() > MAX_RECIPIENTS {
            return Err(file_error());
        }
    }
    Ok(rows)
}

/// Checks every row; returns the recipients or every problem found (field `recipients[i].x`).
pub fn check(rows: &[RecipientRow]) -> Result<Vec<Recipient>> {
    let mut errors = Vec::new();
    if rows.is_empty() || rows.len() > MAX_RECIPIENTS {
        errors.push(FieldError::new(
            "recipients",
            ErrorCode::RecipientFileInvalid,
        ));
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let field = |name: &str| format!("recipients[{i}].{name}");
        let before = errors.len();
        let id = row.id.trim();
        let id_ok = !id.is_empty()
            && id.chars().count() <= MAX_ID_CHARS
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !id_ok {
            errors.push(FieldError::new(field("id"), ErrorCode::RecipientIdInvalid));
        } else if !seen.insert(id.to_owned()) {
            errors.push(FieldError::new(field("id"), ErrorCode::RecipientDuplicate));
        }
        check_kelurahan(&mut errors, &field("kelurahan_code"), &row.kelurahan_code);
        let programme = Programme::parse(&row.programme);
        if programme.is_none() {
            errors.push(FieldError::new(
                field("programme"),
                ErrorCode::RecipientProgrammeUnknown,
            ));
        }
        check_name(&mut errors, &field("name"), &row.name);
        let masked = mask_nik(&row.nik);
        if masked.is_none() {
            errors.push(FieldError::new(
                field("nik"),
                ErrorCode::RecipientNikInvalid,
            ));
        }
        check_rt_rw(&mut errors, &format!("recipients[{i}]"), row.rt, row.rw);
        if errors.len() == before {
            if let (Some(programme), Some(masked_nik)) = (programme, masked) {
                out.push(Recipient {
                    id: id.to_owned(),
                    kelurahan_code: row.kelurahan_code.trim().to_owned(),
                    programme,
                    name: row.name.trim().to_owned(),
                    masked_nik,
                    rt: row.rt,
                    rw: row.rw,
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Error::Invalid(errors))
    }
}
