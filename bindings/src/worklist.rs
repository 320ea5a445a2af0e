//! The worklist, verification visits, results and objections for Kotlin: views and forms that
//! convert to the core's types; every rule and refusal is the core's.
use std::collections::HashMap;
use std::sync::Arc;

use perlinsos_core::date::Date;
use perlinsos_core::evidence::Gps;
use perlinsos_core::objections::{
    ObjectionForm, ObjectionPhoto, ObjectionPhotoInput, ObjectionReason,
};
use perlinsos_core::visits::{ResidentReceipt, VisitDraft};
use perlinsos_core::worklist::{Entry, Family, FamilyResult, Filter, VisitStatus};
use perlinsos_rules::dtsen::visit::{
    Bank, MemberChange, MemberCorrection, SavingsAccount, VerifiedMember, VisitOutcome,
};
use perlinsos_rules::dtsen::FamilyMember;
use perlinsos_rules::registration::{Consent, IkdStatus, Relation};

use crate::phone::{AgentSession, Phone};
use crate::pmt::{answers_of, answers_view, PmtAnswer, PmtPreview};
use crate::registration::{choices, Choice};
use crate::{choice, choice_id, ApiError, FieldProblem};

#[derive(Debug, uniffi::Record)]
pub struct FamilyView {
    pub family_id: String,
    pub version: u32,
    pub kelurahan_code: String,
    pub rt: u16,
    pub rw: u16,
    /// belum_dikunjungi, dikunjungi or kunjungi_ulang.
    pub status: String,
    pub status_label: String,
    pub head_name: String,
    pub members: u32,
    pub desil: Option<u8>,
}

#[derive(Debug, uniffi::Record)]
pub struct FamilyMemberView {
    pub nik: String,
    pub name: String,
    pub relation: String,
    pub relation_label: String,
    /// "L" or "P"
    pub sex: String,
    /// YYYY-MM-DD
    pub birth_date: String,
}

#[derive(Debug, uniffi::Record)]
pub struct FamilyDetail {
    pub family: FamilyView,
    pub kk: String,
    pub address: String,
    pub programmes: Vec<String>,
    pub members: Vec<FamilyMemberView>,
}

#[derive(Debug, uniffi::Record)]
pub struct WorklistFilter {
    pub kelurahan_code: Option<String>,
    pub rw: Option<u16>,
    pub rt: Option<u16>,
    pub status: Option<String>,
}

#[derive(Debug, uniffi::Record)]
pub struct ResultView {
    pub eligible: bool,
    pub desil: Option<u8>,
    pub programmes: Vec<String>,
    pub reasons: Vec<String>,
    pub announced_at_ms: i64,
    pub objection_deadline_ms: i64,
    pub objection_open: bool,
    /// What the resident reads (and the app reads aloud), line by line.
    pub explanation: Vec<String>,
}

#[derive(Debug, uniffi::Record)]
pub struct ReceiptView {
    pub record_id: String,
    /// `XXXXX-XXXXX`: what the resident keeps.
    pub code: String,
    /// The QR payload, signed by the device.
    pub payload: String,
    pub at_ms: i64,
}

#[derive(Debug, uniffi::Record)]
pub struct VerifiedMemberView {
    pub member: FamilyMemberView,
    pub nik_confirmed: bool,
    pub ikd: Option<String>,
}

#[derive(Debug, uniffi::Record)]
pub struct CorrectionView {
    pub nik: String,
    /// lahir, meninggal, pindah_masuk, pindah_keluar or data_salah.
    pub change: String,
    pub reason: String,
}

/// A visit draft as the wizard edits it; saved whole at every step.
#[derive(Debug, uniffi::Record)]
pub struct VisitDraftView {
    pub id: String,
    pub family_id: String,
    pub family_version: u32,
    pub revision: u64,
    pub started_at_ms: i64,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub accuracy_m: Option<f64>,
    /// ditemukan, pindah, meninggal, tidak_ditemukan or menolak; None until chosen.
    pub outcome: Option<String>,
    pub members: Vec<VerifiedMemberView>,
    pub corrections: Vec<CorrectionView>,
    /// bri, bni, mandiri, btn or bsi.
    pub bank: Option<String>,
    pub account_number: Option<String>,
    /// The NIK of the adult who consented.
    pub consent_by: Option<String>,
    pub consent_at_ms: Option<i64>,
    pub notice_version: Option<String>,
    pub note: String,
    /// The preview of the questionnaire as last answered (None: not yet); read-only, a save
    /// keeps the stored answers. Its answers come from `visit_pmt_prefill`.
    pub pmt: Option<PmtPreview>,
}

