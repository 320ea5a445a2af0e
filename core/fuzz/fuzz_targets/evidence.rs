//! Any bytes as an evidence photo: no panic, no hang, memory within the limits; what is
//! accepted comes out as a JPEG within the target size whose hash is the one reported.
#![no_main]
use libfuzzer_sys::fuzz_target;
use perlinsos_core::evidence::{self, Options};

fuzz_target!(|data: &[u8]| {
    // A small target keeps each run fast; the decoding paths are the same.
    let options = Options {
        long_side: 64,
        ..Options::default()
    };
    if let Ok(photo) = evidence::ingest(data, &options) {
        assert!(photo.width.max(photo.height) <= 64);
        assert_eq!(photo.sha256, evidence::sha256(&photo.jpeg));
        assert!(photo.jpeg.starts_with(&[0xFF, 0xD8]));
    }
});
