//! Agents on a shared phone: profiles whose data keys only a PIN (or the district's recovery
//! secret) unwraps, growing lockouts that survive restarts and a clock set backwards, and
//! re-enrollment after ten wrong PINs in a row that never destroys data.
//!
//! Lockout policy (also in the README): attempts 1–3 wrong cost nothing; from the 4th, each
//! wrong PIN locks the profile for 30 s, doubling every time (30 s, 1 min, 2 min, ... 32 min);
//! the 10th wrong PIN in a row needs the district's re-enrollment. A correct PIN resets the
//! count. Nothing is deleted on failure.
pub mod device;
pub mod resident;
mod wrap;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::{params, OptionalExtension};

use crate::audit;
use crate::crypt::{random_bytes, Cipher, DataKey};
use crate::error::{Error, ErrorCode, Result};
use crate::registration::{Clock, Millis};
use crate::store::Store;
pub use wrap::PIN_ITERATIONS;

/// Wrong PINs in a row that need the district.
pub const MAX_ATTEMPTS: u32 = 10;
/// Wrong PINs that cost nothing.
const FREE_ATTEMPTS: u32 = 3;
const FIRST_DELAY_MS: i64 = 30_000;

/// How long a profile stays locked after `failed` wrong PINs in a row.
pub fn lockout_ms(failed: u32) -> i64 {
    if failed <= FREE_ATTEMPTS {
        0
    } else {
        FIRST_DELAY_MS << (failed - FREE_ATTEMPTS - 1).min(10)
    }
}

fn refuse(code: ErrorCode) -> Error {
    Error::invalid("pin", code)
}

fn check_pin(pin: &str) -> Result<()> {
    if pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(refuse(ErrorCode::SessionPinFormat))
    }
}

/// Idle time after which a session locks itself, unless configured otherwise.
pub const DEFAULT_IDLE_MS: i64 = 5 * 60 * 1000;

/// An unlocked agent: the agent's cipher, for the registry and the evidence book, until the
/// session is locked or sits idle past its timeout. Locking drops the session's keys; the data
/// key itself is zeroed on drop (`Zeroizing`).
pub struct AgentSession {
    pub agent_id: String,
    cipher: Mutex<Option<Arc<Cipher>>>,
    clock: Clock,
    idle_ms: i64,
    last_activity: AtomicI64,
}

impl std::fmt::Debug for AgentSession {
    /// The agent id only: never the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentSession")
            .field("agent_id", &self.agent_id)
            .finish()
    }
}

impl AgentSession {
    fn new(agent_id: &str, cipher: Cipher, clock: Clock, idle_ms: i64) -> AgentSession {
        let now = clock();
        AgentSession {
            agent_id: agent_id.to_owned(),
            cipher: Mutex::new(Some(Arc::new(cipher))),
            clock,
            idle_ms,
            last_activity: AtomicI64::new(now),
        }
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Arc<Cipher>>> {
        self.cipher.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The agent's cipher, counting as activity; SESSION_IDLE_LOCKED once the session has sat
    /// idle past its timeout (it then stays locked: unlock again with the PIN).
    pub fn cipher(&self) -> Result<Arc<Cipher>> {
        let now = (self.clock)();
        let mut slot = self.slot();
        if now - self.last_activity.load(Ordering::SeqCst) > self.idle_ms {
            *slot = None;
        }
        let cipher = slot
            .clone()
            .ok_or_else(|| Error::invalid("session", ErrorCode::SessionIdleLocked))?;
        self.last_activity.fetch_max(now, Ordering::SeqCst);
        Ok(cipher)
    }

    /// This agent's registry: only the agent's own drafts and households.
    pub fn registry(&self, store: Arc<Store>) -> Result<crate::registration::Registry> {
        Ok(crate::registration::Registry::new(store, self.cipher()?).for_agent(&self.agent_id))
    }

    /// This agent's evidence book: only the agent's own photos.
    pub fn evidence(
        &self,
        store: Arc<Store>,
        blob_dir: impl Into<std::path::PathBuf>,
    ) -> Result<crate::evidence::book::EvidenceBook> {
        Ok(
            crate::evidence::book::EvidenceBook::open(store, self.cipher()?, blob_dir)?
                .for_agent(&self.agent_id),
        )
    }

    pub fn is_locked(&self) -> bool {
        self.slot().is_none()
    }

    /// Locks now: the session's keys are dropped.
    pub fn lock(&self) {
        *self.slot() = None;
    }
}

/// What a failed unlock tells the UI: the code, and when to try again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub attempts_left: u32,
    pub retry_at: Option<Millis>,
}

pub struct Agents {
    store: Arc<Store>,
    platform_secret: Vec<u8>,
    clock: Clock,
    iterations: u32,
    idle_ms: i64,
    /// When set, every unlock and failed unlock goes into the audit trail.
    device: Option<Arc<device::Device>>,
}

struct Profile {
    salt: Vec<u8>,
    iterations: u32,
    pin_wrapped: Vec<u8>,
    recovery_wrapped: Vec<u8>,
    failed: u32,
    locked_until: Millis,
    high_water: Millis,
    needs_reenrollment: bool,
}

impl Agents {
    /// `platform_secret`: on Android, a secret held by the Keystore, mixed into every key
    /// derivation so the database file alone never suffices; empty where there is none.
    pub fn new(store: Arc<Store>, platform_secret: &[u8], clock: Clock) -> Agents {
        Agents {
            store,
            platform_secret: platform_secret.to_vec(),
            clock,
            iterations: PIN_ITERATIONS,
            idle_ms: DEFAULT_IDLE_MS,
            device: None,
        }
    }

