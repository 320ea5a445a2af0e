//! The typed rows the server keeps of each accepted record, next to the record as received
//! (`entries`): households with their members' blind NIK indexes, sanggahan with their status
//! and due date. What the console and the sweeper read comes from here, through indexes.
//! The same NIK or KK arriving in two households is recorded as a duplicate for officers to
//! resolve: both households are kept, nothing is merged or dropped.
use perlinsos_protocol::outbox_kind;
use perlinsos_rules::registration::model::RegisteredHousehold;
use perlinsos_rules::sanggahan::lifecycle::{Status, VERIFY_WITHIN_MS};
use serde::Deserialize;

use crate::db::{self, DbResult, Tx};
use crate::keys::{Blind, ServerKeys};

/// A household's status while another one holds the same NIK or KK.
pub const HOUSEHOLD_DUPLICATE: &str = "data_ganda";
pub const HOUSEHOLD_ACCEPTED: &str = "diterima";

/// The moment a sanggahan filed at `filed_at` lapses (saturating: rows stored before times
/// were checked may hold any number).
pub fn due_at(filed_at: i64) -> i64 {
    filed_at.saturating_add(VERIFY_WITHIN_MS)
}

/// Stores the typed rows of an accepted household; returns the other households that share
/// one of its NIKs or its KK (each pair recorded once). On PostgreSQL the caller holds the
/// advisory locks of the household's NIK and KK indexes (the outbox takes a batch's locks in
/// one sorted order), so two phones sending one family at once see each other.
pub fn insert_household(
    tx: &mut dyn Tx,
    keys: &ServerKeys,
    device_id: &str,
    entry_id: &str,
    household: &RegisteredHousehold,
    now: i64,
) -> DbResult<Vec<String>> {
    let kk_index = keys.blind(Blind::Kk, &household.kk);
    let inserted = tx.execute(
        "INSERT INTO households (id, entry_id, device_id, kelurahan_code, kk_index, member_count,
                                 registered_at, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
        &[
            db::text(household.id.as_str()),
            db::text(entry_id),
            db::text(device_id),
            db::text(household.address.kelurahan_code.as_str()),
            db::blob(kk_index.clone()),
            db::int(household.members.len() as i64),
            db::int(household.registered_at),
            db::text(HOUSEHOLD_ACCEPTED),
        ],
    )?;
    if inserted == 0 {
        return Ok(Vec::new());
    }
    // The members in one statement, then the other households holding its KK or any of its
    // NIKs in one read (the KK first: a pair is recorded once, on its strongest basis).
    let niks: Vec<Vec<u8>> = household
        .members
        .iter()
        .map(|m| keys.blind(Blind::Nik, &m.input.nik))
        .collect();
    let mut groups = Vec::new();
    let mut params = Vec::new();
    for (member, nik) in household.members.iter().zip(&niks) {
        let at = params.len();
        groups.push(format!("(?{}, ?{}, ?{})", at + 1, at + 2, at + 3));
        params.extend([
            db::text(household.id.as_str()),
            db::text(member.id.as_str()),
            db::blob(nik.clone()),
        ]);
    }
    if !groups.is_empty() {
        tx.execute(
            &format!(
                "INSERT INTO household_members (household_id, member_id, nik_index) VALUES {}
                 ON CONFLICT DO NOTHING",
                groups.join(", ")
            ),
            &params,
        )?;
    }
    let mut params = vec![db::text(household.id.as_str()), db::blob(kk_index)];
    let mut sql = String::from("SELECT id, 'kk' FROM households WHERE kk_index = ?2 AND id <> ?1");
    if !niks.is_empty() {
        let marks: Vec<String> = (3..niks.len() + 3).map(|i| format!("?{i}")).collect();
        params.extend(niks.iter().map(|n| db::blob(n.clone())));
        sql.push_str(&format!(
            " UNION SELECT household_id, 'nik' FROM household_members
              WHERE nik_index IN ({}) AND household_id <> ?1",
            marks.join(", ")
        ));
    }
    sql.push_str(" ORDER BY 2, 1");
    let mut others: Vec<(String, &'static str)> = Vec::new();
    for row in tx.query(&sql, &params)? {
        let (Some(id), Some(basis)) = (row[0].text(), row[1].text()) else {
            continue;
        };
        if !others.iter().any(|(o, _)| *o == id) {
            others.push((id, if basis == "kk" { "kk" } else { "nik" }));
        }
    }
    for (other, basis) in &others {
        tx.execute(
            "INSERT INTO duplicates (household_id, other_id, basis, found_at)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            &[
                db::text(household.id.as_str()),
                db::text(other.as_str()),
                db::text(*basis),
                db::int(now),
            ],
        )?;
        tx.execute(
            "UPDATE households SET status = ?2 WHERE id = ?1 OR id = ?3",
            &[
                db::text(household.id.as_str()),
                db::text(HOUSEHOLD_DUPLICATE),
                db::text(other.as_str()),
            ],
        )?;
    }
    Ok(others.into_iter().map(|(id, _)| id).collect())
}

