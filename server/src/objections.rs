//! Objections of families to their own result (*sanggahan hasil*) on the server: stored as they
//! arrive (after the membership and deadline checks), reviewed by an officer beside the
//! family's data, its result and the evidence, and decided; the decision reaches the phone.
use perlinsos_rules::dtsen::objection::ResultObjection;

use crate::db::{self, DbError, DbResult, Tx};
use crate::AppState;

pub const RECEIVED: &str = "diterima";
pub const GRANTED: &str = "dikabulkan";
pub const REFUSED: &str = "ditolak";

pub fn insert(
    tx: &mut dyn Tx,
    device_id: &str,
    entry_id: &str,
    objection: &ResultObjection,
    now: i64,
) -> DbResult<()> {
    tx.execute(
        "INSERT INTO objections (id, entry_id, device_id, agent_id, family_id, kelurahan_code,
                                 reason, filed_at, status, status_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING",
        &[
            db::text(objection.id.as_str()),
            db::text(entry_id),
            db::text(device_id),
            db::text(objection.agent_id.as_str()),
            db::text(objection.family_id.as_str()),
            db::text(objection.kelurahan_code.as_str()),
            db::text(objection.reason.as_str()),
            db::int(objection.filed_at),
            db::text(RECEIVED),
            db::int(now),
        ],
    )
    .map(drop)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectionRow {
    pub id: String,
    pub entry_id: String,
    pub device_id: String,
    pub agent_id: String,
    pub family_id: String,
    pub kelurahan_code: String,
    pub reason: String,
    pub filed_at: i64,
    pub status: String,
    pub decision_reason: Option<String>,
}

const COLUMNS: &str = "id, entry_id, device_id, agent_id, family_id, kelurahan_code, reason,
                       filed_at, status, decision_reason";

fn rows(found: Vec<db::Row>) -> Vec<ObjectionRow> {
    found
        .into_iter()
        .map(|r| ObjectionRow {
            id: r[0].text().unwrap_or_default(),
            entry_id: r[1].text().unwrap_or_default(),
            device_id: r[2].text().unwrap_or_default(),
            agent_id: r[3].text().unwrap_or_default(),
            family_id: r[4].text().unwrap_or_default(),
            kelurahan_code: r[5].text().unwrap_or_default(),
            reason: r[6].text().unwrap_or_default(),
            filed_at: r[7].int(),
            status: r[8].text().unwrap_or_default(),
            decision_reason: r[9].text(),
        })
        .collect()
}

/// Objections waiting for a decision, oldest first (at most 500).
pub fn open(tx: &mut dyn Tx) -> DbResult<Vec<ObjectionRow>> {
    Ok(rows(tx.query(
        &format!(
            "SELECT {COLUMNS} FROM objections WHERE status = ?1 ORDER BY filed_at, id LIMIT 500"
        ),
        &[db::text(RECEIVED)],
    )?))
}

pub fn get(tx: &mut dyn Tx, id: &str) -> DbResult<Option<ObjectionRow>> {
    Ok(rows(tx.query(
        &format!("SELECT {COLUMNS} FROM objections WHERE id = ?1"),
        &[db::text(id)],
    )?)
    .into_iter()
    .next())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecideError {
    NotOpen,
    ReasonMissing,
    Failed(String),
}

/// The officer's decision (dikabulkan: the family is re-verified / its result corrected;
/// ditolak: the result stands), with the reason the resident reads. Audited; the phone hears it.
pub fn decide(
    state: &AppState,
    officer: &str,
    id: &str,
    granted: bool,
    reason: &str,
) -> Result<(), DecideError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(DecideError::ReasonMissing);
    }
    let status = if granted { GRANTED } else { REFUSED };
    let now = (state.clock)();
    state
        .db
        .write(|tx| {
            let Some(row) = get(tx, id)? else {
                return Ok(Err(DecideError::NotOpen));
            };
            let changed = tx.execute(
                "UPDATE objections SET status = ?2, status_at = ?3, decided_by = ?4,
                                       decision_reason = ?5
                 WHERE id = ?1 AND status = ?6",
                &[
                    db::text(id),
                    db::text(status),
                    db::int(now),
                    db::text(officer),
                    db::text(reason),
                    db::text(RECEIVED),
                ],
            )?;
            if changed == 0 {
                return Ok(Err(DecideError::NotOpen));
            }
            db::add_status_change(
                tx,
                &state.keys,
                &row.device_id,
                "objection",
                id,
                status,
                Some(reason),
                now,
            )?;
            crate::staff_audit::record(
                tx,
                now,
                officer,
                "decide_objection",
                Some(id),
                Some(status),
            )?;
            Ok(Ok(()))
        })
        .map_err(|e: DbError| DecideError::Failed(e.0))?
}
