//! Any bytes as the four signature headers of a device request (device, timestamp, nonce,
//! signature) and any server clock: parsed or refused as `SIGNATURE_INVALID`, never a panic.
//! What parses is exactly what the headers say (a 32-hex-digit nonce, the signature's bytes),
//! the freshness check agrees with exact arithmetic for every pair of times (i64::MIN and MAX
//! included), and the signed text names each part.
#![no_main]
use axum::http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use perlinsos_protocol::signing::{self, canonical_request, MAX_CLOCK_SKEW_MS};
use perlinsos_protocol::wire::ErrorCode;
use perlinsos_server::fuzzing::{is_fresh, signed_headers};

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let now = i64::from_le_bytes(data[..8].try_into().expect("8 bytes"));
    let names = [
        signing::HEADER_DEVICE,
        signing::HEADER_TIMESTAMP,
        signing::HEADER_NONCE,
        signing::HEADER_SIGNATURE,
    ];
    let mut headers = HeaderMap::new();
    let mut values = Vec::new();
    for (name, value) in names.iter().zip(data[8..].split(|b| *b == b'\n')) {
        if let Ok(v) = HeaderValue::from_bytes(value) {
            headers.insert(*name, v);
            values.push(value);
        } else {
            values.push(&b"\xff-missing"[..]);
        }
    }
    match signed_headers(&headers) {
        Ok(parsed) => {
            assert_eq!(values.len(), 4);
            assert_eq!(parsed.device_id.as_bytes(), values[0]);
            let said: i64 = std::str::from_utf8(values[1]).unwrap().parse().unwrap();
            assert_eq!(parsed.timestamp, said);
            assert_eq!(parsed.nonce.len(), signing::NONCE_HEX_LEN);
            assert!(parsed.nonce.bytes().all(|b| b.is_ascii_hexdigit()));
            assert_eq!(parsed.signature.len() * 2, values[3].len());
            let exact = (i128::from(now) - i128::from(parsed.timestamp)).abs();
            assert_eq!(
                is_fresh(now, parsed.timestamp),
                exact <= i128::from(MAX_CLOCK_SKEW_MS)
            );
            let text = canonical_request(
                "POST",
                "/v1/outbox",
                parsed.device_id,
                parsed.timestamp,
                parsed.nonce,
                "00",
            );
            let text = String::from_utf8(text).expect("text");
            assert!(text.contains(&format!("\n{}\n", parsed.timestamp)));
        }
        Err(e) => assert_eq!(e.0, ErrorCode::SignatureInvalid),
    }
    // Any two clock readings, parsed or not.
    let other = i64::from_le_bytes(
        data.iter()
            .rev()
            .chain(std::iter::repeat(&0))
            .take(8)
            .copied()
            .collect::<Vec<_>>()
            .try_into()
            .expect("8 bytes"),
    );
    let exact = (i128::from(now) - i128::from(other)).abs();
    assert_eq!(is_fresh(now, other), exact <= i128::from(MAX_CLOCK_SKEW_MS));
});
