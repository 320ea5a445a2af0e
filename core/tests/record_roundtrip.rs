//! Property: every household the sample generator can make (any seed, 1 to 8 members), as the
//! phone queues it, encodes to a record that decodes to itself and seals to one that opens to
//! itself, bound to its entry.
use std::sync::Arc;

use perlinsos_core::crypt::{Cipher, DataKey};
use perlinsos_core::registration::Registry;
use perlinsos_core::session::device::Device;
use perlinsos_core::store::Store;
use perlinsos_protocol::record::{open_record, seal_record, HouseholdRegistered, Record};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn queued_households_round_trip_through_the_record_and_its_seal(
        seed in any::<u64>(),
        members in 1usize..=8,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path().join("device.db")).unwrap());
        Device::open_or_create(&store, b"keystore").unwrap();
        let cipher = Arc::new(Cipher::new(&DataKey::from_bytes([9; 32])).unwrap());
        let registry = Registry::new(store, cipher);
        let now = perlinsos_core::date::now_millis();
        let mut generator =
            perlinsos_core::sample::Generator::new(seed, perlinsos_core::Date::of_unix_millis(now));
        let id = generator
            .household("agen-01", members, now)
            .register(&registry, now)
            .unwrap();
        let record = Record::HouseholdRegistered(Box::new(HouseholdRegistered {
            household: registry.household(&id).unwrap(),
            evidence: Vec::new(),
            receipt: None,
        }));
        prop_assert_eq!(&Record::decode(&record.encode()).unwrap(), &record);
        let (private, public) = perlinsos_protocol::seal::generate_keypair().unwrap();
        let sealed = seal_record(&record, "entry", "rk-1", &public).unwrap();
        prop_assert_eq!(
            &open_record(&sealed, "entry", record.kind(), "rk-1", &private).unwrap(),
            &record
        );
        prop_assert!(open_record(&sealed, "other", record.kind(), "rk-1", &private).is_err());
    }
}
