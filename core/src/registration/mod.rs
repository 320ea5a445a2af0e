//! Assisted household registration: a draft saved at every step, then one atomic submission
//! of the household, its members, consent and IKD statuses, and its outbox entry.
pub(crate) mod blind_index;
pub(crate) mod repo;
pub use perlinsos_rules::registration::{model, validate};

use std::sync::Arc;

use ring::signature::Ed25519KeyPair;

use crate::audit::{self, Action};
use crate::crypt::Cipher;
use crate::date::{now_millis, Date};
use crate::error::{Error, ErrorCode, Result};
use crate::pmt::{model::Model, Answers, Preview};
use crate::store::Store;
pub use model::*;

/// The WIT calendar day of a timestamp.
pub(crate) fn day_of(millis: Millis) -> Date {
    Date::of_unix_millis(millis)
}

pub use crate::date::Clock;

pub struct Registry {
    store: Arc<Store>,
    cipher: Arc<Cipher>,
    clock: Clock,
    /// Set for an agent's session on a shared phone: only this agent's drafts and households
    /// are listed or opened, and new visits must be this agent's.
    agent: Option<String>,
    signer: Option<Arc<Ed25519KeyPair>>,
    /// The device whose key signs residents' receipts (with `signer`).
    device_id: Option<String>,
}

impl Registry {
    pub fn new(store: Arc<Store>, cipher: Arc<Cipher>) -> Registry {
        Registry::with_clock(store, cipher, Arc::new(now_millis))
    }

    /// For tests and replays: a fixed or simulated clock.
    pub fn with_clock(store: Arc<Store>, cipher: Arc<Cipher>, clock: Clock) -> Registry {
        Registry {
            store,
            cipher,
            clock,
            agent: None,
            signer: None,
            device_id: None,
        }
    }

    /// Records every create, edit, view and submit in the audit trail, signed with `signer`
    /// (the device key), in the same transaction as the action.
    pub fn with_audit(mut self, signer: Arc<Ed25519KeyPair>) -> Registry {
        self.signer = Some(signer);
        self
    }

    fn audit(
        &self,
        tx: &rusqlite::Transaction<'_>,
        agent_id: &str,
        action: Action,
        record_id: &str,
        now: Millis,
    ) -> Result<()> {
        match &self.signer {
            Some(signer) => {
                let agent = self.agent().unwrap_or(agent_id);
                audit::append(tx, signer, agent, action, Some(record_id), now).map(drop)
            }
            None => Ok(()),
        }
    }

    /// Gives every registration a receipt for the resident, signed by this device (the audit
    /// signer's key), as visits and objections have.
    pub fn with_receipts(mut self, device_id: &str) -> Registry {
        self.device_id = Some(device_id.to_owned());
        self
    }

    /// The resident's receipt of a registered household of this agent (None for one
    /// registered without a device, or already purged).
    pub fn receipt(&self, household_id: &str) -> Result<Option<crate::visits::ResidentReceipt>> {
        let found = self
            .store
            .read(|conn| repo::household_receipt(conn, household_id, self.agent()))?;
        Ok(found.map(|(signature, at)| {
            crate::visits::resident_receipt(
                perlinsos_protocol::outbox_kind::HOUSEHOLD_REGISTERED,
                household_id,
                self.device_id.as_deref().unwrap_or_default(),
                at,
                &signature,
            )
        }))
    }

    /// Scopes the registry to one agent (see the `agent` field).
    pub fn for_agent(mut self, agent_id: &str) -> Registry {
        self.agent = Some(agent_id.to_owned());
        self
    }

    fn agent(&self) -> Option<&str> {
        self.agent.as_deref()
    }

    fn check_agent(&self, visit: &Visit) -> Result<()> {
        match self.agent() {
            Some(agent) if agent != visit.agent_id => Err(Error::invalid(
                "visit.agent_id",
                ErrorCode::SessionOutOfScope,
            )),
            _ => Ok(()),
        }
    }

    fn now(&self) -> (Millis, Date) {
        let now = (self.clock)();
        (now, day_of(now))
    }

    /// Starts a registration at the door. Returns the draft id.
    pub fn start_draft(&self, visit: Visit) -> Result<String> {
        self.check_agent(&visit)?;
        let (now, _) = self.now();
        let errors = validate::check_visit(&visit, now);
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let draft = Draft {
            id: crate::ids::new_id()?,
            step: Step::Visit,
            revision: 1,
            visit,
            household: None,
            members: Vec::new(),
            consent: None,
            ikd: Default::default(),
            pmt: None,
        };
        self.store.write(|tx| {
            repo::insert_draft(tx, &self.cipher, &draft, now)?;
            self.audit(
                tx,
                &draft.visit.agent_id,
                Action::HouseholdCreated,
                &draft.id,
                now,
            )?;
            Ok(draft.id.clone())
        })
    }

