//! The household wizard for Kotlin: a draft saved at every step, the PMT questionnaire scored
//! with a model the district signed, and one atomic submission. Choices travel as the core's
//! ids with their Indonesian labels; every check is the core's.
use std::collections::HashMap;
use std::sync::Arc;

use perlinsos_core::date::Date;
use perlinsos_core::identity::Sex;
use perlinsos_core::pmt::model::Model;
use perlinsos_core::registration::{
    Address, Consent, Disability, Draft, Education, Gps, HouseholdInfo, IkdStatus, Marital,
    MemberInput, Registry, Relation, Visit,
};

use crate::phone::{AgentSession, Phone};
use crate::pmt::{answers_of, PmtAnswer, PmtPreview};
use crate::{choice, choice_id, ApiError};

#[derive(Debug, uniffi::Record)]
pub struct Choice {
    pub id: String,
    pub label: String,
}

/// The fixed answer lists of the household form, labelled in Bahasa Indonesia.
#[derive(Debug, uniffi::Record)]
pub struct RegistrationChoices {
    pub sex: Vec<Choice>,
    pub relation: Vec<Choice>,
    pub marital: Vec<Choice>,
    pub education: Vec<Choice>,
    pub disability: Vec<Choice>,
    pub ikd: Vec<Choice>,
}

pub(crate) fn choices<T: serde::Serialize + Copy>(
    all: &[T],
    label: fn(T) -> &'static str,
) -> Vec<Choice> {
    all.iter()
        .map(|&v| Choice {
            id: choice_id(v),
            label: label(v).to_owned(),
        })
        .collect()
}

#[uniffi::export]
pub fn registration_choices() -> RegistrationChoices {
    RegistrationChoices {
        sex: Sex::ALL
            .iter()
            .map(|s| Choice {
                id: s.code().into(),
                label: s.label().into(),
            })
            .collect(),
        relation: choices(Relation::ALL, Relation::label),
        marital: choices(Marital::ALL, Marital::label),
        education: choices(Education::ALL, Education::label),
        disability: choices(Disability::ALL, Disability::label),
        ikd: choices(IkdStatus::ALL, IkdStatus::label),
    }
}

/// Where the visit takes place; the location only with the resident's consent.
#[derive(Debug, uniffi::Record)]
pub struct VisitForm {
    pub kelurahan_code: String,
    pub rt: u16,
    pub rw: u16,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub accuracy_m: Option<f64>,
}

#[derive(Debug, uniffi::Record)]
pub struct HouseholdForm {
    pub kk: String,
    pub kelurahan_code: String,
    pub rt: u16,
    pub rw: u16,
    pub street: String,
}

/// One member as the KK lists them. Choices are ids from [`registration_choices`];
/// `birth_date` is YYYY-MM-DD.
#[derive(Debug, uniffi::Record)]
pub struct MemberForm {
    pub nik: String,
    pub full_name: String,
    pub relation: String,
    pub sex: String,
    pub birth_date: String,
    pub marital: String,
    pub education: String,
    pub occupation: String,
    pub disability: String,
}

#[derive(Debug, uniffi::Record)]
pub struct MemberView {
    pub id: String,
    pub form: MemberForm,
    pub ikd: Option<String>,
}

/// A draft as the wizard resumes it.
#[derive(Debug, uniffi::Record)]
pub struct DraftView {
    pub id: String,
    /// visit, household, members, consent, ikd or pmt: the step last saved.
    pub step: String,
    pub revision: u64,
    pub visit: VisitForm,
    pub household: Option<HouseholdForm>,
    pub members: Vec<MemberView>,
    pub consent_by: Option<String>,
    pub pmt: Option<PmtPreview>,
}

/// A line of the visits list.
#[derive(Debug, uniffi::Record)]
pub struct DraftLine {
    pub id: String,
    pub step: String,
    pub member_count: u32,
    pub head_name: Option<String>,
    pub updated_at_ms: i64,
}

#[derive(Debug, uniffi::Record)]
pub struct HouseholdView {
    pub id: String,
    pub kelurahan_code: String,
    pub rt: u16,
    pub rw: u16,
    pub street: String,
    pub members: Vec<MemberView>,
    pub pmt: Option<PmtPreview>,
    pub registered_at_ms: i64,
}

/// A model sync brought from the district, verified.
#[derive(Debug, uniffi::Record)]
pub struct PmtModelInfo {
    pub id: String,
    pub version: u32,
    pub title: String,
    /// Where its numbers come from.
    pub source: String,
    /// The model file, for [`crate::pmt_questions`].
    pub json: String,
}

fn member_input(form: MemberForm) -> Result<MemberInput, ApiError> {
    Ok(MemberInput {
        nik: form.nik,
        full_name: form.full_name,
        relation: choice("relation", &form.relation)?,
        sex: Sex::parse(&form.sex).ok_or_else(|| ApiError::choice("sex"))?,
        birth_date: Date::parse_iso(&form.birth_date).ok_or_else(|| {
            ApiError::from(perlinsos_core::Error::invalid(
                "birth_date",
                perlinsos_core::ErrorCode::DateFormat,
            ))
        })?,
        marital: choice("marital", &form.marital)?,
        education: choice("education", &form.education)?,
        occupation: form.occupation,
        disability: choice("disability", &form.disability)?,
    })
}

