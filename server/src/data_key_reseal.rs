//! The steps of a data key rotation, each run one bounded batch at a time: every sealed column
//! of every table resealed under the new key, every blind index computed again from the value
//! it indexes (opened from its sealed source), the district key file and every blob file
//! resealed. A batch and the move of the rotation's marker past it are one transaction, so a
//! crash leaves each row either done or not, and the marker says which.
use std::path::Path;

use perlinsos_rules::identity;
use serde::Deserialize;

use crate::db::{self, DbError, DbResult, Row, Tx, Value};
use crate::keys::{sealed_version, Blind, ServerKeys};

/// The steps in order. A table step walks its table by primary key; the others are files.
pub const STEPS: &[&str] = &[
    "entries",
    "changes",
    "recipients",
    "record_keys",
    "families",
    "family_results",
    "operators",
    "households",
    "sanggahan",
    "login_throttle",
    "district_key",
    "blobs",
    "blob_folder",
    DONE,
];

pub const DONE: &str = "done";

/// The keys of a rotation: `keys` seals with the new one and opens both; `old` is the old one
/// alone (the family NIK index is found by its old value).
pub struct Keys<'a> {
    pub keys: &'a ServerKeys,
    pub old: &'a ServerKeys,
    pub data_dir: &'a Path,
}

/// What one batch did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Rows (or files) it read.
    pub read: usize,
    /// Values sealed again or indexes written under the new key.
    pub resealed: usize,
    /// Values that open with neither key, or indexes whose source does not: left as they are.
    pub unreadable: usize,
    /// The key of the last row read (where the next batch starts).
    pub last: Option<String>,
}

impl Batch {
    /// A batch that has read `rows` (keyed by their first column), nothing resealed yet.
    fn of(rows: &[Row]) -> Batch {
        Batch {
            read: rows.len(),
            last: rows.last().map(|r| key_text(&r[0])),
            ..Batch::default()
        }
    }
}

/// A table step's table and the primary key it walks (an integer for the change feed).
pub fn table_of(step: &str) -> Option<(&'static str, &'static str, bool)> {
    Some(match step {
        "entries" => ("entries", "id", false),
        "changes" => ("changes", "cursor", true),
        "recipients" => ("recipients", "id", false),
        "record_keys" => ("record_keys", "key_id", false),
        "families" => ("families", "family_id", false),
        "family_results" => ("family_results", "family_id", false),
        "operators" => ("operators", "username", false),
        "households" => ("households", "id", false),
        "sanggahan" => ("sanggahan", "id", false),
        "blobs" => ("blobs", "sha256", false),
        _ => return None,
    })
}

/// One batch of `step` after `after` (None: from its start), at most `limit` rows.
pub fn run(
    tx: &mut dyn Tx,
    k: &Keys<'_>,
    step: &str,
    after: Option<&str>,
    limit: usize,
) -> DbResult<Batch> {
    match step {
        "entries" => sealed_column(tx, k, step, "sealed", after, limit, |id| {
            crate::stored::entry_context(id)
        }),
        "changes" => sealed_column(tx, k, step, "sealed", after, limit, |_| {
            crate::stored::CHANGE_CONTEXT.to_owned()
        }),
        "recipients" => sealed_column(
            tx,
            k,
            step,
            "sealed",
            after,
            limit,
            crate::stored::recipient_context,
        ),
        "record_keys" => sealed_column(
            tx,
            k,
            step,
            "private_sealed",
            after,
            limit,
            crate::record_keys::context,
        ),
        "family_results" => {
            sealed_column(tx, k, step, "sealed", after, limit, crate::results::context)
        }
        "operators" => sealed_column(
            tx,
            k,
            step,
            "totp_sealed",
            after,
            limit,
            crate::console::second_factor::context,
        ),
        "families" => families(tx, k, after, limit),
        "households" => households(tx, k, after, limit),
        "sanggahan" => sanggahan(tx, k, after, limit),
        "login_throttle" => {
            // Short-lived keyed hashes of names and addresses: forgotten, not rebuilt (each
            // waiting name or address may try once more).
            let read = tx.execute("DELETE FROM login_throttle", &[])? as usize;
            Ok(Batch {
                read,
                ..Batch::default()
            })
        }
        "district_key" => {
            let resealed = crate::operator::reseal_district_key(k.data_dir, k.keys)
                .map_err(|e| DbError(e.to_string()))?;
            Ok(Batch {
                read: 1,
                resealed: usize::from(resealed),
                ..Batch::default()
            })
        }
        "blobs" => blobs(tx, k, after, limit),
        "blob_folder" => blob_folder(k),
        _ => Err(DbError(format!("unknown rotation step {step}"))),
    }
}

