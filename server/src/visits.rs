//! Verification visits on the server: stored as they arrive, conflicts between agents flagged,
//! and an officer's resolution sent back to both phones. An accepted visit's PMT answers flow
//! back to the family's agents (`visit_answers`).
use perlinsos_protocol::record::VisitRecorded;
use perlinsos_rules::dtsen::visit::VerificationVisit;

use crate::db::{self, DbError, DbResult, Tx};
use crate::keys::ServerKeys;
use crate::AppState;

pub const ACCEPTED: &str = "diterima";
pub const CONFLICT: &str = "konflik";
pub const SUPERSEDED: &str = "digantikan";

/// Stores an accepted visit. Another agent's visit of the same family from the same version,
/// still standing, makes both a conflict, and both phones hear it.
pub fn insert(
    tx: &mut dyn Tx,
    keys: &ServerKeys,
    device_id: &str,
    entry_id: &str,
    visit: &VerificationVisit,
    now: i64,
) -> DbResult<()> {
    // Two visits of one family arriving at once must see each other.
    db::serialize_on(tx, format!("family:{}", visit.family_id).as_bytes())?;
    let rivals = tx.query(
        "SELECT id, device_id FROM visits
         WHERE family_id = ?1 AND family_version = ?2 AND agent_id <> ?3 AND status IN (?4, ?5)",
        &[
            db::text(visit.family_id.as_str()),
            db::int(i64::from(visit.family_version)),
            db::text(visit.agent_id.as_str()),
            db::text(ACCEPTED),
            db::text(CONFLICT),
        ],
    )?;
    let status = if rivals.is_empty() {
        ACCEPTED
    } else {
        CONFLICT
    };
    let inserted = tx.execute(
        "INSERT INTO visits (id, entry_id, device_id, agent_id, family_id, family_version,
                             kelurahan_code, outcome, visited_at, received_at, status, status_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?10) ON CONFLICT DO NOTHING",
        &[
            db::text(visit.id.as_str()),
            db::text(entry_id),
            db::text(device_id),
            db::text(visit.agent_id.as_str()),
            db::text(visit.family_id.as_str()),
            db::int(i64::from(visit.family_version)),
            db::text(visit.visit.kelurahan_code.as_str()),
            db::text(visit.outcome.as_str()),
            db::int(visit.visit.started_at),
            db::int(now),
            db::text(status),
        ],
    )?;
    for rival in &rivals {
        let (id, device) = (
            rival[0].text().unwrap_or_default(),
            rival[1].text().unwrap_or_default(),
        );
        tx.execute(
            "UPDATE visits SET status = ?2, status_at = ?3 WHERE id = ?1 AND status <> ?2",
            &[db::text(id.as_str()), db::text(CONFLICT), db::int(now)],
        )?;
        db::add_status_change(tx, keys, &device, "visit", &id, CONFLICT, None, now)?;
    }
    if !rivals.is_empty() {
        tracing::info!(event = "visit_conflict", rivals = rivals.len());
        db::add_status_change(tx, keys, device_id, "visit", &visit.id, CONFLICT, None, now)?;
    }
    // A visit in conflict waits for the officer (`resolve`) before its answers flow back.
    if inserted > 0 && status == ACCEPTED {
        crate::visit_answers::flow_back(tx, keys, visit, now)?;
    }
    Ok(())
}

/// One visit as the console lists it (ids and codes only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitRow {
    pub id: String,
    pub agent_id: String,
    pub device_id: String,
    pub family_id: String,
    pub family_version: i64,
    pub kelurahan_code: String,
    pub outcome: String,
    pub visited_at: i64,
    pub status: String,
}

fn rows(found: Vec<db::Row>) -> Vec<VisitRow> {
    found
        .into_iter()
        .map(|r| VisitRow {
            id: r[0].text().unwrap_or_default(),
            agent_id: r[1].text().unwrap_or_default(),
            device_id: r[2].text().unwrap_or_default(),
            family_id: r[3].text().unwrap_or_default(),
            family_version: r[4].int(),
            kelurahan_code: r[5].text().unwrap_or_default(),
            outcome: r[6].text().unwrap_or_default(),
            visited_at: r[7].int(),
            status: r[8].text().unwrap_or_default(),
        })
        .collect()
}

const COLUMNS: &str = "id, agent_id, device_id, family_id, family_version, kelurahan_code, outcome,
                       visited_at, status";

