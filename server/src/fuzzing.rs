//! Narrow entries into the server's parsers of outside input, for the cargo-fuzz targets in
//! `server/fuzz`: the targets fuzz the server's own code through these, never a copy of it.
//! Not API; nothing else calls them.
use perlinsos_protocol::record::Record;
use perlinsos_protocol::wire::{ErrorCode, PushEntry, PushRequest};

pub use crate::auth::{is_fresh, signed_headers, SignedHeaders};
pub use crate::blobs::{BlobName, UploadHeaders};
pub use crate::console::fuzzing as console;
pub use crate::record_rules::{Checked, Refusal};
pub use crate::since_cursor;

/// A push body as `POST /v1/outbox` decodes it (`content_encoding` as the request's header).
pub fn push_body(content_encoding: Option<&str>, body: &[u8]) -> Result<PushRequest, ErrorCode> {
    let mut headers = axum::http::HeaderMap::new();
    if let Some(value) = content_encoding.and_then(|v| axum::http::HeaderValue::from_str(v).ok()) {
        headers.insert("content-encoding", value);
    }
    crate::outbox::decode_body(&headers, body).map_err(|e| e.0)
}

/// An entry's record, once opened (the plain bytes of `perlinsos_protocol::record`), decoded
/// and checked as `POST /v1/outbox` checks it before any database work: the envelope as the
/// server's opener checks it, then `record_rules::check_content` at `now`.
pub fn check_record(entry: &PushEntry, opened: &[u8], now: i64) -> Result<Checked, Refusal> {
    let record = Record::decode(opened).map_err(|e| Refusal::from(crate::opened::refusal(e)))?;
    let entry = crate::opened::entry(entry, record)?;
    crate::record_rules::check_content(&entry, now)
}
