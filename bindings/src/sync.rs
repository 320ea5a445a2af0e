//! Sync from Kotlin: `suspend` functions run by uniffi's own tokio support
//! (`async_runtime = "tokio"`: each future is polled from Kotlin's coroutine inside a tokio
//! context that uniffi's `async-compat` keeps, which drives reqwest's sockets and the backoff's
//! timers), so the caller's thread never blocks and this crate keeps no runtime of its own.
//! Progress reaches a listener. Cancelling the coroutine drops the future at its next await:
//! every outbox change of the core's sync is one transaction, so nothing is left half-done.
//! Unlike the runtime this crate used to keep, the future is polled on the coroutine's own
//! thread, so the sync's short SQLite writes between awaits run there: call it from a
//! background dispatcher (the app's repository uses its IO dispatcher), never from the main one.
use std::sync::Arc;

use perlinsos_core::sync::{self, Interrupted, Progress, Syncer};

use crate::phone::{AgentSession, Phone};
use crate::ApiError;

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
    /// Of `pending`, the entries that carry photos (a background sync of them runs in the
    /// foreground, with a notification).
    pub pending_with_photos: u64,
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

#[uniffi::export(async_runtime = "tokio")]
impl Phone {
    pub fn outbox(&self) -> Result<OutboxView, ApiError> {
        let status = sync::outbox_status(&self.store)?;
        Ok(OutboxView {
            pending: status.pending as u64,
            pending_with_photos: status.pending_with_photos as u64,
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
        let enrollment = sync::enroll(&self.store, &self.device, &ticket)
            .await
            .map_err(interrupted)?;
        Ok(Enrollment {
            agent_id: enrollment.agent_id,
            scope: enrollment.scope,
        })
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
        run_sync(syncer, max_passes, listener).await
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
        run_sync(syncer, max_passes, listener).await
    }
}

/// One sync to its end (or its last pass), progress to `listener`.
async fn run_sync(
    syncer: Syncer,
    max_passes: u32,
    listener: Option<Arc<dyn SyncListener>>,
) -> Result<SyncReport, ApiError> {
    let mut syncer = syncer;
    if let Some(listener) = listener {
        syncer = syncer.on_progress(move |p| match p {
            Progress::Blob {
                sent_bytes,
                total_bytes,
            } => listener.on_blob(sent_bytes, total_bytes),
            Progress::Entries { done, pending } => listener.on_entries(done as u64, pending as u64),
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
}
