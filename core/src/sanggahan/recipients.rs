//! The recipient list of a kelurahan: who receives which programme, as far as a resident may
//! see it (name, masked NIK, RT/RW). It arrives by sync; until then it can be imported from the
//! district's JSON or CSV file. An import is checked whole and replaces the lists of the
//! kelurahan it covers in one transaction; a full NIK in the file is masked before it is stored.
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use crate::crypt::{Cell, Cipher};
use crate::error::{Error, ErrorCode, FieldError, Result};
use crate::registration::validate::{check_kelurahan, check_name, check_rt_rw};
use crate::registration::Millis;

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

#[derive(Serialize, Deserialize)]
struct Sealed {
    name: String,
    masked_nik: String,
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

fn cell(id: &str) -> Cell<'_> {
    Cell::new("recipients", "entry", id)
}

/// Replaces the lists of every kelurahan in `recipients` with these rows; returns how many
/// rows were stored.
pub fn replace(
    tx: &Transaction<'_>,
    cipher: &Cipher,
    recipients: &[Recipient],
    now: Millis,
) -> Result<usize> {
    let kelurahan: std::collections::BTreeSet<&str> = recipients
        .iter()
        .map(|r| r.kelurahan_code.as_str())
        .collect();
    for code in kelurahan {
        tx.prepare_cached("DELETE FROM recipients WHERE kelurahan_code = ?1")?
            .execute([code])?;
    }
    let mut insert = tx.prepare_cached(
        "INSERT OR REPLACE INTO recipients (id, kelurahan_code, programme, rt, rw, entry,
                                            imported_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for r in recipients {
        let sealed = cipher.seal_json(
            cell(&r.id),
            &Sealed {
                name: r.name.clone(),
                masked_nik: r.masked_nik.clone(),
            },
        )?;
        let programme = serde_json::to_value(r.programme)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .ok_or(Error::Corrupt("programme"))?;
        insert.execute(params![
            r.id,
            r.kelurahan_code,
            programme,
            r.rt,
            r.rw,
            sealed,
            now
        ])?;
    }
    Ok(recipients.len())
}

const SELECT: &str = "SELECT id, kelurahan_code, programme, rt, rw, entry FROM recipients";

fn read_row(cipher: &Cipher, row: &rusqlite::Row<'_>) -> Result<Recipient> {
    let id: String = row.get(0)?;
    let sealed: Sealed = cipher.open_json(cell(&id), &row.get::<_, Vec<u8>>(5)?)?;
    let programme: String = row.get(2)?;
    Ok(Recipient {
        kelurahan_code: row.get(1)?,
        programme: Programme::parse(&programme).ok_or(Error::Corrupt("programme"))?,
        rt: row.get(3)?,
        rw: row.get(4)?,
        name: sealed.name,
        masked_nik: sealed.masked_nik,
        id,
    })
}

/// A kelurahan's recipients, by RT/RW then name.
pub fn in_kelurahan(conn: &Connection, cipher: &Cipher, kelurahan: &str) -> Result<Vec<Recipient>> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE kelurahan_code = ?1"))?;
    let mut rows = stmt.query([kelurahan])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(read_row(cipher, row)?);
    }
    out.sort_by(|a, b| (a.rw, a.rt, &a.name).cmp(&(b.rw, b.rt, &b.name)));
    Ok(out)
}

pub fn get(conn: &Connection, cipher: &Cipher, id: &str) -> Result<Option<Recipient>> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE id = ?1"))?;
    let row = stmt
        .query_row([id], |row| Ok(read_row(cipher, row)))
        .optional()?;
    row.transpose()
}
