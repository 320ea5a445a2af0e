//! What the district's operators do: issue enrollment codes, publish signed PMT models, import
//! recipient lists, record decisions, and read counts. Each is a function (tests and the CLI
//! share them) that changes the database in one transaction.
use std::path::Path;

use perlinsos_protocol::wire::Change;
use perlinsos_rules::pmt::signed;
use perlinsos_rules::sanggahan::recipients;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::Ed25519KeyPair;

use crate::db;
use crate::enroll::code_hash;
use crate::keys::ServerKeys;
use crate::AppState;

pub type OpResult<T> = Result<T, String>;

const KEY_FILE: &str = "district-key.pk8";
/// Unambiguous letters and digits (no 0/O, 1/I/L).
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
pub const DISTRICT_KEY_ID: &str = "district";

const KEY_CONTEXT: &str = "district-key";

/// The district's signing key, made on first start and kept in the data folder sealed under
/// the server's data key (mode 0600). A key file from before sealing (plain PKCS#8) is sealed
/// in place.
pub fn district_key(data_dir: &Path, keys: &ServerKeys) -> std::io::Result<Ed25519KeyPair> {
    let path = data_dir.join(KEY_FILE);
    let pkcs8 = match std::fs::read(&path) {
        Ok(bytes) => match keys.open(KEY_CONTEXT, &bytes) {
            Some(pkcs8) => pkcs8,
            None if Ed25519KeyPair::from_pkcs8(&bytes).is_ok() => {
                write_key(&path, &keys.seal(KEY_CONTEXT, &bytes)?, true)?;
                bytes
            }
            None => return Err(std::io::Error::other(
                "district key does not open with this data key (PERLINSOS_DATA_KEY or data.key)",
            )),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
                .map_err(|_| std::io::Error::other("key generation failed"))?;
            write_key(&path, &keys.seal(KEY_CONTEXT, doc.as_ref())?, false)?;
            doc.as_ref().to_vec()
        }
        Err(e) => return Err(e),
    };
    Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|_| std::io::Error::other("district key unreadable"))
}

