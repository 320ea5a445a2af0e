//! Purge: once the server has confirmed a household or a sanggahan and the retention period
//! has passed, its personal fields and evidence leave the phone. What stays is a receipt (ids,
//! status, dates). The deleted pages are then rebuilt away (VACUUM) and the WAL truncated, so
//! no copy of the sealed bytes lingers in free pages or old WAL frames either.
use std::sync::Arc;

use ring::signature::Ed25519KeyPair;
use rusqlite::{params, OptionalExtension, Transaction};

use crate::audit::{self, Action};
use crate::error::{Error, ErrorCode, Result};
use crate::registration::{Clock, Millis};
use crate::store::Store;

pub use crate::date::DAY_MS;
/// How long a confirmed record stays readable on the phone (for the agent's follow-up visit).
pub const DEFAULT_RETENTION_MS: i64 = 7 * DAY_MS;
const VACUUM_PENDING: &str = "vacuum_pending";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Household,
    Sanggahan,
}

impl RecordKind {
    /// The names evidence rows and receipts use.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Household => "household",
            RecordKind::Sanggahan => "sanggahan",
        }
    }

    fn parse(text: &str) -> Option<RecordKind> {
        match text {
            "household" => Some(RecordKind::Household),
            "sanggahan" => Some(RecordKind::Sanggahan),
            _ => None,
        }
    }
}

/// What is left of a record on the phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub record_kind: RecordKind,
    pub record_id: String,
    pub agent_id: String,
    pub status: String,
    pub created_at: Millis,
    pub confirmed_at: Millis,
    pub purged_at: Option<Millis>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub records: usize,
    pub evidence_rows: usize,
    pub blobs: usize,
}

