//! NIK and KK look-up of registered households, written in two stages.
//!
//! A blind index is a random key. Inserted straight into one B-tree, each of a household's
//! five or six indexes rewrote a random page of it at every commit: most of the bytes a
//! registration wrote (bench/REPORT.md). So a registration appends its indexes to
//! `blind_recent`, onto that table's last page, and the writer connection mirrors them in a
//! TEMP table (memory only, rolled back with the transaction) for the duplicate check. Every
//! `MERGE_AT` entries they move, in key order, into `blind_index` in one transaction, which
//! rewrites each of its pages at most once for thousands of entries.
//!
//! The mirror remembers `PRAGMA data_version`, which changes only when another connection
//! commits, and is rebuilt from `blind_recent` when it does: a second writer on the same file
//! can never hide an entry from the check.
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::error::Result;

/// Entries in `blind_recent` before they move into `blind_index` (about 700 households).
const MERGE_AT: i64 = 4096;

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
    pub fn holder(&self, blind: &[u8]) -> Result<Option<String>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT household_id FROM blind_index WHERE blind = ?1
                 UNION ALL SELECT household_id FROM temp.blind_mirror WHERE blind = ?1
                 LIMIT 1",
            )?
            .query_row([blind], |row| row.get(0))
            .optional()?)
    }

    /// Records that `household_id` holds each of `blinds`. The caller has checked with
    /// [`Writer::holder`] that none is taken; the mirror's key refuses a repeat all the same.
    pub fn add(&self, household_id: &str, blinds: &[Vec<u8>]) -> Result<()> {
        merge_if_full(self.tx)?;
        let mut recent = self
            .tx
            .prepare_cached("INSERT INTO blind_recent (blind, household_id) VALUES (?1, ?2)")?;
        let mut mirror = self.tx.prepare_cached(
            "INSERT INTO temp.blind_mirror (blind, household_id) VALUES (?1, ?2)",
        )?;
        for blind in blinds {
            recent.execute(params![blind, household_id])?;
            mirror.execute(params![blind, household_id])?;
        }
        Ok(())
    }

    /// Removes a household's entries from both stages (the purge, before its rows go); its
    /// members are the rowids `members` (see `repo::member_rows`).
    pub fn remove_household(&self, household_id: &str, members: (i64, i64)) -> Result<()> {
        self.tx
            .prepare_cached(
                "DELETE FROM blind_index WHERE blind IN
                     (SELECT kk_index FROM households WHERE id = ?1
                      UNION ALL SELECT nik_index FROM members WHERE rowid BETWEEN ?2 AND ?3)",
            )?
            .execute(params![household_id, members.0, members.1])?;
        self.tx
            .prepare_cached("DELETE FROM blind_recent WHERE household_id = ?1")?
            .execute([household_id])?;
        self.tx
            .prepare_cached("DELETE FROM temp.blind_mirror WHERE household_id = ?1")?
            .execute([household_id])?;
        Ok(())
    }
}

/// As [`Writer::holder`], from a reader connection: reads the recent entries without an index
/// (a few thousand rows at most), for the occasional look-up outside a registration.
pub fn holder_read(conn: &Connection, blind: &[u8]) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT household_id FROM blind_index WHERE blind = ?1
             UNION ALL SELECT household_id FROM blind_recent WHERE blind = ?1
             LIMIT 1",
        )?
        .query_row([blind], |row| row.get(0))
        .optional()?)
}

/// Moves every recent entry into `blind_index` once there are `MERGE_AT` of them. Rowids
/// restart after the table is emptied, so the largest one bounds the count without a scan.
fn merge_if_full(tx: &Transaction<'_>) -> Result<()> {
    let newest: Option<i64> = tx
        .prepare_cached("SELECT max(rowid) FROM blind_recent")?
        .query_row([], |row| row.get(0))?;
    if newest.unwrap_or(0) < MERGE_AT {
        return Ok(());
    }
    merge(tx)
}

/// Moves every recent entry into `blind_index`, in key order.
fn merge(tx: &Transaction<'_>) -> Result<()> {
    ensure_mirror(tx)?;
    tx.execute_batch(
        "INSERT INTO blind_index (blind, household_id)
             SELECT blind, household_id FROM blind_recent ORDER BY blind;
         DELETE FROM blind_recent;
         DELETE FROM temp.blind_mirror;",
    )?;
    Ok(())
}

/// Creates the writer's mirror of `blind_recent` on first use, and rebuilds it when another
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
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS blind_mirror (
             blind        BLOB PRIMARY KEY,
             household_id TEXT NOT NULL
         ) WITHOUT ROWID;
         CREATE TEMP TABLE IF NOT EXISTS blind_mirror_version (version INTEGER NOT NULL);
         DELETE FROM temp.blind_mirror;
         DELETE FROM temp.blind_mirror_version;
         INSERT INTO temp.blind_mirror (blind, household_id)
             SELECT blind, household_id FROM blind_recent;",
    )?;
    tx.execute(
        "INSERT INTO temp.blind_mirror_version (version) VALUES (?1)",
        [version],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;
