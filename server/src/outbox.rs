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
use perlinsos_protocol::outbox_kind;
use perlinsos_protocol::signing::{audit_entry_text, push_receipt_text, ReceiptLine};
use perlinsos_protocol::wire::{
    EntryResult, ErrorCode, Outcome, PushEntry, PushRequest, PushResponse, MAX_BATCH,
};
use perlinsos_rules::evidence::attest;
use perlinsos_rules::evidence::phash;
use ring::digest::{digest, SHA256};

use crate::auth::{hex, unhex, verify_signature};
use crate::blobs::{read_stored, BlobName};
use crate::db::{self, Device, Tx};
use crate::error::ApiError;
use crate::keys::ServerKeys;
use crate::opened::Entry;
use crate::record_rules::{self, Checked};
use crate::stored;
use crate::AppState;
use perlinsos_protocol::record::{AuditAppended, Record};
use perlinsos_rules::sanggahan::lifecycle::Status;

/// A gzip batch may not expand beyond this.
const MAX_BATCH_BYTES: u64 = 32 * 1024 * 1024;

fn rejected(code: ErrorCode) -> Outcome {
    Outcome::Rejected {
        code,
        reason: code.message().to_owned(),
    }
}

/// A push body, plain or gzip (`content-encoding`), decoded: a gzip body may not inflate past
/// 32 MiB (`BATCH_TOO_LARGE`); what is not a push request is `BODY_INVALID`.
pub fn decode_body(headers: &HeaderMap, body: &[u8]) -> Result<PushRequest, ApiError> {
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
    let device = verify_signature(&state, &method, &uri, &headers, &body)?;
    let request = decode_body(&headers, &body)?;
    if request.entries.len() > MAX_BATCH {
        return Err(ApiError(ErrorCode::BatchTooLarge));
    }
    if device.revoked_at.is_some() {
        // Refused, and kept as it came (sealed) for officers to decide: not lost.
        let kept = {
            let state = state.clone();
            let device_id = device.device_id.clone();
            tokio::task::spawn_blocking(move || quarantine(&state, &device_id, &request))
                .await
                .map_err(|_| ApiError(ErrorCode::Internal))??
        };
        tracing::warn!(event = "revoked_device_push", device = %device.device_id, kept);
        return Err(ApiError(ErrorCode::DeviceRevoked));
    }
    let now = (state.clock)();
    let worker = state.clone();
    let device_id = device.device_id.clone();
    // Photo reads, attestation checks and the database work block: off the async workers.
    let (results, request) = tokio::task::spawn_blocking(move || {
        let results = apply_batch(&worker, &device, &request, now);
        (results, request)
    })
    .await
    .map_err(|_| ApiError(ErrorCode::Internal))?;
    let results = results?;
    let accepted = results
        .iter()
        .filter(|r| r.outcome == Outcome::Accepted)
        .count();
    tracing::info!(
        event = "outbox_batch",
        device = %device_id,
        entries = results.len(),
        accepted
    );
    state.metrics.batch(&results);
    let receipt = receipt(&state, &device_id, &request.entries, &results);
    Ok(Json(PushResponse {
        results,
        receipt: Some(receipt),
    }))
}

/// Entries kept per revoked device at most (a phone's queue is a few thousand).
pub(crate) const MAX_QUARANTINED: i64 = 20_000;

