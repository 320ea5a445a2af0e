//! `POST /v1/outbox`: a batch of a device's outbox entries, applied in one transaction, with a
//! result per entry. An entry id the server already holds is a duplicate (applied once,
//! earlier), so a batch sent again after a lost answer changes nothing. Records must be inside
//! the device's scope and their evidence blobs uploaded, whole and attested by the device; the
//! device's audit entries must continue its chain.
use std::io::Read;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::Json;
use perlinsos_core::evidence::attest::{self, Attestation};
use perlinsos_protocol::outbox_kind;
use perlinsos_protocol::signing::audit_entry_text;
use perlinsos_protocol::wire::{
    EntryResult, ErrorCode, Outcome, PushEntry, PushRequest, PushResponse, MAX_BATCH,
};
use ring::digest::{digest, SHA256};
use ring::signature::{UnparsedPublicKey, ED25519};
use serde::Deserialize;

use crate::auth::{hex, unhex, verify};
use crate::blobs::blob_path;
use crate::db::{self, Device, Tx};
use crate::error::ApiError;
use crate::AppState;

/// A gzip batch may not expand beyond this.
const MAX_BATCH_BYTES: u64 = 32 * 1024 * 1024;

#[derive(Deserialize)]
struct AuditEntry {
    seq: i64,
    at: i64,
    agent_id: String,
    action: String,
    record_id: Option<String>,
    prev_hash: String,
    hash: String,
    signature: String,
}

#[derive(Deserialize)]
struct EvidenceRef {
    sha256: String,
    attestation: Attestation,
}

#[derive(Deserialize, Default)]
struct WithEvidence {
    #[serde(default)]
    evidence: Vec<EvidenceRef>,
}

fn rejected(code: ErrorCode) -> Outcome {
    Outcome::Rejected {
        code,
        reason: code.message().to_owned(),
    }
}

fn decode_body(headers: &HeaderMap, body: &[u8]) -> Result<PushRequest, ApiError> {
    let gzip = headers
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    let json = if gzip {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(body)
            .take(MAX_BATCH_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|_| ApiError(ErrorCode::BodyInvalid))?;
        if out.len() as u64 > MAX_BATCH_BYTES {
            return Err(ApiError(ErrorCode::BatchTooLarge));
        }
        out
    } else {
        body.to_vec()
    };
    serde_json::from_slice(&json).map_err(|_| ApiError(ErrorCode::BodyInvalid))
}