    /// Applies `change` to a draft and saves it at `step`, all in one transaction: if `change`
    /// refuses the input, nothing is saved.
    fn update<T>(
        &self,
        draft_id: &str,
        step: Step,
        change: impl FnOnce(&mut Draft, Date, Millis) -> Result<T>,
    ) -> Result<T> {
        let (now, today) = self.now();
        self.store.write(|tx| {
            let mut draft = repo::load_draft(tx, &self.cipher, draft_id, self.agent())?;
            let value = change(&mut draft, today, now)?;
            draft.step = step;
            draft.revision += 1;
            repo::save_draft(tx, &self.cipher, &draft, now)?;
            self.audit(
                tx,
                &draft.visit.agent_id,
                Action::HouseholdEdited,
                &draft.id,
                now,
            )?;
            Ok(value)
        })
    }

    pub fn update_visit(&self, draft_id: &str, visit: Visit) -> Result<()> {
        self.check_agent(&visit)?;
        self.update(draft_id, Step::Visit, |draft, _, now| {
            invalid_unless_empty(validate::check_visit(&visit, now))?;
            draft.visit = visit;
            Ok(())
        })
    }

    pub fn set_household(&self, draft_id: &str, info: HouseholdInfo) -> Result<()> {
        self.update(draft_id, Step::Household, |draft, today, _| {
            invalid_unless_empty(validate::check_household(&info, today))?;
            draft.household = Some(info);
            Ok(())
        })
    }

    /// Adds a member (`member_id` None) or replaces one. Returns the member id.
    pub fn put_member(
        &self,
        draft_id: &str,
        member_id: Option<&str>,
        input: MemberInput,
    ) -> Result<String> {
        self.update(draft_id, Step::Members, |draft, today, _| {
            let index = match member_id {
                Some(id) => Some(
                    draft
                        .members
                        .iter()
                        .position(|m| m.id == id)
                        .ok_or_else(|| Error::invalid("member", ErrorCode::MemberNotFound))?,
                ),
                None if draft.members.len() >= validate::MAX_MEMBERS => {
                    return Err(Error::invalid("members", ErrorCode::TooManyMembers))
                }
                None => None,
            };
            let prefix = format!("members[{}]", index.unwrap_or(draft.members.len()));
            invalid_unless_empty(validate::check_member(&prefix, &input, today))?;
            let id = match index {
                Some(i) => {
                    draft.members[i].input = input;
                    draft.members[i].id.clone()
                }
                None => {
                    let id = crate::ids::new_id()?;
                    draft.members.push(Member {
                        id: id.clone(),
                        input,
                    });
                    id
                }
            };
            // An edit can make a member a minor: an IKD status no longer applies then.
            let visit_day = day_of(draft.visit.started_at);
            if let Some(member) = draft.members.iter().find(|m| m.id == id) {
                if !validate::is_adult(&member.input, visit_day) {
                    draft.ikd.remove(&id);
                }
            }
            Ok(id)
        })
    }

    pub fn remove_member(&self, draft_id: &str, member_id: &str) -> Result<()> {
        self.update(draft_id, Step::Members, |draft, _, _| {
            let index = draft
                .members
                .iter()
                .position(|m| m.id == member_id)
                .ok_or_else(|| Error::invalid("member", ErrorCode::MemberNotFound))?;
            draft.members.remove(index);
            draft.ikd.remove(member_id);
            if draft
                .consent
                .as_ref()
                .is_some_and(|c| c.given_by == member_id)
            {
                draft.consent = None;
            }
            Ok(())
        })
    }

    pub fn set_consent(&self, draft_id: &str, consent: Consent) -> Result<()> {
        self.update(draft_id, Step::Consent, |draft, _, now| {
            invalid_unless_empty(validate::check_consent(&consent, draft, now))?;
            draft.consent = Some(consent);
            Ok(())
        })
    }

    pub fn set_ikd(&self, draft_id: &str, member_id: &str, status: IkdStatus) -> Result<()> {
        self.update(draft_id, Step::Ikd, |draft, _, _| {
            let visit_day = day_of(draft.visit.started_at);
            let member = draft
                .members
                .iter()
                .find(|m| m.id == member_id)
                .ok_or_else(|| Error::invalid("member", ErrorCode::MemberNotFound))?;
            if !validate::is_adult(&member.input, visit_day) {
                return Err(Error::invalid("ikd", ErrorCode::IkdNotAdult));
            }
            draft.ikd.insert(member_id.to_owned(), status);
            Ok(())
        })
    }

    /// Answers the PMT questionnaire of `model` for this draft and returns the preview to show
    /// the resident. Questions the model derives (province, household size) are filled from the
    /// draft, so the household and its members come first. Invalid answers are refused and
    /// nothing is saved; the answers, the model id and version and the preview are saved
    /// with the draft and registered with the household.
    pub fn set_pmt(&self, draft_id: &str, model: &Model, answers: Answers) -> Result<Preview> {
        self.update(draft_id, Step::Pmt, |draft, _, now| {
            let info = draft
                .household
                .as_ref()
                .ok_or_else(|| Error::invalid("household", ErrorCode::StepMissing))?;
            if draft.members.is_empty() {
                return Err(Error::invalid("members", ErrorCode::NoMembers));
            }
            let size = draft.members.len() as u32;
            let region_code = &info.address.kelurahan_code;
            let record = PmtRecord::compute(model, answers, region_code, size, now)?;
            let preview = record.preview.clone();
            draft.pmt = Some(record);
            Ok(preview)
        })
    }

