//! *Sanggahan hasil*: a member of a listed family objects to the family's own result, through
//! the agent, before the deadline, with photo evidence (attested as every photo is). Filed in
//! one transaction: photos, the record sealed into the outbox, the phone's row; the resident
//! gets a receipt signed by the device.
use std::sync::Arc;

use rusqlite::{params, OptionalExtension};

use perlinsos_protocol::outbox_kind;
use perlinsos_protocol::record::{ObjectionFiled, Record};
pub use perlinsos_rules::dtsen::objection::{ObjectionPhoto, ObjectionReason, ResultObjection};

use crate::audit::{self, Action};
use crate::crypt::{Cell, Cipher};
use crate::date::{Clock, Millis};
use crate::error::{Error, ErrorCode, FieldError, Result};
use crate::evidence::book::{Capture, EvidenceBook};
use crate::evidence::{Gps, Options};
use crate::session::device::Device;
use crate::store::Store;
use crate::visits::{resident_receipt, ResidentReceipt};
use crate::worklist::Worklist;

pub const RECORD_KIND: &str = "objection";
/// Until the district answers.
pub const WAITING: &str = "menunggu_kirim";
pub const RECEIVED: &str = "diterima";
pub const GRANTED: &str = "dikabulkan";
pub const REFUSED: &str = "ditolak";

/// What the resident says, before it is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectionForm {
    pub family_id: String,
    pub objector_nik: String,
    pub reason: ObjectionReason,
    pub statement: String,
}

pub struct ObjectionPhotoInput<'a> {
    pub bytes: &'a [u8],
    pub shows: ObjectionPhoto,
    pub captured_at: Millis,
    pub gps: Option<Gps>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectionSummary {
    pub id: String,
    pub family_id: String,
    pub status: String,
    pub reason: Option<String>,
    pub filed_at: Millis,
}

fn reason_cell(id: &str) -> Cell<'_> {
    Cell::new("objections", "reason", id)
}

pub struct ObjectionBook {
    store: Arc<Store>,
    device: Arc<Device>,
    evidence: EvidenceBook,
    cipher: Arc<Cipher>,
    clock: Clock,
    agent_id: String,
    worklist: Worklist,
}

impl ObjectionBook {
    pub fn new(
        store: Arc<Store>,
        cipher: Arc<Cipher>,
        evidence: EvidenceBook,
        device: Arc<Device>,
        clock: Clock,
        agent_id: &str,
    ) -> ObjectionBook {
        let worklist = Worklist::new(store.clone(), device.reference_cipher(), agent_id);
        ObjectionBook {
            store,
            device,
            evidence,
            cipher,
            clock,
            agent_id: agent_id.to_owned(),
            worklist,
        }
    }

