//! Any bytes as a blob upload's path name and headers (offset, length, record key) and as the
//! bytes already kept and the part sent: parsed or refused with `BODY_INVALID` or
//! `BLOB_TOO_LARGE`, never a panic; what parses stays within the limits, and whether a part
//! continues the upload agrees with exact arithmetic for any offset, length and part.
#![no_main]
use axum::http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use perlinsos_protocol::wire::{
    ErrorCode, HEADER_BLOB_KEY, HEADER_BLOB_LENGTH, HEADER_BLOB_OFFSET, MAX_BLOB_BYTES,
};
use perlinsos_server::fuzzing::{BlobName, UploadHeaders};

fuzz_target!(|data: &[u8]| {
    if data.len() < 16 {
        return;
    }
    let have = u64::from_le_bytes(data[..8].try_into().expect("8 bytes"));
    let part = u64::from_le_bytes(data[8..16].try_into().expect("8 bytes"));
    let mut parts = data[16..].split(|b| *b == b'\n');
    let name = String::from_utf8_lossy(parts.next().unwrap_or_default());
    if let Some(parsed) = BlobName::parse(&name) {
        assert_eq!(parsed.as_str().len(), 64);
        assert!(parsed
            .as_str()
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }
    let mut headers = HeaderMap::new();
    let mut said = Vec::new();
    for name in [HEADER_BLOB_OFFSET, HEADER_BLOB_LENGTH, HEADER_BLOB_KEY] {
        let value = parts.next();
        if let Some(v) = value.and_then(|v| HeaderValue::from_bytes(v).ok()) {
            headers.insert(name, v);
        }
        said.push(value.and_then(|v| std::str::from_utf8(v).ok()));
    }
    match UploadHeaders::parse(&headers) {
        Ok(upload) => {
            assert_eq!(Some(upload.offset), said[0].and_then(|v| v.parse().ok()));
            assert_eq!(Some(upload.length), said[1].and_then(|v| v.parse().ok()));
            assert!(upload.length <= MAX_BLOB_BYTES);
            assert!(!upload.key_id.is_empty() && upload.key_id.len() <= 64);
            let exact = upload.offset == have
                && u128::from(upload.offset) + u128::from(part) <= u128::from(upload.length);
            assert_eq!(upload.continues(have, part), exact);
        }
        Err(e) if e.0 == ErrorCode::BlobTooLarge => {
            let length: u64 = said[1].and_then(|v| v.parse().ok()).expect("a length");
            assert!(length > MAX_BLOB_BYTES);
        }
        Err(e) => assert_eq!(e.0, ErrorCode::BodyInvalid),
    }
});
