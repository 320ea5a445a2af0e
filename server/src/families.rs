//! The district's DTSEN families and who verifies them: the extract import (every row checked,
//! one transaction, a newer version of a family replaces an older one) and assignments of
//! families to agents, which reach the agents' phones as signed worklist deltas through the
//! change feed (audience `a:<agent>:<kelurahan>`, so a device reads only its scope's part).
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use perlinsos_protocol::wire::Change;
use perlinsos_rules::dtsen::{extract, Family};
use perlinsos_rules::identity;
use perlinsos_rules::Date;

use crate::db::{self, DbError, DbResult, Tx, Value};
use crate::keys::{Blind, ServerKeys};
use crate::AppState;

/// Families per worklist change: small enough that a page of the feed stays small on a 3G
/// link (and an interrupted download loses little), large enough that the per-change
/// signature is a small part of each family's bytes.
pub const FAMILIES_PER_CHANGE: usize = 50;
const CHUNK: usize = 400;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Imported {
    pub families: usize,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Rows of an older version than the one held: the held one stays.
    pub older: usize,
    /// Worklist changes queued for agents who hold an updated family.
    pub changes: usize,
}

#[derive(Debug)]
pub enum ImportError {
    Invalid(Vec<extract::LineError>),
    Failed(String),
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::Invalid(errors) => {
                writeln!(
                    f,
                    "berkas tidak diimpor ({} masalah{}); tidak ada yang berubah:",
                    errors.len(),
                    if errors.len() >= extract::MAX_REPORTED {
                        ", daftar dipotong"
                    } else {
                        ""
                    }
                )?;
                for e in errors {
                    writeln!(f, "  {e}")?;
                }
                Ok(())
            }
            ImportError::Failed(e) => write!(f, "{e}"),
        }
    }
}

pub(crate) fn context(family_id: &str) -> String {
    format!("family:{family_id}")
}

pub fn open(keys: &ServerKeys, family_id: &str, sealed: &[u8]) -> DbResult<Family> {
    let bytes = keys
        .open(&context(family_id), sealed)
        .ok_or_else(|| DbError("family does not open".into()))?;
    serde_json::from_slice(&bytes).map_err(|_| DbError("family unreadable".into()))
}