/// Marks an accepted household with the DTSEN family holding its KK (else one of its NIKs);
/// left unmarked it is an usulan baru. In the record's transaction, after `insert_household`
/// (migration 0002's backfill runs before families exist; 0008 labels what it stored).
pub fn label_dtsen(
    tx: &mut dyn Tx,
    keys: &ServerKeys,
    household: &RegisteredHousehold,
) -> DbResult<Option<String>> {
    let niks: Vec<Vec<u8>> = household
        .members
        .iter()
        .map(|m| keys.blind(Blind::Nik, &m.input.nik))
        .collect();
    // The family holding the KK, else the first holding one of the NIKs: one read.
    let mut params = vec![db::blob(keys.blind(Blind::Kk, &household.kk))];
    let mut sql = String::from("SELECT family_id, 0 FROM families WHERE kk_blind = ?1");
    if !niks.is_empty() {
        let marks: Vec<String> = (2..niks.len() + 2).map(|i| format!("?{i}")).collect();
        params.extend(niks.iter().map(|n| db::blob(n.clone())));
        sql.push_str(&format!(
            " UNION ALL SELECT family_id, 1 FROM family_niks WHERE nik_blind IN ({})",
            marks.join(", ")
        ));
    }
    sql.push_str(" ORDER BY 2, 1 LIMIT 1");
    let listed = tx.query_one(&sql, &params)?.and_then(|row| row[0].text());
    if let Some(family_id) = &listed {
        tx.execute(
            "UPDATE households SET dtsen_family_id = ?2 WHERE id = ?1",
            &[
                db::text(household.id.as_str()),
                db::text(family_id.as_str()),
            ],
        )?;
    }
    Ok(listed)
}

/// What the typed sanggahan row needs of a filed record.
pub struct NewSanggahan<'a> {
    pub id: &'a str,
    pub kelurahan_code: &'a str,
    pub recipient_id: &'a str,
    pub reason: &'a str,
    pub reporter_nik: &'a str,
    pub filed_at: i64,
}

pub fn insert_sanggahan(
    tx: &mut dyn Tx,
    keys: &ServerKeys,
    device_id: &str,
    entry_id: &str,
    s: &NewSanggahan<'_>,
    status: Status,
    status_at: i64,
) -> DbResult<()> {
    tx.execute(
        "INSERT INTO sanggahan (id, entry_id, device_id, kelurahan_code, recipient_id, reason,
                                reporter_index, filed_at, due_at, status, status_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT DO NOTHING",
        &[
            db::text(s.id),
            db::text(entry_id),
            db::text(device_id),
            db::text(s.kelurahan_code),
            db::text(s.recipient_id),
            db::text(s.reason),
            db::blob(keys.blind(Blind::Nik, s.reporter_nik)),
            db::int(s.filed_at),
            db::int(due_at(s.filed_at)),
            db::text(status.as_str()),
            db::int(status_at),
        ],
    )?;
    Ok(())
}

#[derive(Deserialize)]
struct OldSanggahan {
    recipient_id: String,
    kelurahan_code: String,
    reporter: OldReporter,
    reason: String,
    filed_at: i64,
}

#[derive(Deserialize)]
struct OldReporter {
    nik: String,
}

/// Migration 0002: typed rows for the records already stored. A row that does not decode is
/// left out of the typed tables (it stays in `entries`), and stops nothing.
pub fn backfill(tx: &mut dyn Tx, keys: &ServerKeys) -> DbResult<()> {
    let rows = tx.query(
        "SELECT id, device_id, kind, entity_id, body, received_at FROM entries
         WHERE kind = ?1 OR kind = ?2 ORDER BY received_at, id",
        &[
            db::text(outbox_kind::HOUSEHOLD_REGISTERED),
            db::text(outbox_kind::SANGGAHAN_FILED),
        ],
    )?;
    for row in rows {
        let (entry_id, device_id) = (row[0].text().unwrap_or_default(), row[1].text());
        let (kind, entity_id) = (row[2].text().unwrap_or_default(), row[3].text());
        let (Some(device_id), Some(entity_id), Some(body)) = (device_id, entity_id, row[4].text())
        else {
            continue;
        };
        if kind == outbox_kind::HOUSEHOLD_REGISTERED {
            if let Ok(household) = serde_json::from_str::<RegisteredHousehold>(&body) {
                insert_household(tx, keys, &device_id, &entry_id, &household, row[5].int())?;
            }
            continue;
        }
        let Ok(old) = serde_json::from_str::<OldSanggahan>(&body) else {
            continue;
        };
        let (status, at) = old_status(tx, &entity_id, old.filed_at)?;
        let new = NewSanggahan {
            id: &entity_id,
            kelurahan_code: &old.kelurahan_code,
            recipient_id: &old.recipient_id,
            reason: &old.reason,
            reporter_nik: &old.reporter.nik,
            filed_at: old.filed_at,
        };
        insert_sanggahan(tx, keys, &device_id, &entry_id, &new, status, at)?;
    }
    Ok(())
}

