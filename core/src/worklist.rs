//! The agent's worklist: DTSEN families the district assigned, kept sealed, searched offline.
//!
//! Families arrive as the district's signed deltas (`Change::Worklist`) and are checked with
//! the same rules as the import before they are stored. Each is sealed under the device's
//! reference key; the clear columns are only its place (kelurahan, RW, RT) and visit status.
//! Search never needs the names in clear: every NIK, the KK and every 2..8-character prefix of
//! every folded word of every member's name is stored as a keyed blind index (HMAC-SHA256 under
//! a key derived from the device key, 16 bytes for numbers, 8 for name prefixes). A query is
//! folded and keyed the same way, the few candidate families are opened and checked against
//! the whole query. What the file alone shows: how many keys each family has, and which
//! families share a key — not what the key is.
use std::sync::Arc;

use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use crate::crypt::{Cell, Cipher};
use crate::date::Millis;
use crate::error::{Error, ErrorCode, Result};
use crate::identity;
use crate::store::Store;
pub use perlinsos_rules::dtsen::result::FamilyResult;
pub use perlinsos_rules::dtsen::{search, Family, FamilyMember};

const NIK: &str = "worklist-nik";
const KK: &str = "worklist-kk";
const NAME: &str = "worklist-name";
const NAME_KEY_BYTES: usize = 8;
/// Candidates opened for one name query at most: a two-letter prefix in a big list is common.
const MAX_NAME_CANDIDATES: i64 = 2_000;

/// Where a listed family stands for the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitStatus {
    BelumDikunjungi,
    Dikunjungi,
    KunjungiUlang,
}

impl VisitStatus {
    pub const ALL: &'static [VisitStatus] = &[
        VisitStatus::BelumDikunjungi,
        VisitStatus::Dikunjungi,
        VisitStatus::KunjungiUlang,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VisitStatus::BelumDikunjungi => "belum_dikunjungi",
            VisitStatus::Dikunjungi => "dikunjungi",
            VisitStatus::KunjungiUlang => "kunjungi_ulang",
        }
    }

    pub fn parse(text: &str) -> Option<VisitStatus> {
        VisitStatus::ALL
            .iter()
            .copied()
            .find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            VisitStatus::BelumDikunjungi => "Belum dikunjungi",
            VisitStatus::Dikunjungi => "Sudah dikunjungi",
            VisitStatus::KunjungiUlang => "Perlu dikunjungi ulang",
        }
    }
}

/// One line of the list: enough to recognise the family and open it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub family_id: String,
    pub version: u32,
    pub kelurahan_code: String,
    pub rt: u16,
    pub rw: u16,
    pub status: VisitStatus,
    pub head_name: String,
    pub members: usize,
    pub desil: Option<u8>,
}

/// What the list shows; every part optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub kelurahan_code: Option<String>,
    pub rw: Option<u16>,
    pub rt: Option<u16>,
    pub status: Option<VisitStatus>,
}

fn seal(cipher: &Cipher, agent_id: &str, family: &Family) -> Result<Vec<u8>> {
    cipher.seal_json(
        Cell::new(
            "worklist_families",
            "sealed",
            &format!("{agent_id}/{}", family.id),
        ),
        family,
    )
}

fn open(cipher: &Cipher, agent_id: &str, family_id: &str, sealed: &[u8]) -> Result<Family> {
    cipher.open_json(
        Cell::new(
            "worklist_families",
            "sealed",
            &format!("{agent_id}/{family_id}"),
        ),
        sealed,
    )
}

fn name_key(cipher: &Cipher, prefix: &str) -> Vec<u8> {
    let mut key = cipher.blind_index(NAME, prefix);
    key.truncate(NAME_KEY_BYTES);
    key
}

