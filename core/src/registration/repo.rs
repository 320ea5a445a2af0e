//! SQL of registration. Writers take a `Transaction`, readers a `Connection`; personal values
//! are sealed to their cell, NIK and KK are found by blind index.
use perlinsos_protocol::record::{HouseholdRegistered, Record};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use crate::crypt::{Cell, Cipher};
use crate::error::{Error, ErrorCode, FieldError, Result};
use crate::identity::{canonical, Sex};
use crate::outbox;

use super::blind_index;
use super::model::*;

const NIK_DOMAIN: &str = "nik";
const KK_DOMAIN: &str = "kk";

fn draft_cell(id: &str) -> Cell<'_> {
    Cell::new("drafts", "body", id)
}

fn draft_not_found() -> Error {
    Error::invalid("draft", ErrorCode::DraftNotFound)
}

const INSERT_DRAFT: &str = "INSERT INTO drafts (id, agent_id, step, revision, body, created_at,
     updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)";
const UPDATE_DRAFT: &str = "UPDATE drafts SET agent_id = ?2, step = ?3, revision = ?4, body = ?5,
     updated_at = ?6 WHERE id = ?1";

/// Seals the whole draft into its row with one of the two statements above.
fn write_draft(
    tx: &Transaction<'_>,
    sql: &str,
    cipher: &Cipher,
    draft: &Draft,
    now: Millis,
) -> Result<usize> {
    let body = cipher.seal_json(draft_cell(&draft.id), draft)?;
    Ok(tx.prepare_cached(sql)?.execute(params![
        draft.id,
        draft.visit.agent_id,
        draft.step.as_str(),
        draft.revision as i64,
        body,
        now
    ])?)
}

pub fn insert_draft(
    tx: &Transaction<'_>,
    cipher: &Cipher,
    draft: &Draft,
    now: Millis,
) -> Result<()> {
    write_draft(tx, INSERT_DRAFT, cipher, draft, now).map(drop)
}

/// Fails with DRAFT_NOT_FOUND if the draft was discarded or submitted meanwhile.
pub fn save_draft(tx: &Transaction<'_>, cipher: &Cipher, draft: &Draft, now: Millis) -> Result<()> {
    match write_draft(tx, UPDATE_DRAFT, cipher, draft, now)? {
        0 => Err(draft_not_found()),
        _ => Ok(()),
    }
}

/// `agent`: when set, another agent's draft is not found.
pub fn load_draft(
    conn: &Connection,
    cipher: &Cipher,
    id: &str,
    agent: Option<&str>,
) -> Result<Draft> {
    let body: Vec<u8> = conn
        .prepare_cached("SELECT body FROM drafts WHERE id = ?1 AND (?2 IS NULL OR agent_id = ?2)")?
        .query_row(params![id, agent], |row| row.get(0))
        .optional()?
        .ok_or_else(draft_not_found)?;
    cipher.open_json(draft_cell(id), &body)
}

pub fn delete_draft(tx: &Transaction<'_>, id: &str) -> Result<()> {
    tx.prepare_cached("DELETE FROM drafts WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

pub fn list_drafts(
    conn: &Connection,
    cipher: &Cipher,
    agent: Option<&str>,
) -> Result<Vec<DraftSummary>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, agent_id, body, updated_at FROM drafts WHERE ?1 IS NULL OR agent_id = ?1
         ORDER BY updated_at DESC, id",
    )?;
    let rows = stmt.query_map([agent], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, Vec<u8>>(2)?,
            row.get::<_, i64>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, agent_id, body, updated_at) = row?;
        let draft: Draft = cipher.open_json(draft_cell(&id), &body)?;
        out.push(DraftSummary {
            head_name: draft
                .members
                .iter()
                .find(|m| m.input.relation == Relation::KepalaKeluarga)
                .map(|m| m.input.full_name.clone()),
            member_count: draft.members.len(),
            step: draft.step,
            revision: draft.revision,
            id,
            agent_id,
            updated_at,
        });
    }
    Ok(out)
}

pub fn household_of_draft(conn: &Connection, draft_id: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT id FROM households WHERE id = ?1")?
        .query_row([draft_id], |row| row.get(0))
        .optional()?)
}

pub fn household_by_nik(conn: &Connection, cipher: &Cipher, nik: &str) -> Result<Option<String>> {
    blind_index::holder_read(conn, &cipher.blind_index(NIK_DOMAIN, canonical(nik)))
}

