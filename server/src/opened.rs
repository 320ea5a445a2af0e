//! An outbox entry once its sealed record is opened with the district's record key and decoded
//! into its type: what the rest of the server checks and stores. An entry that does not open,
//! or holds a kind or version this server does not know, is refused before anything is read.
use std::collections::BTreeMap;

use perlinsos_protocol::record::{Record, RecordError, RecordOpener};
use perlinsos_protocol::wire::{ErrorCode, PushEntry};

use crate::auth::unhex;
use crate::db::DbResult;
use crate::AppState;

/// The entry's envelope and its record, decoded into its type.
pub struct Entry {
    pub id: String,
    pub kind: String,
    pub entity_id: String,
    pub record: Record,
    pub kelurahan_code: Option<String>,
    pub blobs: Vec<String>,
    pub created_at: i64,
}

/// Largest sealed record the server opens (hex on the wire is twice this).
const MAX_SEALED_BYTES: usize = 1024 * 1024;

pub(crate) fn refusal(error: RecordError) -> ErrorCode {
    match error {
        RecordError::KindUnknown => ErrorCode::KindUnknown,
        RecordError::VersionUnknown => ErrorCode::RecordVersionUnknown,
        RecordError::Malformed => ErrorCode::BodyInvalid,
        RecordError::Sealed(_) => ErrorCode::SealInvalid,
    }
}

/// Opens every entry of a batch; the keys it names are read once each, and a seal group's
/// key exchange is done once for all its entries.
pub fn open_all(
    state: &AppState,
    entries: &[PushEntry],
) -> DbResult<Vec<Result<Entry, ErrorCode>>> {
    let mut openers: BTreeMap<&str, Option<RecordOpener>> = BTreeMap::new();
    for entry in entries {
        if !openers.contains_key(entry.key_id.as_str()) {
            let key = state.record_keys.get(state, &entry.key_id)?;
            openers.insert(entry.key_id.as_str(), key.map(|k| RecordOpener::new(&k)));
        }
    }
    Ok(entries
        .iter()
        .map(|entry| {
            let Some(Some(opener)) = openers.get_mut(entry.key_id.as_str()) else {
                return Err(ErrorCode::SealInvalid);
            };
            open_one(entry, opener)
        })
        .collect())
}

/// The envelope's own checks: an entry id of 1 to 64 bytes, a sealed text within bounds and a
/// kind this server knows.
pub(crate) fn check_envelope(entry: &PushEntry) -> Result<(), ErrorCode> {
    if entry.id.is_empty() || entry.id.len() > 64 || entry.sealed.len() > 2 * MAX_SEALED_BYTES {
        return Err(ErrorCode::BodyInvalid);
    }
    if !perlinsos_protocol::outbox_kind::ALL.contains(&entry.kind.as_str()) {
        return Err(ErrorCode::KindUnknown);
    }
    Ok(())
}

fn open_one(entry: &PushEntry, opener: &mut RecordOpener) -> Result<Entry, ErrorCode> {
    check_envelope(entry)?;
    let sealed = unhex(&entry.sealed).ok_or(ErrorCode::BodyInvalid)?;
    let record = opener
        .open_record(&sealed, &entry.id, &entry.kind, &entry.key_id)
        .map_err(refusal)?;
    self::entry(entry, record)
}

/// The entry with its opened record, once the record is the one the envelope names.
pub(crate) fn entry(entry: &PushEntry, record: Record) -> Result<Entry, ErrorCode> {
    check_envelope(entry)?;
    if record.kind() != entry.kind || record.entity_id() != entry.entity_id {
        return Err(ErrorCode::BodyInvalid);
    }
    Ok(Entry {
        id: entry.id.clone(),
        kind: entry.kind.clone(),
        entity_id: entry.entity_id.clone(),
        record,
        kelurahan_code: entry.kelurahan_code.clone(),
        blobs: entry.blobs.clone(),
        created_at: entry.created_at,
    })
}