/// The district key file sealed again under `keys`' sealing key (the data key rotation),
/// through a temporary file and a rename; false if it already was. An error if it opens with
/// no key held: the district's signing key is never left behind.
pub fn reseal_district_key(data_dir: &Path, keys: &ServerKeys) -> std::io::Result<bool> {
    let path = data_dir.join(KEY_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    let pkcs8 = zeroize::Zeroizing::new(keys.open(KEY_CONTEXT, &bytes).ok_or_else(|| {
        std::io::Error::other("the district key opens with neither the old nor the new data key")
    })?);
    if crate::keys::sealed_version(&bytes) == Some(keys.version()) {
        return Ok(false);
    }
    write_key(&path, &keys.seal(KEY_CONTEXT, &pkcs8)?, true)?;
    Ok(true)
}

/// Writes a key file (0600) through a temporary file and a rename.
fn write_key(path: &Path, bytes: &[u8], replace: bool) -> std::io::Result<()> {
    if !replace && path.exists() {
        return Err(std::io::Error::other(
            "district key appeared while creating it",
        ));
    }
    crate::private_file::write_atomic(path, &path.with_extension("tmp"), bytes)
}

/// A one-time code (valid `ttl_ms`) that enrolls one device for `agent_id` in `scope`.
pub fn enroll_code(
    state: &AppState,
    agent_id: &str,
    scope: &[String],
    ttl_ms: i64,
) -> OpResult<String> {
    new_code(state, agent_id, scope, ttl_ms, None)
}

/// A one-time code (valid `ttl_ms`) that enrolls the phone replacing the revoked device
/// `replaces` (re-enrolled under a new key, or a phone whose Keystore lost its key): the new
/// device gets the old one's agent and scope, and it alone may hand over the old device's
/// queue (`handover`). The old device must be revoked first. Audited under `actor`.
pub fn replacement_code(
    state: &AppState,
    replaces: &str,
    ttl_ms: i64,
    actor: &str,
) -> OpResult<String> {
    let old = state
        .db
        .read(|tx| db::device(tx, replaces))
        .map_err(|e| e.0)?
        .ok_or("no such device")?;
    if old.revoked_at.is_none() {
        return Err("revoke the old device first (revoke-device)".into());
    }
    let code = new_code(state, &old.agent_id, &old.scope, ttl_ms, Some(replaces))?;
    let now = (state.clock)();
    state
        .db
        .write(|tx| {
            crate::staff_audit::record(tx, now, actor, "replacement_code", Some(replaces), None)
        })
        .map_err(|e: db::DbError| e.0)?;
    Ok(code)
}

fn new_code(
    state: &AppState,
    agent_id: &str,
    scope: &[String],
    ttl_ms: i64,
    replaces: Option<&str>,
) -> OpResult<String> {
    if agent_id.trim().is_empty() || scope.is_empty() {
        return Err("agent id and at least one kelurahan are required".into());
    }
    let mut random = [0u8; 12];
    SystemRandom::new()
        .fill(&mut random)
        .map_err(|_| "no randomness".to_owned())?;
    let letters: String = random
        .iter()
        .map(|b| CODE_ALPHABET[*b as usize % CODE_ALPHABET.len()] as char)
        .collect();
    let code = format!("{}-{}-{}", &letters[..4], &letters[4..8], &letters[8..]);
    let now = (state.clock)();
    state
        .db
        .write(|tx| {
            tx.execute(
                "INSERT INTO enroll_codes
                    (code_hash, agent_id, scope, created_at, expires_at, replaces)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                &[
                    db::blob(code_hash(&code)),
                    db::text(agent_id.trim()),
                    db::text(serde_json::to_string(scope).unwrap_or_default()),
                    db::int(now),
                    db::int(now.saturating_add(ttl_ms)),
                    db::opt_text(replaces),
                ],
            )
            .map(drop)
        })
        .map_err(|e| e.0)?;
    Ok(code)
}

/// Revokes a device (a lost or stolen phone): every request of it is refused from now on, and
/// what it still pushes is kept aside for officers. Audited under `actor`.
pub fn revoke_device(state: &AppState, device_id: &str, actor: &str) -> OpResult<()> {
    let now = (state.clock)();
    let changed = state
        .db
        .write(|tx| {
            let changed = tx.execute(
                "UPDATE devices SET revoked_at = ?2 WHERE device_id = ?1 AND revoked_at IS NULL",
                &[db::text(device_id), db::int(now)],
            )?;
            if changed == 1 {
                crate::staff_audit::record(
                    tx,
                    now,
                    actor,
                    "device_revoked",
                    Some(device_id),
                    None,
                )?;
            }
            Ok(changed)
        })
        .map_err(|e: db::DbError| e.0)?;
    if changed == 0 {
        return Err("no such device, or it is revoked already".into());
    }
    tracing::warn!(event = "device_revoked", device = %device_id);
    Ok(())
}

/// An enrollment code with what the phone needs to trust this district: the server's public
/// address (as phones reach it) and the district key's fingerprint. Print its payload as a QR
/// code; the phone refuses any other server or key.
pub fn enroll_ticket(
    state: &AppState,
    agent_id: &str,
    scope: &[String],
    ttl_ms: i64,
    public_url: &str,
    pinned_certificate_der: Option<&[u8]>,
) -> OpResult<perlinsos_protocol::enrollment::Ticket> {
    check_ticket_url(public_url, pinned_certificate_der)?;
    let code = enroll_code(state, agent_id, scope, ttl_ms)?;
    Ok(ticket_of(state, &code, public_url, pinned_certificate_der))
}

/// As `enroll_ticket`, for the phone that replaces the revoked device `replaces`
/// (`replacement_code`): it enrolls with the old device's agent and scope.
pub fn replacement_ticket(
    state: &AppState,
    replaces: &str,
    ttl_ms: i64,
    public_url: &str,
    pinned_certificate_der: Option<&[u8]>,
    actor: &str,
) -> OpResult<perlinsos_protocol::enrollment::Ticket> {
    check_ticket_url(public_url, pinned_certificate_der)?;
    let code = replacement_code(state, replaces, ttl_ms, actor)?;
    Ok(ticket_of(state, &code, public_url, pinned_certificate_der))
}

fn check_ticket_url(public_url: &str, pinned_certificate_der: Option<&[u8]>) -> OpResult<()> {
    use perlinsos_protocol::enrollment::{check_url, TicketError};
    match check_url(public_url.trim_end_matches('/')) {
        Ok(()) => {}
        Err(TicketError::Insecure) => {
            return Err("the server address must be https:// (http:// only to loopback)".into())
        }
        Err(TicketError::Malformed) => {
            return Err("the server address is not a valid https:// URL".into())
        }
    }
    if pinned_certificate_der.is_some() && !public_url.starts_with("https://") {
        return Err("a pinned certificate needs an https:// server address".into());
    }
    Ok(())
}

fn ticket_of(
    state: &AppState,
    code: &str,
    public_url: &str,
    pinned_certificate_der: Option<&[u8]>,
) -> perlinsos_protocol::enrollment::Ticket {
    use perlinsos_protocol::enrollment::Ticket;
    use ring::signature::KeyPair;
    let ticket = Ticket::new(code, state.district_key.public_key().as_ref(), public_url);
    match pinned_certificate_der {
        Some(der) => ticket.pinning(der),
        None => ticket,
    }
}

/// Announces to every phone the certificates the server may show from now on (each as DER),
/// before a certificate rollover: phones that pinned a certificate at enrollment trust these
/// instead once they have synced. Announce the current and the next side by side, switch the
/// server to the next once the phones have synced, then announce the next alone. Returns the
/// pins (SHA-256, hex); audited under `actor`.
pub fn announce_certificates(
    state: &AppState,
    certificates_der: &[Vec<u8>],
    actor: &str,
) -> OpResult<Vec<String>> {
    if certificates_der.is_empty() || certificates_der.len() > 4 {
        return Err("announce between one and four certificates".into());
    }
    let pins: Vec<String> = certificates_der
        .iter()
        .map(|der| perlinsos_protocol::enrollment::fingerprint(der))
        .collect();
    let now = (state.clock)();
    let change = Change::ServerCertificates {
        pins: pins.clone(),
        issued_at: now,
    };
    let body = serde_json::to_string(&change).map_err(|e| e.to_string())?;
    state
        .db
        .write(|tx| {
            db::add_change(tx, &state.keys, None, None, &body, now)?;
            crate::staff_audit::record(
                tx,
                now,
                actor,
                "server_certificates_announced",
                None,
                Some(&pins.join(",")),
            )
        })
        .map_err(|e: db::DbError| e.0)?;
    tracing::warn!(event = "server_certificates_announced", pins = pins.len());
    Ok(pins)
}

/// Signs a model with the district key and publishes it to every device.
pub fn publish_model(state: &AppState, model_json: &str) -> OpResult<(String, u32)> {
    let file = signed::sign(model_json, DISTRICT_KEY_ID, &state.district_key)
        .map_err(|e| format!("model refused: {e}"))?;
    let model = perlinsos_rules::pmt::model::Model::parse(model_json.as_bytes())
        .map_err(|e| format!("model refused: {e}"))?;
    let change = Change::Model {
        id: model.id.clone(),
        version: model.version,
        signed: serde_json::to_string(&file).map_err(|e| e.to_string())?,
    };
    add_change(state, None, None, &change)?;
    Ok((model.id, model.version))
}

/// Imports a recipient list (CSV or JSON as `core::sanggahan` reads it): checked whole, NIKs
/// masked, then one change per kelurahan for the devices whose scope holds it.
pub fn import_recipients(state: &AppState, file: &[u8]) -> OpResult<usize> {
    let trimmed = file.trim_ascii_start();
    let rows = if trimmed.starts_with(b"[") || trimmed.starts_with(b"{") {
        recipients::parse_json(file)
    } else {
        recipients::parse_csv(file)
    }
    .map_err(|e| e.to_string())?;
    let checked = recipients::check(&rows).map_err(|e| e.to_string())?;
    let mut by_kelurahan: std::collections::BTreeMap<&str, Vec<serde_json::Value>> =
        Default::default();
    for r in &checked {
        by_kelurahan
            .entry(r.kelurahan_code.as_str())
            .or_default()
            .push(serde_json::json!({
                "id": r.id, "kelurahan_code": r.kelurahan_code, "programme": r.programme,
                "name": r.name, "nik": r.masked_nik, "rt": r.rt, "rw": r.rw,
            }));
    }
    for (kelurahan, rows) in by_kelurahan {
        let change = Change::Recipients {
            kelurahan_code: kelurahan.to_owned(),
            rows: serde_json::Value::Array(rows.clone()),
        };
        let body = serde_json::to_string(&change).map_err(|e| e.to_string())?;
        let now = (state.clock)();
        // The console shows a sanggahan's recipient as this list has it.
        state
            .db
            .write(|tx| {
                for row in &rows {
                    let id = row["id"].as_str().unwrap_or_default();
                    let sealed = crate::stored::seal_text(
                        &state.keys,
                        &crate::stored::recipient_context(id),
                        &row.to_string(),
                    )?;
                    tx.execute(
                        "INSERT INTO recipients (id, kelurahan_code, body, sealed)
                         VALUES (?1, ?2, '', ?3)
                         ON CONFLICT (id) DO UPDATE SET kelurahan_code = excluded.kelurahan_code,
                                                        body = '', sealed = excluded.sealed",
                        &[db::text(id), db::text(kelurahan), db::blob(sealed)],
                    )?;
                }
                db::add_change(tx, &state.keys, Some(kelurahan), None, &body, now).map(drop)
            })
            .map_err(|e| e.0)?;
    }
    Ok(checked.len())
}

/// Records the district's decision on a record and tells the device that sent it.
pub fn set_status(
    state: &AppState,
    record_kind: &str,
    record_id: &str,
    status: &str,
    reason: Option<&str>,
) -> OpResult<()> {
    let kind = match record_kind {
        "household" => perlinsos_protocol::outbox_kind::HOUSEHOLD_REGISTERED,
        "sanggahan" => perlinsos_protocol::outbox_kind::SANGGAHAN_FILED,
        _ => return Err("unknown record kind".into()),
    };
    let device: Option<String> = state
        .db
        .read(|tx| {
            Ok(tx
                .query_one(
                    "SELECT device_id FROM entries WHERE kind = ?1 AND entity_id = ?2",
                    &[db::text(kind), db::text(record_id)],
                )?
                .and_then(|r| r[0].text()))
        })
        .map_err(|e| e.0)?;
    let device = device.ok_or("no such record")?;
    let change = Change::Status {
        record_kind: record_kind.to_owned(),
        record_id: record_id.to_owned(),
        status: status.to_owned(),
        at: (state.clock)(),
        reason: reason.map(str::to_owned),
    };
    add_change(state, None, Some(&device), &change)
}

fn add_change(
    state: &AppState,
    kelurahan: Option<&str>,
    device: Option<&str>,
    change: &Change,
) -> OpResult<()> {
    let body = serde_json::to_string(change).map_err(|e| e.to_string())?;
    let now = (state.clock)();
    state
        .db
        .write(|tx| db::add_change(tx, &state.keys, kelurahan, device, &body, now).map(drop))
        .map_err(|e| e.0)
}

pub fn status(state: &AppState) -> OpResult<Vec<(String, i64)>> {
    state.db.read(db::counts).map_err(|e| e.0)
}