    /// Files the objection; every refusal (family not on the list, no result, window closed,
    /// not a member, a bad photo, a short statement) has its code and leaves nothing behind.
    pub fn file(
        &self,
        form: &ObjectionForm,
        photos: &[ObjectionPhotoInput<'_>],
    ) -> Result<ResidentReceipt> {
        let now = (self.clock)();
        let (_, family) = self
            .worklist
            .family(&form.family_id)?
            .ok_or_else(|| Error::invalid("family_id", ErrorCode::FamilyNotAssigned))?;
        let result = self.worklist.result(&form.family_id)?;
        // One objection at a time per family: a second waits for the first's decision.
        let open: bool = self.store.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT 1 FROM objections WHERE family_id = ?1 AND status IN (?2, ?3)",
                )?
                .exists(params![form.family_id, WAITING, RECEIVED])?)
        })?;
        if open {
            return Err(Error::invalid("family_id", ErrorCode::ObjectionAlreadyOpen));
        }
        let id = crate::ids::new_id()?;
        let signer = self.device.signer();
        let mut prepared = Vec::with_capacity(photos.len());
        let mut errors = Vec::new();
        for (i, photo) in photos.iter().enumerate() {
            let capture = Capture {
                record_kind: RECORD_KIND,
                record_id: &id,
                captured_at: photo.captured_at,
                gps: photo.gps,
                device_id: &self.device.id,
                device_key: &signer,
                agent_id: &self.agent_id,
            };
            match self
                .evidence
                .prepare(photo.bytes, &Options::default(), capture)
            {
                Ok(p) => prepared.push(p),
                Err(Error::Invalid(found)) => errors.extend(
                    found
                        .into_iter()
                        .map(|e| FieldError::new(format!("photos[{i}]"), e.code)),
                ),
                Err(e) => return Err(e),
            }
        }
        let objection = ResultObjection {
            id: id.clone(),
            family_id: family.id.clone(),
            kelurahan_code: family.kelurahan_code.clone(),
            agent_id: self.agent_id.clone(),
            objector_nik: form.objector_nik.trim().to_owned(),
            reason: form.reason,
            statement: form.statement.trim().to_owned(),
            photos: prepared
                .iter()
                .zip(photos)
                .map(|(p, input)| (p.record.id.clone(), input.shows))
                .collect(),
            filed_at: now,
        };
        errors.extend(perlinsos_rules::dtsen::objection::check_objection(
            &objection,
            Some(&family),
            result.as_ref(),
            now,
        ));
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let signature = crate::visits::sign_resident_receipt(
            &signer,
            outbox_kind::OBJECTION_FILED,
            &id,
            &self.device.id,
            now,
        );
        self.store.write(|tx| {
            for p in &prepared {
                self.evidence.attach(tx, p)?;
            }
            let evidence = crate::evidence::book::refs_for(tx, &self.cipher, RECORD_KIND, &id)?;
            let record = Record::ObjectionFiled(Box::new(ObjectionFiled {
                objection: objection.clone(),
                evidence,
                receipt: Some(signature.clone()),
            }));
            crate::outbox::enqueue(tx, &record, Some(&objection.kelurahan_code), now)?;
            tx.prepare_cached(
                "INSERT INTO objections (id, agent_id, family_id, status, filed_at, status_at,
                                         receipt)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
            )?
            .execute(params![
                id,
                self.agent_id,
                objection.family_id,
                WAITING,
                now,
                signature
            ])?;
            audit::append(
                tx,
                &signer,
                &self.agent_id,
                Action::SanggahanFiled,
                Some(&id),
                now,
            )
            .map(drop)
        })?;
        Ok(resident_receipt(
            outbox_kind::OBJECTION_FILED,
            &id,
            &self.device.id,
            now,
            &signature,
        ))
    }

    /// The objections filed through this phone by the agent, newest first.
    pub fn list(&self) -> Result<Vec<ObjectionSummary>> {
        self.summaries("agent_id = ?1", &self.agent_id)
    }

    /// The objections of one family (what resident mode shows that family).
    pub fn of_family(&self, family_id: &str) -> Result<Vec<ObjectionSummary>> {
        Ok(self
            .list()?
            .into_iter()
            .filter(|o| o.family_id == family_id)
            .collect())
    }

    fn summaries(&self, filter: &str, value: &str) -> Result<Vec<ObjectionSummary>> {
        let reference = self.device.reference_cipher();
        self.store.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT id, family_id, status, reason, filed_at FROM objections WHERE {filter}
                 ORDER BY filed_at DESC, id"
            ))?;
            let rows = stmt.query_map([value], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<Vec<u8>>>(3)?,
                    r.get::<_, Millis>(4)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, family_id, status, reason, filed_at) = row?;
                let reason = match reason {
                    Some(sealed) => Some(reference.open_string(reason_cell(&id), &sealed)?),
                    None => None,
                };
                out.push(ObjectionSummary {
                    id,
                    family_id,
                    status,
                    reason,
                    filed_at,
                });
            }
            Ok(out)
        })
    }

    /// The receipt of an objection filed through this phone.
    pub fn receipt(&self, id: &str) -> Result<Option<ResidentReceipt>> {
        let row: Option<(String, Millis)> = self.store.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT receipt, filed_at FROM objections WHERE id = ?1 AND agent_id = ?2",
                )?
                .query_row(params![id, self.agent_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?)
        })?;
        Ok(row.map(|(sig, at)| {
            resident_receipt(outbox_kind::OBJECTION_FILED, id, &self.device.id, at, &sig)
        }))
    }
}

/// The district's answer on an objection (signed change); the reason kept sealed.
pub fn apply_server_status(
    tx: &rusqlite::Transaction<'_>,
    reference: &Cipher,
    id: &str,
    status: &str,
    at: Millis,
    reason: Option<&str>,
) -> Result<()> {
    if ![RECEIVED, GRANTED, REFUSED].contains(&status) {
        return Ok(());
    }
    let sealed = match reason {
        Some(text) => Some(reference.seal_str(reason_cell(id), text)?),
        None => None,
    };
    tx.prepare_cached(
        "UPDATE objections SET status = ?2, status_at = ?3, reason = coalesce(?4, reason)
         WHERE id = ?1 AND status_at <= ?3",
    )?
    .execute(params![id, status, at, sealed])?;
    Ok(())
}
