//! Verification visits of worklist families: a draft sealed for the agent at every step
//! (kill-safe, resumed where it was left), then one record per visit, sealed into the outbox
//! in the same transaction that marks the family visited, with the resident's receipt signed
//! by the device.
use std::sync::Arc;

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use perlinsos_protocol::outbox_kind;
use perlinsos_protocol::record::{Record, VisitRecorded};
use perlinsos_protocol::signing;
use perlinsos_rules::dtsen::visit::{
    check_verification, MemberCorrection, SavingsAccount, VerificationVisit, VerifiedMember,
    VisitOutcome,
};
use perlinsos_rules::registration::{Consent, PmtRecord, Visit};

use crate::audit::{self, Action};
use crate::crypt::{Cell, Cipher};
use crate::date::{Clock, Date, Millis};
use crate::error::{Error, ErrorCode, FieldError, Result};
use crate::pmt::{self, model::Model, Answers, Preview};
use crate::session::device::Device;
use crate::store::Store;
use crate::worklist::{VisitStatus, Worklist};

/// A visit as the agent fills it in; saved whole at every step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitDraft {
    pub id: String,
    pub family_id: String,
    pub family_version: u32,
    pub revision: u64,
    pub visit: Visit,
    pub outcome: Option<VisitOutcome>,
    /// Pre-filled from the worklist; the agent corrects it.
    pub members: Vec<VerifiedMember>,
    pub corrections: Vec<MemberCorrection>,
    pub account: Option<SavingsAccount>,
    pub consent: Option<Consent>,
    pub pmt: Option<PmtRecord>,
    pub note: String,
}

/// A submitted visit, as the agent's list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitSummary {
    pub id: String,
    pub family_id: String,
    pub outcome: VisitOutcome,
    /// `menunggu_kirim` until the district answers, then its status (`diterima`, `konflik`,
    /// `digantikan`).
    pub status: String,
    pub reason: Option<String>,
    pub recorded_at: Millis,
}

/// What the resident keeps: a short code and the signed QR payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentReceipt {
    pub record_id: String,
    pub code: String,
    pub payload: String,
    pub at: Millis,
}

pub const WAITING: &str = "menunggu_kirim";
/// The district's answers, as the server names them.
pub const ACCEPTED: &str = "diterima";
pub const CONFLICT: &str = "konflik";
pub const SUPERSEDED: &str = "digantikan";

fn cell(id: &str) -> Cell<'_> {
    Cell::new("visit_drafts", "sealed", id)
}

fn reason_cell(id: &str) -> Cell<'_> {
    Cell::new("visits", "reason", id)
}

pub struct VisitBook {
    store: Arc<Store>,
    cipher: Arc<Cipher>,
    device: Arc<Device>,
    clock: Clock,
    agent_id: String,
    worklist: Worklist,
}

impl VisitBook {
    pub fn new(
        store: Arc<Store>,
        cipher: Arc<Cipher>,
        device: Arc<Device>,
        clock: Clock,
        agent_id: &str,
    ) -> VisitBook {
        let worklist = Worklist::new(store.clone(), device.reference_cipher(), agent_id);
        VisitBook {
            store,
            cipher,
            device,
            clock,
            agent_id: agent_id.to_owned(),
            worklist,
        }
    }