    /// Audits unlocks and failed unlocks, signed with this device's key.
    pub fn with_audit(mut self, device: Arc<device::Device>) -> Agents {
        self.device = Some(device);
        self
    }

    /// Sessions this manager opens lock after `idle_ms` without use.
    pub fn with_idle_timeout(mut self, idle_ms: i64) -> Agents {
        self.idle_ms = idle_ms.max(1);
        self
    }

    fn session(&self, agent_id: &str, cipher: Cipher) -> AgentSession {
        AgentSession::new(agent_id, cipher, self.clock.clone(), self.idle_ms)
    }

    /// Fewer PBKDF2 iterations, for tests only: the production count is a constant.
    #[cfg(test)]
    fn with_iterations(mut self, iterations: u32) -> Agents {
        self.iterations = iterations;
        self
    }

    fn profile(&self, agent_id: &str) -> Result<Profile> {
        self.store
            .read(|conn| {
                Ok(conn
                    .prepare_cached(
                        "SELECT salt, iterations, pin_wrapped_key, recovery_wrapped_key,
                             failed_attempts, locked_until, clock_high_water, needs_reenrollment
                         FROM agents WHERE agent_id = ?1",
                    )?
                    .query_row([agent_id], |r| {
                        Ok(Profile {
                            salt: r.get(0)?,
                            iterations: r.get(1)?,
                            pin_wrapped: r.get(2)?,
                            recovery_wrapped: r.get(3)?,
                            failed: r.get(4)?,
                            locked_until: r.get(5)?,
                            high_water: r.get(6)?,
                            needs_reenrollment: r.get(7)?,
                        })
                    })
                    .optional()?)
            })?
            .ok_or_else(|| refuse(ErrorCode::SessionAgentUnknown))
    }

    /// Enrolls an agent on this phone with a new data key, wrapped under the PIN and under the
    /// district's recovery secret (given at enrollment; the phone does not keep it).
    pub fn enroll(
        &self,
        agent_id: &str,
        pin: &str,
        recovery_secret: &[u8; 32],
    ) -> Result<AgentSession> {
        check_pin(pin)?;
        let key = DataKey::generate()?;
        let mut salt = [0u8; 16];
        random_bytes(&mut salt)?;
        let pin_kek = wrap::pin_kek(pin, &salt, self.iterations, &self.platform_secret)?;
        let recovery_kek = wrap::recovery_kek(recovery_secret, &self.platform_secret)?;
        let pin_wrapped = wrap::wrap(&key, &pin_kek, agent_id)?;
        let recovery_wrapped = wrap::wrap(&key, &recovery_kek, agent_id)?;
        let now = (self.clock)();
        let cipher = Cipher::new(&key)?;
        self.store.write(|tx| {
            let inserted = tx.execute(
                "INSERT OR IGNORE INTO agents (agent_id, salt, iterations, pin_wrapped_key,
                     recovery_wrapped_key, clock_high_water, enrolled_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![
                    agent_id,
                    &salt[..],
                    self.iterations,
                    pin_wrapped,
                    recovery_wrapped,
                    now
                ],
            )?;
            if inserted == 0 {
                return Err(refuse(ErrorCode::SessionAgentExists));
            }
            Ok(())
        })?;
        Ok(self.session(agent_id, cipher))
    }