/// A sanggahan's status as version 1 derived it: the district's decision, else a withdrawal,
/// else diterima.
fn old_status(tx: &mut dyn Tx, id: &str, filed_at: i64) -> DbResult<(Status, i64)> {
    if let Some(row) = tx.query_one(
        "SELECT status, decided_at FROM sanggahan_decisions WHERE sanggahan_id = ?1",
        &[db::text(id)],
    )? {
        let status = row[0]
            .text()
            .and_then(|s| Status::parse(&s))
            .unwrap_or(Status::Diterima);
        return Ok((status, row[1].int()));
    }
    let withdrawn = tx.query_one(
        "SELECT received_at FROM entries WHERE kind = ?1 AND entity_id = ?2",
        &[db::text(outbox_kind::SANGGAHAN_WITHDRAWN), db::text(id)],
    )?;
    Ok(match withdrawn {
        Some(row) => (Status::Ditarik, row[0].int()),
        None => (Status::Diterima, filed_at),
    })
}

/// What a sealed value is, bound as its associated data.
pub fn entry_context(entry_id: &str) -> String {
    format!("entry\n{entry_id}")
}

pub const CHANGE_CONTEXT: &str = "change";

pub fn recipient_context(id: &str) -> String {
    format!("recipient\n{id}")
}

pub fn seal_text(keys: &ServerKeys, context: &str, text: &str) -> DbResult<Vec<u8>> {
    keys.seal(context, text.as_bytes())
        .map_err(|e| crate::db::DbError(e.to_string()))
}

/// A stored text: its sealed column opened, or (a row from before sealing) its clear one.
pub fn open_text(
    keys: &ServerKeys,
    context: &str,
    clear: Option<String>,
    sealed: Option<Vec<u8>>,
) -> Option<String> {
    match sealed {
        Some(sealed) => String::from_utf8(keys.open(context, &sealed)?).ok(),
        None => clear.filter(|c| !c.is_empty()),
    }
}

/// Migration 0003: seals what earlier versions kept in clear and empties the clear columns.
pub fn seal_existing(tx: &mut dyn Tx, keys: &ServerKeys) -> DbResult<()> {
    for row in tx.query("SELECT id, body FROM entries WHERE sealed IS NULL", &[])? {
        let id = row[0].text().unwrap_or_default();
        let sealed = seal_text(
            keys,
            &entry_context(&id),
            &row[1].text().unwrap_or_default(),
        )?;
        tx.execute(
            "UPDATE entries SET sealed = ?2, body = '' WHERE id = ?1",
            &[db::text(id), db::blob(sealed)],
        )?;
    }
    for row in tx.query("SELECT cursor, body FROM changes WHERE sealed IS NULL", &[])? {
        let sealed = seal_text(keys, CHANGE_CONTEXT, &row[1].text().unwrap_or_default())?;
        tx.execute(
            "UPDATE changes SET sealed = ?2, body = '' WHERE cursor = ?1",
            &[row[0].clone(), db::blob(sealed)],
        )?;
    }
    for row in tx.query("SELECT id, body FROM recipients WHERE sealed IS NULL", &[])? {
        let id = row[0].text().unwrap_or_default();
        let sealed = seal_text(
            keys,
            &recipient_context(&id),
            &row[1].text().unwrap_or_default(),
        )?;
        tx.execute(
            "UPDATE recipients SET sealed = ?2, body = '' WHERE id = ?1",
            &[db::text(id), db::blob(sealed)],
        )?;
    }
    Ok(())
}

/// The body of a stored entry (the record as received), opened.
pub fn entry_body(tx: &mut dyn Tx, keys: &ServerKeys, entry_id: &str) -> DbResult<Option<String>> {
    let row = tx.query_one(
        "SELECT body, sealed FROM entries WHERE id = ?1",
        &[db::text(entry_id)],
    )?;
    Ok(row.and_then(|r| open_text(keys, &entry_context(entry_id), r[0].text(), r[1].blob())))
}