    /// Opens the draft of a visit to a listed family: the family's open draft if there is one
    /// (the app was killed), else a new one pre-filled from the worklist.
    pub fn start(&self, family_id: &str) -> Result<VisitDraft> {
        let now = (self.clock)();
        let existing: Option<String> = self.store.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT id FROM visit_drafts WHERE agent_id = ?1 AND family_id = ?2",
                )?
                .query_row(params![self.agent_id, family_id], |r| r.get(0))
                .optional()?)
        })?;
        if let Some(id) = existing {
            return self.draft(&id);
        }
        let (_, family) = self
            .worklist
            .family(family_id)?
            .ok_or_else(|| Error::invalid("family_id", ErrorCode::FamilyNotAssigned))?;
        let draft = VisitDraft {
            id: crate::ids::new_id()?,
            family_id: family.id.clone(),
            family_version: family.version,
            revision: 0,
            visit: Visit {
                agent_id: self.agent_id.clone(),
                kelurahan_code: family.kelurahan_code.clone(),
                rt: family.rt,
                rw: family.rw,
                started_at: now,
                gps: None,
            },
            outcome: None,
            members: family
                .members
                .iter()
                .map(|m| VerifiedMember {
                    member: m.clone(),
                    nik_confirmed: false,
                    ikd: None,
                })
                .collect(),
            corrections: Vec::new(),
            account: None,
            consent: None,
            pmt: None,
            note: String::new(),
        };
        self.store.write(|tx| {
            self.write_draft(tx, &draft, now)?;
            audit::append(
                tx,
                &self.device.signer(),
                &self.agent_id,
                Action::VisitStarted,
                Some(&draft.id),
                now,
            )
            .map(drop)
        })?;
        Ok(draft)
    }

    fn write_draft(
        &self,
        tx: &rusqlite::Transaction<'_>,
        draft: &VisitDraft,
        now: Millis,
    ) -> Result<()> {
        let sealed = self.cipher.seal_json(cell(&draft.id), draft)?;
        tx.prepare_cached(
            "INSERT INTO visit_drafts (id, agent_id, family_id, revision, sealed, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO UPDATE SET revision = excluded.revision,
                                            sealed = excluded.sealed,
                                            updated_at = excluded.updated_at",
        )?
        .execute(params![
            draft.id,
            self.agent_id,
            draft.family_id,
            draft.revision as i64,
            sealed,
            now
        ])?;
        Ok(())
    }

    /// Saves the draft as the agent left it (every step); returns its new revision. A copy
    /// older than the one saved (another screen saved meanwhile) is refused: DRAFT_STALE.
    pub fn save(&self, draft: &VisitDraft) -> Result<u64> {
        let now = (self.clock)();
        self.store.write(|tx| {
            // One read of the stored draft: its revision for the stale check, and its
            // questionnaire, which changes only through set_pmt, so an edit of another step
            // made from an older copy never drops its answers.
            let stored = self.load(tx, &draft.id)?;
            if stored.revision != draft.revision {
                return Err(Error::invalid("revision", ErrorCode::DraftStale));
            }
            let mut saved = draft.clone();
            saved.revision += 1;
            saved.visit.agent_id = self.agent_id.clone();
            saved.pmt = stored.pmt;
            self.write_draft(tx, &saved, now)?;
            Ok(saved.revision)
        })
    }

    pub fn draft(&self, id: &str) -> Result<VisitDraft> {
        self.store.read(|conn| self.load(conn, id))
    }

    fn load(&self, conn: &rusqlite::Connection, id: &str) -> Result<VisitDraft> {
        let sealed: Option<Vec<u8>> = conn
            .prepare_cached("SELECT sealed FROM visit_drafts WHERE id = ?1 AND agent_id = ?2")?
            .query_row(params![id, self.agent_id], |r| r.get(0))
            .optional()?;
        let sealed = sealed.ok_or_else(|| Error::invalid("draft", ErrorCode::DraftNotFound))?;
        self.cipher.open_json(cell(id), &sealed)
    }

    /// The answers the visit's PMT questionnaire opens with for `model`: the agent's own if
    /// they answered it already, else the family's last known answers (the DTSEN extract's)
    /// that `model` asks and accepts. The agent confirms or corrects each with the resident.
    pub fn pmt_prefill(&self, id: &str, model: &Model) -> Result<Answers> {
        let draft = self.draft(id)?;
        if let Some(pmt) = draft.pmt.filter(|p| p.model_id == model.id) {
            return Ok(pmt::answers::prefill(model, &pmt.answers));
        }
        let last = self
            .worklist
            .family(&draft.family_id)?
            .map(|(_, family)| family.pmt_answers)
            .unwrap_or_default();
        Ok(pmt::answers::prefill(model, &last))
    }

    /// Answers the PMT questionnaire of a visit and returns the preview to show the resident.
    /// The derived answers come from the draft: its region and the members as found, so the
    /// members come first (a later change of them makes the preview stale: PMT_STALE). The
    /// model must hold for the family's region today, whoever passes it. Invalid answers are
    /// refused and nothing is saved.
    pub fn set_pmt(&self, id: &str, model: &Model, answers: Answers) -> Result<Preview> {
        let now = (self.clock)();
        self.store.write(|tx| {
            let mut draft = self.load(tx, id)?;
            if draft.members.is_empty() {
                return Err(Error::invalid("members", ErrorCode::NoMembers));
            }
            let size = u32::try_from(draft.members.len())
                .map_err(|_| Error::invalid("members", ErrorCode::TooManyMembers))?;
            let region_code = &draft.visit.kelurahan_code;
            let record = PmtRecord::compute(model, answers, region_code, size, now)?;
            let preview = record.preview.clone();
            draft.pmt = Some(record);
            // Beside the agent's edits, not one of them: the revision stays, so the screen's copy
            // is still current (save keeps the stored answers).
            self.write_draft(tx, &draft, now)?;
            Ok(preview)
        })
    }

    /// The agent's open drafts, newest first.
    pub fn drafts(&self) -> Result<Vec<VisitDraft>> {
        let ids: Vec<String> = self.store.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id FROM visit_drafts WHERE agent_id = ?1 ORDER BY updated_at DESC, id",
            )?;
            let rows = stmt.query_map([&self.agent_id], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })?;
        ids.iter().map(|id| self.draft(id)).collect()
    }

    pub fn discard(&self, id: &str) -> Result<()> {
        self.store.write(|tx| {
            tx.prepare_cached("DELETE FROM visit_drafts WHERE id = ?1 AND agent_id = ?2")?
                .execute(params![id, self.agent_id])?;
            Ok(())
        })
    }

    fn visit_of(
        &self,
        draft: &VisitDraft,
        now: Millis,
    ) -> std::result::Result<VerificationVisit, Vec<FieldError>> {
        let Some(outcome) = draft.outcome else {
            return Err(vec![FieldError::new("outcome", ErrorCode::StepMissing)]);
        };
        let found = outcome == VisitOutcome::Ditemukan;
        Ok(VerificationVisit {
            id: draft.id.clone(),
            family_id: draft.family_id.clone(),
            family_version: draft.family_version,
            agent_id: self.agent_id.clone(),
            visit: draft.visit.clone(),
            outcome,
            members: if found {
                draft.members.clone()
            } else {
                Vec::new()
            },
            corrections: draft.corrections.clone(),
            account: if found { draft.account.clone() } else { None },
            consent: draft.consent.clone(),
            pmt: if found { draft.pmt.clone() } else { None },
            note: draft.note.clone(),
            recorded_at: now,
        })
    }

    /// Every problem that stops the draft from being submitted (empty: ready).
    pub fn check(&self, id: &str) -> Result<Vec<FieldError>> {
        let now = (self.clock)();
        let draft = self.draft(id)?;
        Ok(match self.visit_of(&draft, now) {
            Ok(visit) => check_verification(&visit, now),
            Err(errors) => errors,
        })
    }

    /// Seals the visit into the outbox, marks the family visited (or to revisit, when nobody
    /// was found) and drops the draft, in one transaction; returns the resident's receipt.
    /// A draft already submitted (the app was killed before it heard) gives the same receipt.
    pub fn submit(&self, id: &str) -> Result<ResidentReceipt> {
        let now = (self.clock)();
        if let Some(receipt) = self.receipt(id)? {
            return Ok(receipt);
        }
        let draft = self.draft(id)?;
        let visit = self.visit_of(&draft, now).map_err(Error::Invalid)?;
        let errors = check_verification(&visit, now);
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let signer = self.device.signer();
        let signature = sign_resident_receipt(
            &signer,
            outbox_kind::VISIT_RECORDED,
            &visit.id,
            &self.device.id,
            now,
        );
        let status = match visit.outcome {
            VisitOutcome::TidakDitemukan => VisitStatus::KunjungiUlang,
            _ => VisitStatus::Dikunjungi,
        };
        self.store.write(|tx| {
            let evidence = crate::evidence::book::refs_for(tx, &self.cipher, "visit", &visit.id)?;
            let record = Record::VisitRecorded(Box::new(VisitRecorded {
                visit: visit.clone(),
                evidence,
                receipt: Some(signature.clone()),
            }));
            crate::outbox::enqueue(tx, &record, Some(&visit.visit.kelurahan_code), now)?;
            tx.prepare_cached(
                "INSERT INTO visits (id, agent_id, family_id, outcome, status, recorded_at,
                                     status_at, receipt)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)",
            )?
            .execute(params![
                visit.id,
                self.agent_id,
                visit.family_id,
                visit.outcome.as_str(),
                WAITING,
                now,
                signature
            ])?;
            tx.prepare_cached(
                "UPDATE worklist_families SET status = ?3 WHERE agent_id = ?1 AND family_id = ?2",
            )?
            .execute(params![self.agent_id, visit.family_id, status.as_str()])?;
            tx.prepare_cached("DELETE FROM visit_drafts WHERE id = ?1")?
                .execute([&visit.id])?;
            audit::append(
                tx,
                &signer,
                &self.agent_id,
                Action::VisitSubmitted,
                Some(&visit.id),
                now,
            )
            .map(drop)
        })?;
        self.receipt(id)?
            .ok_or(Error::Corrupt("visit receipt missing"))
    }

    /// The receipt of a submitted visit.
    pub fn receipt(&self, id: &str) -> Result<Option<ResidentReceipt>> {
        let row: Option<(String, Millis)> = self.store.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT receipt, recorded_at FROM visits WHERE id = ?1 AND agent_id = ?2",
                )?
                .query_row(params![id, self.agent_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?)
        })?;
        Ok(row.map(|(signature, at)| {
            resident_receipt(
                outbox_kind::VISIT_RECORDED,
                id,
                &self.device.id,
                at,
                &signature,
            )
        }))
    }

    /// The agent's submitted visits, newest first, with the district's answer.
    pub fn visits(&self) -> Result<Vec<VisitSummary>> {
        let reference = self.device.reference_cipher();
        self.store.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, family_id, outcome, status, reason, recorded_at FROM visits
                 WHERE agent_id = ?1 ORDER BY recorded_at DESC, id",
            )?;
            let rows = stmt.query_map([&self.agent_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<Vec<u8>>>(4)?,
                    r.get::<_, Millis>(5)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, family_id, outcome, status, reason, recorded_at) = row?;
                let reason = match reason {
                    Some(sealed) => Some(reference.open_string(reason_cell(&id), &sealed)?),
                    None => None,
                };
                out.push(VisitSummary {
                    outcome: VisitOutcome::parse(&outcome)
                        .ok_or(Error::Corrupt("visit outcome"))?,
                    id,
                    family_id,
                    status,
                    reason,
                    recorded_at,
                });
            }
            Ok(out)
        })
    }
}

