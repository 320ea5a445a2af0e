//! The phone: its database and device identity, and its agents' profiles behind their PINs.
use std::path::PathBuf;
use std::sync::Arc;

use perlinsos_core::date::now_millis;
use perlinsos_core::session::device::Device;
use perlinsos_core::session::{self, Agents};
use perlinsos_core::store::Store;

use crate::ApiError;

#[derive(uniffi::Object)]
pub struct Phone {
    pub(crate) store: Arc<Store>,
    pub(crate) device: Arc<Device>,
    agents: Agents,
    dir: PathBuf,
}

impl Phone {
    /// Where evidence blobs live, beside the database.
    pub(crate) fn blob_dir(&self) -> PathBuf {
        self.dir.join("evidence")
    }
}

#[uniffi::export]
impl Phone {
    /// Opens (creating) the phone's data in `dir`. `platform_secret` comes from the Android
    /// Keystore and is mixed into every key derivation.
    #[uniffi::constructor]
    pub fn open(dir: String, platform_secret: Vec<u8>) -> Result<Arc<Phone>, ApiError> {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).map_err(|_| ApiError::Internal {
            code: "STORAGE".into(),
        })?;
        let store = Arc::new(Store::open(dir.join("device.db"))?);
        let device = Arc::new(Device::open_or_create(&store, &platform_secret)?);
        let agents = Agents::new(store.clone(), &platform_secret, Arc::new(now_millis))
            .with_audit(device.clone());
        Ok(Arc::new(Phone {
            store,
            device,
            agents,
            dir,
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
        let session = self.agents.enroll(&agent_id, &pin, &recovery)?;
        Ok(Arc::new(AgentSession { inner: session }))
    }

    /// Unlocks an agent's profile. A wrong PIN or a locked profile is `ApiException.Unlock`
    /// with the attempts left and when to try again.
    pub fn unlock(&self, agent_id: String, pin: String) -> Result<Arc<AgentSession>, ApiError> {
        match self.agents.unlock(&agent_id, &pin) {
            Ok(session) => Ok(Arc::new(AgentSession { inner: session })),
            Err((error, refusal)) => Err(match error.field_errors().first() {
                Some(first) => ApiError::Unlock {
                    code: refusal.code.as_str().to_owned(),
                    reason: first.message.clone(),
                    attempts_left: refusal.attempts_left,
                    retry_at_ms: refusal.retry_at,
                },
                None => ApiError::from(error),
            }),
        }
    }

    /// The folder the phone keeps its data in.
    pub fn data_dir(&self) -> String {
        self.dir.display().to_string()
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
    inner: session::AgentSession,
}

impl AgentSession {
    /// The agent's cipher, while the session is unlocked (SESSION_IDLE_LOCKED otherwise).
    pub(crate) fn cipher(&self) -> Result<Arc<perlinsos_core::crypt::Cipher>, ApiError> {
        Ok(self.inner.cipher()?)
    }
}

#[uniffi::export]
impl AgentSession {
    pub fn agent_id(&self) -> String {
        self.inner.agent_id.clone()
    }

    /// Locks now: the session's keys are dropped from memory.
    pub fn lock(&self) {
        self.inner.lock();
    }

    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }
}