#[derive(Debug, uniffi::Record)]
pub struct VisitView {
    pub id: String,
    pub family_id: String,
    pub outcome: String,
    /// menunggu_kirim, diterima, konflik or digantikan.
    pub status: String,
    pub reason: Option<String>,
    pub recorded_at_ms: i64,
}

#[derive(Debug, uniffi::Record)]
pub struct ObjectionFormView {
    pub family_id: String,
    pub objector_nik: String,
    /// An id from [`visit_choices`]`.objection_reasons`.
    pub reason: String,
    pub statement: String,
}

#[derive(Debug, uniffi::Record)]
pub struct ObjectionPhotoView {
    pub bytes: Vec<u8>,
    /// rumah or dokumen.
    pub shows: String,
    pub captured_at_ms: i64,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Debug, uniffi::Record)]
pub struct ObjectionView {
    pub id: String,
    pub family_id: String,
    /// menunggu_kirim, diterima, dikabulkan or ditolak.
    pub status: String,
    pub reason: Option<String>,
    pub filed_at_ms: i64,
}

#[derive(Debug, uniffi::Record)]
pub struct VisitChoices {
    pub outcomes: Vec<Choice>,
    pub member_changes: Vec<Choice>,
    pub banks: Vec<Choice>,
    pub statuses: Vec<Choice>,
    pub objection_reasons: Vec<Choice>,
    pub objection_photos: Vec<Choice>,
}

#[uniffi::export]
pub fn visit_choices() -> VisitChoices {
    VisitChoices {
        outcomes: choices(VisitOutcome::ALL, VisitOutcome::label),
        member_changes: choices(MemberChange::ALL, MemberChange::label),
        banks: choices(Bank::ALL, Bank::label),
        statuses: choices(VisitStatus::ALL, VisitStatus::label),
        objection_reasons: choices(ObjectionReason::ALL, ObjectionReason::label),
        objection_photos: choices(ObjectionPhoto::ALL, ObjectionPhoto::label),
    }
}

fn family_view(e: Entry) -> FamilyView {
    FamilyView {
        status: e.status.as_str().to_owned(),
        status_label: e.status.label().to_owned(),
        family_id: e.family_id,
        version: e.version,
        kelurahan_code: e.kelurahan_code,
        rt: e.rt,
        rw: e.rw,
        head_name: e.head_name,
        members: e.members as u32,
        desil: e.desil,
    }
}

fn member_view(m: &FamilyMember) -> FamilyMemberView {
    FamilyMemberView {
        nik: m.nik.clone(),
        name: m.name.clone(),
        relation: choice_id(m.relation),
        relation_label: m.relation.label().to_owned(),
        sex: m.sex.code().to_owned(),
        birth_date: m.birth_date.to_string(),
    }
}

fn member_of(view: &FamilyMemberView) -> Result<FamilyMember, ApiError> {
    Ok(FamilyMember {
        nik: view.nik.trim().to_owned(),
        name: view.name.trim().to_owned(),
        relation: choice::<Relation>("member.relation", &view.relation)?,
        sex: perlinsos_core::identity::Sex::parse(&view.sex)
            .ok_or_else(|| ApiError::choice("member.sex"))?,
        birth_date: Date::parse_iso(&view.birth_date).ok_or_else(|| {
            ApiError::from(perlinsos_core::Error::invalid(
                "member.birth_date",
                perlinsos_core::ErrorCode::DateFormat,
            ))
        })?,
    })
}

fn detail(e: Entry, f: Family) -> FamilyDetail {
    FamilyDetail {
        family: family_view(e),
        kk: f.kk.clone(),
        address: f.address.clone(),
        programmes: f.programmes.iter().map(|p| choice_id(*p)).collect(),
        members: f.members.iter().map(member_view).collect(),
    }
}