/// Keeps what a revoked device pushed (each entry once, as sent); returns how many are new.
fn quarantine(state: &AppState, device_id: &str, request: &PushRequest) -> Result<u64, ApiError> {
    let now = (state.clock)();
    Ok(state.db.write(|tx| {
        // A stolen phone still signs: what it may leave here is bounded.
        let held = tx
            .query_one(
                "SELECT count(*) FROM quarantined_entries WHERE device_id = ?1",
                &[db::text(device_id)],
            )?
            .map(|r| r[0].int())
            .unwrap_or(0);
        if held >= MAX_QUARANTINED {
            return Ok(0);
        }
        let mut kept = 0;
        for entry in &request.entries {
            if !crate::quarantine::storable_envelope(entry) {
                continue;
            }
            // The envelope as sent, so an officer's admission checks exactly what a push would.
            kept += tx.execute(
                "INSERT INTO quarantined_entries
                    (device_id, entry_id, kind, key_id, sealed, received_at,
                     entity_id, kelurahan_code, blobs, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING",
                &[
                    db::text(device_id),
                    db::text(entry.id.as_str()),
                    db::text(entry.kind.as_str()),
                    db::text(entry.key_id.as_str()),
                    db::text(entry.sealed.as_str()),
                    db::int(now),
                    db::text(entry.entity_id.as_str()),
                    db::opt_text(entry.kelurahan_code.as_deref()),
                    db::text(serde_json::to_string(&entry.blobs).unwrap_or_default()),
                    db::int(entry.created_at),
                ],
            )?;
        }
        Ok::<_, db::DbError>(kept)
    })?)
}

/// The district's signature over every result of the batch (see
/// `perlinsos_protocol::signing::push_receipt_text`): one signature per batch, not per entry.
fn receipt(
    state: &AppState,
    device_id: &str,
    entries: &[PushEntry],
    results: &[EntryResult],
) -> String {
    signed_receipt(state, entries, results, |lines| {
        push_receipt_text(device_id, lines)
    })
}

/// The district's signature over `text` of the receipt lines of `results` (each about an entry
/// of `entries` as sent: its kind and the hash of its sealed text): the push's receipt, and the
/// hand-over's (`handover`).
pub(crate) fn signed_receipt(
    state: &AppState,
    entries: &[PushEntry],
    results: &[EntryResult],
    text: impl for<'a> FnOnce(Vec<ReceiptLine<'a>>) -> Vec<u8>,
) -> String {
    // Each result's entry as sent: its kind and the hash of its sealed text.
    let sent: Vec<(&str, String)> = results
        .iter()
        .map(|r| {
            let entry = entries.iter().find(|e| e.id == r.id);
            (
                entry.map(|e| e.kind.as_str()).unwrap_or_default(),
                hex(digest(
                    &SHA256,
                    entry.map(|e| e.sealed.as_bytes()).unwrap_or_default(),
                )
                .as_ref()),
            )
        })
        .collect();
    let lines = results
        .iter()
        .zip(&sent)
        .map(|(r, (kind, hash))| ReceiptLine {
            entry_id: &r.id,
            kind,
            sealed_sha256_hex: hash,
            outcome: &r.outcome,
        })
        .collect();
    hex(state.district_key.sign(&text(lines)).as_ref())
}

fn apply_batch(
    state: &AppState,
    device: &Device,
    request: &PushRequest,
    now: i64,
) -> Result<Vec<EntryResult>, ApiError> {
    let mut order = Vec::with_capacity(request.entries.len());
    let mut entries = Vec::new();
    for (raw, opened) in request
        .entries
        .iter()
        .zip(crate::opened::open_all(state, &request.entries)?)
    {
        match opened {
            Ok(entry) => {
                order.push(None);
                entries.push(entry);
            }
            Err(code) => {
                tracing::warn!(event = "entry_refused", device = %device.device_id, code = ?code);
                order.push(Some(EntryResult {
                    id: raw.id.clone(),
                    outcome: rejected(code),
                }));
            }
        }
    }
    let mut applied = apply_opened(state, device, &entries, now)?.into_iter();
    Ok(order
        .into_iter()
        .filter_map(|refused| refused.or_else(|| applied.next()))
        .collect())
}

fn apply_opened(
    state: &AppState,
    device: &Device,
    entries: &[Entry],
    now: i64,
) -> Result<Vec<EntryResult>, ApiError> {
    let evidence = read_all_evidence(state, device, entries)?;
    state
        .db
        .write(|tx| apply_in(tx, state, device, entries, &evidence, now))
}

/// The photos of every entry, read and checked (`read_evidence`).
pub(crate) struct Evidence(Vec<Result<Vec<CheckedPhoto>, ErrorCode>>);

