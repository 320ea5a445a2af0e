//! NIK and KK look-up of registered households, in two stages.
//!
//! A blind index is a random key. Inserted straight into one B-tree, each of a household's
//! five or six indexes rewrote a random page of it at every commit: most of the bytes a
//! registration wrote (bench/REPORT.md). So a registration's indexes first stay only in its
//! own rows (`households.kk_index` and `members_nik_index`; `members.nik_index` for
//! households stored before migration 0016), which are appended anyway: the
//! households above the watermark `blind_merged.upto` (a household rowid) are the recent
//! stage, and the writer connection mirrors their indexes in a TEMP table (memory only,
//! rolled back with the transaction) for the duplicate check. Once `MERGE_AFTER` households
//! are recent, their indexes move in key order into `blind_index` in one transaction, which
//! rewrites each of its pages at most once for thousands of entries, and the watermark moves.
//!
//! The mirror remembers `PRAGMA data_version`, which changes only when another connection
//! commits, and is rebuilt from the recent rows when it does: a second writer on the same
//! file can never hide an entry from the check.
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::crypt::BLIND_INDEX_LEN;
use crate::error::{Error, Result};

use super::repo::member_rows;

/// Households in the recent stage before their indexes move into `blind_index` (about
/// 4,000 entries).
const MERGE_AFTER: i64 = 700;

/// The look-up as the writer sees it, its own transaction's entries included. Opening it
/// brings the mirror up to date once for the calls that follow.
pub struct Writer<'a, 'c> {
    tx: &'a Transaction<'c>,
}

impl<'a, 'c> Writer<'a, 'c> {
    pub fn open(tx: &'a Transaction<'c>) -> Result<Writer<'a, 'c>> {
        ensure_mirror(tx)?;
        Ok(Writer { tx })
    }

    /// The household already holding `blind`.
    #[cfg(test)]
    pub fn holder(&self, blind: &[u8]) -> Result<Option<String>> {
        Ok(self.holders(&[blind])?.pop().flatten())
    }

    /// The household already holding each of `blinds`, in their order: one statement for a
    /// whole household's KK and NIKs, not one per value.
    pub fn holders(&self, blinds: &[&[u8]]) -> Result<Vec<Option<String>>> {
        let mut found = vec![None; blinds.len()];
        if blinds.is_empty() {
            return Ok(found);
        }
        let list = (1..=blinds.len())
            .map(|n| format!("?{n}"))
            .collect::<Vec<_>>()
            .join(",");
        let mut statement = self.tx.prepare_cached(&format!(
            "SELECT blind, household_id FROM blind_index WHERE blind IN ({list})
             UNION ALL SELECT blind, household_id FROM temp.blind_mirror WHERE blind IN ({list})"
        ))?;
        let mut rows = statement.query(rusqlite::params_from_iter(blinds))?;
        while let Some(row) = rows.next()? {
            let blind: Vec<u8> = row.get(0)?;
            let household: String = row.get(1)?;
            for (slot, _) in found.iter_mut().zip(blinds).filter(|(_, b)| **b == blind) {
                slot.get_or_insert_with(|| household.clone());
            }
        }
        Ok(found)
    }

    /// Records that the household just stored at `rowid` holds each of `blinds` (the values
    /// of its `kk_index` and its members' `nik_index`). The caller has checked with
    /// [`Writer::holder`] that none is taken; the keys refuse a repeat all the same.
    pub fn add(&self, household_id: &str, rowid: i64, blinds: &[Vec<u8>]) -> Result<()> {
        let mut upto = watermark(self.tx)?;
        let recent = rowid
            .checked_sub(upto)
            .ok_or(Error::Corrupt("household rowid"))?;
        if recent > MERGE_AFTER {
            merge_up_to(self.tx, rowid)?;
            upto = rowid;
        }
        // At or under the watermark (the first households after a merge, or a rowid freed by
        // a purge and given again): straight into the merged stage.
        let sql = if rowid <= upto {
            "INSERT INTO blind_index (blind, household_id) VALUES (?1, ?2)"
        } else {
            "INSERT INTO temp.blind_mirror (blind, household_id) VALUES (?1, ?2)"
        };
        let mut insert = self.tx.prepare_cached(sql)?;
        for blind in blinds {
            insert.execute(params![blind, household_id])?;
        }
        Ok(())
    }

    /// Removes the entries of the household stored at `rowid` from both stages (the purge,
    /// before its rows go); its members are the rowids `members`.
    pub fn remove_household(
        &self,
        household_id: &str,
        rowid: i64,
        members: (i64, i64),
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "DELETE FROM blind_index WHERE blind IN
                     (SELECT kk_index FROM households WHERE rowid = ?1
                      UNION ALL SELECT nik_index FROM members WHERE rowid BETWEEN ?2 AND ?3)",
            )?
            .execute(params![rowid, members.0, members.1])?;
        let mut delete = self
            .tx
            .prepare_cached("DELETE FROM blind_index WHERE blind = ?1")?;
        for (blind, _) in member_indexes(self.tx, rowid.saturating_sub(1), rowid)? {
            delete.execute([blind])?;
        }
        self.tx
            .prepare_cached("DELETE FROM temp.blind_mirror WHERE household_id = ?1")?
            .execute([household_id])?;
        Ok(())
    }
}