    pub fn draft(&self, draft_id: &str) -> Result<Draft> {
        self.store
            .read(|conn| repo::load_draft(conn, &self.cipher, draft_id, self.agent()))
    }

    /// Every unfinished registration on this phone, most recently touched first.
    pub fn list_drafts(&self) -> Result<Vec<DraftSummary>> {
        self.store
            .read(|conn| repo::list_drafts(conn, &self.cipher, self.agent()))
    }

    pub fn discard_draft(&self, draft_id: &str) -> Result<()> {
        self.store.write(|tx| {
            // Checks the draft is this agent's before deleting it.
            repo::load_draft(tx, &self.cipher, draft_id, self.agent())?;
            repo::delete_draft(tx, draft_id)
        })
    }

    /// Validates the whole household and registers it with its outbox entry, atomically.
    /// Submitting a draft that was already registered (the app was killed before it heard the
    /// answer) returns the same household id.
    pub fn submit(&self, draft_id: &str) -> Result<String> {
        let (now, today) = self.now();
        self.store.write(|tx| {
            if let Some(id) = repo::household_of_draft(tx, draft_id)? {
                return Ok(id);
            }
            let draft = repo::load_draft(tx, &self.cipher, draft_id, self.agent())?;
            self.validate_and_insert(tx, &draft, today, now)
        })
    }

    fn validate_and_insert(
        &self,
        tx: &rusqlite::Transaction<'_>,
        draft: &Draft,
        today: Date,
        now: Millis,
    ) -> Result<String> {
        let mut errors = validate::check_complete(draft, today, now);
        let lookup = blind_index::Writer::open(tx)?;
        if errors.is_empty() {
            errors = repo::duplicates_on_phone(&lookup, &self.cipher, draft)?;
        }
        invalid_unless_empty(errors)?;
        let receipt_signer = match (&self.device_id, &self.signer) {
            (Some(device_id), Some(key)) => Some(repo::ReceiptSigner {
                device_id,
                key: key.as_ref(),
            }),
            _ => None,
        };
        let id = repo::insert_household(tx, &lookup, &self.cipher, draft, now, receipt_signer)?;
        self.audit(
            tx,
            &draft.visit.agent_id,
            Action::HouseholdSubmitted,
            &id,
            now,
        )?;
        Ok(id)
    }

    /// Registers a complete household in one transaction without a stored draft (bulk entry
    /// from paper forms, benchmarks): the same validation and writes as [`Registry::submit`].
    /// `consent_by` and the keys of `ikd` are positions in `members`.
    pub fn register_complete(
        &self,
        visit: Visit,
        household: HouseholdInfo,
        members: Vec<MemberInput>,
        consent_by: usize,
        notice_version: &str,
        ikd: &[(usize, IkdStatus)],
    ) -> Result<String> {
        self.check_agent(&visit)?;
        let (now, today) = self.now();
        let members = members
            .into_iter()
            .map(|input| {
                Ok(Member {
                    id: crate::ids::new_id()?,
                    input,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let member_id = |i: usize| {
            members
                .get(i)
                .map(|m| m.id.clone())
                .ok_or_else(|| Error::invalid("member", ErrorCode::MemberNotFound))
        };
        let draft = Draft {
            id: crate::ids::new_id()?,
            step: Step::Ikd,
            revision: 1,
            consent: Some(Consent {
                given_by: member_id(consent_by)?,
                given_at: now,
                notice_version: notice_version.to_owned(),
            }),
            ikd: ikd
                .iter()
                .map(|&(i, status)| Ok((member_id(i)?, status)))
                .collect::<Result<_>>()?,
            visit,
            household: Some(household),
            members,
            pmt: None,
        };
        self.store
            .write(|tx| self.validate_and_insert(tx, &draft, today, now))
    }

    /// Opens a registered household. With an audit trail, the viewing is recorded too.
    pub fn household(&self, household_id: &str) -> Result<RegisteredHousehold> {
        if self.signer.is_none() {
            return self
                .store
                .read(|conn| repo::load_household(conn, &self.cipher, household_id, self.agent()));
        }
        let (now, _) = self.now();
        self.store.write(|tx| {
            let household = repo::load_household(tx, &self.cipher, household_id, self.agent())?;
            self.audit(
                tx,
                &household.agent_id,
                Action::HouseholdViewed,
                household_id,
                now,
            )?;
            Ok(household)
        })
    }

    pub fn household_ids(&self) -> Result<Vec<String>> {
        self.store
            .read(|conn| repo::household_ids(conn, self.agent()))
    }

    /// The household on this phone holding `nik`, found by its blind index.
    pub fn find_household_by_nik(&self, nik: &str) -> Result<Option<String>> {
        self.store
            .read(|conn| repo::household_by_nik(conn, &self.cipher, nik))
    }
}

fn invalid_unless_empty(errors: Vec<crate::error::FieldError>) -> Result<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

#[cfg(test)]
mod tests;