fn marks(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads, checks and stores a DTSEN extract; `today` is the import's date for the identity
/// rules. Nothing is stored unless every row is valid.
pub fn import(
    state: &AppState,
    file: impl std::io::Read,
    operator: &str,
) -> Result<Imported, ImportError> {
    let now = (state.clock)();
    let families = extract::parse(file, Date::of_unix_millis(now)).map_err(ImportError::Invalid)?;
    let keys = &state.keys;
    state
        .db
        .write(|tx| {
            // Before any family row: a visit's answers flowing back (`visit_answers`) take the
            // feed's lock first too, so the import reads families after theirs commit.
            db::serialize_on(tx, b"changes")?;
            let mut imported = Imported {
                families: families.len(),
                ..Imported::default()
            };
            for chunk in families.chunks(CHUNK) {
                store_chunk(tx, keys, chunk, now, &mut imported)?;
            }
            crate::staff_audit::record(
                tx,
                now,
                operator,
                "import_families",
                None,
                Some(&format!(
                    "families={} added={} updated={} unchanged={} older={}",
                    imported.families,
                    imported.added,
                    imported.updated,
                    imported.unchanged,
                    imported.older
                )),
            )?;
            Ok(imported)
        })
        .map_err(|e: DbError| ImportError::Failed(e.0))
}

fn store_chunk(
    tx: &mut dyn Tx,
    keys: &ServerKeys,
    chunk: &[Family],
    now: i64,
    imported: &mut Imported,
) -> DbResult<()> {
    let ids: Vec<Value> = chunk.iter().map(|f| db::text(f.id.as_str())).collect();
    let held: HashMap<String, i64> = tx
        .query(
            &format!(
                "SELECT family_id, version FROM families WHERE family_id IN ({})",
                marks(1, ids.len())
            ),
            &ids,
        )?
        .into_iter()
        .map(|r| (r[0].text().unwrap_or_default(), r[1].int()))
        .collect();
    let mut write = Vec::new();
    for family in chunk {
        match held.get(&family.id) {
            None => imported.added += 1,
            Some(&v) if v < i64::from(family.version) => imported.updated += 1,
            Some(&v) if v == i64::from(family.version) => {
                imported.unchanged += 1;
                continue;
            }
            Some(_) => {
                imported.older += 1;
                continue;
            }
        }
        write.push(Cow::Borrowed(family));
    }
    if write.is_empty() {
        return Ok(());
    }
    keep_answers(tx, keys, &held, &mut write)?;
    let kk_blinds: Vec<Vec<u8>> = write
        .iter()
        .map(|f| keys.blind(Blind::Kk, identity::canonical(&f.kk)))
        .collect();
    let mut params = Vec::with_capacity(write.len() * 8);
    let mut nik_params = Vec::new();
    for (family, kk_blind) in write.iter().zip(&kk_blinds) {
        let body = serde_json::to_vec(family).map_err(|e| DbError(e.to_string()))?;
        let sealed = keys
            .seal(&context(&family.id), &body)
            .map_err(|e| DbError(e.to_string()))?;
        params.extend([
            db::text(family.id.as_str()),
            db::int(i64::from(family.version)),
            db::text(family.kelurahan_code.as_str()),
            db::int(i64::from(family.rt)),
            db::int(i64::from(family.rw)),
            db::blob(kk_blind.clone()),
            db::blob(sealed),
            db::int(now),
        ]);
        for member in &family.members {
            nik_params.push(db::blob(
                keys.blind(Blind::Nik, identity::canonical(&member.nik)),
            ));
            nik_params.push(db::text(family.id.as_str()));
        }
    }
    let rows: Vec<String> = (0..write.len())
        .map(|i| format!("({})", marks(i * 8 + 1, 8)))
        .collect();
    tx.execute(
        &format!(
            "INSERT INTO families (family_id, version, kelurahan_code, rt, rw, kk_blind, sealed,
                                   imported_at)
             VALUES {}
             ON CONFLICT (family_id) DO UPDATE SET
                version = excluded.version, kelurahan_code = excluded.kelurahan_code,
                rt = excluded.rt, rw = excluded.rw, kk_blind = excluded.kk_blind,
                sealed = excluded.sealed, imported_at = excluded.imported_at",
            rows.join(", ")
        ),
        &params,
    )?;
    // Households registered before their family was imported stop being usulan baru.
    let kks: Vec<Value> = kk_blinds.into_iter().map(db::blob).collect();
    tx.execute(
        &format!(
            "UPDATE households SET dtsen_family_id = (
                 SELECT f.family_id FROM families f WHERE f.kk_blind = households.kk_index
                 ORDER BY f.family_id LIMIT 1)
             WHERE dtsen_family_id IS NULL AND kk_index IN ({})",
            marks(1, kks.len())
        ),
        &kks,
    )?;
    let updated: Vec<Value> = write
        .iter()
        .filter(|f| held.contains_key(&f.id))
        .map(|f| db::text(f.id.as_str()))
        .collect();
    if !updated.is_empty() {
        // A member who left the family takes their NIK with them.
        tx.execute(
            &format!(
                "DELETE FROM family_niks WHERE family_id IN ({})",
                marks(1, updated.len())
            ),
            &updated,
        )?;
    }
    for niks in nik_params.chunks(2 * CHUNK) {
        let rows: Vec<String> = (0..niks.len() / 2)
            .map(|i| format!("({})", marks(i * 2 + 1, 2)))
            .collect();
        // The newest extract says where a NIK belongs now.
        tx.execute(
            &format!(
                "INSERT INTO family_niks (nik_blind, family_id) VALUES {}
                 ON CONFLICT (nik_blind) DO UPDATE SET family_id = excluded.family_id",
                rows.join(", ")
            ),
            niks,
        )?;
    }
    if !updated.is_empty() {
        let holders = tx.query(
            &format!(
                "SELECT family_id, agent_id FROM assignments WHERE family_id IN ({})",
                marks(1, updated.len())
            ),
            &updated,
        )?;
        let by_id: HashMap<&str, &Family> = write.iter().map(|f| (f.id.as_str(), &**f)).collect();
        let mut sends: BTreeMap<(String, String), Vec<Family>> = BTreeMap::new();
        for row in holders {
            let (id, agent) = (
                row[0].text().unwrap_or_default(),
                row[1].text().unwrap_or_default(),
            );
            if let Some(family) = by_id.get(id.as_str()) {
                sends
                    .entry((agent, family.kelurahan_code.clone()))
                    .or_default()
                    .push(Family::clone(family));
            }
        }
        for ((agent, kelurahan), families) in sends {
            imported.changes += send(tx, keys, &agent, &kelurahan, families, Vec::new(), now)?;
        }
    }
    Ok(())
}