/// As [`Writer::holder`], from a reader connection: reads the recent rows without an index
/// (at most `MERGE_AFTER` households), for the occasional look-up outside a registration.
pub fn holder_read(conn: &Connection, blind: &[u8]) -> Result<Option<String>> {
    let upto = watermark(conn)?;
    let members_above = member_rows(upto)?.1;
    let found = conn
        .prepare_cached(
            "SELECT household_id FROM blind_index WHERE blind = ?1
             UNION ALL SELECT id FROM households WHERE rowid > ?2 AND kk_index = ?1
             UNION ALL SELECT household_id FROM members WHERE rowid > ?3 AND nik_index = ?1
             LIMIT 1",
        )?
        .query_row(params![blind, upto, members_above], |row| row.get(0))
        .optional()?;
    if found.is_some() {
        return Ok(found);
    }
    Ok(member_indexes(conn, upto, i64::MAX)?
        .into_iter()
        .find(|(held, _)| held == blind)
        .map(|(_, household)| household))
}

/// The NIK indexes that households in the rowid range (`after`, `upto`] hold in their own
/// row (`members_nik_index`, migration 0016), with the household's id.
fn member_indexes(conn: &Connection, after: i64, upto: i64) -> Result<Vec<(Vec<u8>, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, members_nik_index FROM households
         WHERE rowid > ?1 AND rowid <= ?2 AND members_nik_index IS NOT NULL",
    )?;
    let rows = stmt.query_map([after, upto], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, Vec<u8>>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (household, indexes) = row?;
        let chunks = indexes.chunks_exact(BLIND_INDEX_LEN);
        if !chunks.remainder().is_empty() {
            return Err(Error::Corrupt("members_nik_index"));
        }
        out.extend(chunks.map(|blind| (blind.to_vec(), household.clone())));
    }
    Ok(out)
}

/// The last household rowid whose indexes are in `blind_index`.
fn watermark(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT upto FROM blind_merged")?
        .query_row([], |row| row.get(0))?)
}

/// Moves every recent entry into `blind_index`, in key order, and the watermark to `upto`
/// (the household being stored, whose own entries the caller then adds to the merged stage).
fn merge_up_to(tx: &Transaction<'_>, upto: i64) -> Result<()> {
    tx.execute_batch(
        "INSERT INTO blind_index (blind, household_id)
             SELECT blind, household_id FROM temp.blind_mirror ORDER BY blind;
         DELETE FROM temp.blind_mirror;",
    )?;
    tx.prepare_cached("UPDATE blind_merged SET upto = ?1")?
        .execute([upto])?;
    Ok(())
}

/// Creates the writer's mirror of the recent stage on first use, and rebuilds it when another
/// connection has committed since it was filled.
fn ensure_mirror(tx: &Transaction<'_>) -> Result<()> {
    let version: i64 = tx
        .prepare_cached("PRAGMA data_version")?
        .query_row([], |row| row.get(0))?;
    // Fails while the mirror does not exist on this connection (not yet, or its creation
    // was rolled back); rebuilding is always correct, so any failure means rebuild.
    let mirrored: Option<i64> = tx
        .prepare_cached("SELECT version FROM temp.blind_mirror_version")
        .and_then(|mut statement| statement.query_row([], |row| row.get(0)).optional())
        .unwrap_or(None);
    if mirrored == Some(version) {
        return Ok(());
    }
    let upto = watermark(tx)?;
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS blind_mirror (
             blind        BLOB PRIMARY KEY,
             household_id TEXT NOT NULL
         ) WITHOUT ROWID;
         CREATE TEMP TABLE IF NOT EXISTS blind_mirror_version (version INTEGER NOT NULL);
         DELETE FROM temp.blind_mirror;
         DELETE FROM temp.blind_mirror_version;",
    )?;
    tx.execute(
        "INSERT INTO temp.blind_mirror (blind, household_id)
             SELECT kk_index, id FROM households WHERE rowid > ?1
             UNION ALL SELECT nik_index, household_id FROM members WHERE rowid > ?2",
        params![upto, member_rows(upto)?.1],
    )?;
    let mut insert =
        tx.prepare_cached("INSERT INTO temp.blind_mirror (blind, household_id) VALUES (?1, ?2)")?;
    for (blind, household) in member_indexes(tx, upto, i64::MAX)? {
        insert.execute(params![blind, household])?;
    }
    tx.execute(
        "INSERT INTO temp.blind_mirror_version (version) VALUES (?1)",
        [version],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;