/// Stored blobs never change (they are named by their hash), so their photos are read and
/// checked before the write transaction, which then holds the lock only for the rows.
pub(crate) fn read_all_evidence(
    state: &AppState,
    device: &Device,
    entries: &[Entry],
) -> Result<Evidence, ApiError> {
    Ok(Evidence(
        entries
            .iter()
            .map(|entry| read_evidence(state, device, entry))
            .collect::<Result<_, _>>()?,
    ))
}

/// Applies opened entries of `device` in the caller's write transaction, exactly as a push
/// does (the officer's admission of a held entry goes through here too): scope, record
/// rules, ownership, evidence, duplicates by entry id, the audit chain. A result per entry.
pub(crate) fn apply_in(
    tx: &mut dyn Tx,
    state: &AppState,
    device: &Device,
    entries: &[Entry],
    evidence: &Evidence,
    now: i64,
) -> Result<Vec<EntryResult>, ApiError> {
    let evidence = &evidence.0;
    // The chain as this transaction sees it: a copy of this request delivered twice may
    // have moved it since the signature was checked.
    let current =
        db::lock_device(tx, &device.device_id)?.ok_or(ApiError(ErrorCode::DeviceUnknown))?;
    // Every lock the batch's records will take, taken first and in one order, so two
    // batches never wait on each other in a cycle.
    db::serialize_on_all(tx, &batch_locks(&state.keys, entries))?;
    // Which of the batch's entry ids the server already holds, and from which device, in
    // one read (entries applied in this batch are added as they go).
    let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    let mut known = db::entry_owners(tx, &ids)?;
    // Which of its record ids are taken, in one read too: the batch holds their locks, so
    // no other device can take one before it commits.
    let records: Vec<(&str, &str)> = entries
        .iter()
        .filter(|e| e.kind != outbox_kind::AUDIT_APPENDED)
        .map(|e| (e.kind.as_str(), e.entity_id.as_str()))
        .collect();
    let mut taken = db::records_taken(tx, &records)?;
    let start = (current.audit_seq, current.audit_hash.clone());
    let mut chain = Chain {
        head: start.clone(),
        rows: Vec::new(),
    };
    let signed = audit_signatures(device, entries);
    let mut results = Vec::with_capacity(entries.len());
    for ((entry, photos), signed) in entries.iter().zip(evidence.iter()).zip(signed) {
        // Applied earlier, or earlier in this batch: a duplicate if this device sent it.
        let outcome = match known.get(&entry.id) {
            Some(owner) if *owner == device.device_id => Outcome::Duplicate,
            Some(_) => rejected(ErrorCode::RecordIdTaken),
            None => {
                let outcome = apply(
                    tx,
                    &state.keys,
                    device,
                    entry,
                    photos,
                    (&mut chain, &taken, signed),
                    now,
                )?;
                if outcome == Outcome::Accepted {
                    known.insert(entry.id.clone(), device.device_id.clone());
                    taken.insert((entry.kind.clone(), entry.entity_id.clone()));
                }
                outcome
            }
        };
        results.push(EntryResult {
            id: entry.id.clone(),
            outcome,
        });
    }
    // The batch's accepted entries, in one statement.
    db::insert_entries(tx, &chain.rows)?;
    let chain = chain.head;
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
    Ok(results)
}

/// The lock on a record id (its kind and entity id), whichever device sends it.
fn record_lock(entry: &Entry) -> Vec<u8> {
    format!("record\n{}\n{}", entry.kind, entry.entity_id).into_bytes()
}

/// The advisory-lock keys of a batch, sorted: its record ids (for `check_record`'s uniqueness
/// check) and the NIK and KK blind indexes of its households (for `stored::insert_household`'s
/// duplicate search). Taken once, before any record is applied.
fn batch_locks(keys: &ServerKeys, entries: &[Entry]) -> Vec<Vec<u8>> {
    use crate::keys::Blind;
    let mut out = Vec::new();
    for entry in entries {
        // Audit entries are the device's own chain, under its row lock.
        if entry.kind == outbox_kind::AUDIT_APPENDED {
            continue;
        }
        out.push(record_lock(entry));
        let Record::HouseholdRegistered(registered) = &entry.record else {
            continue;
        };
        out.push(keys.blind(Blind::Kk, &registered.household.kk));
        for member in &registered.household.members {
            out.push(keys.blind(Blind::Nik, &member.input.nik));
        }
    }
    out.sort();
    out.dedup();
    out
}