/// Rows of a table step's table after `after`, ordered by its key, with `columns` after the
/// key; `from` may join other tables (its own table aliased `t`).
fn page(
    tx: &mut dyn Tx,
    step: &str,
    columns: &str,
    from: &str,
    after: Option<&str>,
    limit: usize,
) -> DbResult<Vec<Row>> {
    let (_, key, int_key) =
        table_of(step).ok_or_else(|| DbError(format!("{step} is not a table step")))?;
    let limit = db::int(i64::try_from(limit).unwrap_or(i64::MAX));
    let columns = if columns.is_empty() {
        String::new()
    } else {
        format!(", {columns}")
    };
    match after {
        None => tx.query(
            &format!("SELECT t.{key}{columns} FROM {from} ORDER BY t.{key} LIMIT ?1"),
            &[limit],
        ),
        Some(after) => {
            let after = if int_key {
                db::int(
                    after
                        .parse::<i64>()
                        .map_err(|_| DbError(format!("rotation marker of {step} unreadable")))?,
                )
            } else {
                db::text(after)
            };
            tx.query(
                &format!(
                    "SELECT t.{key}{columns} FROM {from} WHERE t.{key} > ?1
                     ORDER BY t.{key} LIMIT ?2"
                ),
                &[after, limit],
            )
        }
    }
}

fn key_text(value: &Value) -> String {
    match value {
        Value::Int(Some(v)) => v.to_string(),
        Value::Text(Some(t)) => t.clone(),
        _ => String::new(),
    }
}

/// A sealed value under the new key: Ok(None) if it already is (or is NULL), Err(()) if it
/// opens with neither key.
fn resealed(k: &Keys<'_>, context: &str, sealed: &[u8]) -> DbResult<Result<Option<Vec<u8>>, ()>> {
    if sealed_version(sealed) == Some(k.keys.version()) {
        return Ok(Ok(None));
    }
    let Some(plain) = zeroized(k.keys.open(context, sealed)) else {
        return Ok(Err(()));
    };
    k.keys
        .seal(context, &plain)
        .map(|s| Ok(Some(s)))
        .map_err(|e| DbError(e.to_string()))
}

fn zeroized(plain: Option<Vec<u8>>) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    plain.map(zeroize::Zeroizing::new)
}

fn sealed_column(
    tx: &mut dyn Tx,
    k: &Keys<'_>,
    step: &str,
    column: &str,
    after: Option<&str>,
    limit: usize,
    context: impl Fn(&str) -> String,
) -> DbResult<Batch> {
    let (table, key, _) = table_of(step).ok_or_else(|| DbError(step.to_owned()))?;
    let rows = page(
        tx,
        step,
        &format!("t.{column}"),
        &format!("{table} t"),
        after,
        limit,
    )?;
    let mut batch = Batch::of(&rows);
    for row in rows {
        let Some(sealed) = row[1].blob() else {
            continue;
        };
        match resealed(k, &context(&key_text(&row[0])), &sealed)? {
            Ok(None) => {}
            Ok(Some(new)) => {
                tx.execute(
                    &format!("UPDATE {table} SET {column} = ?2 WHERE {key} = ?1"),
                    &[row[0].clone(), db::blob(new)],
                )?;
                batch.resealed += 1;
            }
            Err(()) => batch.unreadable += 1,
        }
    }
    Ok(batch)
}