/// A newer version of a held family without answers of its own (an extract without the
/// `pmt_` columns, or blank ones) keeps the answers held: DTSEN's earlier ones or, as an
/// officer expects, those an accepted visit brought back. Its revision starts again at 0.
fn keep_answers(
    tx: &mut dyn Tx,
    keys: &ServerKeys,
    held: &HashMap<String, i64>,
    write: &mut [Cow<'_, Family>],
) -> DbResult<()> {
    let ids: Vec<Value> = write
        .iter()
        .filter(|f| f.pmt_answers.is_empty() && held.contains_key(&f.id))
        .map(|f| db::text(f.id.as_str()))
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let mut kept = HashMap::new();
    for row in tx.query(
        &format!(
            "SELECT family_id, sealed FROM families WHERE family_id IN ({})",
            marks(1, ids.len())
        ),
        &ids,
    )? {
        let id = row[0].text().unwrap_or_default();
        let held = open(keys, &id, &row[1].blob().unwrap_or_default())?;
        if !held.pmt_answers.is_empty() {
            kept.insert(id, held.pmt_answers);
        }
    }
    for family in write.iter_mut() {
        if let Some(answers) = kept.remove(&family.id) {
            family.to_mut().pmt_answers = answers;
        }
    }
    Ok(())
}

/// Queues worklist deltas for one agent in one kelurahan, a few families per change.
pub(crate) fn send(
    tx: &mut dyn Tx,
    keys: &ServerKeys,
    agent_id: &str,
    kelurahan: &str,
    families: Vec<Family>,
    withdrawn: Vec<String>,
    now: i64,
) -> DbResult<usize> {
    let mut count = 0;
    let audience = format!("a:{agent_id}:{kelurahan}");
    for part in families.chunks(FAMILIES_PER_CHANGE) {
        let change = Change::Worklist {
            agent_id: agent_id.to_owned(),
            families: part.to_vec(),
            withdrawn: Vec::new(),
        };
        db::add_change_to(tx, keys, &audience, Some(kelurahan), &body(&change)?, now)?;
        count += 1;
    }
    for part in withdrawn.chunks(FAMILIES_PER_CHANGE * 4) {
        let change = Change::Worklist {
            agent_id: agent_id.to_owned(),
            families: Vec::new(),
            withdrawn: part.to_vec(),
        };
        db::add_change_to(tx, keys, &audience, Some(kelurahan), &body(&change)?, now)?;
        count += 1;
    }
    Ok(count)
}

fn body(change: &Change) -> DbResult<String> {
    serde_json::to_string(change).map_err(|e| DbError(e.to_string()))
}

/// Which families an officer assigns or withdraws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// A kelurahan, optionally one RW, optionally one RT of it.
    Place {
        kelurahan_code: String,
        rw: Option<u16>,
        rt: Option<u16>,
    },
    Ids(Vec<String>),
}