/// NIKs or KK already registered in another household on this phone; the message names that
/// household's id, never its people.
pub fn duplicates_on_phone(
    lookup: &blind_index::Writer<'_, '_>,
    cipher: &Cipher,
    draft: &Draft,
) -> Result<Vec<FieldError>> {
    let mut errors = Vec::new();
    let detail = |id: &str| format!("ID keluarga: {id}.");
    let kk = draft
        .household
        .as_ref()
        .map(|info| cipher.blind_index(KK_DOMAIN, canonical(&info.kk)));
    let niks: Vec<Vec<u8>> = draft
        .members
        .iter()
        .map(|member| cipher.blind_index(NIK_DOMAIN, canonical(&member.input.nik)))
        .collect();
    let blinds: Vec<&[u8]> = kk.iter().chain(&niks).map(Vec::as_slice).collect();
    let mut holders = lookup.holders(&blinds)?.into_iter();
    if kk.is_some() {
        if let Some(id) = holders.next().flatten() {
            errors.push(
                FieldError::new("household.kk", ErrorCode::KkRegisteredElsewhere)
                    .with_detail(&detail(&id)),
            );
        }
    }
    for (i, holder) in holders.enumerate() {
        if let Some(id) = holder {
            errors.push(
                FieldError::new(
                    format!("members[{i}].nik"),
                    ErrorCode::NikRegisteredElsewhere,
                )
                .with_detail(&detail(&id)),
            );
        }
    }
    Ok(errors)
}

/// A member as sealed with the others in `households.members_sealed` (migration 0016).
/// Written as a JSON array in field order, without keys: five members' cell is then about
/// 900 bytes instead of 1,400, and two households share a 4 KiB page instead of each filling
/// one (fewer WAL pages per registration). The derived `Deserialize` reads arrays and keyed
/// objects alike, so cells written with keys by the first 0016 phones still read.
#[derive(Deserialize)]
struct StoredMember {
    id: String,
    nik: String,
    full_name: String,
    birth_date: String,
    profile: Profile,
}

/// Member attributes kept together in one sealed column; an array in field order like
/// `StoredMember` (before 0016 the `members.profile` cells were keyed objects, which read too).
#[derive(Deserialize)]
struct Profile {
    relation: Relation,
    sex: Sex,
    marital: Marital,
    education: Education,
    occupation: String,
    disability: Disability,
    ikd: Option<IkdStatus>,
}

/// Signs the resident's receipt of a registration: this device's id and key.
pub struct ReceiptSigner<'a> {
    pub device_id: &'a str,
    pub key: &'a ring::signature::Ed25519KeyPair,
}

pub fn insert_household(
    tx: &Transaction<'_>,
    lookup: &blind_index::Writer<'_, '_>,
    cipher: &Cipher,
    draft: &Draft,
    now: Millis,
    receipt_signer: Option<ReceiptSigner<'_>>,
) -> Result<String> {
    let info = draft
        .household
        .as_ref()
        .ok_or_else(|| Error::invalid("household", ErrorCode::StepMissing))?;
    let consent = draft
        .consent
        .as_ref()
        .ok_or_else(|| Error::invalid("consent", ErrorCode::ConsentMissing))?;
    let head = draft
        .members
        .iter()
        .find(|m| m.input.relation == Relation::KepalaKeluarga)
        .ok_or_else(|| Error::invalid("members", ErrorCode::HeadMissing))?;
    let id = draft.id.clone();
    let cell = |column| Cell::new("households", column, &id);
    let kk = canonical(&info.kk);
    let mut blinds = vec![cipher.blind_index(KK_DOMAIN, kk)];
    // The receipt the resident keeps, signed over the household's id and registration time.
    let receipt = receipt_signer.map(|signer| {
        crate::visits::sign_resident_receipt(
            signer.key,
            perlinsos_protocol::outbox_kind::HOUSEHOLD_REGISTERED,
            &id,
            signer.device_id,
            now,
        )
    });
    // The members as stored and as sent (the same normalized values), built once; they
    // travel in the household's own row: one row appended, one seal.
    let members: Vec<RegisteredMember> = draft
        .members
        .iter()
        .map(|member| RegisteredMember {
            id: member.id.clone(),
            input: MemberInput {
                nik: canonical(&member.input.nik).to_owned(),
                full_name: member.input.full_name.trim().to_owned(),
                ..member.input.clone()
            },
            ikd: draft.ikd.get(&member.id).copied(),
        })
        .collect();
    blinds.extend(
        members
            .iter()
            .map(|m| cipher.blind_index(NIK_DOMAIN, &m.input.nik)),
    );
    let stored: Vec<StoredMember> = members.iter().map(StoredMember::of).collect();
    tx.prepare_cached(
        "INSERT INTO households (id, agent_id, kelurahan_code, kk_index, kk, address,
             visit, consent, head_member_id, member_count, registered_at, pmt_model_id,
             pmt_model_version, pmt, receipt, members_sealed, members_nik_index)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(params![
        id,
        draft.visit.agent_id,
        info.address.kelurahan_code,
        blinds[0],
        cipher.seal_str(cell("kk"), kk)?,
        cipher.seal_json(cell("address"), &info.address)?,
        cipher.seal_json(cell("visit"), &draft.visit)?,
        cipher.seal_json(cell("consent"), consent)?,
        head.id,
        draft.members.len() as i64,
        now,
        draft.pmt.as_ref().map(|p| p.model_id.as_str()),
        draft.pmt.as_ref().map(|p| p.model_version),
        draft
            .pmt
            .as_ref()
            .map(|p| cipher.seal_json(cell("pmt"), p))
            .transpose()?,
        receipt,
        cipher.seal_json(cell("members"), &stored)?,
        blinds[1..].concat(),
    ])?;
    let rowid = tx.last_insert_rowid();
    lookup.add(&id, rowid, &blinds)?;
    // The record as stored (the same normalized values), with the photos taken during the
    // visit; built here rather than read back, which would open every sealed cell again.
    let household = RegisteredHousehold {
        id: id.clone(),
        draft_id: id.clone(),
        agent_id: draft.visit.agent_id.clone(),
        kk: kk.to_owned(),
        address: info.address.clone(),
        visit: draft.visit.clone(),
        consent: consent.clone(),
        head_member_id: head.id.clone(),
        members,
        pmt: draft.pmt.clone(),
        registered_at: now,
    };
    let record = Record::HouseholdRegistered(Box::new(HouseholdRegistered {
        evidence: crate::evidence::book::refs_for(tx, cipher, "household", &id)?,
        household,
        receipt,
    }));
    outbox::enqueue(tx, &record, Some(&info.address.kelurahan_code), now)?;
    delete_draft(tx, &draft.id)?;
    Ok(id)
}

