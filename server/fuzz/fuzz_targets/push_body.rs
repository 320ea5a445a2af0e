//! Any bytes as a `POST /v1/outbox` body, plain and gzip: decoded, or refused with one of its
//! two stable codes; never a panic. An accepted body decodes the same from its own JSON, and
//! the same bytes gzipped decode exactly as they do plain.
#![no_main]
use std::io::Write;

use libfuzzer_sys::fuzz_target;
use perlinsos_protocol::wire::ErrorCode;
use perlinsos_server::fuzzing::push_body;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("in memory");
    encoder.finish().expect("in memory")
}

fuzz_target!(|data: &[u8]| {
    let plain = push_body(None, data);
    for encoding in [Some("gzip"), Some("GZIP"), Some("identity")] {
        match push_body(encoding, data) {
            Ok(request) => {
                let again = serde_json::to_vec(&request).expect("serializes");
                assert_eq!(push_body(None, &again).as_ref(), Ok(&request));
            }
            Err(code) => assert!(
                matches!(code, ErrorCode::BodyInvalid | ErrorCode::BatchTooLarge),
                "{code:?}"
            ),
        }
    }
    if let Err(code) = &plain {
        assert_eq!(*code, ErrorCode::BodyInvalid);
    }
    assert_eq!(push_body(Some("gzip"), &gzip(data)), plain);
});