fn apply(
    tx: &mut dyn Tx,
    keys: &ServerKeys,
    device: &Device,
    entry: &Entry,
    photos: &Result<Vec<CheckedPhoto>, ErrorCode>,
    (chain, taken, signed): (&mut Chain, &db::RecordsTaken, Option<bool>),
    now: i64,
) -> Result<Outcome, ApiError> {
    // The entry id and kind were checked as it was opened (`opened::open_one`).
    let checked = match record_rules::check_content(entry, now) {
        Ok(checked) => checked,
        Err(refusal) => {
            return Ok(Outcome::Rejected {
                code: refusal.code,
                reason: refusal.reason,
            })
        }
    };
    if entry.kind == outbox_kind::AUDIT_APPENDED {
        let Record::AuditAppended(audit) = &entry.record else {
            return Ok(rejected(ErrorCode::BodyInvalid));
        };
        match check_audit(signed, audit, &chain.head) {
            Ok(next) => chain.head = next,
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
        if reads_entries(entry) {
            // This check reads the entries table: what the batch accepted so far goes first.
            db::insert_entries(tx, &chain.rows)?;
            chain.rows.clear();
        }
        if let Some(code) = check_record(tx, keys, device, entry, &checked, taken, now)? {
            return Ok(rejected(code));
        }
    }
    let photos = match photos {
        Ok(photos) => photos,
        Err(code) => return Ok(rejected(*code)),
    };
    for photo in photos {
        let stored = tx.exists(
            "SELECT 1 FROM blobs WHERE sha256 = ?1",
            &[db::text(photo.name.as_str())],
        )?;
        if !stored {
            return Ok(rejected(ErrorCode::BlobMissing));
        }
    }
    // The record as received, for audit: sealed, never in clear.
    let sealed = stored::seal_text(
        keys,
        &stored::entry_context(&entry.id),
        &entry.record.body_json(),
    )?;
    let row = vec![
        db::text(entry.id.as_str()),
        db::text(device.device_id.as_str()),
        db::text(entry.kind.as_str()),
        db::text(entry.entity_id.as_str()),
        db::opt_text(entry.kelurahan_code.as_deref()),
        db::int(entry.created_at),
        db::int(now),
        db::blob(sealed),
    ];
    // Written together at the batch's end (or before a check that reads them back).
    chain.rows.push(row);
    if entry.kind == outbox_kind::AUDIT_APPENDED {
        return Ok(Outcome::Accepted);
    }
    store_typed(tx, keys, device, entry, &checked, now)?;
    let photos_of = match &entry.record {
        Record::HouseholdRegistered(_) => Some(("household", entry.entity_id.as_str())),
        Record::SanggahanFiled(_) => Some(("sanggahan", entry.entity_id.as_str())),
        Record::EvidenceAttached(attached) => Some(("household", attached.record_id.as_str())),
        Record::VisitRecorded(_) => Some(("visit", entry.entity_id.as_str())),
        Record::ObjectionFiled(_) => Some(("objection", entry.entity_id.as_str())),
        _ => None,
    };
    if let Some((record_kind, record_id)) = photos_of {
        for photo in photos {
            let Some(phash) = photo.phash else { continue };
            crate::review::index_photo(
                tx,
                &photo.name,
                record_kind,
                record_id,
                &device.device_id,
                phash,
            )?;
        }
    }
    Ok(Outcome::Accepted)
}

/// The typed rows of an accepted record, in its transaction.
fn store_typed(
    tx: &mut dyn Tx,
    keys: &ServerKeys,
    device: &Device,
    entry: &Entry,
    checked: &Checked,
    now: i64,
) -> Result<(), ApiError> {
    // The resident's receipt (checked in `check_record`), for officers to confirm.
    if let Some(receipt) = entry.record.resident_receipt() {
        if let Some(signature) = receipt.signature {
            crate::receipts::insert(
                tx,
                entry.record.kind(),
                receipt.record_id,
                &device.device_id,
                receipt.at,
                signature,
            )?;
        }
    }
    match checked {
        Checked::Household(household) => {
            let others =
                stored::insert_household(tx, keys, &device.device_id, &entry.id, household, now)?;
            stored::label_dtsen(tx, keys, household)?;
            if !others.is_empty() {
                tracing::info!(
                    event = "household_duplicate",
                    device = %device.device_id,
                    found = others.len()
                );
                // Both phones hear at once that an officer will look at the pair.
                for id in others.iter().chain(std::iter::once(&household.id)) {
                    crate::duplicates::set_status(tx, keys, id, stored::HOUSEHOLD_DUPLICATE, now)?;
                }
            }
        }
        Checked::Sanggahan(filed) => {
            let new = stored::NewSanggahan {
                id: &filed.id,
                kelurahan_code: &filed.kelurahan_code,
                recipient_id: &filed.recipient_id,
                reason: filed.reason.as_str(),
                reporter_nik: &filed.reporter.nik,
                filed_at: filed.filed_at,
            };
            stored::insert_sanggahan(
                tx,
                keys,
                &device.device_id,
                &entry.id,
                &new,
                Status::Diterima,
                now,
            )?;
        }
        Checked::Visit(visit) => {
            crate::visits::insert(tx, keys, &device.device_id, &entry.id, visit, now)?;
        }
        Checked::Objection(objection) => {
            crate::objections::insert(tx, &device.device_id, &entry.id, objection, now)?;
        }
        Checked::Other if entry.kind == outbox_kind::SANGGAHAN_WITHDRAWN => {
            // A decision taken first stands (as on the phone, verified cannot be withdrawn).
            tx.execute(
                "UPDATE sanggahan SET status = ?2, status_at = ?3 WHERE id = ?1 AND status = ?4",
                &[
                    db::text(entry.entity_id.as_str()),
                    db::text(Status::Ditarik.as_str()),
                    db::int(now),
                    db::text(Status::Diterima.as_str()),
                ],
            )?;
        }
        Checked::Other => {}
    }
    Ok(())
}

/// Whether `check_record` reads the entries table for this entry (the record it refers to
/// may be earlier in the same batch).
fn reads_entries(entry: &Entry) -> bool {
    matches!(entry.record, Record::EvidenceAttached(_))
        || entry.kind == outbox_kind::SANGGAHAN_WITHDRAWN
}

/// What only the server can check of a record: the kelurahan its body names is the one on the
/// envelope (which the device's scope admits), its id is not another record's, and a
/// withdrawal comes from the device that filed the sanggahan.
fn check_record(
    tx: &mut dyn Tx,
    keys: &ServerKeys,
    device: &Device,
    entry: &Entry,
    checked: &Checked,
    taken: &db::RecordsTaken,
    now: i64,
) -> Result<Option<ErrorCode>, ApiError> {
    let envelope = entry.kelurahan_code.as_deref();
    let body_kelurahan: Vec<&str> = match &entry.record {
        Record::HouseholdRegistered(r) => vec![
            &r.household.address.kelurahan_code,
            &r.household.visit.kelurahan_code,
        ],
        Record::SanggahanFiled(s) => vec![&s.kelurahan_code],
        Record::VisitRecorded(v) => vec![&v.visit.visit.kelurahan_code],
        Record::ObjectionFiled(o) => vec![&o.objection.kelurahan_code],
        _ => Vec::new(),
    };
    if body_kelurahan.iter().any(|k| Some(*k) != envelope) {
        return Ok(Some(ErrorCode::OutOfScope));
    }
    // Two devices sending the same record id at once: the batch holds its lock
    // (`record_lock`), so one waits for the other's commit (read in `apply_in`).
    if taken.contains(&(entry.kind.clone(), entry.entity_id.clone())) {
        return Ok(Some(ErrorCode::RecordIdTaken));
    }
    if let Checked::Sanggahan(filed) = checked {
        // The recipient is on the district's list, in the kelurahan the sanggahan names.
        let listed = tx.query_one(
            "SELECT kelurahan_code FROM recipients WHERE id = ?1",
            &[db::text(filed.recipient_id.as_str())],
        )?;
        if listed.and_then(|r| r[0].text()).as_deref() != envelope {
            return Ok(Some(ErrorCode::RecordInvalid));
        }
    }
    if let Checked::Visit(visit) = checked {
        // Only a family on this device's agent's worklist, in the kelurahan it lives in.
        if visit.agent_id != device.agent_id
            || !crate::families::is_assigned(tx, &visit.family_id, &device.agent_id)?
        {
            return Ok(Some(ErrorCode::FamilyNotAssigned));
        }
        let lives = tx.query_one(
            "SELECT kelurahan_code FROM families WHERE family_id = ?1",
            &[db::text(visit.family_id.as_str())],
        )?;
        if lives.and_then(|r| r[0].text()).as_deref() != envelope {
            return Ok(Some(ErrorCode::OutOfScope));
        }
    }
    if let Checked::Objection(objection) = checked {
        // Through the agent who holds the family, by one of its members, before the deadline.
        if objection.agent_id != device.agent_id
            || !crate::families::is_assigned(tx, &objection.family_id, &device.agent_id)?
        {
            return Ok(Some(ErrorCode::FamilyNotAssigned));
        }
        // One objection at a time per family, whichever phone filed the first (two arriving
        // at once see each other).
        db::serialize_on(tx, format!("family:{}", objection.family_id).as_bytes())?;
        let open = tx.exists(
            "SELECT 1 FROM objections WHERE family_id = ?1 AND status = ?2",
            &[
                db::text(objection.family_id.as_str()),
                db::text(crate::objections::RECEIVED),
            ],
        )?;
        if open {
            return Ok(Some(ErrorCode::ObjectionAlreadyOpen));
        }
        let family = crate::families::family(tx, keys, &objection.family_id)?;
        let result = crate::results::of_family(tx, keys, &objection.family_id)?;
        let errors = perlinsos_rules::dtsen::objection::check_objection(
            objection,
            family.as_ref(),
            result.as_ref(),
            now,
        );
        // Filed offline before the deadline may arrive later, but not weeks later (a phone's
        // clock is its own claim).
        let late = result
            .as_ref()
            .is_some_and(|r| now > r.objection_deadline.saturating_add(OBJECTION_SYNC_GRACE_MS));
        if late {
            return Ok(Some(ErrorCode::ObjectionWindowClosed));
        }
        if let Some(first) = errors.first() {
            use perlinsos_rules::ErrorCode as Rule;
            return Ok(Some(match first.code {
                Rule::ObjectionWindowClosed | Rule::ObjectionNoResult => {
                    ErrorCode::ObjectionWindowClosed
                }
                Rule::ObjectionNotMember => ErrorCode::ObjectionNotMember,
                Rule::SanggahanOtherKelurahan => ErrorCode::OutOfScope,
                _ => ErrorCode::RecordInvalid,
            }));
        }
    }
    if let Record::EvidenceAttached(attached) = &entry.record {
        // A photo for a household this device registered, in the same kelurahan.
        let registered = tx.query_one(
            "SELECT device_id, kelurahan_code FROM entries WHERE kind = ?1 AND entity_id = ?2",
            &[
                db::text(outbox_kind::HOUSEHOLD_REGISTERED),
                db::text(attached.record_id.as_str()),
            ],
        )?;
        let owned = registered.is_some_and(|r| {
            r[0].text().as_deref() == Some(device.device_id.as_str())
                && r[1].text().as_deref() == envelope
        });
        if attached.record_kind != "household" || !owned {
            return Ok(Some(ErrorCode::RecordNotOwned));
        }
    }
    if entry.kind == outbox_kind::SANGGAHAN_WITHDRAWN {
        let names_itself = matches!(&entry.record,
            Record::SanggahanWithdrawn(w) if w.sanggahan_id == entry.entity_id);
        if !names_itself {
            return Ok(Some(ErrorCode::BodyInvalid));
        }
        let filed = tx.query_one(
            "SELECT device_id, kelurahan_code FROM entries WHERE kind = ?1 AND entity_id = ?2",
            &[
                db::text(outbox_kind::SANGGAHAN_FILED),
                db::text(entry.entity_id.as_str()),
            ],
        )?;
        let Some(filed) = filed else {
            return Ok(Some(ErrorCode::RecordNotOwned));
        };
        if filed[0].text().as_deref() != Some(device.device_id.as_str())
            || filed[1].text().as_deref() != envelope
        {
            return Ok(Some(ErrorCode::RecordNotOwned));
        }
    }
    // The resident's receipt, where the kind gives one, must be this device's for this record
    // (a registration queued before receipts carries none).
    if let Some(receipt) = entry.record.resident_receipt() {
        let holds = match receipt.signature {
            Some(signature) => crate::receipts::signature_holds(
                &device.public_key,
                entry.record.kind(),
                receipt.record_id,
                &device.device_id,
                receipt.at,
                signature,
            ),
            None => !receipt.required,
        };
        if !holds {
            return Ok(Some(ErrorCode::RecordInvalid));
        }
    }
    Ok(None)
}

/// A photo a record names, read and checked before the write transaction.
struct CheckedPhoto {
    name: BlobName,
    /// The server's own perceptual hash, for the near-duplicate search; None when the photo
    /// does not decode (its attestation still holds).
    phash: Option<u64>,
}

/// How long after an objection deadline an objection filed (offline) before it may still arrive.
const OBJECTION_SYNC_GRACE_MS: i64 = 14 * perlinsos_rules::date::DAY_MS;

/// Most photos one record may name (a sanggahan takes five; a household fewer).
pub(crate) const MAX_EVIDENCE: usize = 10;

/// The record's evidence list, checked: every name well formed, the same set as the blobs the
/// entry declares (each once), each photo stored and attested by this device for exactly that
/// hash. An outer error is the server's own (a read failed); an inner one refuses the entry.
fn read_evidence(
    state: &AppState,
    device: &Device,
    entry: &Entry,
) -> Result<Result<Vec<CheckedPhoto>, ErrorCode>, ApiError> {
    let listed = entry.record.evidence();
    if listed.len() > MAX_EVIDENCE || entry.blobs.len() > MAX_EVIDENCE {
        return Ok(Err(ErrorCode::BodyInvalid));
    }
    let mut declared = std::collections::BTreeSet::new();
    for sha in &entry.blobs {
        match BlobName::parse(sha) {
            Some(name) if declared.insert(name.clone()) => {}
            _ => return Ok(Err(ErrorCode::BodyInvalid)),
        }
    }
    let mut named = std::collections::BTreeSet::new();
    let mut items = Vec::with_capacity(listed.len());
    for item in listed {
        match BlobName::parse(&item.sha256) {
            Some(name) if named.insert(name.clone()) => items.push((name, item)),
            _ => return Ok(Err(ErrorCode::BodyInvalid)),
        }
    }
    if declared != named {
        return Ok(Err(ErrorCode::AttestationInvalid));
    }
    let mut photos = Vec::with_capacity(items.len());
    for (name, item) in items {
        let Some(jpeg) = read_stored(state, &name)? else {
            return Ok(Err(ErrorCode::BlobMissing));
        };
        if item.attestation.sha256 != name.as_str()
            || item.attestation.device_id != device.device_id
            || attest::verify(&item.attestation, &jpeg, &device.public_key).is_err()
        {
            return Ok(Err(ErrorCode::AttestationInvalid));
        }
        let phash = perlinsos_rules::evidence::decode_jpeg(&jpeg)
            .ok()
            .map(|pixels| phash::hash(&pixels));
        photos.push(CheckedPhoto { name, phash });
    }
    Ok(Ok(photos))
}

/// The device's audit chain as the batch moves it, and its entries still to write.
struct Chain {
    head: (i64, Option<Vec<u8>>),
    rows: Vec<Vec<db::Value>>,
}

/// Whether the signature of each of the batch's entries holds, in order, checked together
/// (`audit_signatures`); None for an entry that is not an audit entry or whose hash or
/// signature is not hex (refused for that as it is checked).
fn audit_signatures(device: &Device, entries: &[Entry]) -> Vec<Option<bool>> {
    let parsed: Vec<Option<(Vec<u8>, Vec<u8>)>> = entries
        .iter()
        .map(|entry| match &entry.record {
            Record::AuditAppended(audit) => Some((unhex(&audit.hash)?, unhex(&audit.signature)?)),
            _ => None,
        })
        .collect();
    let signed: Vec<crate::audit_signatures::Signed> = parsed
        .iter()
        .flatten()
        .map(|(hash, signature)| crate::audit_signatures::Signed { hash, signature })
        .collect();
    let mut answers = crate::audit_signatures::verify_all(&device.public_key, &signed).into_iter();
    parsed
        .iter()
        .map(|p| p.as_ref().map(|_| answers.next().unwrap_or(false)))
        .collect()
}

/// The next link of the device's audit chain, or why this entry is not it.
fn check_audit(
    signed: Option<bool>,
    entry: &AuditAppended,
    chain: &(i64, Option<Vec<u8>>),
) -> Result<(i64, Option<Vec<u8>>), ErrorCode> {
    let prev = unhex(&entry.prev_hash).ok_or(ErrorCode::BodyInvalid)?;
    let hash = unhex(&entry.hash).ok_or(ErrorCode::BodyInvalid)?;
    // None: the signature is not hex (the hash was, just above).
    let signed = signed.ok_or(ErrorCode::BodyInvalid)?;
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
    if !signed {
        return Err(ErrorCode::SignatureInvalid);
    }
    let expected_prev = chain.1.clone().unwrap_or_else(|| vec![0; 32]);
    if chain.0.checked_add(1) != Some(entry.seq) || prev != expected_prev {
        return Err(ErrorCode::AuditChainBroken);
    }
    Ok((entry.seq, Some(hash)))
}

#[cfg(test)]
mod parser_tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn gzip_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("content-encoding", "gzip".parse().unwrap());
        headers
    }

    proptest! {
        /// Any body, plain or gzip, parses or is refused with a code; it never panics.
        #[test]
        fn a_push_body_is_parsed_or_refused(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            for headers in [HeaderMap::new(), gzip_headers()] {
                let _ = decode_body(&headers, &bytes);
                let _ = decode_body(&headers, &gzip(&bytes));
            }
        }

        /// Near-valid JSON: entries with arbitrary strings and numbers.
        #[test]
        fn odd_entries_do_not_panic(id in ".{0,80}", kind in ".{0,40}", sealed in "[0-9a-fG]{0,64}", at in any::<i64>()) {
            let body = serde_json::json!({"entries": [{
                "id": id, "kind": kind, "entity_id": "x", "key_id": "k", "sealed": sealed,
                "kelurahan_code": null, "blobs": [], "created_at": at,
            }]}).to_string();
            let parsed = decode_body(&gzip_headers(), &gzip(body.as_bytes()));
            prop_assert!(parsed.is_ok());
        }
    }

    #[test]
    fn a_gzip_bomb_is_refused_without_inflating_it_whole() {
        let bomb = gzip(&vec![b' '; 64 * 1024 * 1024]);
        let started = std::time::Instant::now();
        let refused = decode_body(&gzip_headers(), &bomb);
        assert!(matches!(refused, Err(ApiError(ErrorCode::BatchTooLarge))));
        assert!(started.elapsed().as_secs() < 5);
    }
}
