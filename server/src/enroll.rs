//! Enrollment: a phone presents an operator's one-time code and its device public key and gets
//! its agent id, scope and the district's public key. A retried enrollment (the answer was
//! lost on the way) by the same device with the same key gets the same answer again. A code an
//! operator made for the replacement of a revoked device (`operator::replacement_code`) binds
//! the device enrolled with it as that replacement (`devices.replaces`, see `handover`).
use axum::extract::State;
use axum::Json;
use perlinsos_protocol::wire::{EnrollRequest, EnrollResponse, ErrorCode};
use ring::digest::{digest, SHA256};
use ring::signature::KeyPair;

use crate::auth::{hex, unhex};
use crate::db::{self, DbResult, Tx};
use crate::error::ApiError;
use crate::keys::ServerKeys;
use crate::AppState;

pub fn code_hash(code: &str) -> Vec<u8> {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    digest(&SHA256, normal.as_bytes()).as_ref().to_vec()
}

pub async fn enroll(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Json<EnrollResponse>, ApiError> {
    // Read here rather than by axum's `Json`: a body that is not an enrollment request (or
    // comes without its content type) is refused like every other request, with a stable code
    // in an ErrorBody, not the framework's plain-text 400, 415 or 422.
    let request: EnrollRequest =
        serde_json::from_slice(&body).map_err(|_| ApiError(ErrorCode::BodyInvalid))?;
    let key = unhex(&request.device_public_key)
        .filter(|k| k.len() == 32)
        .ok_or(ApiError(ErrorCode::BodyInvalid))?;
    // The id lands in logs, paths and headers: letters, digits, dot, dash and underscore only
    // (a newline in it would forge log lines).
    let id_ok = (1..=64).contains(&request.device_id.len())
        && request
            .device_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !id_ok {
        return Err(ApiError(ErrorCode::BodyInvalid));
    }
    let now = (state.clock)();
    let hash = code_hash(&request.code);
    let device_id = request.device_id.clone();
    let (agent_id, scope_json) = state.db.write(|tx| {
        let Some(code) = tx.query_one(
            // FOR UPDATE (PostgreSQL): one code, one device, even when two phones race.
            if tx.is_postgres() {
                "SELECT agent_id, scope, expires_at, used_by, replaces FROM enroll_codes
                 WHERE code_hash = ?1 FOR UPDATE"
            } else {
                "SELECT agent_id, scope, expires_at, used_by, replaces FROM enroll_codes
                 WHERE code_hash = ?1"
            },
            &[db::blob(hash.clone())],
        )?
        else {
            return Err(ApiError(ErrorCode::EnrollCodeInvalid));
        };
        let (agent_id, scope, expires_at, used_by, replaces) = (
            code[0].text().unwrap_or_default(),
            code[1].text().unwrap_or_default(),
            code[2].int(),
            code[3].text(),
            code[4].text(),
        );
        match used_by {
            Some(device) if device == device_id => {
                let same_key = tx.exists(
                    "SELECT 1 FROM devices WHERE device_id = ?1 AND public_key = ?2",
                    &[db::text(device_id.as_str()), db::blob(key.clone())],
                )?;
                if !same_key {
                    return Err(ApiError(ErrorCode::EnrollCodeInvalid));
                }
            }
            Some(_) => return Err(ApiError(ErrorCode::EnrollCodeInvalid)),
            None if expires_at < now => return Err(ApiError(ErrorCode::EnrollCodeInvalid)),
            None => {
                let taken = tx.exists(
                    "SELECT 1 FROM devices WHERE device_id = ?1",
                    &[db::text(device_id.as_str())],
                )?;
                if taken {
                    return Err(ApiError(ErrorCode::EnrollCodeInvalid));
                }
                tx.execute(
                    "INSERT INTO devices
                        (device_id, public_key, agent_id, scope, enrolled_at, replaces)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    &[
                        db::text(device_id.as_str()),
                        db::blob(key.clone()),
                        db::text(agent_id.as_str()),
                        db::text(scope.as_str()),
                        db::int(now),
                        db::opt_text(replaces.as_deref()),
                    ],
                )?;
                add_scope_rows(tx, &device_id, &scope)?;
                tx.execute(
                    "UPDATE enroll_codes SET used_by = ?2 WHERE code_hash = ?1",
                    &[db::blob(hash.clone()), db::text(device_id.as_str())],
                )?;
                tracing::info!(event = "device_enrolled", device = %device_id, agent = %agent_id);
            }
        }
        Ok((agent_id, scope))
    })?;
    let district = state.district_key.clone();
    let record_key = state
        .db
        .read(move |tx| crate::record_keys::current(tx, &district))?;
    Ok(Json(EnrollResponse {
        record_key,
        agent_id,
        scope: serde_json::from_str(&scope_json).unwrap_or_default(),
        district_public_key: hex(state.district_key.public_key().as_ref()),
        server_time: now,
    }))
}

/// One `device_scope` row per kelurahan of a device's scope (its JSON list as stored).
fn add_scope_rows(tx: &mut dyn Tx, device_id: &str, scope_json: &str) -> DbResult<()> {
    let scope: Vec<String> = serde_json::from_str(scope_json).unwrap_or_default();
    for kelurahan in scope {
        tx.execute(
            "INSERT INTO device_scope (kelurahan_code, device_id) VALUES (?1, ?2)
             ON CONFLICT DO NOTHING",
            &[db::text(kelurahan.as_str()), db::text(device_id)],
        )?;
    }
    Ok(())
}

/// Migration 0010's backfill: the scope rows of every device enrolled before it.
pub fn scope_rows_of_enrolled(tx: &mut dyn Tx, _keys: &ServerKeys) -> DbResult<()> {
    for row in tx.query("SELECT device_id, scope FROM devices", &[])? {
        let device_id = row[0].text().unwrap_or_default();
        add_scope_rows(tx, &device_id, &row[1].text().unwrap_or_default())?;
    }
    Ok(())
}