fn keys(cipher: &Cipher, family: &Family) -> Vec<Vec<u8>> {
    let mut keys = vec![cipher.blind_index(KK, identity::canonical(&family.kk))];
    for member in &family.members {
        keys.push(cipher.blind_index(NIK, identity::canonical(&member.nik)));
        for prefix in search::indexed_prefixes(&member.name) {
            keys.push(name_key(cipher, &prefix));
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// Applies one delta of the district's (already verified as signed by it): families added or
/// changed and families withdrawn. A family replaces the held one only when its (version,
/// revision) is greater: a newer extract, or the district's update of the same one (an
/// accepted visit's answers); an older or equal copy changes nothing.
/// A family that breaks the rules refuses the whole delta. Idempotent.
pub fn apply(
    tx: &Transaction<'_>,
    cipher: &Cipher,
    agent_id: &str,
    families: &[Family],
    withdrawn: &[String],
    now: Millis,
) -> Result<()> {
    let today = crate::date::Date::of_unix_millis(now);
    for family in families {
        let errors = perlinsos_rules::dtsen::check_family("family", family, today);
        if !errors.is_empty() {
            return Err(Error::invalid("worklist", ErrorCode::WorklistChangeInvalid));
        }
    }
    for family in families {
        let held: Option<(i64, u32, u32)> = tx
            .prepare_cached(
                "SELECT id, version, revision FROM worklist_families
                 WHERE agent_id = ?1 AND family_id = ?2",
            )?
            .query_row(params![agent_id, family.id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let row = match held {
            Some((_, version, revision)) if !family.is_newer_than(version, revision) => continue,
            Some((row, _, _)) => {
                tx.prepare_cached(
                    "UPDATE worklist_families SET version = ?2, revision = ?3,
                            kelurahan_code = ?4, rt = ?5, rw = ?6, sealed = ?7, received_at = ?8
                     WHERE id = ?1",
                )?
                .execute(params![
                    row,
                    family.version,
                    family.revision,
                    family.kelurahan_code,
                    family.rt,
                    family.rw,
                    seal(cipher, agent_id, family)?,
                    now
                ])?;
                tx.prepare_cached("DELETE FROM worklist_keys WHERE family = ?1")?
                    .execute([row])?;
                row
            }
            None => {
                tx.prepare_cached(
                    "INSERT INTO worklist_families (agent_id, family_id, version, revision,
                                                    kelurahan_code, rt, rw, sealed, received_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?
                .execute(params![
                    agent_id,
                    family.id,
                    family.version,
                    family.revision,
                    family.kelurahan_code,
                    family.rt,
                    family.rw,
                    seal(cipher, agent_id, family)?,
                    now
                ])?;
                tx.last_insert_rowid()
            }
        };
        let mut insert =
            tx.prepare_cached("INSERT OR IGNORE INTO worklist_keys (key, family) VALUES (?1, ?2)")?;
        for key in keys(cipher, family) {
            insert.execute(params![key, row])?;
        }
    }
    let mut delete =
        tx.prepare_cached("DELETE FROM worklist_families WHERE agent_id = ?1 AND family_id = ?2")?;
    for id in withdrawn {
        delete.execute(params![agent_id, id])?;
    }
    Ok(())
}

fn result_cell<'a>(key: &'a str) -> Cell<'a> {
    Cell::new("family_results", "sealed", key)
}

/// Stores results the district published (already verified as signed by it) for families on
/// the agent's list; a result against the rules refuses the whole change. Idempotent.
pub fn apply_results(
    tx: &Transaction<'_>,
    cipher: &Cipher,
    agent_id: &str,
    results: &[FamilyResult],
    now: Millis,
) -> Result<()> {
    if results
        .iter()
        .any(|r| !perlinsos_rules::dtsen::result::check_result(r).is_empty())
    {
        return Err(Error::invalid("results", ErrorCode::WorklistChangeInvalid));
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO family_results (agent_id, family_id, objection_deadline, sealed, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (agent_id, family_id) DO UPDATE SET
            objection_deadline = excluded.objection_deadline, sealed = excluded.sealed,
            received_at = excluded.received_at",
    )?;
    for result in results {
        let key = format!("{agent_id}/{}", result.family_id);
        let sealed = cipher.seal_json(result_cell(&key), result)?;
        insert.execute(params![
            agent_id,
            result.family_id,
            result.objection_deadline,
            sealed,
            now
        ])?;
    }
    Ok(())
}

/// One agent's worklist on this phone.
pub struct Worklist {
    store: Arc<Store>,
    cipher: Arc<Cipher>,
    agent_id: String,
}

impl Worklist {
    pub fn new(store: Arc<Store>, cipher: Arc<Cipher>, agent_id: &str) -> Worklist {
        Worklist {
            store,
            cipher,
            agent_id: agent_id.to_owned(),
        }
    }

    pub fn count(&self) -> Result<usize> {
        self.store.read(|conn| {
            Ok(conn
                .prepare_cached("SELECT count(*) FROM worklist_families WHERE agent_id = ?1")?
                .query_row([&self.agent_id], |r| r.get::<_, i64>(0))? as usize)
        })
    }

    fn entries(&self, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Result<Vec<(Entry, Family)>> {
        self.store.read(|conn| {
            let mut stmt = conn.prepare_cached(sql)?;
            let rows = stmt.query_map(params, |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, u16>(3)?,
                    r.get::<_, u16>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Vec<u8>>(6)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (family_id, version, kelurahan_code, rt, rw, status, sealed) = row?;
                let family = open(&self.cipher, &self.agent_id, &family_id, &sealed)?;
                let head = family
                    .members
                    .iter()
                    .find(|m| m.relation == perlinsos_rules::registration::Relation::KepalaKeluarga)
                    .or(family.members.first())
                    .map(|m| m.name.clone())
                    .unwrap_or_default();
                out.push((
                    Entry {
                        family_id,
                        version,
                        kelurahan_code,
                        rt,
                        rw,
                        status: VisitStatus::parse(&status)
                            .ok_or(Error::Corrupt("worklist status"))?,
                        head_name: head,
                        members: family.members.len(),
                        desil: family.desil,
                    },
                    family,
                ));
            }
            Ok(out)
        })
    }

    const COLUMNS: &'static str =
        "f.family_id, f.version, f.kelurahan_code, f.rt, f.rw, f.status, f.sealed";

    /// A page of the list in place order (kelurahan, RW, RT, family id).
    pub fn list(&self, filter: &Filter, offset: usize, limit: usize) -> Result<Vec<Entry>> {
        let status = filter.status.map(VisitStatus::as_str);
        let sql = format!(
            "SELECT {} FROM worklist_families f
             WHERE f.agent_id = ?1 AND (?2 IS NULL OR f.kelurahan_code = ?2)
               AND (?3 IS NULL OR f.rw = ?3) AND (?4 IS NULL OR f.rt = ?4)
               AND (?5 IS NULL OR f.status = ?5)
             ORDER BY f.kelurahan_code, f.rw, f.rt, f.family_id LIMIT ?6 OFFSET ?7",
            Self::COLUMNS
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        Ok(self
            .entries(
                &sql,
                &[
                    &self.agent_id,
                    &filter.kelurahan_code,
                    &filter.rw,
                    &filter.rt,
                    &status,
                    &limit,
                    &offset,
                ],
            )?
            .into_iter()
            .map(|(e, _)| e)
            .collect())
    }

    fn by_key(&self, key: &[u8], limit: i64) -> Result<Vec<(Entry, Family)>> {
        let sql = format!(
            "SELECT {} FROM worklist_keys k JOIN worklist_families f ON f.id = k.family
             WHERE k.key = ?1 AND f.agent_id = ?2 ORDER BY f.family_id LIMIT ?3",
            Self::COLUMNS
        );
        self.entries(&sql, &[&key, &self.agent_id, &limit])
    }

    /// The family (or families) with a member of this NIK, or this KK number.
    pub fn find_number(&self, number: &str) -> Result<Vec<Entry>> {
        let number = identity::canonical(number);
        let mut found = Vec::new();
        for (entry, family) in self
            .by_key(&self.cipher.blind_index(NIK, number), 20)?
            .into_iter()
            .chain(self.by_key(&self.cipher.blind_index(KK, number), 20)?)
        {
            let real = identity::canonical(&family.kk) == number
                || family
                    .members
                    .iter()
                    .any(|m| identity::canonical(&m.nik) == number);
            if real && !found.iter().any(|e: &Entry| e.family_id == entry.family_id) {
                found.push(entry);
            }
        }
        Ok(found)
    }

    /// Families with a member whose name has words beginning with every word of `query`
    /// (case and accents ignored), at most `limit`. A query shorter than two letters finds
    /// nothing.
    pub fn find_name(&self, query: &str, limit: usize) -> Result<Vec<Entry>> {
        let Some(key) = search::query_key(query) else {
            return Ok(Vec::new());
        };
        let mut found = Vec::new();
        for (entry, family) in self.by_key(&name_key(&self.cipher, &key), MAX_NAME_CANDIDATES)? {
            if family
                .members
                .iter()
                .any(|m| search::matches(&m.name, query))
            {
                found.push(entry);
                if found.len() >= limit {
                    break;
                }
            }
        }
        Ok(found)
    }

    /// The whole family, to open it.
    pub fn family(&self, family_id: &str) -> Result<Option<(Entry, Family)>> {
        let sql = format!(
            "SELECT {} FROM worklist_families f WHERE f.agent_id = ?1 AND f.family_id = ?2",
            Self::COLUMNS
        );
        Ok(self
            .entries(&sql, &[&self.agent_id, &family_id])?
            .into_iter()
            .next())
    }

    /// The result the district published for a family on the list, if any.
    pub fn result(&self, family_id: &str) -> Result<Option<FamilyResult>> {
        let sealed: Option<Vec<u8>> = self.store.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT sealed FROM family_results WHERE agent_id = ?1 AND family_id = ?2",
                )?
                .query_row(params![self.agent_id, family_id], |r| r.get(0))
                .optional()?)
        })?;
        match sealed {
            Some(sealed) => Ok(Some(self.cipher.open_json(
                result_cell(&format!("{}/{family_id}", self.agent_id)),
                &sealed,
            )?)),
            None => Ok(None),
        }
    }

    /// Marks where a family stands (a visit saved or sent sets it; the agent may mark one for
    /// a revisit).
    pub fn set_status(&self, family_id: &str, status: VisitStatus) -> Result<()> {
        let changed = self.store.write(|tx| {
            Ok(tx
                .prepare_cached(
                    "UPDATE worklist_families SET status = ?3 WHERE agent_id = ?1 AND family_id = ?2",
                )?
                .execute(params![self.agent_id, family_id, status.as_str()])?)
        })?;
        if changed == 0 {
            return Err(Error::invalid("family_id", ErrorCode::FamilyNotAssigned));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