/// Visits in conflict, oldest first, in the officer's kelurahan (None: the whole district).
pub fn conflicts(tx: &mut dyn Tx, kelurahan: Option<&[String]>) -> DbResult<Vec<VisitRow>> {
    let mut params = vec![db::text(CONFLICT)];
    let mut sql = format!("SELECT {COLUMNS} FROM visits WHERE status = ?1");
    if let Some(codes) = kelurahan {
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (0..codes.len()).map(|i| format!("?{}", i + 2)).collect();
        sql.push_str(&format!(" AND kelurahan_code IN ({})", marks.join(", ")));
        params.extend(codes.iter().map(|c| db::text(c.as_str())));
    }
    sql.push_str(" ORDER BY family_id, received_at LIMIT 500");
    Ok(rows(tx.query(&sql, &params)?))
}

/// One visit by id.
pub fn of_visit(tx: &mut dyn Tx, visit_id: &str) -> DbResult<Option<VisitRow>> {
    Ok(rows(tx.query(
        &format!("SELECT {COLUMNS} FROM visits WHERE id = ?1"),
        &[db::text(visit_id)],
    )?)
    .into_iter()
    .next())
}

/// Every visit of a family, oldest first.
pub fn of_family(tx: &mut dyn Tx, family_id: &str) -> DbResult<Vec<VisitRow>> {
    Ok(rows(tx.query(
        &format!("SELECT {COLUMNS} FROM visits WHERE family_id = ?1 ORDER BY received_at, id"),
        &[db::text(family_id)],
    )?))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    /// No such visit in conflict.
    NotInConflict,
    ReasonMissing,
    Failed(String),
}

impl std::fmt::Display for ResolveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResolveError::NotInConflict => write!(f, "kunjungan ini tidak sedang berkonflik"),
            ResolveError::ReasonMissing => write!(f, "alasan keputusan wajib diisi"),
            ResolveError::Failed(e) => write!(f, "{e}"),
        }
    }
}

/// An officer keeps one of the conflicting visits of a family; the others are superseded with
/// the officer's reason. Every phone involved hears its visit's outcome. Audited.
pub fn resolve(
    state: &AppState,
    officer: &str,
    keep_visit_id: &str,
    reason: &str,
) -> Result<usize, ResolveError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ResolveError::ReasonMissing);
    }
    let now = (state.clock)();
    state
        .db
        .write(|tx| {
            let kept = tx.query_one(
                "SELECT family_id, family_version, entry_id FROM visits
                 WHERE id = ?1 AND status = ?2",
                &[db::text(keep_visit_id), db::text(CONFLICT)],
            )?;
            let Some(kept) = kept else {
                return Ok(Err(ResolveError::NotInConflict));
            };
            let family_id = kept[0].text().unwrap_or_default();
            db::serialize_on(tx, format!("family:{family_id}").as_bytes())?;
            let involved = tx.query(
                "SELECT id, device_id FROM visits
                 WHERE family_id = ?1 AND family_version = ?2 AND status = ?3",
                &[
                    db::text(family_id.as_str()),
                    db::int(kept[1].int()),
                    db::text(CONFLICT),
                ],
            )?;
            for visit in &involved {
                let id = visit[0].text().unwrap_or_default();
                let device = visit[1].text().unwrap_or_default();
                let status = if id == keep_visit_id {
                    ACCEPTED
                } else {
                    SUPERSEDED
                };
                tx.execute(
                    "UPDATE visits SET status = ?2, status_at = ?3, decided_by = ?4, reason = ?5
                     WHERE id = ?1",
                    &[
                        db::text(id.as_str()),
                        db::text(status),
                        db::int(now),
                        db::text(officer),
                        db::text(reason),
                    ],
                )?;
                db::add_status_change(
                    tx,
                    &state.keys,
                    &device,
                    "visit",
                    &id,
                    status,
                    Some(reason),
                    now,
                )?;
            }
            // The kept visit is accepted now: its answers flow back as an accepted one's do.
            let entry_id = kept[2].text().unwrap_or_default();
            let recorded = crate::stored::entry_body(tx, &state.keys, &entry_id)?
                .ok_or_else(|| DbError("kept visit's record missing".into()))?;
            let recorded: VisitRecorded = serde_json::from_str(&recorded)
                .map_err(|_| DbError("kept visit's record unreadable".into()))?;
            crate::visit_answers::flow_back(tx, &state.keys, &recorded.visit, now)?;
            crate::staff_audit::record(
                tx,
                now,
                officer,
                "resolve_visit_conflict",
                Some(keep_visit_id),
                Some(&format!("family={family_id} visits={}", involved.len())),
            )?;
            Ok(Ok(involved.len()))
        })
        .map_err(|e: DbError| ResolveError::Failed(e.0))?
}