fn member_form(input: MemberInput) -> MemberForm {
    MemberForm {
        nik: input.nik,
        full_name: input.full_name,
        relation: choice_id(input.relation),
        sex: format!("{:?}", input.sex),
        birth_date: input.birth_date.to_string(),
        marital: choice_id(input.marital),
        education: choice_id(input.education),
        occupation: input.occupation,
        disability: choice_id(input.disability),
    }
}

fn household_form(info: HouseholdInfo) -> HouseholdForm {
    HouseholdForm {
        kk: info.kk,
        kelurahan_code: info.address.kelurahan_code,
        rt: info.address.rt,
        rw: info.address.rw,
        street: info.address.street,
    }
}

fn draft_view(draft: Draft) -> DraftView {
    let ikd = &draft.ikd;
    DraftView {
        id: draft.id,
        step: draft.step.as_str().to_owned(),
        revision: draft.revision,
        visit: VisitForm {
            kelurahan_code: draft.visit.kelurahan_code,
            rt: draft.visit.rt,
            rw: draft.visit.rw,
            latitude: draft.visit.gps.map(|g| g.latitude),
            longitude: draft.visit.gps.map(|g| g.longitude),
            accuracy_m: draft.visit.gps.map(|g| g.accuracy_m),
        },
        household: draft.household.map(household_form),
        members: draft
            .members
            .into_iter()
            .map(|m| MemberView {
                ikd: ikd.get(&m.id).map(|s| choice_id(*s)),
                id: m.id,
                form: member_form(m.input),
            })
            .collect(),
        consent_by: draft.consent.map(|c| c.given_by),
        pmt: draft.pmt.map(|p| PmtPreview::from(p.preview)),
    }
}

impl Phone {
    fn registry(&self, session: &AgentSession) -> Result<Registry, ApiError> {
        session.with(|s| self.core.registry(s))
    }

    pub(crate) fn received_model(&self, model_id: &str) -> Result<Model, ApiError> {
        perlinsos_core::sync::received_models(&self.store)?
            .into_iter()
            .filter(|m| m.id == model_id)
            .max_by_key(|m| m.version)
            .ok_or_else(|| {
                ApiError::invalid(
                    "PMT_MODEL_MISSING",
                    "Model PMT belum diterima dari dinas; sinkronkan dulu.",
                    "model",
                )
            })
    }
}

fn model_info(m: Model) -> PmtModelInfo {
    PmtModelInfo {
        json: serde_json::to_string(&m).unwrap_or_default(),
        id: m.id,
        version: m.version,
        title: m.title,
        source: m.source,
    }
}

#[uniffi::export]
impl Phone {
    /// The PMT models the district sent, verified against its key; empty before the first sync.
    pub fn pmt_models(&self) -> Result<Vec<PmtModelInfo>, ApiError> {
        Ok(perlinsos_core::sync::received_models(&self.store)?
            .into_iter()
            .map(model_info)
            .collect())
    }

    /// The model a questionnaire in this kelurahan uses today (PMT_NO_ACTIVE_MODEL if the
    /// district sent none that holds there and now).
    pub fn pmt_model_for(&self, kelurahan_code: String) -> Result<PmtModelInfo, ApiError> {
        let today = perlinsos_core::date::Date::of_unix_millis(self.now());
        let model = perlinsos_core::sync::active_model(&self.store, &kelurahan_code, today)?;
        Ok(model_info(model))
    }

    /// Starts a registration at the door; returns the draft id.
    pub fn start_visit(
        &self,
        session: Arc<AgentSession>,
        visit: VisitForm,
    ) -> Result<String, ApiError> {
        let gps = match (visit.latitude, visit.longitude) {
            (Some(latitude), Some(longitude)) => Some(Gps {
                latitude,
                longitude,
                accuracy_m: visit.accuracy_m.unwrap_or(0.0),
            }),
            _ => None,
        };
        Ok(self.registry(&session)?.start_draft(Visit {
            agent_id: session.agent_id(),
            kelurahan_code: visit.kelurahan_code,
            rt: visit.rt,
            rw: visit.rw,
            started_at: self.now(),
            gps,
        })?)
    }

    pub fn set_household(
        &self,
        session: Arc<AgentSession>,
        draft_id: String,
        household: HouseholdForm,
    ) -> Result<(), ApiError> {
        let info = HouseholdInfo {
            kk: household.kk,
            address: Address {
                kelurahan_code: household.kelurahan_code,
                rt: household.rt,
                rw: household.rw,
                street: household.street,
            },
        };
        Ok(self.registry(&session)?.set_household(&draft_id, info)?)
    }

