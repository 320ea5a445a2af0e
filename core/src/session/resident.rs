//! Resident (assisted) mode: the agent hands the phone to a resident to read and confirm their
//! own household, or to file a sanggahan. The resident session can open that one record and
//! nothing else: it has no way to list, search or open another, and it holds no cipher the app
//! could use for one. Leaving takes the agent's PIN (wrong PINs count as at the lock screen).
//! Entering and leaving are written to the audit trail.
use std::sync::Arc;

use super::device::Device;
use super::{AgentSession, Agents, Refusal};
use crate::audit::{self, Action};
use crate::crypt::Cipher;
use crate::date::now_millis;
use crate::error::{Error, ErrorCode, Result};
use crate::registration::{RegisteredHousehold, Registry};
use crate::sanggahan::{Filing, FilingPhoto, Sanggahan, SanggahanBook, Summary};
use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Household(String),
    Sanggahan(String),
    /// A listed family: its own result, and its objection to it.
    Family(String),
}

impl Scope {
    fn record_id(&self) -> &str {
        match self {
            Scope::Household(id) | Scope::Sanggahan(id) | Scope::Family(id) => id,
        }
    }
}

/// Leaving was refused: the resident session goes on, with the reason.
pub struct LeaveRefused {
    pub session: ResidentSession,
    pub error: Error,
    pub refusal: Option<Refusal>,
}

pub struct ResidentSession {
    agent_id: String,
    scope: Scope,
    store: Arc<Store>,
    cipher: Arc<Cipher>,
}

/// Entering resident mode was refused: the agent keeps their session, with the reason.
pub struct EnterRefused {
    pub session: AgentSession,
    pub error: Error,
}

impl std::fmt::Debug for EnterRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnterRefused")
            .field("error", &self.error)
            .finish()
    }
}

impl AgentSession {
    /// Hands the phone to a resident for one record. The agent's session is consumed: the app
    /// gets it back only through [`ResidentSession::leave`] with the PIN — or at once, inside
    /// the refusal, when entering fails (a household or family that is not the agent's, an idle
    /// lock, a failed write).
    pub fn enter_resident_mode(
        self,
        store: Arc<Store>,
        device: &Device,
        scope: Scope,
    ) -> std::result::Result<ResidentSession, Box<EnterRefused>> {
        match self.check_and_log_entry(&store, device, &scope) {
            Ok(cipher) => Ok(ResidentSession {
                agent_id: self.agent_id.clone(),
                scope,
                store,
                cipher,
            }),
            Err(error) => Err(Box::new(EnterRefused {
                session: self,
                error,
            })),
        }
    }

    fn check_and_log_entry(
        &self,
        store: &Arc<Store>,
        device: &Device,
        scope: &Scope,
    ) -> Result<Arc<Cipher>> {
        let cipher = self.cipher()?;
        match scope {
            Scope::Household(id) => {
                let household = Registry::new(store.clone(), cipher.clone()).household(id)?;
                if household.agent_id != self.agent_id {
                    return Err(Error::invalid("scope", ErrorCode::SessionOutOfScope));
                }
            }
            Scope::Family(id) => {
                let listed = crate::worklist::Worklist::new(
                    store.clone(),
                    device.reference_cipher(),
                    &self.agent_id,
                )
                .family(id)?;
                if listed.is_none() {
                    return Err(Error::invalid("scope", ErrorCode::FamilyNotAssigned));
                }
            }
            Scope::Sanggahan(_) => {}
        }
        store.write(|tx| {
            audit::append(
                tx,
                device.key(),
                &self.agent_id,
                Action::ResidentModeEntered,
                Some(scope.record_id()),
                now_millis(),
            )
            .map(drop)
        })?;
        Ok(cipher)
    }
}

impl ResidentSession {
    pub fn agent_id(&self) -> &str {
        &self.agent_id
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The household this session is for; any other scope has none.
    pub fn household(&self) -> Result<RegisteredHousehold> {
        let Scope::Household(id) = &self.scope else {
            return Err(Error::invalid("scope", ErrorCode::SessionOutOfScope));
        };
        Registry::new(self.store.clone(), self.cipher.clone()).household(id)
    }

    /// The resident files their sanggahan under this session's id; any other scope, or a
    /// filing in another agent's name, is refused.
    pub fn file_sanggahan(
        &self,
        book: &SanggahanBook,
        filing: &Filing,
        photos: &[FilingPhoto<'_>],
    ) -> Result<Summary> {
        let Scope::Sanggahan(id) = &self.scope else {
            return Err(Error::invalid("scope", ErrorCode::SessionOutOfScope));
        };
        if filing.agent_id != self.agent_id {
            return Err(Error::invalid("agent_id", ErrorCode::SessionOutOfScope));
        }
        let mut filing = filing.clone();
        filing.id = Some(id.clone());
        book.file(&filing, photos)
    }

    /// The family's own result (and only this family's).
    pub fn family_result(
        &self,
        worklist: &crate::worklist::Worklist,
    ) -> Result<Option<crate::worklist::FamilyResult>> {
        let Scope::Family(id) = &self.scope else {
            return Err(Error::invalid("scope", ErrorCode::SessionOutOfScope));
        };
        worklist.result(id)
    }

    /// A member of this session's family objects to its result; any other family is refused.
    pub fn file_objection(
        &self,
        book: &crate::objections::ObjectionBook,
        form: &crate::objections::ObjectionForm,
        photos: &[crate::objections::ObjectionPhotoInput<'_>],
    ) -> Result<crate::visits::ResidentReceipt> {
        match &self.scope {
            Scope::Family(id) if *id == form.family_id => book.file(form, photos),
            _ => Err(Error::invalid("scope", ErrorCode::SessionOutOfScope)),
        }
    }

    /// The sanggahan this session is for, once filed; any other scope has none.
    pub fn sanggahan(&self, book: &SanggahanBook) -> Result<Sanggahan> {
        let Scope::Sanggahan(id) = &self.scope else {
            return Err(Error::invalid("scope", ErrorCode::SessionOutOfScope));
        };
        book.get(id)
    }

    /// Back to the agent, with the agent's PIN; a wrong PIN keeps the resident session (and
    /// counts toward the lockout).
    pub fn leave(
        self,
        agents: &Agents,
        device: &Device,
        pin: &str,
    ) -> std::result::Result<AgentSession, Box<LeaveRefused>> {
        let refused = |session, error, refusal| {
            Box::new(LeaveRefused {
                session,
                error,
                refusal,
            })
        };
        match agents.unlock(&self.agent_id, pin) {
            Ok(session) => {
                let logged = self.store.write(|tx| {
                    audit::append(
                        tx,
                        device.key(),
                        &self.agent_id,
                        Action::ResidentModeLeft,
                        Some(self.scope.record_id()),
                        now_millis(),
                    )
                    .map(drop)
                });
                match logged {
                    Ok(()) => Ok(session),
                    Err(e) => Err(refused(self, e, None)),
                }
            }
            Err((error, refusal)) => Err(refused(self, error, Some(refusal))),
        }
    }
}