/// A household's members are the rowids `household rowid * 64 + position` (migration 0014):
/// one range, found and removed without an index of their own.
const MEMBER_ROWS: i64 = 64;
const _: () = assert!(perlinsos_rules::registration::validate::MAX_MEMBERS < MEMBER_ROWS as usize);

/// The first and last member rowid of the household stored at `household_rowid`.
pub fn member_rows(household_rowid: i64) -> Result<(i64, i64)> {
    let first = household_rowid.checked_mul(MEMBER_ROWS);
    let last = first.and_then(|first| first.checked_add(MEMBER_ROWS - 1));
    match (first, last) {
        (Some(first), Some(last)) => Ok((first, last)),
        _ => Err(Error::Corrupt("household rowid")),
    }
}

/// Removes a registered household, its members and its look-up entries.
pub fn delete_household(tx: &Transaction<'_>, id: &str) -> Result<()> {
    let Some(rowid) = tx
        .prepare_cached("SELECT rowid FROM households WHERE id = ?1")?
        .query_row([id], |row| row.get::<_, i64>(0))
        .optional()?
    else {
        return Ok(());
    };
    let (first, last) = member_rows(rowid)?;
    blind_index::Writer::open(tx)?.remove_household(id, rowid, (first, last))?;
    tx.prepare_cached("DELETE FROM members WHERE rowid BETWEEN ?1 AND ?2")?
        .execute([first, last])?;
    tx.prepare_cached("DELETE FROM households WHERE rowid = ?1")?
        .execute([rowid])?;
    Ok(())
}

