//! Sync from Kotlin: `suspend` functions backed by one small tokio runtime that the library
//! owns, so the caller's thread never blocks; progress reaches a listener; cancelling the
//! coroutine drops the future, which aborts the task (the core's sync is cancel-safe).
use std::sync::{Arc, OnceLock};

use perlinsos_core::sync::{self, Interrupted, Progress, Syncer};

use crate::phone::{AgentSession, Phone};
use crate::ApiError;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("perlinsos-sync")
            .enable_all()
            .build()
            .expect("sync runtime")
    })
}

/// Aborts the spawned task when the caller's future is dropped (a cancelled coroutine).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn on_runtime<T: Send + 'static>(
    work: impl std::future::Future<Output = Result<T, ApiError>> + Send + 'static,
) -> Result<T, ApiError> {
    let mut handle = AbortOnDrop(runtime().spawn(work));
    match (&mut handle.0).await {
        Ok(result) => result,
        Err(_) => Err(ApiError::Internal {
            code: "SYNC_TASK".into(),
        }),
    }
}

fn interrupted(e: Interrupted) -> ApiError {
    match e {
        Interrupted::Transient { retry_after_ms } => ApiError::Offline {
            retry_after_ms: retry_after_ms.unwrap_or(0),
        },
        Interrupted::Stopped(e) => ApiError::from(e),
    }
}

/// What an agent's screen shows while syncing.
#[uniffi::export(with_foreign)]
pub trait SyncListener: Send + Sync {
    fn on_blob(&self, sent_bytes: u64, total_bytes: u64);
    fn on_entries(&self, done: u64, pending: u64);
    fn on_changes(&self, applied: u64);
}

#[derive(Debug, uniffi::Record)]
pub struct SyncReport {
    pub accepted: u64,
    pub duplicates: u64,
    pub parked: u64,
    pub blobs_uploaded: u64,
    pub changes_applied: u64,
    /// A change from the district waits for an agent to unlock (it must be sealed for them).
    pub waiting_for_agent: bool,
}

/// What the sync screen shows: how many entries wait, and those the server refused for good.
#[derive(Debug, uniffi::Record)]
pub struct OutboxView {
    pub pending: u64,
    pub parked: Vec<ParkedItem>,
}

#[derive(Debug, uniffi::Record)]
pub struct ParkedItem {
    /// household, sanggahan_filed, audit_entry, ...
    pub kind: String,
    pub record_id: String,
    /// The server's code and its Indonesian text.
    pub reason: String,
}

#[derive(Debug, uniffi::Record)]
pub struct Enrollment {
    pub agent_id: String,
    pub scope: Vec<String>,
}

#[uniffi::export]
impl Phone {
    pub fn outbox(&self) -> Result<OutboxView, ApiError> {
        let status = sync::outbox_status(&self.store)?;
        Ok(OutboxView {
            pending: status.pending as u64,
            parked: status
                .parked
                .into_iter()
                .map(|p| ParkedItem {
                    kind: p.kind,
                    record_id: p.entity_id,
                    reason: p.reason,
                })
                .collect(),
        })
    }

    /// Puts the parked entries back in the queue (after the district fixed the cause).
    pub fn retry_parked(&self) -> Result<u64, ApiError> {
        Ok(sync::retry_parked(&self.store)? as u64)
    }

    /// Enrolls this phone with the district: the operator's ticket (the QR payload: one-time
    /// code, server address, district key fingerprint). The address is bound from then on.
    pub async fn enroll_with_ticket(
        self: Arc<Self>,
        ticket: String,
    ) -> Result<Enrollment, ApiError> {
        on_runtime(async move {
            let enrollment = sync::enroll(&self.store, &self.device, &ticket)
                .await
                .map_err(interrupted)?;
            Ok(Enrollment {
                agent_id: enrollment.agent_id,
                scope: enrollment.scope,
            })
        })
        .await
    }

    /// Syncs this agent's records and the phone's audit trail: passes with backoff until one
    /// completes (at most `max_passes`). `ApiException.Offline` when the server stayed out of
    /// reach.
    pub async fn sync(
        self: Arc<Self>,
        session: Arc<AgentSession>,
        max_passes: u32,
        listener: Option<Arc<dyn SyncListener>>,
    ) -> Result<SyncReport, ApiError> {
        let syncer = session.with(|s| self.core.syncer(s))?;
        self.run_sync(syncer, max_passes, listener).await
    }

    /// Syncs with every agent locked (Android's background worker, when the signal comes
    /// back): the queue is sealed already, so only the device key signs. What must be sealed
    /// for an agent (an officer's reason) waits for the next sync with an agent unlocked.
    pub async fn sync_in_background(
        self: Arc<Self>,
        max_passes: u32,
        listener: Option<Arc<dyn SyncListener>>,
    ) -> Result<SyncReport, ApiError> {
        let syncer = self.core.background_syncer()?;
        self.run_sync(syncer, max_passes, listener).await
    }
}

impl Phone {
    async fn run_sync(
        self: Arc<Self>,
        syncer: Syncer,
        max_passes: u32,
        listener: Option<Arc<dyn SyncListener>>,
    ) -> Result<SyncReport, ApiError> {
        on_runtime(async move {
            let mut syncer = syncer;
            if let Some(listener) = listener {
                syncer = syncer.on_progress(move |p| match p {
                    Progress::Blob {
                        sent_bytes,
                        total_bytes,
                    } => listener.on_blob(sent_bytes, total_bytes),
                    Progress::Entries { done, pending } => {
                        listener.on_entries(done as u64, pending as u64)
                    }
                    Progress::Changes { applied } => listener.on_changes(applied as u64),
                });
            }
            let report = syncer.run(max_passes.max(1)).await.map_err(interrupted)?;
            Ok(SyncReport {
                accepted: report.accepted as u64,
                duplicates: report.duplicates as u64,
                parked: report.parked as u64,
                blobs_uploaded: report.blobs_uploaded as u64,
                changes_applied: report.changes_applied as u64,
                waiting_for_agent: report.changes_waiting,
            })
        })
        .await
    }
}