/// This device's signature (hex) over the resident's receipt of a record it makes.
pub fn sign_resident_receipt(
    key: &ring::signature::Ed25519KeyPair,
    kind: &str,
    record_id: &str,
    device_id: &str,
    at: Millis,
) -> String {
    let text = signing::resident_receipt_text(kind, record_id, device_id, at);
    crate::hex::encode(key.sign(&text).as_ref())
}

/// The receipt a resident keeps for a record this device made.
pub fn resident_receipt(
    kind: &str,
    id: &str,
    device_id: &str,
    at: Millis,
    signature_hex: &str,
) -> ResidentReceipt {
    let signature = crate::hex::decode(signature_hex).unwrap_or_default();
    ResidentReceipt {
        record_id: id.to_owned(),
        code: signing::receipt_code(&signature),
        payload: signing::receipt_payload(kind, id, device_id, at, signature_hex),
        at,
    }
}

/// The district's answer on a visit (from the change feed, signed): kept sealed with the
/// device key so a locked phone's background sync can store it.
pub fn apply_server_status(
    tx: &rusqlite::Transaction<'_>,
    reference: &Cipher,
    visit_id: &str,
    status: &str,
    at: Millis,
    reason: Option<&str>,
) -> Result<()> {
    if ![ACCEPTED, CONFLICT, SUPERSEDED].contains(&status) {
        // Not a status a visit can have: changes nothing.
        return Ok(());
    }
    let sealed = match reason {
        Some(text) => Some(reference.seal_str(reason_cell(visit_id), text)?),
        None => None,
    };
    tx.prepare_cached(
        "UPDATE visits SET status = ?2, status_at = ?3, reason = ?4 WHERE id = ?1 AND status_at <= ?3",
    )?
    .execute(params![visit_id, status, at, sealed])?;
    Ok(())
}

/// Whether a member is old enough for the KTP/IKD checks on the visit's day.
pub fn is_adult(member: &VerifiedMember, visit: &Visit) -> bool {
    perlinsos_rules::dtsen::visit::is_adult(&member.member, Date::of_unix_millis(visit.started_at))
}

#[cfg(test)]
mod tests;
