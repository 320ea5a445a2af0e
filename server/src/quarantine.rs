//! What a revoked device still pushed (`quarantined_entries`, kept by `outbox::push`), and the
//! officers' decision on each entry: **admit** it, and it goes through exactly the checks and
//! the apply path of a push (`outbox::apply_in`: scope, record rules, ownership, evidence,
//! duplicates by entry id, the audit chain), in one transaction with the decision; or
//! **reject** it with a reason, and nothing of it is applied. An admission that fails a check
//! leaves the entry held with the stable code of the check. Both are idempotent (a second
//! admission or rejection of the same entry changes nothing) and audited in `operator_audit`.
//! Only admins decide: revoking a device is theirs, and so is trusting what the device sent
//! after it (an admitted record then reaches the peninjau of its kelurahan as any other).
use perlinsos_protocol::wire::{ErrorCode, Outcome, PushEntry};

use crate::db::{self, DbError, Tx};
use crate::error::ApiError;
use crate::AppState;

pub const ADMITTED: &str = "admitted";
pub const REJECTED: &str = "rejected";

/// Entries listed on one page (a revoked phone holds a few thousand at most).
pub const PAGE: i64 = 200;

/// Longest reason for a rejection (as for sanggahan decisions).
const MAX_REASON_CHARS: usize = 500;

/// One held entry, as officers see it: its envelope and what was decided, never its content.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub entry_id: String,
    pub kind: String,
    pub kelurahan_code: Option<String>,
    pub received_at: i64,
    /// `ADMITTED`, `REJECTED`, or None while held.
    pub decision: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub reason: Option<String>,
    /// The refusal code of the latest admission that failed a check.
    pub last_code: Option<ErrorCode>,
}

/// What an admission or a rejection came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Decided {
    /// Applied now (or found applied already from the same device: a duplicate).
    Admitted,
    /// Rejected now.
    Rejected,
    /// Decided so before: nothing changed.
    AlreadyAdmitted,
    AlreadyRejected,
    /// The admission failed this check: the entry stays held, with the code kept.
    Refused(ErrorCode),
}

#[derive(Debug, Clone, PartialEq)]
pub enum QuarantineError {
    /// No such held entry of this device.
    NotFound,
    /// Admitting a rejected entry, or rejecting an admitted one.
    Conflict,
    /// A rejection without a reason, or with a reason that is too long.
    ReasonInvalid,
    /// Held before the envelope was kept (schema 14): it can only be rejected.
    EnvelopeMissing,
    Storage,
}

impl QuarantineError {
    /// The Indonesian text for the officer.
    pub fn message(&self) -> &'static str {
        match self {
            QuarantineError::NotFound => "Data ditahan itu tidak ditemukan.",
            QuarantineError::Conflict => "Data ini sudah diputus dengan keputusan lain.",
            QuarantineError::ReasonInvalid => {
                "Alasan penolakan wajib diisi (paling banyak 500 huruf)."
            }
            QuarantineError::EnvelopeMissing => {
                "Data ini ditahan sebelum pembaruan server dan tidak lengkap; hanya dapat ditolak. \
                 Agen dapat mengirimnya lagi setelah ponselnya didaftarkan ulang."
            }
            QuarantineError::Storage => "Penyimpanan server bermasalah; coba lagi.",
        }
    }
}

impl From<DbError> for QuarantineError {
    fn from(e: DbError) -> Self {
        tracing::error!(event = "quarantine_storage", error = %e.0);
        QuarantineError::Storage
    }
}

impl From<ApiError> for QuarantineError {
    fn from(e: ApiError) -> Self {
        tracing::error!(event = "quarantine_apply", code = ?e.0);
        QuarantineError::Storage
    }
}

fn code_of(name: Option<String>) -> Option<ErrorCode> {
    name.and_then(|n| serde_json::from_value(serde_json::Value::String(n)).ok())
}