pub async fn push(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<PushResponse>, ApiError> {
    // The signature covers the bytes as sent, so nothing is decompressed before it checks out.
    let device = verify(&state, &method, &uri, &headers, &body)?;
    let request = decode_body(&headers, &body)?;
    if request.entries.len() > MAX_BATCH {
        return Err(ApiError(ErrorCode::BatchTooLarge));
    }
    let now = (state.clock)();
    let results = state.db.write(|tx| {
        // The chain as this transaction sees it: a copy of this request delivered twice may
        // have moved it since the signature was checked.
        let current =
            db::device(tx, &device.device_id)?.ok_or(ApiError(ErrorCode::DeviceUnknown))?;
        let start = (current.audit_seq, current.audit_hash.clone());
        let mut chain = start.clone();
        let mut results = Vec::with_capacity(request.entries.len());
        for entry in &request.entries {
            let outcome = apply(&state, tx, &device, entry, &mut chain, now)?;
            results.push(EntryResult {
                id: entry.id.clone(),
                outcome,
            });
        }
        if chain != start {
            tx.execute(
                "UPDATE devices SET audit_seq = ?2, audit_hash = ?3 WHERE device_id = ?1",
                &[
                    db::text(device.device_id.as_str()),
                    db::int(chain.0),
                    db::Value::Blob(chain.1.clone()),
                ],
            )?;
        }
        Ok::<_, ApiError>(results)
    })?;
    let accepted = results
        .iter()
        .filter(|r| r.outcome == Outcome::Accepted)
        .count();
    tracing::info!(
        event = "outbox_batch",
        device = %device.device_id,
        entries = results.len(),
        accepted
    );
    Ok(Json(PushResponse { results }))
}

fn apply(
    state: &AppState,
    tx: &mut dyn Tx,
    device: &Device,
    entry: &PushEntry,
    chain: &mut (i64, Option<Vec<u8>>),
    now: i64,
) -> Result<Outcome, ApiError> {
    let known = tx
        .query_one(
            "SELECT device_id FROM entries WHERE id = ?1",
            &[db::text(entry.id.as_str())],
        )?
        .and_then(|r| r[0].text());
    if let Some(owner) = known {
        return Ok(if owner == device.device_id {
            Outcome::Duplicate
        } else {
            rejected(ErrorCode::BodyInvalid)
        });
    }
    if entry.id.is_empty() || entry.id.len() > 64 {
        return Ok(rejected(ErrorCode::BodyInvalid));
    }
    if !outbox_kind::ALL.contains(&entry.kind.as_str()) {
        return Ok(rejected(ErrorCode::KindUnknown));
    }
    if entry.kind == outbox_kind::AUDIT_APPENDED {
        match check_audit(device, &entry.body, chain) {
            Ok(next) => *chain = next,
            Err(code) => return Ok(rejected(code)),
        }
    } else {
        let in_scope = entry
            .kelurahan_code
            .as_ref()
            .is_some_and(|k| device.scope.contains(k));
        if !in_scope {
            return Ok(rejected(ErrorCode::OutOfScope));
        }
        if let Some(code) = check_evidence(state, tx, device, entry)? {
            return Ok(rejected(code));
        }
    }
    tx.execute(
        "INSERT INTO entries (id, device_id, kind, entity_id, kelurahan_code, body, created_at,
                              received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &[
            db::text(entry.id.as_str()),
            db::text(device.device_id.as_str()),
            db::text(entry.kind.as_str()),
            db::text(entry.entity_id.as_str()),
            db::opt_text(entry.kelurahan_code.as_deref()),
            db::text(entry.body.to_string()),
            db::int(entry.created_at),
            db::int(now),
        ],
    )?;
    let record_kind = match entry.kind.as_str() {
        outbox_kind::HOUSEHOLD_REGISTERED => Some("household"),
        outbox_kind::SANGGAHAN_FILED => Some("sanggahan"),
        _ => None,
    };
    if let Some(record_kind) = record_kind {
        crate::review::index_evidence(
            state,
            tx,
            &device.device_id,
            record_kind,
            &entry.entity_id,
            &entry.body,
        )?;
    }
    Ok(Outcome::Accepted)
}

/// Every blob the record names is stored whole and attested by this device.
fn check_evidence(
    state: &AppState,
    tx: &mut dyn Tx,
    device: &Device,
    entry: &PushEntry,
) -> Result<Option<ErrorCode>, ApiError> {
    let evidence: WithEvidence = serde_json::from_value(entry.body.clone()).unwrap_or_default();
    for sha in &entry.blobs {
        let stored = tx.exists(
            "SELECT 1 FROM blobs WHERE sha256 = ?1",
            &[db::text(sha.as_str())],
        )?;
        if !stored {
            return Ok(Some(ErrorCode::BlobMissing));
        }
        let Some(item) = evidence.evidence.iter().find(|e| &e.sha256 == sha) else {
            return Ok(Some(ErrorCode::AttestationInvalid));
        };
        let jpeg = std::fs::read(blob_path(state, sha))?;
        if attest::verify(&item.attestation, &jpeg, &device.public_key).is_err()
            || item.attestation.device_id != device.device_id
        {
            return Ok(Some(ErrorCode::AttestationInvalid));
        }
    }
    Ok(None)
}

/// The next link of the device's audit chain, or why this entry is not it.
fn check_audit(
    device: &Device,
    body: &serde_json::Value,
    chain: &(i64, Option<Vec<u8>>),
) -> Result<(i64, Option<Vec<u8>>), ErrorCode> {
    let entry: AuditEntry =
        serde_json::from_value(body.clone()).map_err(|_| ErrorCode::BodyInvalid)?;
    let prev = unhex(&entry.prev_hash).ok_or(ErrorCode::BodyInvalid)?;
    let hash = unhex(&entry.hash).ok_or(ErrorCode::BodyInvalid)?;
    let signature = unhex(&entry.signature).ok_or(ErrorCode::BodyInvalid)?;
    let text = audit_entry_text(
        entry.seq,
        entry.at,
        &entry.agent_id,
        &entry.action,
        entry.record_id.as_deref(),
        &hex(&prev),
    );
    if digest(&SHA256, text.as_bytes()).as_ref() != hash.as_slice() {
        return Err(ErrorCode::AuditChainBroken);
    }
    UnparsedPublicKey::new(&ED25519, &device.public_key)
        .verify(&hash, &signature)
        .map_err(|_| ErrorCode::SignatureInvalid)?;
    let expected_prev = chain.1.clone().unwrap_or_else(|| vec![0; 32]);
    if entry.seq != chain.0 + 1 || prev != expected_prev {
        return Err(ErrorCode::AuditChainBroken);
    }
    Ok((entry.seq, Some(hash)))
}
