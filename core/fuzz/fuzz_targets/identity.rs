//! Any bytes into the NIK and KK parsers and the name/date rules: no panic, no hang, and a
//! valid NIK always yields a birth date that is not in the future.
#![no_main]
use libfuzzer_sys::fuzz_target;
use perlinsos_core::identity::{parse_kk, parse_nik};
use perlinsos_core::Date;

fuzz_target!(|data: &[u8]| {
    let today = Date::new(2026, 11, 28).expect("real date");
    let text = String::from_utf8_lossy(data);
    if let Ok(info) = parse_nik(&text, today) {
        assert!(info.birth_date <= today);
        assert_eq!(text.trim().len(), 16);
    }
    if let Ok(info) = parse_kk(&text, today) {
        assert!(info.issue_date <= today);
    }
    let _ = Date::parse_iso(&text);
});
