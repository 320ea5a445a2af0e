//! Any bytes into the recipient-list parsers (JSON and CSV) and the row checks: no panic, and
//! every accepted row carries a properly masked NIK, never a full one.
#![no_main]
use libfuzzer_sys::fuzz_target;
use perlinsos_core::sanggahan::recipients::{check, mask_nik, parse_csv, parse_json};

fuzz_target!(|data: &[u8]| {
    for rows in [parse_json(data), parse_csv(data)].into_iter().flatten() {
        if let Ok(recipients) = check(&rows) {
            for r in recipients {
                let nik = r.masked_nik.as_bytes();
                assert_eq!(nik.len(), 16);
                assert!(nik[6..12].iter().all(|&b| b == b'*'));
            }
        }
    }
    if let Some(masked) = mask_nik(&String::from_utf8_lossy(data)) {
        assert_eq!(&masked[6..12], "******");
    }
});