pub(crate) fn result_view(r: FamilyResult) -> ResultView {
    let now = perlinsos_core::date::now_millis();
    // The last day to object, as a resident in WITA (UTC+8) counts it.
    let last_day = Date::of_unix_millis(r.objection_deadline.saturating_sub(1) + 8 * 3_600_000);
    ResultView {
        eligible: r.eligible,
        desil: r.desil,
        programmes: r.programmes.iter().map(|p| choice_id(*p)).collect(),
        reasons: r.reasons.clone(),
        announced_at_ms: r.announced_at,
        objection_deadline_ms: r.objection_deadline,
        objection_open: r.objection_open(now),
        explanation: r.explain(now, last_day),
    }
}

pub(crate) fn receipt_view(r: ResidentReceipt) -> ReceiptView {
    ReceiptView {
        record_id: r.record_id,
        code: r.code,
        payload: r.payload,
        at_ms: r.at,
    }
}

fn draft_view(d: &VisitDraft) -> VisitDraftView {
    VisitDraftView {
        id: d.id.clone(),
        family_id: d.family_id.clone(),
        family_version: d.family_version,
        revision: d.revision,
        started_at_ms: d.visit.started_at,
        latitude: d.visit.gps.map(|g| g.latitude),
        longitude: d.visit.gps.map(|g| g.longitude),
        accuracy_m: d.visit.gps.map(|g| g.accuracy_m),
        outcome: d.outcome.map(|o| o.as_str().to_owned()),
        members: d
            .members
            .iter()
            .map(|m| VerifiedMemberView {
                member: member_view(&m.member),
                nik_confirmed: m.nik_confirmed,
                ikd: m.ikd.map(choice_id),
            })
            .collect(),
        corrections: d
            .corrections
            .iter()
            .map(|c| CorrectionView {
                nik: c.nik.clone(),
                change: c.change.as_str().to_owned(),
                reason: c.reason.clone(),
            })
            .collect(),
        bank: d.account.as_ref().map(|a| a.bank.as_str().to_owned()),
        account_number: d.account.as_ref().map(|a| a.number.clone()),
        consent_by: d.consent.as_ref().map(|c| c.given_by.clone()),
        consent_at_ms: d.consent.as_ref().map(|c| c.given_at),
        notice_version: d.consent.as_ref().map(|c| c.notice_version.clone()),
        note: d.note.clone(),
        pmt: d.pmt.as_ref().map(|p| PmtPreview::from(p.preview.clone())),
    }
}

/// The view laid over the stored draft (what the view does not carry, such as the PMT
/// answers, stays as stored).
fn overlay(mut d: VisitDraft, v: VisitDraftView) -> Result<VisitDraft, ApiError> {
    d.revision = v.revision;
    d.visit.gps = match (v.latitude, v.longitude) {
        (Some(latitude), Some(longitude)) => Some(perlinsos_rules::registration::Gps {
            latitude,
            longitude,
            accuracy_m: v.accuracy_m.unwrap_or(0.0),
        }),
        _ => None,
    };
    d.outcome = match v.outcome.as_deref() {
        Some(o) => Some(VisitOutcome::parse(o).ok_or_else(|| ApiError::choice("outcome"))?),
        None => None,
    };
    d.members = v
        .members
        .iter()
        .map(|m| {
            Ok(VerifiedMember {
                member: member_of(&m.member)?,
                nik_confirmed: m.nik_confirmed,
                ikd: match m.ikd.as_deref() {
                    Some(id) => Some(choice::<IkdStatus>("members.ikd", id)?),
                    None => None,
                },
            })
        })
        .collect::<Result<_, ApiError>>()?;
    d.corrections = v
        .corrections
        .iter()
        .map(|c| {
            Ok(MemberCorrection {
                nik: c.nik.trim().to_owned(),
                change: MemberChange::parse(&c.change)
                    .ok_or_else(|| ApiError::choice("corrections.change"))?,
                reason: c.reason.clone(),
            })
        })
        .collect::<Result<_, ApiError>>()?;
    d.account = match (v.bank.as_deref(), v.account_number) {
        (Some(bank), Some(number)) => Some(SavingsAccount {
            bank: Bank::parse(bank).ok_or_else(|| ApiError::choice("account.bank"))?,
            number: number.trim().to_owned(),
        }),
        _ => None,
    };
    d.consent = match (v.consent_by, v.consent_at_ms) {
        (Some(given_by), Some(given_at)) => Some(Consent {
            given_by,
            given_at,
            notice_version: v.notice_version.unwrap_or_default(),
        }),
        _ => None,
    };
    d.note = v.note;
    Ok(d)
}

