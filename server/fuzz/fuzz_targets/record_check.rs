//! Any bytes as an opened outbox record (the plaintext inside the seal), in the envelope an
//! honest phone would put around it, through the server's decoding and the rules it applies
//! before any database work. Never a panic; a refusal carries a stable code and a reason that
//! starts with that code's message and holds no long number (no NIK or KK); what is accepted
//! has a plain entity id and is checked as the kind its envelope names.
#![no_main]
use libfuzzer_sys::fuzz_target;
use perlinsos_protocol::record::Record;
use perlinsos_protocol::wire::PushEntry;
use perlinsos_server::fuzzing::{check_record, Checked};

/// 2026-12-01, just after the committed seed records were made.
const NOW: i64 = 1_796_200_000_000;

fn has_long_number(text: &str) -> bool {
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        if run >= 16 {
            return true;
        }
    }
    false
}

fuzz_target!(|data: &[u8]| {
    let decoded = Record::decode(data);
    let (kind, entity_id) = match &decoded {
        Ok(record) => (record.kind().to_owned(), record.entity_id()),
        Err(_) => ("household.registered".to_owned(), "x".to_owned()),
    };
    let entry = PushEntry {
        id: "e-1".into(),
        kind,
        entity_id,
        key_id: "k-1".into(),
        sealed: String::new(),
        kelurahan_code: Some("52.71.01.1004".into()),
        blobs: Vec::new(),
        created_at: NOW,
    };
    match check_record(&entry, data, NOW) {
        Ok(checked) => {
            let record = decoded.expect("accepted records decode");
            let id = &entry.entity_id;
            assert!(!id.is_empty() && id.len() <= 64);
            assert!(id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
            let matches = match (&record, &checked) {
                (Record::HouseholdRegistered(_), Checked::Household(h)) => &h.id == id,
                (Record::SanggahanFiled(_), Checked::Sanggahan(s)) => &s.id == id,
                (Record::VisitRecorded(_), Checked::Visit(v)) => &v.id == id,
                (Record::ObjectionFiled(_), Checked::Objection(o)) => &o.id == id,
                (
                    Record::SanggahanWithdrawn(_)
                    | Record::AuditAppended(_)
                    | Record::EvidenceAttached(_),
                    Checked::Other,
                ) => true,
                _ => false,
            };
            assert!(matches, "checked as another kind than {}", record.kind());
        }
        Err(refusal) => {
            assert!(refusal.reason.starts_with(refusal.code.message()));
            assert!(!has_long_number(&refusal.reason), "{}", refusal.reason);
        }
    }
});
