//! Signed requests: the device names itself, the time and a fresh nonce, and signs those with
//! the method, path and body hash (`perlinsos_protocol::signing`). Stale or replayed requests
//! and bad signatures are refused before the request does anything.
use axum::http::{HeaderMap, Method, Uri};
use perlinsos_protocol::signing::{self, canonical_request};
use perlinsos_protocol::wire::ErrorCode;
use ring::digest::{digest, SHA256};
use ring::signature::{UnparsedPublicKey, ED25519};

use crate::db::{self, Device};
use crate::error::ApiError;
use crate::AppState;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, ApiError> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError(ErrorCode::SignatureInvalid))
}

pub use perlinsos_rules::hex::{decode as unhex, encode as hex};

/// The device behind a signed request, once its signature, time and nonce check out.
/// Checks a device's signed request; a revoked device is refused (`DEVICE_REVOKED`).
pub fn verify(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Device, ApiError> {
    let device = verify_signature(state, method, uri, headers, body)?;
    if device.revoked_at.is_some() {
        return Err(ApiError(ErrorCode::DeviceRevoked));
    }
    Ok(device)
}

/// The signature headers of a request, parsed: nothing checked against the database yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders<'a> {
    pub device_id: &'a str,
    pub timestamp: i64,
    /// 32 hex digits (16 bytes).
    pub nonce: &'a str,
    pub signature: Vec<u8>,
}

/// Reads the four signature headers; a missing or malformed one is `SIGNATURE_INVALID`.
pub fn signed_headers(headers: &HeaderMap) -> Result<SignedHeaders<'_>, ApiError> {
    let device_id = header(headers, signing::HEADER_DEVICE)?;
    let timestamp: i64 = header(headers, signing::HEADER_TIMESTAMP)?
        .parse()
        .map_err(|_| ApiError(ErrorCode::SignatureInvalid))?;
    let nonce = header(headers, signing::HEADER_NONCE)?;
    let signature = unhex(header(headers, signing::HEADER_SIGNATURE)?)
        .ok_or(ApiError(ErrorCode::SignatureInvalid))?;
    if nonce.len() != signing::NONCE_HEX_LEN || unhex(nonce).is_none() {
        return Err(ApiError(ErrorCode::SignatureInvalid));
    }
    Ok(SignedHeaders {
        device_id,
        timestamp,
        nonce,
        signature,
    })
}

/// Whether a request signed at `timestamp` is fresh at `now` (both Unix ms, any values:
/// `abs_diff`, so a timestamp of i64::MIN is refused, not an overflow).
pub fn is_fresh(now: i64, timestamp: i64) -> bool {
    now.abs_diff(timestamp) <= signing::MAX_CLOCK_SKEW_MS.unsigned_abs()
}

/// Checks the signature, time and nonce of a device's request, revoked or not (the outbox
/// keeps what a revoked device still sends, for officers).
pub fn verify_signature(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Device, ApiError> {
    let SignedHeaders {
        device_id,
        timestamp,
        nonce,
        signature,
    } = signed_headers(headers)?;
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let text = canonical_request(
        method.as_str(),
        path,
        device_id,
        timestamp,
        nonce,
        &hex(digest(&SHA256, body).as_ref()),
    );
    let now = (state.clock)();
    // One transaction: the device, its signature, the time and the nonce.
    let device = state.db.write(|tx| {
        let device = db::device(tx, device_id)?.ok_or(ApiError(ErrorCode::DeviceUnknown))?;
        UnparsedPublicKey::new(&ED25519, &device.public_key)
            .verify(&text, &signature)
            .map_err(|_| ApiError(ErrorCode::SignatureInvalid))?;
        if !is_fresh(now, timestamp) {
            return Err(ApiError(ErrorCode::RequestStale));
        }
        // Old nonces are swept on about one request in sixteen (the index makes it cheap;
        // the window only needs them gone eventually).
        if nonce.as_bytes()[0] == b'0' {
            db::prune_nonces(tx, now - 2 * signing::MAX_CLOCK_SKEW_MS)?;
        }
        if !db::use_nonce(tx, device_id, nonce, timestamp)? {
            return Err(ApiError(ErrorCode::RequestReplayed));
        }
        Ok(device)
    })?;
    Ok(device)
}

/// Adds the district's signed revocation notice to a `DEVICE_REVOKED` refusal, so the phone
/// can tell it from a forged one (`perlinsos_protocol::wire::HEADER_REVOCATION`).
pub async fn sign_revocations(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use perlinsos_protocol::wire::{HEADER_ERROR, HEADER_REVOCATION};
    let device_id = request
        .headers()
        .get(signing::HEADER_DEVICE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut response = next.run(request).await;
    let revoked = response
        .headers()
        .get(HEADER_ERROR)
        .is_some_and(|v| v.as_bytes() == b"DEVICE_REVOKED");
    let Some(device_id) = device_id.filter(|_| revoked) else {
        return response;
    };
    let lookup = {
        let state = state.clone();
        let id = device_id.clone();
        tokio::task::spawn_blocking(move || state.db.read(|tx| db::device(tx, &id))).await
    };
    if let Ok(Ok(Some(Device {
        revoked_at: Some(at),
        ..
    }))) = lookup
    {
        let signature = state
            .district_key
            .sign(&signing::revocation_text(&device_id, at));
        if let Ok(value) =
            axum::http::HeaderValue::from_str(&format!("{at}.{}", hex(signature.as_ref())))
        {
            response.headers_mut().insert(HEADER_REVOCATION, value);
        }
    }
    response
}