/// A device's held entries, by entry id, after `after` (the page's last), at most `PAGE`.
pub fn list(tx: &mut dyn Tx, device_id: &str, after: &str) -> Result<Vec<Held>, DbError> {
    Ok(tx
        .query(
            "SELECT entry_id, kind, kelurahan_code, received_at, decision, decided_by,
                    decided_at, reason, last_code
             FROM quarantined_entries WHERE device_id = ?1 AND entry_id > ?2
             ORDER BY entry_id LIMIT ?3",
            &[db::text(device_id), db::text(after), db::int(PAGE)],
        )?
        .into_iter()
        .map(|r| Held {
            entry_id: r[0].text().unwrap_or_default(),
            kind: r[1].text().unwrap_or_default(),
            kelurahan_code: r[2].text(),
            received_at: r[3].int(),
            decision: r[4].text(),
            decided_by: r[5].text(),
            decided_at: r[6].opt_int(),
            reason: r[7].text(),
            last_code: code_of(r[8].text()),
        })
        .collect())
}

/// The held entry as it was pushed, or why it cannot be admitted.
fn held_entry(
    tx: &mut dyn Tx,
    device_id: &str,
    entry_id: &str,
) -> Result<(Option<String>, Option<PushEntry>), QuarantineError> {
    let row = tx
        .query_one(
            "SELECT decision, kind, key_id, sealed, entity_id, kelurahan_code, blobs, created_at
             FROM quarantined_entries WHERE device_id = ?1 AND entry_id = ?2",
            &[db::text(device_id), db::text(entry_id)],
        )?
        .ok_or(QuarantineError::NotFound)?;
    let decision = row[0].text();
    let (Some(entity_id), Some(blobs)) = (row[4].text(), row[6].text()) else {
        return Ok((decision, None));
    };
    Ok((
        decision,
        Some(PushEntry {
            id: entry_id.to_owned(),
            kind: row[1].text().unwrap_or_default(),
            entity_id,
            key_id: row[2].text().unwrap_or_default(),
            sealed: row[3].text().unwrap_or_default(),
            kelurahan_code: row[5].text(),
            blobs: serde_json::from_str(&blobs).unwrap_or_default(),
            created_at: row[7].int(),
        }),
    ))
}

fn already(decision: &str, wanted: &str) -> Result<Decided, QuarantineError> {
    match (decision, wanted) {
        (ADMITTED, ADMITTED) => Ok(Decided::AlreadyAdmitted),
        (REJECTED, REJECTED) => Ok(Decided::AlreadyRejected),
        _ => Err(QuarantineError::Conflict),
    }
}

/// Admits a held entry of `device_id`: applied as a push of that device would be, in one
/// transaction with the decision and its audit line. Audited under `actor` whatever the
/// outcome (a refused admission with its code).
pub fn admit(
    state: &AppState,
    device_id: &str,
    entry_id: &str,
    actor: &str,
) -> Result<Decided, QuarantineError> {
    // Read and open outside the write transaction (opening and photo checks are slow); the
    // transaction reads the decision again under the device's lock.
    let (decision, pushed) = state
        .db
        .read(|tx| Ok::<_, DbError>(held_entry(tx, device_id, entry_id)))??;
    if let Some(decision) = decision {
        return already(&decision, ADMITTED);
    }
    let pushed = pushed.ok_or(QuarantineError::EnvelopeMissing)?;
    let device = state
        .db
        .read(|tx| db::device(tx, device_id))?
        .ok_or(QuarantineError::NotFound)?;
    let now = (state.clock)();
    let opened = crate::opened::open_all(state, std::slice::from_ref(&pushed))?
        .pop()
        .ok_or(QuarantineError::Storage)?;
    let entry = match opened {
        Ok(entry) => Some(entry),
        Err(code) => {
            // Does not open: held, with the code (nothing to apply).
            return refused(state, device_id, entry_id, actor, code, now);
        }
    };
    let entries: Vec<crate::opened::Entry> = entry.into_iter().collect();
    let evidence = crate::outbox::read_all_evidence(state, &device, &entries)?;
    let outcome = state.db.write(|tx| {
        db::lock_device(tx, device_id)?;
        let (decision, _) = held_entry(tx, device_id, entry_id)?;
        if let Some(decision) = decision {
            return already(&decision, ADMITTED).map(Ok);
        }
        let results = crate::outbox::apply_in(tx, state, &device, &entries, &evidence, now)?;
        let outcome = results
            .into_iter()
            .next()
            .map(|r| r.outcome)
            .ok_or(QuarantineError::Storage)?;
        Ok(match outcome {
            Outcome::Accepted | Outcome::Duplicate => {
                tx.execute(
                    "UPDATE quarantined_entries
                     SET decision = ?3, decided_by = ?4, decided_at = ?5, sealed = '',
                         last_code = NULL
                     WHERE device_id = ?1 AND entry_id = ?2 AND decision IS NULL",
                    &[
                        db::text(device_id),
                        db::text(entry_id),
                        db::text(ADMITTED),
                        db::text(actor),
                        db::int(now),
                    ],
                )?;
                crate::staff_audit::record(
                    tx,
                    now,
                    actor,
                    "quarantine_admitted",
                    Some(entry_id),
                    Some(device_id),
                )?;
                Ok(Decided::Admitted)
            }
            Outcome::Rejected { code, .. } => Err(code),
        })
    });
    match outcome? {
        Ok(Decided::Admitted) => {
            tracing::info!(event = "quarantine_admitted", device = %device_id, entry = %entry_id);
            Ok(Decided::Admitted)
        }
        Ok(decided) => Ok(decided),
        Err(code) => refused(state, device_id, entry_id, actor, code, now),
    }
}