    /// Adds a member (`member_id` None) or replaces one; returns the member's id.
    pub fn put_member(
        &self,
        session: Arc<AgentSession>,
        draft_id: String,
        member_id: Option<String>,
        member: MemberForm,
    ) -> Result<String, ApiError> {
        let input = member_input(member)?;
        Ok(self
            .registry(&session)?
            .put_member(&draft_id, member_id.as_deref(), input)?)
    }

    pub fn remove_member(
        &self,
        session: Arc<AgentSession>,
        draft_id: String,
        member_id: String,
    ) -> Result<(), ApiError> {
        Ok(self
            .registry(&session)?
            .remove_member(&draft_id, &member_id)?)
    }

    /// The resident's consent, given now by an adult member after the notice was read.
    pub fn set_consent(
        &self,
        session: Arc<AgentSession>,
        draft_id: String,
        given_by_member_id: String,
        notice_version: String,
    ) -> Result<(), ApiError> {
        Ok(self.registry(&session)?.set_consent(
            &draft_id,
            Consent {
                given_by: given_by_member_id,
                given_at: self.now(),
                notice_version,
            },
        )?)
    }

    pub fn set_ikd(
        &self,
        session: Arc<AgentSession>,
        draft_id: String,
        member_id: String,
        status: String,
    ) -> Result<(), ApiError> {
        let status: IkdStatus = choice("ikd", &status)?;
        Ok(self
            .registry(&session)?
            .set_ikd(&draft_id, &member_id, status)?)
    }

    /// Answers the questionnaire of a model the district sent and returns the preview to show
    /// the resident; derived answers (province, household size) come from the draft.
    pub fn set_pmt(
        &self,
        session: Arc<AgentSession>,
        draft_id: String,
        model_id: String,
        answers: HashMap<String, PmtAnswer>,
    ) -> Result<PmtPreview, ApiError> {
        let model = self.received_model(&model_id)?;
        let preview = self
            .registry(&session)?
            .set_pmt(&draft_id, &model, answers_of(answers))?;
        Ok(PmtPreview::from(preview))
    }

    pub fn draft(
        &self,
        session: Arc<AgentSession>,
        draft_id: String,
    ) -> Result<DraftView, ApiError> {
        Ok(draft_view(self.registry(&session)?.draft(&draft_id)?))
    }

    /// The agent's unfinished registrations, most recently touched first.
    pub fn drafts(&self, session: Arc<AgentSession>) -> Result<Vec<DraftLine>, ApiError> {
        Ok(self
            .registry(&session)?
            .list_drafts()?
            .into_iter()
            .map(|d| DraftLine {
                id: d.id,
                step: d.step.as_str().to_owned(),
                member_count: d.member_count as u32,
                head_name: d.head_name,
                updated_at_ms: d.updated_at,
            })
            .collect())
    }

    pub fn discard_draft(
        &self,
        session: Arc<AgentSession>,
        draft_id: String,
    ) -> Result<(), ApiError> {
        Ok(self.registry(&session)?.discard_draft(&draft_id)?)
    }

    /// Registers the household: every check, then one transaction with its outbox entry.
    /// Submitting again after a crash returns the same household id.
    pub fn submit(&self, session: Arc<AgentSession>, draft_id: String) -> Result<String, ApiError> {
        Ok(self.registry(&session)?.submit(&draft_id)?)
    }

    /// The receipt the resident keeps for a registration (an usulan baru among them): the
    /// short code and the QR payload, signed by this phone. None once the household is purged.
    pub fn household_receipt(
        &self,
        session: Arc<AgentSession>,
        household_id: String,
    ) -> Result<Option<crate::worklist::ReceiptView>, ApiError> {
        Ok(self
            .registry(&session)?
            .receipt(&household_id)?
            .map(crate::worklist::receipt_view))
    }

    /// The agent's registered households still on the phone (purged once the server has them).
    pub fn household_ids(&self, session: Arc<AgentSession>) -> Result<Vec<String>, ApiError> {
        Ok(self.registry(&session)?.household_ids()?)
    }

    /// Opens a registered household (the viewing is audited).
    pub fn household(
        &self,
        session: Arc<AgentSession>,
        household_id: String,
    ) -> Result<HouseholdView, ApiError> {
        let h = self.registry(&session)?.household(&household_id)?;
        Ok(household_view(h))
    }
}

pub(crate) fn household_view(
    h: perlinsos_core::registration::RegisteredHousehold,
) -> HouseholdView {
    HouseholdView {
        id: h.id,
        kelurahan_code: h.address.kelurahan_code,
        rt: h.address.rt,
        rw: h.address.rw,
        street: h.address.street,
        members: h
            .members
            .into_iter()
            .map(|m| MemberView {
                id: m.id,
                ikd: m.ikd.map(choice_id),
                form: member_form(m.input),
            })
            .collect(),
        pmt: h.pmt.map(|p| PmtPreview::from(p.preview)),
        registered_at_ms: h.registered_at,
    }
}
