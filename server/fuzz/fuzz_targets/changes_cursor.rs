//! Any bytes as the query of `GET /v1/changes`: a cursor of 0 or more, or `BODY_INVALID`;
//! never a panic. A cursor the phone sends (`since=N`, any i64) reads back as N, or 0 when
//! negative.
#![no_main]
use axum::http::Uri;
use libfuzzer_sys::fuzz_target;
use perlinsos_protocol::wire::ErrorCode;
use perlinsos_server::fuzzing::since_cursor;

fuzz_target!(|data: &[u8]| {
    if let Ok(query) = std::str::from_utf8(data) {
        if let Ok(uri) = format!("/v1/changes?{query}").parse::<Uri>() {
            match since_cursor(&uri) {
                Ok(cursor) => assert!(cursor >= 0),
                Err(e) => assert_eq!(e.0, ErrorCode::BodyInvalid),
            }
        }
    }
    if data.len() >= 8 {
        let n = i64::from_le_bytes(data[..8].try_into().expect("8 bytes"));
        let uri: Uri = format!("/v1/changes?since={n}")
            .parse()
            .expect("a plain query");
        assert_eq!(since_cursor(&uri).ok(), Some(n.max(0)));
    }
    let bare: Uri = "/v1/changes".parse().expect("a plain path");
    assert_eq!(since_cursor(&bare).ok(), Some(0));
});