/// A DTSEN family: resealed, its KK index computed again, and each of its NIK index rows moved
/// from the old key's value to the new key's (found by the old value, so exactly the rows the
/// import wrote move, whichever family a shared NIK went to).
fn families(tx: &mut dyn Tx, k: &Keys<'_>, after: Option<&str>, limit: usize) -> DbResult<Batch> {
    let rows = page(tx, "families", "t.sealed", "families t", after, limit)?;
    let mut batch = Batch::of(&rows);
    for row in rows {
        let id = key_text(&row[0]);
        let sealed = row[1].blob().unwrap_or_default();
        let context = crate::families::context(&id);
        let family = zeroized(k.keys.open(&context, &sealed)).and_then(|plain| {
            serde_json::from_slice::<perlinsos_rules::dtsen::Family>(&plain).ok()
        });
        let Some(family) = family else {
            batch.unreadable += 1;
            continue;
        };
        let sealed = match resealed(k, &context, &sealed)? {
            Ok(Some(new)) => new,
            _ => sealed,
        };
        tx.execute(
            "UPDATE families SET sealed = ?2, kk_blind = ?3 WHERE family_id = ?1",
            &[
                db::text(id.as_str()),
                db::blob(sealed),
                db::blob(k.keys.blind(Blind::Kk, identity::canonical(&family.kk))),
            ],
        )?;
        let mut news = Vec::with_capacity(family.members.len());
        for member in &family.members {
            let nik = identity::canonical(&member.nik);
            let new = k.keys.blind(Blind::Nik, nik);
            tx.execute(
                "UPDATE family_niks SET nik_blind = ?3 WHERE nik_blind = ?2 AND family_id = ?1",
                &[
                    db::text(id.as_str()),
                    db::blob(k.old.blind(Blind::Nik, nik)),
                    db::blob(new.clone()),
                ],
            )?;
            news.push(db::blob(new));
        }
        // Every index row of the family must now hold a new value; one that does not was
        // written for a NIK the family no longer names, and cannot be rebuilt.
        let held = count(
            tx,
            "SELECT count(*) FROM family_niks WHERE family_id = ?1",
            &[db::text(id.as_str())],
        )?;
        let rebuilt = if news.is_empty() {
            0
        } else {
            let marks: Vec<String> = (2..news.len() + 2).map(|i| format!("?{i}")).collect();
            let mut params = vec![db::text(id.as_str())];
            params.extend(news);
            count(
                tx,
                &format!(
                    "SELECT count(*) FROM family_niks WHERE family_id = ?1
                     AND nik_blind IN ({})",
                    marks.join(", ")
                ),
                &params,
            )?
        };
        batch.resealed += 1;
        batch.unreadable += usize::try_from(held.saturating_sub(rebuilt)).unwrap_or(0);
    }
    Ok(batch)
}

fn count(tx: &mut dyn Tx, sql: &str, params: &[Value]) -> DbResult<i64> {
    Ok(tx.query_one(sql, params)?.map(|r| r[0].int()).unwrap_or(0))
}

/// The identity numbers a registered household's record names (its stored body, any version).
#[derive(Deserialize)]
struct HouseholdNumbers {
    kk: String,
    #[serde(default)]
    members: Vec<MemberNumber>,
}

#[derive(Deserialize)]
struct MemberNumber {
    id: String,
    nik: String,
}

#[derive(Deserialize)]
struct SanggahanNumbers {
    reporter: ReporterNumber,
}

#[derive(Deserialize)]
struct ReporterNumber {
    nik: String,
}

/// The record a typed row came from, opened (under either key).
fn entry_text(k: &Keys<'_>, row: &Row) -> Option<zeroize::Zeroizing<String>> {
    let entry_id = row[1].text()?;
    crate::stored::open_text(
        k.keys,
        &crate::stored::entry_context(&entry_id),
        row[2].text(),
        row[3].blob(),
    )
    .map(zeroize::Zeroizing::new)
}

/// A household's KK index and its members' NIK indexes, from its record.
fn households(tx: &mut dyn Tx, k: &Keys<'_>, after: Option<&str>, limit: usize) -> DbResult<Batch> {
    let rows = page(
        tx,
        "households",
        "t.entry_id, e.body, e.sealed",
        "households t LEFT JOIN entries e ON e.id = t.entry_id",
        after,
        limit,
    )?;
    let mut batch = Batch::of(&rows);
    for row in rows {
        let id = key_text(&row[0]);
        let numbers = entry_text(k, &row)
            .and_then(|text| serde_json::from_str::<HouseholdNumbers>(&text).ok());
        let members = tx.query(
            "SELECT member_id FROM household_members WHERE household_id = ?1",
            &[db::text(id.as_str())],
        )?;
        let Some(numbers) = numbers else {
            batch.unreadable += 1 + members.len();
            continue;
        };
        tx.execute(
            "UPDATE households SET kk_index = ?2 WHERE id = ?1",
            &[
                db::text(id.as_str()),
                db::blob(k.keys.blind(Blind::Kk, &numbers.kk)),
            ],
        )?;
        batch.resealed += 1;
        for member in members {
            let member_id = member[0].text().unwrap_or_default();
            let Some(nik) = numbers.members.iter().find(|m| m.id == member_id) else {
                batch.unreadable += 1;
                continue;
            };
            tx.execute(
                "UPDATE household_members SET nik_index = ?3
                 WHERE household_id = ?1 AND member_id = ?2",
                &[
                    db::text(id.as_str()),
                    db::text(member_id),
                    db::blob(k.keys.blind(Blind::Nik, &nik.nik)),
                ],
            )?;
            batch.resealed += 1;
        }
    }
    Ok(batch)
}