/// Families of a selection: (id, kelurahan, sealed).
fn select(tx: &mut dyn Tx, selection: &Selection) -> DbResult<Vec<(String, String, Vec<u8>)>> {
    let rows = match selection {
        Selection::Place {
            kelurahan_code,
            rw,
            rt,
        } => {
            let mut sql = "SELECT family_id, kelurahan_code, sealed FROM families
                           WHERE kelurahan_code = ?1"
                .to_owned();
            let mut params = vec![db::text(kelurahan_code.as_str())];
            if let Some(rw) = rw {
                params.push(db::int(i64::from(*rw)));
                sql.push_str(&format!(" AND rw = ?{}", params.len()));
            }
            if let Some(rt) = rt {
                params.push(db::int(i64::from(*rt)));
                sql.push_str(&format!(" AND rt = ?{}", params.len()));
            }
            sql.push_str(" ORDER BY family_id");
            tx.query(&sql, &params)?
        }
        Selection::Ids(ids) => {
            let mut rows = Vec::new();
            for chunk in ids.chunks(CHUNK) {
                let params: Vec<Value> = chunk.iter().map(|id| db::text(id.as_str())).collect();
                rows.extend(tx.query(
                    &format!(
                        "SELECT family_id, kelurahan_code, sealed FROM families
                         WHERE family_id IN ({}) ORDER BY family_id",
                        marks(1, params.len())
                    ),
                    &params,
                )?);
            }
            rows
        }
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r[0].text().unwrap_or_default(),
                r[1].text().unwrap_or_default(),
                r[2].blob().unwrap_or_default(),
            )
        })
        .collect())
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Assigned {
    /// Families newly on (or off) the agent's list.
    pub changed: usize,
    /// Families of the selection already so.
    pub already: usize,
    /// Ids of the selection that are not imported families.
    pub unknown: Vec<String>,
}

/// Puts the selected families on an agent's worklist (audited); the agent's phones receive
/// them on their next sync.
pub fn assign(
    state: &AppState,
    operator: &str,
    agent_id: &str,
    selection: &Selection,
) -> Result<Assigned, String> {
    change_assignment(state, operator, agent_id, selection, true)
}

/// Takes the selected families off an agent's worklist (audited); the phones drop them.
pub fn unassign(
    state: &AppState,
    operator: &str,
    agent_id: &str,
    selection: &Selection,
) -> Result<Assigned, String> {
    change_assignment(state, operator, agent_id, selection, false)
}

fn change_assignment(
    state: &AppState,
    operator: &str,
    agent_id: &str,
    selection: &Selection,
    add: bool,
) -> Result<Assigned, String> {
    if agent_id.is_empty()
        || agent_id.len() > 64
        || !agent_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        return Err("agent id: letters, digits, '.', '_' or '-' (at most 64)".into());
    }
    let now = (state.clock)();
    let keys = &state.keys;
    state
        .db
        .write(|tx| {
            // As an import: the family bodies read here are sent after any flowing-back visit
            // that was writing them commits (it sends to the agents it sees assigned).
            db::serialize_on(tx, b"changes")?;
            let found = select(tx, selection)?;
            let mut result = Assigned::default();
            if let Selection::Ids(ids) = selection {
                let known: std::collections::HashSet<&str> =
                    found.iter().map(|(id, _, _)| id.as_str()).collect();
                result.unknown = ids
                    .iter()
                    .filter(|id| !known.contains(id.as_str()))
                    .cloned()
                    .collect();
            }
            let mut sends: BTreeMap<String, (Vec<Family>, Vec<String>)> = BTreeMap::new();
            for (id, kelurahan, sealed) in &found {
                let changed = if add {
                    tx.execute(
                        "INSERT INTO assignments (family_id, agent_id, assigned_at, assigned_by)
                         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (family_id, agent_id) DO NOTHING",
                        &[
                            db::text(id.as_str()),
                            db::text(agent_id),
                            db::int(now),
                            db::text(operator),
                        ],
                    )?
                } else {
                    tx.execute(
                        "DELETE FROM assignments WHERE family_id = ?1 AND agent_id = ?2",
                        &[db::text(id.as_str()), db::text(agent_id)],
                    )?
                };
                if changed == 0 {
                    result.already += 1;
                    continue;
                }
                result.changed += 1;
                let entry = sends.entry(kelurahan.clone()).or_default();
                if add {
                    entry.0.push(open(keys, id, sealed)?);
                } else {
                    entry.1.push(id.clone());
                }
            }
            for (kelurahan, (families, withdrawn)) in sends {
                send(tx, keys, agent_id, &kelurahan, families, withdrawn, now)?;
            }
            crate::staff_audit::record(
                tx,
                now,
                operator,
                if add {
                    "assign_families"
                } else {
                    "unassign_families"
                },
                Some(agent_id),
                Some(&format!(
                    "changed={} already={}",
                    result.changed, result.already
                )),
            )?;
            Ok(result)
        })
        .map_err(|e: DbError| e.0)
}