/// An admission that failed `code`: the entry stays held, the code kept; audited.
fn refused(
    state: &AppState,
    device_id: &str,
    entry_id: &str,
    actor: &str,
    code: ErrorCode,
    now: i64,
) -> Result<Decided, QuarantineError> {
    state.db.write(|tx| {
        let changed = tx.execute(
            "UPDATE quarantined_entries SET last_code = ?3
             WHERE device_id = ?1 AND entry_id = ?2 AND decision IS NULL",
            &[
                db::text(device_id),
                db::text(entry_id),
                db::text(code.name()),
            ],
        )?;
        if changed == 1 {
            crate::staff_audit::record(
                tx,
                now,
                actor,
                "quarantine_admit_refused",
                Some(entry_id),
                Some(&format!("{device_id} {}", code.name())),
            )?;
        }
        Ok::<_, DbError>(())
    })?;
    tracing::warn!(event = "quarantine_admit_refused", device = %device_id, code = ?code);
    Ok(Decided::Refused(code))
}

/// Rejects a held entry of `device_id` with `reason`: nothing of it is applied, and its sealed
/// text is not kept. Audited under `actor` (the reason stays in the entry's row).
pub fn reject(
    state: &AppState,
    device_id: &str,
    entry_id: &str,
    actor: &str,
    reason: &str,
) -> Result<Decided, QuarantineError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(QuarantineError::ReasonInvalid);
    }
    let now = (state.clock)();
    let decided = state.db.write(|tx| {
        db::lock_device(tx, device_id)?;
        let changed = tx.execute(
            "UPDATE quarantined_entries
             SET decision = ?3, decided_by = ?4, decided_at = ?5, reason = ?6, sealed = ''
             WHERE device_id = ?1 AND entry_id = ?2 AND decision IS NULL",
            &[
                db::text(device_id),
                db::text(entry_id),
                db::text(REJECTED),
                db::text(actor),
                db::int(now),
                db::text(reason),
            ],
        )?;
        if changed == 0 {
            let (decision, _) = held_entry(tx, device_id, entry_id)?;
            return match decision {
                Some(decision) => already(&decision, REJECTED),
                None => Err(QuarantineError::NotFound),
            };
        }
        crate::staff_audit::record(
            tx,
            now,
            actor,
            "quarantine_rejected",
            Some(entry_id),
            Some(device_id),
        )?;
        Ok(Decided::Rejected)
    })?;
    if decided == Decided::Rejected {
        tracing::info!(event = "quarantine_rejected", device = %device_id, entry = %entry_id);
    }
    Ok(decided)
}

/// What the envelope of an entry kept for officers (a revoked device's push, a hand-over)
/// may be: the bounds of its columns, and photo names that are SHA-256 names. A phone's own
/// entries always fit; what does not is not kept.
pub(crate) fn storable_envelope(entry: &perlinsos_protocol::wire::PushEntry) -> bool {
    !entry.id.is_empty()
        && entry.id.len() <= 64
        && entry.key_id.len() <= 64
        && entry.entity_id.len() <= 64
        && entry.kind.len() <= 64
        && entry.kelurahan_code.as_ref().is_none_or(|k| k.len() <= 32)
        && entry.blobs.len() <= crate::outbox::MAX_EVIDENCE
        && entry
            .blobs
            .iter()
            .all(|b| crate::blobs::BlobName::parse(b).is_some())
}
