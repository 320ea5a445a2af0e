//! Every frozen record still decodes into its type and re-encodes to the same record; seals
//! bind the entry, kind and key; unknown kinds and versions get their own refusal.
use perlinsos_protocol::record::{open_record, seal_record, Record, RecordError, VERSION};
use perlinsos_protocol::seal;

const FROZEN: &[(&str, &str)] = &[
    (
        "household.registered",
        include_str!("fixtures/records/v1/household.registered.json"),
    ),
    (
        "sanggahan.filed",
        include_str!("fixtures/records/v1/sanggahan.filed.json"),
    ),
    (
        "sanggahan.withdrawn",
        include_str!("fixtures/records/v1/sanggahan.withdrawn.json"),
    ),
    (
        "audit.appended",
        include_str!("fixtures/records/v1/audit.appended.json"),
    ),
];

#[test]
fn frozen_v1_records_decode_and_round_trip() {
    for (kind, text) in FROZEN {
        let record = Record::decode(text.as_bytes()).unwrap_or_else(|e| panic!("{kind}: {e:?}"));
        assert_eq!(record.kind(), *kind);
        let again = Record::decode(&record.encode()).unwrap();
        assert_eq!(again, record, "{kind}");
        // The stored body is the record's own JSON: it decodes to the same fields.
        let stored: serde_json::Value = serde_json::from_str(&record.body_json()).unwrap();
        let frozen: serde_json::Value = serde_json::from_str(text).unwrap();
        for (field, value) in stored.as_object().unwrap() {
            assert_eq!(Some(value), frozen["record"].get(field), "{kind}.{field}");
        }
    }
}

#[test]
fn unknown_kinds_versions_and_shapes_are_refused_not_guessed() {
    let household = FROZEN[0].1;
    let newer = household.replacen("\"version\": 1", "\"version\": 2", 1);
    assert_ne!(newer, household);
    assert_eq!(
        Record::decode(newer.as_bytes()),
        Err(RecordError::VersionUnknown)
    );
    let other = household.replacen("household.registered", "household.verified", 1);
    assert_eq!(
        Record::decode(other.as_bytes()),
        Err(RecordError::KindUnknown)
    );
    let wrong_shape = FROZEN[2]
        .1
        .replacen("sanggahan.withdrawn", "audit.appended", 1);
    assert_eq!(
        Record::decode(wrong_shape.as_bytes()),
        Err(RecordError::Malformed)
    );
    for junk in [&b""[..], b"null", b"[]", b"{\"kind\":1}", &[0xff; 64]] {
        assert_eq!(Record::decode(junk), Err(RecordError::Malformed));
    }
    assert_eq!(VERSION, 1);
}

#[test]
fn a_sealed_record_opens_only_in_its_own_entry_kind_and_key() {
    let (private, public) = seal::generate_keypair().unwrap();
    let (other_private, _) = seal::generate_keypair().unwrap();
    for (kind, text) in FROZEN {
        let record = Record::decode(text.as_bytes()).unwrap();
        let sealed = seal_record(&record, "entry-1", "rk-1", &public).unwrap();
        assert_eq!(
            open_record(&sealed, "entry-1", kind, "rk-1", &private).unwrap(),
            record
        );
        for (entry, kind, key_id, key) in [
            ("entry-2", *kind, "rk-1", &private),
            ("entry-1", "audit.appended", "rk-1", &private),
            ("entry-1", *kind, "rk-2", &private),
            ("entry-1", *kind, "rk-1", &other_private),
        ] {
            if kind == record.kind() && entry == "entry-1" && key_id == "rk-1" && key == &private {
                continue;
            }
            assert!(
                matches!(
                    open_record(&sealed, entry, kind, key_id, key),
                    Err(RecordError::Sealed(_))
                ),
                "{kind} opened as {entry}/{kind}/{key_id}"
            );
        }
    }
}

#[test]
fn a_sealed_record_does_not_show_its_personal_fields() {
    let (_, public) = seal::generate_keypair().unwrap();
    let record = Record::decode(FROZEN[0].1.as_bytes()).unwrap();
    let Record::HouseholdRegistered(household) = &record else {
        panic!("household");
    };
    let sealed = seal_record(&record, "e", "k", &public).unwrap();
    for member in &household.household.members {
        for needle in [
            member.input.nik.as_bytes(),
            member.input.full_name.as_bytes(),
        ] {
            assert!(!sealed.windows(needle.len()).any(|w| w == needle));
        }
    }
}
