//! `POST /v1/handover`: a re-enrolled phone hands over, as they are, the entries still queued
//! under the identity it replaces. They are sealed for the district and bound to their entry
//! id, kind and key id, but many carry the old device's own signatures and ownership (resident
//! receipts, photo attestations, its audit chain), which the new key neither can nor should
//! claim: so they are kept as **held entries of the old device** (`quarantined_entries`, the
//! same list a revoked device's late pushes go to), and officers admit them (applied as a push
//! of the old device: its key, scope and chain) or reject them (`quarantine`).
//!
//! The rule: the request is signed by a device that is not revoked, that an operator enrolled
//! as the replacement of `from_device_id` (its code was made with `enroll-code --replaces`,
//! `devices.replaces`), and that old device is revoked. Anything else is `HANDOVER_NOT_ALLOWED`
//! and changes nothing, so a random phone cannot claim another's queue.
//!
//! Each entry is answered in a receipt the district key signs
//! (`perlinsos_protocol::signing::handover_receipt_text`): `accepted` (held now), `duplicate`
//! (held or applied already: a retried hand-over changes nothing), `rejected` with a code
//! (`BLOB_MISSING` until its photos are uploaded, which the phone retries; a malformed
//! envelope for good). The phone drops an entry from its queue only on that verified receipt.
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::Json;
use perlinsos_protocol::signing::handover_receipt_text;
use perlinsos_protocol::wire::{
    EntryResult, ErrorCode, HandoverRequest, Outcome, PushEntry, PushResponse, MAX_BATCH,
};

use crate::auth::verify;
use crate::db::{self, DbError, Tx};
use crate::error::ApiError;
use crate::outbox::{signed_receipt, MAX_QUARANTINED};
use crate::AppState;

fn rejected(code: ErrorCode) -> Outcome {
    Outcome::Rejected {
        code,
        reason: code.message().to_owned(),
    }
}

pub async fn hand_over(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<PushResponse>, ApiError> {
    // A revoked device hands over nothing (`DEVICE_REVOKED`, with the signed notice).
    let device = verify(&state, &method, &uri, &headers, &body)?;
    let request: HandoverRequest =
        serde_json::from_slice(&body).map_err(|_| ApiError(ErrorCode::BodyInvalid))?;
    if request.entries.len() > MAX_BATCH {
        return Err(ApiError(ErrorCode::BatchTooLarge));
    }
    let worker = state.clone();
    let device_id = device.device_id.clone();
    let (results, request) = tokio::task::spawn_blocking(move || {
        let results = hold(&worker, &device_id, &request);
        (results, request)
    })
    .await
    .map_err(|_| ApiError(ErrorCode::Internal))?;
    let results = results?;
    let held = results
        .iter()
        .filter(|r| r.outcome == Outcome::Accepted)
        .count();
    tracing::info!(
        event = "handover",
        device = %device.device_id,
        from = %request.from_device_id,
        entries = results.len(),
        held
    );
    let receipt = signed_receipt(&state, &request.entries, &results, |lines| {
        handover_receipt_text(&device.device_id, &request.from_device_id, lines)
    });
    Ok(Json(PushResponse {
        results,
        receipt: Some(receipt),
    }))
}

/// Whether `device_id` may hand over the queue of `from`: enrolled as its replacement, and
/// `from` is revoked.
fn allowed(tx: &mut dyn Tx, device_id: &str, from: &str) -> Result<bool, DbError> {
    let replaces = tx
        .query_one(
            "SELECT replaces FROM devices WHERE device_id = ?1",
            &[db::text(device_id)],
        )?
        .and_then(|r| r[0].text());
    if replaces.as_deref() != Some(from) || from == device_id {
        return Ok(false);
    }
    Ok(db::device(tx, from)?.is_some_and(|old| old.revoked_at.is_some()))
}

/// Keeps the entries as held entries of `request.from_device_id`, in one transaction; a
/// result per entry.
fn hold(
    state: &AppState,
    device_id: &str,
    request: &HandoverRequest,
) -> Result<Vec<EntryResult>, ApiError> {
    let from = request.from_device_id.as_str();
    let now = (state.clock)();
    state.db.write(|tx| {
        // The old device's held list moves one hand-over (or one late push) at a time.
        db::lock_device(tx, from)?;
        if !allowed(tx, device_id, from)? {
            tracing::warn!(event = "handover_refused", device = %device_id);
            return Err(ApiError(ErrorCode::HandoverNotAllowed));
        }
        let mut held = tx
            .query_one(
                "SELECT count(*) FROM quarantined_entries WHERE device_id = ?1",
                &[db::text(from)],
            )?
            .map(|r| r[0].int())
            .unwrap_or(0);
        let ids: Vec<&str> = request
            .entries
            .iter()
            .filter(|e| crate::quarantine::storable_envelope(e))
            .map(|e| e.id.as_str())
            .collect();
        // Applied already (the old device's push got through, its answer was lost).
        let applied = db::entry_owners(tx, &ids)?;
        let mut results = Vec::with_capacity(request.entries.len());
        for entry in &request.entries {
            let outcome = if !crate::quarantine::storable_envelope(entry) {
                rejected(ErrorCode::BodyInvalid)
            } else if let Some(owner) = applied.get(&entry.id) {
                if owner == from {
                    Outcome::Duplicate
                } else {
                    rejected(ErrorCode::RecordIdTaken)
                }
            } else if held >= MAX_QUARANTINED && !is_held(tx, from, &entry.id)? {
                // Over the bound a stolen phone's pushes are held to: not kept now (transient,
                // the phone keeps it and an operator hears of the full list).
                rejected(ErrorCode::QuotaExceeded)
            } else if !photos_stored(tx, entry)? {
                // Transient: the phone uploads them and hands the entry over again.
                rejected(ErrorCode::BlobMissing)
            } else {
                let kept = tx.execute(
                    "INSERT INTO quarantined_entries
                        (device_id, entry_id, kind, key_id, sealed, received_at,
                         entity_id, kelurahan_code, blobs, created_at, handed_over_by)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                     ON CONFLICT DO NOTHING",
                    &[
                        db::text(from),
                        db::text(entry.id.as_str()),
                        db::text(entry.kind.as_str()),
                        db::text(entry.key_id.as_str()),
                        db::text(entry.sealed.as_str()),
                        db::int(now),
                        db::text(entry.entity_id.as_str()),
                        db::opt_text(entry.kelurahan_code.as_deref()),
                        db::text(serde_json::to_string(&entry.blobs).unwrap_or_default()),
                        db::int(entry.created_at),
                        db::text(device_id),
                    ],
                )?;
                if kept == 0 {
                    Outcome::Duplicate
                } else {
                    held += 1;
                    Outcome::Accepted
                }
            };
            results.push(EntryResult {
                id: entry.id.clone(),
                outcome,
            });
        }
        Ok(results)
    })
}

/// Whether every photo the entry declares is stored on the server (uploaded by any device:
/// a blob is named by its hash; the admission checks its attestation by the old device).
fn photos_stored(tx: &mut dyn Tx, entry: &PushEntry) -> Result<bool, DbError> {
    for sha in &entry.blobs {
        if !tx.exists(
            "SELECT 1 FROM blobs WHERE sha256 = ?1",
            &[db::text(sha.as_str())],
        )? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn is_held(tx: &mut dyn Tx, device_id: &str, entry_id: &str) -> Result<bool, DbError> {
    tx.exists(
        "SELECT 1 FROM quarantined_entries WHERE device_id = ?1 AND entry_id = ?2",
        &[db::text(device_id), db::text(entry_id)],
    )
}
