//! Resident mode for Kotlin: the agent hands the phone over for one household or one new
//! sanggahan. The agent's session object is emptied on entering; only `leave` with the
//! agent's PIN gives a session back.
use std::sync::{Arc, Mutex};

use perlinsos_core::sanggahan::SanggahanBook;
use perlinsos_core::session::resident::{self, Scope};

use crate::phone::{AgentSession, Phone};
use crate::registration::{household_view, HouseholdView};
use crate::sanggahan::{
    core_filing, filing_photos, view, SanggahanFiling, SanggahanPhoto, SanggahanView,
};
use crate::{unlock_error, ApiError};

#[derive(uniffi::Object)]
pub struct ResidentSession {
    phone: Arc<Phone>,
    inner: Mutex<Option<resident::ResidentSession>>,
    /// Opened with the agent's key before it left the app's hands (sanggahan scope only).
    book: Option<SanggahanBook>,
    /// The same for a family's result and objection (family scope only).
    family: Option<(
        perlinsos_core::worklist::Worklist,
        perlinsos_core::objections::ObjectionBook,
    )>,
}

fn ended() -> ApiError {
    ApiError::from(perlinsos_core::ErrorCode::SessionOutOfScope)
}

impl ResidentSession {
    fn with<T>(
        &self,
        f: impl FnOnce(&resident::ResidentSession) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(guard.as_ref().ok_or_else(ended)?)
    }
}

impl Phone {
    fn enter(
        self: Arc<Self>,
        session: &AgentSession,
        scope: Scope,
        book: Option<SanggahanBook>,
        family: Option<(
            perlinsos_core::worklist::Worklist,
            perlinsos_core::objections::ObjectionBook,
        )>,
    ) -> Result<Arc<ResidentSession>, ApiError> {
        let agent = session.take()?;
        // A refused entry gives the agent's session back (it is not lost to the resident).
        let inner = self.core.resident_mode(agent, scope).map_err(|refused| {
            let refused = *refused;
            session.restore(refused.session);
            ApiError::from(refused.error)
        })?;
        Ok(Arc::new(ResidentSession {
            phone: self,
            inner: Mutex::new(Some(inner)),
            book,
            family,
        }))
    }
}

#[uniffi::export]
impl Phone {
    /// Hands the phone to a resident to read their own household.
    pub fn resident_mode_for_household(
        self: Arc<Self>,
        session: Arc<AgentSession>,
        household_id: String,
    ) -> Result<Arc<ResidentSession>, ApiError> {
        self.enter(&session, Scope::Household(household_id), None, None)
    }

    /// Hands the phone to a resident to file one sanggahan.
    pub fn resident_mode_for_sanggahan(
        self: Arc<Self>,
        session: Arc<AgentSession>,
    ) -> Result<Arc<ResidentSession>, ApiError> {
        let book = self.sanggahan_book(&session)?;
        let id = perlinsos_core::ids::new_id()?;
        self.enter(&session, Scope::Sanggahan(id), Some(book), None)
    }

    /// Hands the phone to a member of a listed family: only that family's result, and its
    /// objection to it.
    pub fn resident_mode_for_family(
        self: Arc<Self>,
        session: Arc<AgentSession>,
        family_id: String,
    ) -> Result<Arc<ResidentSession>, ApiError> {
        let books = session.with(|s| Ok((self.core.worklist(s)?, self.core.objections(s)?)))?;
        self.enter(&session, Scope::Family(family_id), None, Some(books))
    }
}

#[uniffi::export]
impl ResidentSession {
    /// The household this session was opened for.
    pub fn household(&self) -> Result<HouseholdView, ApiError> {
        self.with(|s| Ok(household_view(s.household()?)))
    }

    /// The resident files their sanggahan (once: a second filing is refused by the core).
    pub fn file_sanggahan(
        &self,
        filing: SanggahanFiling,
        photos: Vec<SanggahanPhoto>,
    ) -> Result<SanggahanView, ApiError> {
        let book = self.book.as_ref().ok_or_else(ended)?;
        self.with(|s| {
            let filing = core_filing(s.agent_id().to_owned(), filing)?;
            Ok(view(s.file_sanggahan(
                book,
                &filing,
                &filing_photos(&photos, self.phone.now()),
            )?))
        })
    }

    /// The sanggahan filed in this session, with its status.
    pub fn sanggahan(&self) -> Result<SanggahanView, ApiError> {
        let book = self.book.as_ref().ok_or_else(ended)?;
        self.with(|s| Ok(view(s.sanggahan(book)?.summary)))
    }

    /// The family's own result, explained (family scope only).
    pub fn family_result(&self) -> Result<Option<crate::worklist::ResultView>, ApiError> {
        let (worklist, _) = self.family.as_ref().ok_or_else(ended)?;
        self.with(|s| Ok(s.family_result(worklist)?.map(crate::worklist::result_view)))
    }

    /// A member objects to the family's result (family scope only; any other family refused).
    pub fn file_objection(
        &self,
        form: crate::worklist::ObjectionFormView,
        photos: Vec<crate::worklist::ObjectionPhotoView>,
    ) -> Result<crate::worklist::ReceiptView, ApiError> {
        let (_, book) = self.family.as_ref().ok_or_else(ended)?;
        let (form, inputs) = crate::worklist::objection_inputs(form, &photos)?;
        self.with(|s| {
            Ok(crate::worklist::receipt_view(
                s.file_objection(book, &form, &inputs)?,
            ))
        })
    }

    pub fn agent_id(&self) -> String {
        self.with(|s| Ok(s.agent_id().to_owned()))
            .unwrap_or_default()
    }

    /// Back to the agent with the agent's PIN. A wrong PIN keeps the resident session and
    /// counts toward the lockout, as at the lock screen.
    pub fn leave(&self, pin: String) -> Result<Arc<AgentSession>, ApiError> {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let session = guard.take().ok_or_else(ended)?;
        match session.leave(self.phone.agents(), &self.phone.device, &pin) {
            Ok(agent) => Ok(Arc::new(AgentSession::new(agent))),
            Err(refused) => {
                let refused = *refused;
                *guard = Some(refused.session);
                Err(match refused.refusal {
                    Some(refusal) => unlock_error(refused.error, refusal),
                    None => ApiError::from(refused.error),
                })
            }
        }
    }
}