/// A sanggahan's reporter index, from its record.
fn sanggahan(tx: &mut dyn Tx, k: &Keys<'_>, after: Option<&str>, limit: usize) -> DbResult<Batch> {
    let rows = page(
        tx,
        "sanggahan",
        "t.entry_id, e.body, e.sealed",
        "sanggahan t LEFT JOIN entries e ON e.id = t.entry_id",
        after,
        limit,
    )?;
    let mut batch = Batch::of(&rows);
    for row in rows {
        let numbers = entry_text(k, &row)
            .and_then(|text| serde_json::from_str::<SanggahanNumbers>(&text).ok());
        let Some(numbers) = numbers else {
            batch.unreadable += 1;
            continue;
        };
        tx.execute(
            "UPDATE sanggahan SET reporter_index = ?2 WHERE id = ?1",
            &[
                row[0].clone(),
                db::blob(k.keys.blind(Blind::Nik, &numbers.reporter.nik)),
            ],
        )?;
        batch.resealed += 1;
    }
    Ok(batch)
}

fn count_blob(batch: &mut Batch, outcome: crate::blobs::Resealed) {
    match outcome {
        crate::blobs::Resealed::Done => batch.resealed += 1,
        crate::blobs::Resealed::Current => {}
        crate::blobs::Resealed::Unreadable => batch.unreadable += 1,
    }
}

/// The blob files the blob table names.
fn blobs(tx: &mut dyn Tx, k: &Keys<'_>, after: Option<&str>, limit: usize) -> DbResult<Batch> {
    let rows = page(tx, "blobs", "", "blobs t", after, limit)?;
    let mut batch = Batch::of(&rows);
    for row in rows {
        let Some(name) = crate::blobs::BlobName::parse(&key_text(&row[0])) else {
            continue;
        };
        let outcome = crate::blobs::reseal(k.data_dir, k.keys, &name)
            .map_err(|e| DbError(format!("blob {name}: {e}")))?;
        count_blob(&mut batch, outcome);
    }
    Ok(batch)
}

/// Every blob file in the folder, the table's or not (one the table does not name is sealed
/// all the same): each one already done is only read. Run whole; again after a crash.
fn blob_folder(k: &Keys<'_>) -> DbResult<Batch> {
    let io = |e: std::io::Error| DbError(format!("blob folder: {e}"));
    let mut batch = Batch::default();
    for entry in std::fs::read_dir(k.data_dir.join("blobs")).map_err(io)? {
        let entry = entry.map_err(io)?;
        let Some(name) = entry
            .file_name()
            .to_str()
            .and_then(crate::blobs::BlobName::parse)
        else {
            continue;
        };
        batch.read += 1;
        count_blob(
            &mut batch,
            crate::blobs::reseal(k.data_dir, k.keys, &name).map_err(io)?,
        );
    }
    Ok(batch)
}

/// The sealed columns, for the count of values left under an older key at the end.
pub const SEALED_COLUMNS: &[(&str, &str)] = &[
    ("entries", "sealed"),
    ("changes", "sealed"),
    ("recipients", "sealed"),
    ("record_keys", "private_sealed"),
    ("families", "sealed"),
    ("family_results", "sealed"),
    ("operators", "totp_sealed"),
];

/// Sealed values in the database not under the key of `version` (what opened with no key).
pub fn left_behind(tx: &mut dyn Tx, version: u8) -> DbResult<i64> {
    let mut total = 0i64;
    for (table, column) in SEALED_COLUMNS {
        total = total.saturating_add(count(
            tx,
            &format!(
                "SELECT count(*) FROM {table}
                 WHERE {column} IS NOT NULL AND substr({column}, 1, 1) <> ?1"
            ),
            &[db::blob(vec![version])],
        )?);
    }
    Ok(total)
}
