//! The phone's copy of the recipient lists, sealed: replaced whole per kelurahan, read by
//! kelurahan or by id. The list's shape and checks are shared with the server.
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use crate::crypt::{Cell, Cipher};
use crate::error::{Error, Result};
use crate::registration::Millis;
pub use perlinsos_rules::sanggahan::recipients::*;

#[derive(Serialize, Deserialize)]
struct Sealed {
    name: String,
    masked_nik: String,
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