/// Whether a family is on an agent's worklist (visits to others are refused).
pub fn is_assigned(tx: &mut dyn Tx, family_id: &str, agent_id: &str) -> DbResult<bool> {
    tx.exists(
        "SELECT 1 FROM assignments WHERE family_id = ?1 AND agent_id = ?2",
        &[db::text(family_id), db::text(agent_id)],
    )
}

/// A family as imported, opened.
pub fn family(tx: &mut dyn Tx, keys: &ServerKeys, family_id: &str) -> DbResult<Option<Family>> {
    let row = tx.query_one(
        "SELECT sealed FROM families WHERE family_id = ?1",
        &[db::text(family_id)],
    )?;
    match row.and_then(|r| r[0].blob()) {
        Some(sealed) => open(keys, family_id, &sealed).map(Some),
        None => Ok(None),
    }
}

/// The kelurahan with imported families, inside `scope` (the assignment page's choice).
pub fn kelurahan_with_families(
    state: &AppState,
    scope: &crate::console::accounts::Scope,
) -> DbResult<Vec<String>> {
    let mut params = Vec::new();
    let condition = scope.condition("kelurahan_code", &mut params);
    let rows = state.db.read(|tx| {
        tx.query(
            &format!(
                "SELECT DISTINCT kelurahan_code FROM families WHERE {condition}
                 ORDER BY kelurahan_code"
            ),
            &params,
        )
    })?;
    Ok(rows.iter().filter_map(|r| r[0].text()).collect())
}

/// One kelurahan's families by RW, and how many of them each agent holds.
#[derive(Debug, Default)]
pub struct PlaceSummary {
    /// (RW, families, of them on at least one agent's list)
    pub by_rw: Vec<(i64, i64, i64)>,
    /// (agent, families of this kelurahan on the agent's list)
    pub agents: Vec<(String, i64)>,
}

pub fn place_summary(tx: &mut dyn Tx, kelurahan_code: &str) -> DbResult<PlaceSummary> {
    let by_rw = tx
        .query(
            "SELECT f.rw, count(*),
                    count(*) FILTER (WHERE EXISTS (
                        SELECT 1 FROM assignments a WHERE a.family_id = f.family_id))
             FROM families f WHERE f.kelurahan_code = ?1 GROUP BY f.rw ORDER BY f.rw",
            &[db::text(kelurahan_code)],
        )?
        .iter()
        .map(|r| (r[0].int(), r[1].int(), r[2].int()))
        .collect();
    let agents = tx
        .query(
            "SELECT a.agent_id, count(*) FROM families f
             JOIN assignments a ON a.family_id = f.family_id
             WHERE f.kelurahan_code = ?1 GROUP BY a.agent_id ORDER BY a.agent_id",
            &[db::text(kelurahan_code)],
        )?
        .iter()
        .map(|r| (r[0].text().unwrap_or_default(), r[1].int()))
        .collect();
    Ok(PlaceSummary { by_rw, agents })
}

/// The agents with a phone enrolled (not revoked) for `kelurahan_code`: only they can receive
/// its worklist.
pub fn agents_enrolled_for(tx: &mut dyn Tx, kelurahan_code: &str) -> DbResult<Vec<String>> {
    Ok(tx
        .query(
            "SELECT DISTINCT d.agent_id FROM device_scope s
             JOIN devices d ON d.device_id = s.device_id
             WHERE s.kelurahan_code = ?1 AND d.revoked_at IS NULL ORDER BY d.agent_id",
            &[db::text(kelurahan_code)],
        )?
        .iter()
        .filter_map(|r| r[0].text())
        .collect())
}
