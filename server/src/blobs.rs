//! Evidence blobs by content: `HEAD` says whether a blob is whole (and how much of an
//! interrupted upload is kept), `PUT` appends from an offset. Once the declared length has
//! arrived the SHA-256 is checked and the blob moves into place atomically; a wrong hash throws
//! the partial upload away.
use std::fs::{self, File};
use std::io::Write;
use std::path::PathBuf;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use perlinsos_protocol::wire::{
    ErrorCode, HEADER_BLOB_KEY, HEADER_BLOB_LENGTH, HEADER_BLOB_OFFSET, HEADER_BLOB_RECEIVED,
    MAX_BLOB_BYTES,
};
use ring::digest::{Context, SHA256};

use crate::auth::{hex, verify};
use crate::error::ApiError;
use crate::{db, AppState};

/// A blob's name: its SHA-256 as 64 lowercase hex digits. The only way to a path in the blob
/// folder, so a name that came from outside (a URL, a record's evidence list) can never point
/// the server at `/dev/zero`, a FIFO or a file outside its data folder.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobName(String);

impl BlobName {
    pub fn parse(text: &str) -> Option<BlobName> {
        perlinsos_rules::hex::is_sha256_name(text).then(|| BlobName(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BlobName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The blob name in the path, or nothing when it does not even decode (invalid UTF-8 after
/// percent-decoding): refused as `BODY_INVALID` by `check_name`, not with axum's plain 400.
fn path_name(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(name)| name).unwrap_or_default()
}

fn check_name(sha256: &str) -> Result<BlobName, ApiError> {
    BlobName::parse(sha256).ok_or(ApiError(ErrorCode::BodyInvalid))
}

pub fn blob_path(state: &AppState, name: &BlobName) -> PathBuf {
    state.data_dir.join("blobs").join(name.as_str())
}

/// Each device's partial uploads in a folder of its own (named by a hash of its id): one
/// device can neither append to nor spoil another's upload of the same photo.
fn partial_dir(state: &AppState, device_id: &str) -> PathBuf {
    let tag = hex(&ring::digest::digest(&SHA256, device_id.as_bytes()).as_ref()[..16]);
    state.data_dir.join("blobs").join("partial").join(tag)
}

fn partial_path(state: &AppState, device_id: &str, name: &BlobName) -> PathBuf {
    partial_dir(state, device_id).join(name.as_str())
}

fn received(state: &AppState, device_id: &str, name: &BlobName) -> u64 {
    fs::metadata(partial_path(state, device_id, name))
        .map(|m| m.len())
        .unwrap_or(0)
}

/// Bytes of unfinished uploads a device may keep on the server (a few photos at once).
pub const PARTIAL_QUOTA_BYTES: u64 = 64 * 1024 * 1024;
/// Unfinished uploads a device may keep at once.
pub const MAX_PARTIALS: usize = 16;
/// An unfinished upload untouched this long is swept.
pub const PARTIAL_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// How many unfinished uploads the device keeps besides `except`, and their bytes.
fn partials_besides(state: &AppState, device_id: &str, except: &BlobName) -> (usize, u64) {
    let Ok(entries) = fs::read_dir(partial_dir(state, device_id)) else {
        return (0, 0);
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_str() != Some(except.as_str()))
        .filter_map(|e| e.metadata().ok())
        .fold((0, 0u64), |(n, bytes), m| {
            (n + 1, bytes.saturating_add(m.len()))
        })
}

/// Removes unfinished uploads untouched for longer than `max_age` (run by the sweeper).
/// Returns how many went.
pub fn sweep_partials(state: &AppState, max_age: std::time::Duration) -> std::io::Result<usize> {
    let mut removed = 0;
    let root = state.data_dir.join("blobs").join("partial");
    let stale = |entry: &fs::DirEntry| {
        entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > max_age)
    };
    for entry in fs::read_dir(&root)? {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            // A partial of an earlier version (one folder for all devices).
            if stale(&entry) {
                fs::remove_file(entry.path())?;
                removed += 1;
            }
            continue;
        }
        for file in fs::read_dir(entry.path())? {
            let file = file?;
            if stale(&file) {
                fs::remove_file(file.path())?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

fn blob_context(name: &BlobName) -> String {
    format!("blob\n{}", name.as_str())
}

/// AES-GCM's version byte, nonce and tag around a sealed blob.
const SEAL_OVERHEAD: u64 = 1 + 12 + 16;

/// A stored blob's bytes, opened: read only if it is a regular file no larger than a sealed
/// blob can be (None when it is not there). A file from before blobs were sealed is accepted
/// when its bytes hash to its name. Callers run this off the async workers and outside write
/// transactions.
pub fn read_stored(state: &AppState, name: &BlobName) -> std::io::Result<Option<Vec<u8>>> {
    let Some(raw) = read_file(&blob_path(state, name), MAX_BLOB_BYTES + SEAL_OVERHEAD)? else {
        return Ok(None);
    };
    if let Some(plain) = state.keys.open(&blob_context(name), &raw) {
        return Ok(Some(plain));
    }
    Ok(is_named_by(&raw, name).then_some(raw))
}

fn is_named_by(bytes: &[u8], name: &BlobName) -> bool {
    let mut context = Context::new(&SHA256);
    context.update(bytes);
    hex(context.finish().as_ref()) == name.as_str()
}

fn read_file(path: &std::path::Path, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if !meta.file_type().is_file() || meta.len() > limit {
        return Ok(None);
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    File::open(path)?.take(limit).read_to_end(&mut bytes)?;
    Ok(Some(bytes))
}

/// Writes `plain` sealed to the blob's place, atomically (a temporary file, then a rename),
/// mode 0600.
fn write_sealed(state: &AppState, name: &BlobName, plain: &[u8]) -> std::io::Result<()> {
    let sealed = state.keys.seal(&blob_context(name), plain)?;
    let temp = state
        .data_dir
        .join("blobs")
        .join("partial")
        .join(format!("{}.sealing", name.as_str()));
    crate::private_file::write_atomic(&blob_path(state, name), &temp, &sealed)
}

/// What `reseal` did to one blob file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resealed {
    /// Sealed again under the sealing key (or sealed for the first time, if it was in clear).
    Done,
    /// Already under the sealing key.
    Current,
    /// Not there, or opening with no key held (left as it is: unreadable before, too).
    Unreadable,
}

/// A stored blob sealed again under `keys`' sealing key (the data key rotation): written whole
/// to a temporary file, synced, and renamed over the old one, so a crash leaves one or the
/// other. Run again, it finds the new one done.
pub fn reseal(
    data_dir: &std::path::Path,
    keys: &crate::keys::ServerKeys,
    name: &BlobName,
) -> std::io::Result<Resealed> {
    let path = data_dir.join("blobs").join(name.as_str());
    let Some(raw) = read_file(&path, MAX_BLOB_BYTES + SEAL_OVERHEAD)? else {
        return Ok(Resealed::Unreadable);
    };
    if crate::keys::sealed_version(&raw) == Some(keys.version())
        && keys.open(&blob_context(name), &raw).is_some()
    {
        return Ok(Resealed::Current);
    }
    let plain = match keys.open(&blob_context(name), &raw) {
        Some(plain) => plain,
        None if is_named_by(&raw, name) => raw,
        None => return Ok(Resealed::Unreadable),
    };
    let sealed = keys.seal(&blob_context(name), &plain)?;
    let temp = data_dir
        .join("blobs")
        .join("partial")
        .join(format!("{}.sealing", name.as_str()));
    crate::private_file::write_atomic(&path, &temp, &sealed)?;
    Ok(Resealed::Done)
}

/// Seals the blobs an earlier version stored in clear (at start-up). Returns how many.
pub fn seal_clear_blobs(state: &AppState) -> std::io::Result<usize> {
    let mut sealed = 0;
    for entry in fs::read_dir(state.data_dir.join("blobs"))? {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().and_then(BlobName::parse) else {
            continue;
        };
        let Some(raw) = read_file(&entry.path(), MAX_BLOB_BYTES + SEAL_OVERHEAD)? else {
            continue;
        };
        if state.keys.open(&blob_context(&name), &raw).is_none() && is_named_by(&raw, &name) {
            write_sealed(state, &name, &raw)?;
            sealed += 1;
        }
    }
    Ok(sealed)
}

fn with_header(status: StatusCode, name: &'static str, value: u64) -> Response {
    let mut response = status.into_response();
    response
        .headers_mut()
        .insert(name, HeaderValue::from(value));
    response
}

pub async fn head(
    State(state): State<AppState>,
    sha256: Result<Path<String>, PathRejection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let device = verify(&state, &method, &uri, &headers, b"")?;
    let name = check_name(&path_name(sha256))?;
    if let Some(length) = state.db.read(|c| db::blob_length(c, name.as_str()))? {
        return Ok(with_header(
            StatusCode::OK,
            HEADER_BLOB_LENGTH,
            length as u64,
        ));
    }
    Ok(with_header(
        StatusCode::NOT_FOUND,
        HEADER_BLOB_RECEIVED,
        received(&state, &device.device_id, &name),
    ))
}

fn number(headers: &HeaderMap, name: &str) -> Result<u64, ApiError> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .ok_or(ApiError(ErrorCode::BodyInvalid))
}

/// What a `PUT /v1/blobs/{sha256}` declares in its headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadHeaders {
    /// Where this part starts.
    pub offset: u64,
    /// The whole blob's length, sealed: at most `MAX_BLOB_BYTES`.
    pub length: u64,
    /// The record key the blob is sealed for: 1 to 64 bytes.
    pub key_id: String,
}

impl UploadHeaders {
    /// The upload headers, or why not: a missing or malformed one is `BODY_INVALID`, a length
    /// over the limit `BLOB_TOO_LARGE`.
    pub fn parse(headers: &HeaderMap) -> Result<UploadHeaders, ApiError> {
        let offset = number(headers, HEADER_BLOB_OFFSET)?;
        let length = number(headers, HEADER_BLOB_LENGTH)?;
        // Photos travel sealed for a district record key, like records: bytes kept of an
        // interrupted upload are ciphertext.
        let key_id = headers
            .get(HEADER_BLOB_KEY)
            .and_then(|v| v.to_str().ok())
            .filter(|k| !k.is_empty() && k.len() <= 64)
            .ok_or(ApiError(ErrorCode::BodyInvalid))?
            .to_owned();
        if length > MAX_BLOB_BYTES {
            return Err(ApiError(ErrorCode::BlobTooLarge));
        }
        Ok(UploadHeaders {
            offset,
            length,
            key_id,
        })
    }

    /// Whether `part` bytes sent from this offset continue an upload of which `have` bytes
    /// are kept, and stay inside the declared length (checked: any offset, any part).
    pub fn continues(&self, have: u64, part: u64) -> bool {
        self.offset == have
            && self
                .offset
                .checked_add(part)
                .is_some_and(|end| end <= self.length)
    }
}

pub async fn put(
    State(state): State<AppState>,
    sha256: Result<Path<String>, PathRejection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let device = verify(&state, &method, &uri, &headers, &body)?;
    let sha256 = path_name(sha256);
    let name = check_name(&sha256)?;
    let upload = UploadHeaders::parse(&headers)?;
    let (length, key_id) = (upload.length, upload.key_id.clone());
    let _writing = state.blob_lock.lock().await;
    if let Some(stored) = state.db.read(|tx| db::blob_length(tx, &sha256))? {
        return Ok(with_header(
            StatusCode::OK,
            HEADER_BLOB_RECEIVED,
            stored as u64,
        ));
    }
    let partial = partial_path(&state, &device.device_id, &name);
    let have = received(&state, &device.device_id, &name);
    let (others, other_bytes) = partials_besides(&state, &device.device_id, &name);
    let would_hold = other_bytes
        .saturating_add(have)
        .saturating_add(body.len() as u64);
    if (have == 0 && others >= MAX_PARTIALS) || would_hold > PARTIAL_QUOTA_BYTES {
        tracing::warn!(event = "partial_quota", device = %device.device_id);
        return Err(ApiError(ErrorCode::QuotaExceeded));
    }
    if !upload.continues(have, body.len() as u64) {
        let mut response = ApiError(ErrorCode::BlobOffsetInvalid).into_response();
        response
            .headers_mut()
            .insert(HEADER_BLOB_RECEIVED, HeaderValue::from(have));
        return Ok(response);
    }
    {
        crate::private_file::create_dir(&partial_dir(&state, &device.device_id))?;
        let mut file = crate::private_file::options()
            .create(true)
            .append(true)
            .open(&partial)?;
        file.write_all(&body)?;
        file.sync_all()?;
    }
    let now_have = have + body.len() as u64;
    if now_have < length {
        return Ok(with_header(
            StatusCode::ACCEPTED,
            HEADER_BLOB_RECEIVED,
            now_have,
        ));
    }
    let sealed = fs::read(&partial)?;
    let private = state.record_keys.get(&state, &key_id)?;
    let opened = private.and_then(|private| {
        perlinsos_protocol::record::open_blob(&sealed, name.as_str(), &key_id, &private).ok()
    });
    let Some(bytes) = opened.map(zeroize::Zeroizing::new) else {
        fs::remove_file(&partial)?;
        tracing::warn!(event = "blob_seal_invalid", device = %device.device_id);
        return Err(ApiError(ErrorCode::SealInvalid));
    };
    let mut context = Context::new(&SHA256);
    context.update(&bytes);
    if hex(context.finish().as_ref()) != sha256 {
        fs::remove_file(&partial)?;
        tracing::warn!(event = "blob_hash_mismatch", device = %device.device_id);
        return Err(ApiError(ErrorCode::BlobHashMismatch));
    }
    // Whole and verified: kept sealed, and the clear upload removed.
    write_sealed(&state, &name, &bytes)?;
    fs::remove_file(&partial)?;
    let now = (state.clock)();
    state.db.write(|tx| {
        tx.execute(
            "INSERT INTO blobs (sha256, length, device_id, stored_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
            &[
                db::text(sha256.as_str()),
                db::int(bytes.len() as i64),
                db::text(device.device_id.as_str()),
                db::int(now),
            ],
        )
        .map(drop)
    })?;
    tracing::info!(event = "blob_stored", device = %device.device_id, bytes = length);
    Ok(with_header(StatusCode::OK, HEADER_BLOB_RECEIVED, length))
}

#[cfg(test)]
mod parser_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Only 64 lowercase hex characters name a blob: no path, no dot, no slash.
        #[test]
        fn a_blob_name_is_a_sha256_or_nothing(text in ".{0,80}") {
            let parsed = BlobName::parse(&text);
            let is_name = text.len() == 64
                && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            prop_assert_eq!(parsed.is_some(), is_name);
        }

        /// Offset and length headers: a number or a refusal, never a panic.
        #[test]
        fn blob_headers_are_numbers_or_refused(value in "[ -~]{0,30}") {
            let mut headers = HeaderMap::new();
            if let Ok(v) = value.parse() {
                headers.insert(HEADER_BLOB_OFFSET, v);
            }
            let parsed = number(&headers, HEADER_BLOB_OFFSET);
            if let Ok(n) = parsed {
                prop_assert_eq!(Some(n), value.parse::<u64>().ok());
            }
        }
    }
}