pub fn household_ids(conn: &Connection, agent: Option<&str>) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM households WHERE ?1 IS NULL OR agent_id = ?1 ORDER BY registered_at, id",
    )?;
    let rows = stmt.query_map([agent], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn load_household(
    conn: &Connection,
    cipher: &Cipher,
    id: &str,
    agent: Option<&str>,
) -> Result<RegisteredHousehold> {
    let row = conn
        .prepare_cached(
            "SELECT agent_id, kk, address, visit, consent, head_member_id, registered_at, pmt,
                 rowid, members_sealed
             FROM households WHERE id = ?1 AND (?2 IS NULL OR agent_id = ?2)",
        )?
        .query_row(params![id, agent], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, Vec<u8>>(3)?,
                r.get::<_, Vec<u8>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, Option<Vec<u8>>>(7)?,
                r.get::<_, i64>(8)?,
                r.get::<_, Option<Vec<u8>>>(9)?,
            ))
        })
        .optional()?
        .ok_or_else(|| match agent {
            Some(_) => Error::invalid("household", ErrorCode::SessionOutOfScope),
            None => Error::Corrupt("household not found"),
        })?;
    let (agent_id, kk, address, visit, consent, head_member_id, registered_at, pmt, rowid, sealed) =
        row;
    let cell = |column| Cell::new("households", column, id);
    let members = match sealed {
        Some(sealed) => cipher
            .open_json::<Vec<StoredMember>>(cell("members"), &sealed)?
            .into_iter()
            .map(StoredMember::registered)
            .collect::<Result<_>>()?,
        None => members_before_0016(conn, cipher, rowid)?,
    };
    Ok(RegisteredHousehold {
        id: id.to_owned(),
        draft_id: id.to_owned(),
        agent_id,
        kk: cipher.open_string(cell("kk"), &kk)?,
        address: cipher.open_json(cell("address"), &address)?,
        visit: cipher.open_json(cell("visit"), &visit)?,
        consent: cipher.open_json(cell("consent"), &consent)?,
        head_member_id,
        members,
        pmt: pmt
            .map(|sealed| cipher.open_json(cell("pmt"), &sealed))
            .transpose()?,
        registered_at,
    })
}

impl Serialize for StoredMember {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let StoredMember {
            id,
            nik,
            full_name,
            birth_date,
            profile,
        } = self;
        (id, nik, full_name, birth_date, profile).serialize(s)
    }
}

impl Serialize for Profile {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let Profile {
            relation,
            sex,
            marital,
            education,
            occupation,
            disability,
            ikd,
        } = self;
        (
            relation, sex, marital, education, occupation, disability, ikd,
        )
            .serialize(s)
    }
}

impl StoredMember {
    fn of(member: &RegisteredMember) -> StoredMember {
        let m = &member.input;
        StoredMember {
            id: member.id.clone(),
            nik: m.nik.clone(),
            full_name: m.full_name.clone(),
            birth_date: m.birth_date.to_string(),
            profile: Profile {
                relation: m.relation,
                sex: m.sex,
                marital: m.marital,
                education: m.education,
                occupation: m.occupation.clone(),
                disability: m.disability,
                ikd: member.ikd,
            },
        }
    }

    fn registered(self) -> Result<RegisteredMember> {
        let birth_date = crate::date::Date::parse_iso(&self.birth_date)
            .ok_or(Error::Corrupt("stored birth date"))?;
        let profile = self.profile;
        Ok(RegisteredMember {
            input: MemberInput {
                nik: self.nik,
                full_name: self.full_name,
                relation: profile.relation,
                sex: profile.sex,
                birth_date,
                marital: profile.marital,
                education: profile.education,
                occupation: profile.occupation,
                disability: profile.disability,
            },
            ikd: profile.ikd,
            id: self.id,
        })
    }
}

/// The members of a household stored before migration 0016: a row each, four sealed cells.
fn members_before_0016(
    conn: &Connection,
    cipher: &Cipher,
    rowid: i64,
) -> Result<Vec<RegisteredMember>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, nik, full_name, birth_date, profile FROM members
         WHERE rowid BETWEEN ?1 AND ?2 ORDER BY rowid",
    )?;
    let (first, last) = member_rows(rowid)?;
    let rows = stmt.query_map([first, last], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Vec<u8>>(1)?,
            r.get::<_, Vec<u8>>(2)?,
            r.get::<_, Vec<u8>>(3)?,
            r.get::<_, Vec<u8>>(4)?,
        ))
    })?;
    let mut members = Vec::new();
    for row in rows {
        let (member_id, nik, full_name, birth_date, profile) = row?;
        let cell = |column| Cell::new("members", column, &member_id);
        let stored = StoredMember {
            nik: cipher.open_string(cell("nik"), &nik)?,
            full_name: cipher.open_string(cell("full_name"), &full_name)?,
            birth_date: cipher.open_string(cell("birth_date"), &birth_date)?,
            profile: cipher.open_json(cell("profile"), &profile)?,
            id: member_id,
        };
        members.push(stored.registered()?);
    }
    Ok(members)
}

/// The resident's receipt of a registered household (signature and time), when it has one.
pub fn household_receipt(
    conn: &Connection,
    id: &str,
    agent: Option<&str>,
) -> Result<Option<(String, Millis)>> {
    Ok(conn
        .prepare_cached(
            "SELECT receipt, registered_at FROM households
             WHERE id = ?1 AND (?2 IS NULL OR agent_id = ?2) AND receipt IS NOT NULL",
        )?
        .query_row(params![id, agent], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}