/// The owner and creation time of a record still on the phone, with its status.
fn record_header(
    tx: &Transaction<'_>,
    kind: RecordKind,
    record_id: &str,
) -> Result<Option<(String, Millis, String)>> {
    let sql = match kind {
        RecordKind::Household => {
            "SELECT agent_id, registered_at, 'diterima' FROM households WHERE id = ?1"
        }
        RecordKind::Sanggahan => "SELECT agent_id, created_at, status FROM sanggahan WHERE id = ?1",
    };
    Ok(tx
        .prepare_cached(sql)?
        .query_row([record_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?)
}

/// Records, in the caller's transaction, that the server has `record_id` (the sync module
/// calls this with each confirmation). Idempotent: a repeated confirmation keeps the first
/// time. A record this phone does not hold is refused.
pub fn confirm(
    tx: &Transaction<'_>,
    kind: RecordKind,
    record_id: &str,
    confirmed_at: Millis,
) -> Result<()> {
    let Some((agent_id, created_at, status)) = record_header(tx, kind, record_id)? else {
        let known: bool = tx
            .prepare_cached("SELECT 1 FROM receipts WHERE record_kind = ?1 AND record_id = ?2")?
            .exists([kind.as_str(), record_id])?;
        return if known {
            Ok(())
        } else {
            Err(Error::invalid("record_id", ErrorCode::PurgeRecordUnknown))
        };
    };
    tx.prepare_cached(
        "INSERT INTO receipts (record_kind, record_id, agent_id, status, created_at, confirmed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
    )?
    .execute(params![
        kind.as_str(),
        record_id,
        agent_id,
        status,
        created_at,
        confirmed_at
    ])?;
    Ok(())
}

/// Keeps a receipt's status current after its record is gone (statuses keep arriving by sync).
pub fn set_receipt_status(
    tx: &Transaction<'_>,
    kind: RecordKind,
    record_id: &str,
    status: &str,
) -> Result<()> {
    tx.prepare_cached("UPDATE receipts SET status = ?3 WHERE record_kind = ?1 AND record_id = ?2")?
        .execute(params![kind.as_str(), record_id, status])?;
    Ok(())
}

pub struct Purger {
    store: Arc<Store>,
    clock: Clock,
    signer: Arc<Ed25519KeyPair>,
    retention_ms: i64,
    evidence: Option<crate::evidence::book::EvidenceBook>,
}

impl Purger {
    /// Purges are always audited, signed with the device key.
    pub fn new(store: Arc<Store>, clock: Clock, signer: Arc<Ed25519KeyPair>) -> Purger {
        Purger {
            store,
            clock,
            signer,
            retention_ms: DEFAULT_RETENTION_MS,
            evidence: None,
        }
    }

    pub fn with_retention(mut self, retention_ms: i64) -> Purger {
        self.retention_ms = retention_ms.max(0);
        self
    }

    /// The evidence book whose blob folder the purge clears.
    pub fn with_evidence(mut self, book: crate::evidence::book::EvidenceBook) -> Purger {
        self.evidence = Some(book);
        self
    }

    /// Records a confirmation in its own transaction.
    pub fn confirm(&self, kind: RecordKind, record_id: &str) -> Result<()> {
        let now = (self.clock)();
        self.store.write(|tx| confirm(tx, kind, record_id, now))
    }

    /// Purges every confirmed record whose retention has passed. Safe to call at any time and
    /// after a crash: rows go in one transaction with their receipts and audit entries, and a
    /// compaction interrupted before it finished runs again on the next call.
    pub fn purge_due(&self) -> Result<PurgeReport> {
        let now = (self.clock)();
        let cutoff = now - self.retention_ms;
        let mut report = self.store.write(|tx| {
            let due: Vec<(String, String, String)> = {
                let mut stmt = tx.prepare_cached(
                    "SELECT record_kind, record_id, agent_id FROM receipts
                     WHERE purged_at IS NULL AND confirmed_at <= ?1
                     ORDER BY confirmed_at, record_id",
                )?;
                let rows = stmt.query_map([cutoff], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            let mut report = PurgeReport::default();
            for (kind, record_id, agent_id) in &due {
                let kind = RecordKind::parse(kind).ok_or(Error::Corrupt("receipt kind"))?;
                report.evidence_rows += purge_record(tx, kind, record_id)?;
                tx.prepare_cached(
                    "UPDATE receipts SET purged_at = ?3 WHERE record_kind = ?1 AND record_id = ?2",
                )?
                .execute(params![kind.as_str(), record_id, now])?;
                audit::append(
                    tx,
                    &self.signer,
                    agent_id,
                    Action::Purge,
                    Some(record_id),
                    now,
                )?;
                report.records += 1;
            }
            if report.records > 0 {
                tx.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, X'01')",
                    [VACUUM_PENDING],
                )?;
            }
            Ok(report)
        })?;
        if let Some(book) = &self.evidence {
            report.blobs = book.sweep_orphans()?;
        }
        self.compact_if_pending()?;
        Ok(report)
    }

    fn compact_if_pending(&self) -> Result<()> {
        let pending: bool = self.store.read(|conn| {
            Ok(conn
                .prepare_cached("SELECT 1 FROM meta WHERE key = ?1")?
                .exists([VACUUM_PENDING])?)
        })?;
        if pending {
            self.store.compact()?;
            self.store.write(|tx| {
                tx.execute("DELETE FROM meta WHERE key = ?1", [VACUUM_PENDING])?;
                Ok(())
            })?;
            self.store.checkpoint()?;
        }
        Ok(())
    }

    pub fn receipts(&self) -> Result<Vec<Receipt>> {
        self.store.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT record_kind, record_id, agent_id, status, created_at, confirmed_at,
                        purged_at
                 FROM receipts ORDER BY confirmed_at, record_id",
            )?;
            let mut rows = stmt.query([])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let kind: String = r.get(0)?;
                out.push(Receipt {
                    record_kind: RecordKind::parse(&kind).ok_or(Error::Corrupt("receipt kind"))?,
                    record_id: r.get(1)?,
                    agent_id: r.get(2)?,
                    status: r.get(3)?,
                    created_at: r.get(4)?,
                    confirmed_at: r.get(5)?,
                    purged_at: r.get(6)?,
                });
            }
            Ok(out)
        })
    }
}

/// Deletes a record's personal rows and its evidence rows; returns the evidence count.
fn purge_record(tx: &Transaction<'_>, kind: RecordKind, record_id: &str) -> Result<usize> {
    match kind {
        RecordKind::Household => crate::registration::repo::delete_household(tx, record_id)?,
        // The row stays with its ids, statuses and dates (statuses keep arriving, and the
        // reporter's blind index keeps the per-reporter limits counting); the sealed body
        // (reporter, statement) and the district's sealed reasons go.
        RecordKind::Sanggahan => {
            tx.prepare_cached("UPDATE sanggahan_status SET reason = NULL WHERE sanggahan_id = ?1")?
                .execute([record_id])?;
            tx.prepare_cached("UPDATE sanggahan SET body = X'' WHERE id = ?1")?
                .execute([record_id])?;
        }
    }
    tx.prepare_cached("DELETE FROM outbox WHERE entity_id = ?1")?
        .execute([record_id])?;
    crate::evidence::book::remove_rows(tx, kind.as_str(), record_id)
}

#[cfg(test)]
mod tests;
