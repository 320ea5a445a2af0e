//! A lost phone must not expose anyone: no NIK, KK number or name may appear in the raw bytes
//! of the database file or its write-ahead log.
use std::sync::Arc;

use perlinsos_core::crypt::{Cipher, DataKey};
use perlinsos_core::registration::Registry;
use perlinsos_core::sample::Generator;
use perlinsos_core::store::Store;
use perlinsos_core::Date;

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

#[test]
fn no_personal_value_appears_in_the_database_or_its_wal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let store = Arc::new(Store::open(&path).unwrap());
    // Records are sealed at enqueue: the device makes the holding key they wait under.
    perlinsos_core::session::device::Device::open_or_create(&store, b"keystore").unwrap();
    let cipher = Arc::new(Cipher::new(&DataKey::generate().unwrap()).unwrap());
    let now = perlinsos_core::date::now_millis();
    let registry = Registry::new(store.clone(), cipher);
    let mut generator = Generator::new(2026, Date::today());
    let mut secrets: Vec<String> = Vec::new();
    for i in 0..40 {
        let sample = generator.household("agen-07", 1 + i % 6, now);
        secrets.push(sample.household.kk.clone());
        secrets.push(sample.household.address.street.clone());
        for member in &sample.members {
            secrets.push(member.nik.clone());
            secrets.push(member.full_name.clone());
            secrets.push(member.birth_date.to_string());
        }
        if i % 4 == 0 {
            // Leave some as drafts part-way through: drafts hold the same personal data.
            let draft = registry.start_draft(sample.visit.clone()).unwrap();
            registry
                .set_household(&draft, sample.household.clone())
                .unwrap();
            for member in &sample.members {
                registry.put_member(&draft, None, member.clone()).unwrap();
            }
        } else {
            sample.register(&registry, now).unwrap();
        }
    }
    assert_eq!(registry.household_ids().unwrap().len(), 30);
    let wal_path = dir.path().join("device.db-wal");
    let scan = |label: &str| {
        let mut bytes = std::fs::read(&path).unwrap();
        if let Ok(wal) = std::fs::read(&wal_path) {
            bytes.extend(wal);
        }
        assert!(bytes.len() > 10_000, "{label}: nothing was written?");
        // The scan itself works: the agent id, which is not personal, is stored in clear.
        assert!(
            contains(&bytes, b"agen-07"),
            "{label}: scanner sees nothing"
        );
        for secret in &secrets {
            assert!(
                !contains(&bytes, secret.as_bytes()),
                "{label}: a personal value is stored in clear"
            );
        }
    };
    // Once while the WAL still holds the recent transactions, once after checkpointing.
    assert!(std::fs::metadata(&wal_path).unwrap().len() > 0);
    scan("with WAL");
    store.checkpoint().unwrap();
    scan("after checkpoint");
}