/// The core's objection form and photos from the Kotlin ones.
pub(crate) fn objection_inputs(
    form: ObjectionFormView,
    photos: &[ObjectionPhotoView],
) -> Result<(ObjectionForm, Vec<ObjectionPhotoInput<'_>>), ApiError> {
    let reason = ObjectionReason::parse(&form.reason).ok_or_else(|| ApiError::choice("reason"))?;
    let mut inputs = Vec::with_capacity(photos.len());
    for p in photos {
        inputs.push(ObjectionPhotoInput {
            bytes: &p.bytes,
            shows: ObjectionPhoto::parse(&p.shows)
                .ok_or_else(|| ApiError::choice("photos.shows"))?,
            captured_at: p.captured_at_ms,
            gps: match (p.latitude, p.longitude) {
                (Some(latitude), Some(longitude)) => Some(Gps {
                    latitude,
                    longitude,
                }),
                _ => None,
            },
        });
    }
    let form = ObjectionForm {
        family_id: form.family_id,
        objector_nik: form.objector_nik,
        reason,
        statement: form.statement,
    };
    Ok((form, inputs))
}

impl Phone {
    fn worklist_of(
        &self,
        session: &AgentSession,
    ) -> Result<perlinsos_core::worklist::Worklist, ApiError> {
        session.with(|s| self.core.worklist(s))
    }

    fn visit_book(
        &self,
        session: &AgentSession,
    ) -> Result<perlinsos_core::visits::VisitBook, ApiError> {
        session.with(|s| self.core.visits(s))
    }
}

#[uniffi::export]
impl Phone {
    pub fn worklist_count(&self, session: Arc<AgentSession>) -> Result<u32, ApiError> {
        Ok(self.worklist_of(&session)?.count()? as u32)
    }