    /// Unlocks with the PIN. A wrong PIN is counted and may lock the profile (see the module
    /// comment); the refusal says how many attempts remain and when to retry.
    pub fn unlock(
        &self,
        agent_id: &str,
        pin: &str,
    ) -> std::result::Result<AgentSession, (Error, Refusal)> {
        let fail = |code: ErrorCode, attempts_left, retry_at| {
            (
                refuse(code),
                Refusal {
                    code,
                    attempts_left,
                    retry_at,
                },
            )
        };
        // A phone the district revoked opens for nobody (its signed notice was verified).
        if matches!(crate::sync::revoked(&self.store), Ok(Some(_))) {
            return Err(fail(ErrorCode::DeviceRevoked, 0, None));
        }
        let profile = self.profile(agent_id).map_err(|e| {
            let code = e
                .field_errors()
                .first()
                .map_or(ErrorCode::SessionAgentUnknown, |f| f.code);
            (
                e,
                Refusal {
                    code,
                    attempts_left: 0,
                    retry_at: None,
                },
            )
        })?;
        // The latest time this profile has seen: a clock moved back does not shorten a lock.
        let now = (self.clock)().max(profile.high_water);
        let left = MAX_ATTEMPTS.saturating_sub(profile.failed);
        // A storage or crypto failure is reported with the wrong-PIN refusal, changing nothing.
        let internal = |e: Error| {
            let refusal = Refusal {
                code: ErrorCode::SessionPinWrong,
                attempts_left: left,
                retry_at: None,
            };
            (e, refusal)
        };
        if profile.needs_reenrollment {
            return Err(fail(ErrorCode::SessionReenrollRequired, 0, None));
        }
        if now < profile.locked_until {
            return Err(fail(
                ErrorCode::SessionLocked,
                left,
                Some(profile.locked_until),
            ));
        }
        if check_pin(pin).is_err() {
            return Err(fail(ErrorCode::SessionPinFormat, left, None));
        }
        let unwrapped = wrap::pin_kek(
            pin,
            &profile.salt,
            profile.iterations,
            &self.platform_secret,
        )
        .and_then(|kek| wrap::unwrap(&profile.pin_wrapped, &kek, agent_id))
        .map_err(internal)?;
        match unwrapped {
            Some(key) => {
                let cipher = Cipher::new(&key).map_err(internal)?;
                self.record(agent_id, 0, 0, now, false).map_err(internal)?;
                Ok(self.session(agent_id, cipher))
            }
            None => {
                let failed = profile.failed + 1;
                let reenroll = failed >= MAX_ATTEMPTS;
                let delay = lockout_ms(failed);
                let until = if delay > 0 { now + delay } else { 0 };
                self.record(agent_id, failed, until, now, reenroll)
                    .map_err(internal)?;
                if reenroll {
                    Err(fail(ErrorCode::SessionReenrollRequired, 0, None))
                } else {
                    Err(fail(
                        ErrorCode::SessionPinWrong,
                        MAX_ATTEMPTS - failed,
                        (until > 0).then_some(until),
                    ))
                }
            }
        }
    }

    fn record(
        &self,
        agent_id: &str,
        failed: u32,
        locked_until: Millis,
        now: Millis,
        reenroll: bool,
    ) -> Result<()> {
        self.store.write(|tx| {
            tx.execute(
                "UPDATE agents SET failed_attempts = ?2, locked_until = ?3,
                     clock_high_water = max(clock_high_water, ?4), needs_reenrollment = ?5
                 WHERE agent_id = ?1",
                params![agent_id, failed, locked_until, now, reenroll],
            )?;
            if let Some(device) = &self.device {
                let action = if failed == 0 {
                    audit::Action::Unlock
                } else {
                    audit::Action::UnlockFailed
                };
                audit::append(tx, device.key(), agent_id, action, None, now)?;
            }
            Ok(())
        })
    }

    /// The district's re-enrollment: the recovery secret unwraps the same data key, which is
    /// wrapped again under the new PIN. Every record the agent had stays readable.
    pub fn reenroll(
        &self,
        agent_id: &str,
        recovery_secret: &[u8; 32],
        new_pin: &str,
    ) -> Result<AgentSession> {
        check_pin(new_pin)?;
        let profile = self.profile(agent_id)?;
        let recovery_kek = wrap::recovery_kek(recovery_secret, &self.platform_secret)?;
        let key = wrap::unwrap(&profile.recovery_wrapped, &recovery_kek, agent_id)?
            .ok_or_else(|| refuse(ErrorCode::SessionRecoveryInvalid))?;
        let mut salt = [0u8; 16];
        random_bytes(&mut salt)?;
        let pin_kek = wrap::pin_kek(new_pin, &salt, self.iterations, &self.platform_secret)?;
        let pin_wrapped = wrap::wrap(&key, &pin_kek, agent_id)?;
        let now = (self.clock)().max(profile.high_water);
        self.store.write(|tx| {
            tx.execute(
                "UPDATE agents SET salt = ?2, iterations = ?3, pin_wrapped_key = ?4,
                     failed_attempts = 0, locked_until = 0, needs_reenrollment = 0,
                     clock_high_water = max(clock_high_water, ?5)
                 WHERE agent_id = ?1",
                params![agent_id, &salt[..], self.iterations, pin_wrapped, now],
            )?;
            Ok(())
        })?;
        Ok(self.session(agent_id, Cipher::new(&key)?))
    }
}

#[cfg(test)]
mod tests;
