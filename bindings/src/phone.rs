//! The phone: its database and device identity, and its agents' profiles behind their PINs.
use std::sync::{Arc, Mutex};

use perlinsos_core::date::now_millis;
use perlinsos_core::session::device::Device;
use perlinsos_core::session::{self, Agents};
use perlinsos_core::store::Store;

use crate::{unlock_error, ApiError};

#[derive(uniffi::Object)]
pub struct Phone {
    /// The core's phone: it wires every part; these bindings only convert.
    pub(crate) core: perlinsos_core::phone::Phone,
    pub(crate) store: Arc<Store>,
    pub(crate) device: Arc<Device>,
}

impl Phone {
    pub(crate) fn agents(&self) -> &Agents {
        self.core.agents()
    }

    /// The phone's clock (every timestamp the app records).
    pub(crate) fn now(&self) -> i64 {
        (self.core.clock())()
    }
}

#[uniffi::export]
impl Phone {
    /// Opens (creating) the phone's data in `dir`. `platform_secret` comes from the Android
    /// Keystore and is mixed into every key derivation.
    #[uniffi::constructor]
    pub fn open(dir: String, platform_secret: Vec<u8>) -> Result<Arc<Phone>, ApiError> {
        let core = perlinsos_core::phone::Phone::open(dir, &platform_secret, Arc::new(now_millis))
            .map_err(|e| match e {
                perlinsos_core::Error::Io(_) => ApiError::Internal {
                    code: "STORAGE".into(),
                },
                other => ApiError::from(other),
            })?;
        Ok(Arc::new(Phone {
            store: core.store().clone(),
            device: core.device().clone(),
            core,
        }))
    }

    /// Re-enrollment: opens the phone's data in `dir` under a new device identity (the old
    /// one revoked, or its key lost with the Keystore); what is still queued is handed over
    /// by the next sync once the phone has enrolled with the operator's replacement ticket.
    #[uniffi::constructor]
    pub fn open_with_new_identity(
        dir: String,
        platform_secret: Vec<u8>,
    ) -> Result<Arc<Phone>, ApiError> {
        let (core, _) = perlinsos_core::phone::Phone::open_with_new_identity(
            dir,
            &platform_secret,
            Arc::new(now_millis),
        )
        .map_err(|e| match e {
            perlinsos_core::Error::Io(_) => ApiError::Internal {
                code: "STORAGE".into(),
            },
            other => ApiError::from(other),
        })?;
        Ok(Arc::new(Phone {
            store: core.store().clone(),
            device: core.device().clone(),
            core,
        }))
    }

    pub fn device_id(&self) -> String {
        self.device.id.clone()
    }

    /// Enrolls an agent on this phone with a 6-digit PIN and the district's 32-byte recovery
    /// secret (not kept on the phone); returns the unlocked session.
    pub fn enroll_agent(
        &self,
        agent_id: String,
        pin: String,
        recovery_secret: Vec<u8>,
    ) -> Result<Arc<AgentSession>, ApiError> {
        let recovery: [u8; 32] = recovery_secret
            .try_into()
            .map_err(|_| ApiError::from(perlinsos_core::ErrorCode::SessionRecoveryInvalid))?;
        let session = self.agents().enroll(&agent_id, &pin, &recovery)?;
        Ok(Arc::new(AgentSession::new(session)))
    }

    /// Unlocks an agent's profile. A wrong PIN or a locked profile is `ApiException.Unlock`
    /// with the attempts left and when to try again.
    pub fn unlock(&self, agent_id: String, pin: String) -> Result<Arc<AgentSession>, ApiError> {
        match self.agents().unlock(&agent_id, &pin) {
            Ok(session) => {
                // What an older app queued unsealed is sealed now, with this agent's key. A
                // failure leaves those rows as they are, for the next unlock: it does not keep
                // the agent out.
                let _ = self.core.upgrade_queue(&session);
                Ok(Arc::new(AgentSession::new(session)))
            }
            Err((error, refusal)) => Err(unlock_error(error, refusal)),
        }
    }

    /// The folder the phone keeps its data in.
    pub fn data_dir(&self) -> String {
        self.core.dir().display().to_string()
    }

    /// Whether the audit trail on this phone is intact (no entry deleted, reordered, inserted
    /// or edited); the number of entries.
    pub fn verify_audit_trail(&self) -> Result<u64, ApiError> {
        let result = self
            .store
            .read(|conn| perlinsos_core::audit::verify_chain(conn, self.device.public_key()))?;
        result.map(|n| n as u64).map_err(|_| ApiError::Internal {
            code: "AUDIT_CHAIN_BROKEN".into(),
        })
    }
}

#[derive(uniffi::Object)]
pub struct AgentSession {
    agent_id: String,
    /// Emptied when the phone is handed to a resident.
    inner: Mutex<Option<session::AgentSession>>,
}

impl AgentSession {
    pub(crate) fn new(inner: session::AgentSession) -> AgentSession {
        AgentSession {
            agent_id: inner.agent_id.clone(),
            inner: Mutex::new(Some(inner)),
        }
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<session::AgentSession>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` with the core session while it is unlocked (SESSION_IDLE_LOCKED otherwise).
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&session::AgentSession) -> perlinsos_core::Result<T>,
    ) -> Result<T, ApiError> {
        match self.slot().as_ref() {
            Some(session) => Ok(f(session)?),
            None => Err(ApiError::from(perlinsos_core::ErrorCode::SessionIdleLocked)),
        }
    }

    /// Puts a session back (resident mode was refused).
    pub(crate) fn restore(&self, session: session::AgentSession) {
        *self.slot() = Some(session);
    }

    /// Moves the session out (into resident mode); the object stays, locked.
    pub(crate) fn take(&self) -> Result<session::AgentSession, ApiError> {
        self.slot()
            .take()
            .ok_or_else(|| ApiError::from(perlinsos_core::ErrorCode::SessionIdleLocked))
    }
}

#[uniffi::export]
impl AgentSession {
    pub fn agent_id(&self) -> String {
        self.agent_id.clone()
    }

    /// Locks now: the session's keys are dropped from memory.
    pub fn lock(&self) {
        if let Some(session) = self.slot().as_ref() {
            session.lock();
        }
    }

    pub fn is_locked(&self) -> bool {
        self.slot().as_ref().is_none_or(|s| s.is_locked())
    }
}