    /// A page of the list in place order (kelurahan, RW, RT).
    pub fn worklist_page(
        &self,
        session: Arc<AgentSession>,
        filter: WorklistFilter,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<FamilyView>, ApiError> {
        let status = match filter.status.as_deref() {
            Some(s) => Some(VisitStatus::parse(s).ok_or_else(|| ApiError::choice("status"))?),
            None => None,
        };
        let filter = Filter {
            kelurahan_code: filter.kelurahan_code,
            rw: filter.rw,
            rt: filter.rt,
            status,
        };
        Ok(self
            .worklist_of(&session)?
            .list(&filter, offset as usize, limit as usize)?
            .into_iter()
            .map(family_view)
            .collect())
    }

    /// Families with a member of this NIK, or this KK number.
    pub fn worklist_find_number(
        &self,
        session: Arc<AgentSession>,
        number: String,
    ) -> Result<Vec<FamilyView>, ApiError> {
        Ok(self
            .worklist_of(&session)?
            .find_number(&number)?
            .into_iter()
            .map(family_view)
            .collect())
    }

    /// Families with a member whose name begins so (each word; case and accents ignored).
    pub fn worklist_find_name(
        &self,
        session: Arc<AgentSession>,
        query: String,
        limit: u32,
    ) -> Result<Vec<FamilyView>, ApiError> {
        Ok(self
            .worklist_of(&session)?
            .find_name(&query, limit as usize)?
            .into_iter()
            .map(family_view)
            .collect())
    }

    pub fn worklist_family(
        &self,
        session: Arc<AgentSession>,
        family_id: String,
    ) -> Result<Option<FamilyDetail>, ApiError> {
        Ok(self
            .worklist_of(&session)?
            .family(&family_id)?
            .map(|(e, f)| detail(e, f)))
    }

    pub fn worklist_mark(
        &self,
        session: Arc<AgentSession>,
        family_id: String,
        status: String,
    ) -> Result<(), ApiError> {
        let status = VisitStatus::parse(&status).ok_or_else(|| ApiError::choice("status"))?;
        Ok(self.worklist_of(&session)?.set_status(&family_id, status)?)
    }

    /// The district's result for a listed family, explained.
    pub fn family_result(
        &self,
        session: Arc<AgentSession>,
        family_id: String,
    ) -> Result<Option<ResultView>, ApiError> {
        Ok(self
            .worklist_of(&session)?
            .result(&family_id)?
            .map(result_view))
    }

    /// Opens the visit of a listed family: its open draft, or a new one pre-filled.
    pub fn visit_start(
        &self,
        session: Arc<AgentSession>,
        family_id: String,
    ) -> Result<VisitDraftView, ApiError> {
        Ok(draft_view(&self.visit_book(&session)?.start(&family_id)?))
    }

    /// Saves the draft as edited; returns the new revision (DRAFT_STALE for an older copy).
    pub fn visit_save(
        &self,
        session: Arc<AgentSession>,
        draft: VisitDraftView,
    ) -> Result<u64, ApiError> {
        let book = self.visit_book(&session)?;
        let stored = book.draft(&draft.id)?;
        Ok(book.save(&overlay(stored, draft)?)?)
    }

    /// The answers the visit's questionnaire of `model_id` opens with: the agent's own if
    /// already answered, else the family's last known answers that model accepts.
    pub fn visit_pmt_prefill(
        &self,
        session: Arc<AgentSession>,
        draft_id: String,
        model_id: String,
    ) -> Result<HashMap<String, PmtAnswer>, ApiError> {
        let model = self.received_model(&model_id)?;
        Ok(answers_view(
            self.visit_book(&session)?.pmt_prefill(&draft_id, &model)?,
        ))
    }

    /// Answers the visit's questionnaire and returns the preview to show the resident; the
    /// household size is the members as found, so save them first.
    pub fn visit_set_pmt(
        &self,
        session: Arc<AgentSession>,
        draft_id: String,
        model_id: String,
        answers: HashMap<String, PmtAnswer>,
    ) -> Result<PmtPreview, ApiError> {
        let model = self.received_model(&model_id)?;
        let preview = self
            .visit_book(&session)?
            .set_pmt(&draft_id, &model, answers_of(answers))?;
        Ok(PmtPreview::from(preview))
    }

    pub fn visit_drafts(
        &self,
        session: Arc<AgentSession>,
    ) -> Result<Vec<VisitDraftView>, ApiError> {
        Ok(self
            .visit_book(&session)?
            .drafts()?
            .iter()
            .map(draft_view)
            .collect())
    }

    /// Every problem that stops the draft from being submitted, each on its field.
    pub fn visit_check(
        &self,
        session: Arc<AgentSession>,
        draft_id: String,
    ) -> Result<Vec<FieldProblem>, ApiError> {
        Ok(self
            .visit_book(&session)?
            .check(&draft_id)?
            .into_iter()
            .map(|e| FieldProblem {
                field: e.field,
                code: e.code.as_str().to_owned(),
                reason: e.message,
            })
            .collect())
    }

    /// Submits the visit (one record) and returns the resident's receipt.
    pub fn visit_submit(
        &self,
        session: Arc<AgentSession>,
        draft_id: String,
    ) -> Result<ReceiptView, ApiError> {
        Ok(receipt_view(self.visit_book(&session)?.submit(&draft_id)?))
    }

    pub fn visit_discard(
        &self,
        session: Arc<AgentSession>,
        draft_id: String,
    ) -> Result<(), ApiError> {
        Ok(self.visit_book(&session)?.discard(&draft_id)?)
    }

    pub fn visits(&self, session: Arc<AgentSession>) -> Result<Vec<VisitView>, ApiError> {
        Ok(self
            .visit_book(&session)?
            .visits()?
            .into_iter()
            .map(|v| VisitView {
                outcome: v.outcome.as_str().to_owned(),
                id: v.id,
                family_id: v.family_id,
                status: v.status,
                reason: v.reason,
                recorded_at_ms: v.recorded_at,
            })
            .collect())
    }

    /// A member of a listed family objects to its result (before the deadline); the receipt.
    pub fn objection_file(
        &self,
        session: Arc<AgentSession>,
        form: ObjectionFormView,
        photos: Vec<ObjectionPhotoView>,
    ) -> Result<ReceiptView, ApiError> {
        let book = session.with(|s| self.core.objections(s))?;
        let (form, inputs) = objection_inputs(form, &photos)?;
        Ok(receipt_view(book.file(&form, &inputs)?))
    }

    pub fn objections(&self, session: Arc<AgentSession>) -> Result<Vec<ObjectionView>, ApiError> {
        let book = session.with(|s| self.core.objections(s))?;
        Ok(book
            .list()?
            .into_iter()
            .map(|o| ObjectionView {
                id: o.id,
                family_id: o.family_id,
                status: o.status,
                reason: o.reason,
                filed_at_ms: o.filed_at,
            })
            .collect())
    }
}
