use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};

use super::*;
use crate::crypt::{Cipher, DataKey};
use crate::date::Date;
use crate::evidence::book::{Capture, EvidenceBook};
use crate::evidence::Options;
use crate::registration::Registry;
use crate::sample::{Generator, SampleHousehold};

const CAM2: &[u8] = include_bytes!("../../data/photos/cam2_wood.jpg");
const CAM3: &[u8] = include_bytes!("../../data/photos/cam3_ladybird.jpg");

/// 2026-11-28 10:00 WITA.
fn start() -> Millis {
    Date::new(2026, 11, 28).unwrap().days_since_epoch() * DAY_MS + 2 * 3_600_000
}

struct Phone {
    dir: tempfile::TempDir,
    store: Arc<Store>,
    key: Arc<Ed25519KeyPair>,
    time: Arc<AtomicI64>,
    registry: Registry,
    book: EvidenceBook,
}

fn phone() -> Phone {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("device.db")).unwrap());
    // Records are sealed at enqueue: the device makes the holding key they wait under.
    crate::session::device::Device::open_or_create(&store, b"keystore").unwrap();
    let cipher = Arc::new(Cipher::new(&DataKey::from_bytes([7; 32])).unwrap());
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let key = Arc::new(Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap());
    let time = Arc::new(AtomicI64::new(start()));
    let clock = {
        let time = time.clone();
        Arc::new(move || time.load(Ordering::SeqCst))
    };
    let registry =
        Registry::with_clock(store.clone(), cipher.clone(), clock).with_audit(key.clone());
    let book = EvidenceBook::open(store.clone(), cipher, dir.path().join("evidence"))
        .unwrap()
        .with_audit(key.clone());
    Phone {
        dir,
        store,
        key,
        time,
        registry,
        book,
    }
}

impl Phone {
    fn clock(&self) -> Clock {
        let time = self.time.clone();
        Arc::new(move || time.load(Ordering::SeqCst))
    }

    fn purger(&self) -> Purger {
        Purger::new(self.store.clone(), self.clock(), self.key.clone()).with_evidence(
            EvidenceBook::open(
                self.store.clone(),
                Arc::new(Cipher::new(&DataKey::from_bytes([7; 32])).unwrap()),
                self.dir.path().join("evidence"),
            )
            .unwrap(),
        )
    }

    fn register(&self, sample: &SampleHousehold, photo: &[u8]) -> String {
        let id = sample.register(&self.registry, start()).unwrap();
        self.book
            .capture(
                photo,
                &Options::default(),
                Capture {
                    record_kind: "household",
                    record_id: &id,
                    captured_at: start(),
                    gps: None,
                    device_id: "hp-01",
                    device_key: &self.key,
                    agent_id: &sample.visit.agent_id,
                },
            )
            .unwrap();
        id
    }

    /// Every sealed value and blind index stored for a household, its members and evidence.
    fn stored_bytes(&self, household_id: &str) -> Vec<Vec<u8>> {
        self.store
            .read(|conn| {
                let mut out = Vec::new();
                for sql in [
                    "SELECT kk_index FROM households WHERE id = ?1",
                    "SELECT kk FROM households WHERE id = ?1",
                    "SELECT address FROM households WHERE id = ?1",
                    "SELECT visit FROM households WHERE id = ?1",
                    "SELECT consent FROM households WHERE id = ?1",
                    "SELECT members_sealed FROM households WHERE id = ?1",
                    "SELECT members_nik_index FROM households WHERE id = ?1",
                    "SELECT nik_index FROM members WHERE household_id = ?1",
                    "SELECT nik FROM members WHERE household_id = ?1",
                    "SELECT full_name FROM members WHERE household_id = ?1",
                    "SELECT birth_date FROM members WHERE household_id = ?1",
                    "SELECT profile FROM members WHERE household_id = ?1",
                    "SELECT details FROM evidence WHERE record_id = ?1",
                    "SELECT attestation FROM evidence WHERE record_id = ?1",
                ] {
                    let mut stmt = conn.prepare(sql)?;
                    let rows = stmt.query_map([household_id], |r| r.get::<_, Vec<u8>>(0))?;
                    for row in rows {
                        out.push(row?);
                    }
                }
                Ok(out)
            })
            .unwrap()
    }

    /// The raw bytes of the database file, its WAL and every file in the blob folder.
    fn raw_files(&self) -> Vec<u8> {
        let mut raw = Vec::new();
        for name in ["device.db", "device.db-wal", "device.db-journal"] {
            raw.extend(std::fs::read(self.dir.path().join(name)).unwrap_or_default());
        }
        for entry in std::fs::read_dir(self.dir.path().join("evidence")).unwrap() {
            raw.extend(std::fs::read(entry.unwrap().path()).unwrap());
        }
        raw
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    // 16 bytes of a sealed value (nonce and the start of its ciphertext) identify it.
    let needle = &needle[..needle.len().min(16)];
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn plain_values(sample: &SampleHousehold) -> Vec<Vec<u8>> {
    let mut out = vec![sample.household.kk.as_bytes().to_vec()];
    for m in &sample.members {
        out.push(m.nik.as_bytes().to_vec());
        out.push(m.full_name.as_bytes().to_vec());
    }
    out
}

fn blob_count(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("evidence")).unwrap().count()
}

#[test]
fn a_confirmed_household_is_purged_after_retention_leaving_no_personal_bytes() {
    let p = phone();
    let mut generator = Generator::new(7, Date::new(2026, 11, 28).unwrap());
    let gone = generator.household("agen-01", 4, start());
    let kept = generator.household("agen-01", 3, start());
    let gone_id = p.register(&gone, CAM2);
    let kept_id = p.register(&kept, CAM3);
    let gone_sealed = p.stored_bytes(&gone_id);
    let kept_sealed = p.stored_bytes(&kept_id);
    assert_eq!(gone_sealed.len(), 7 + 2);
    let gone_blob = std::fs::read(p.dir.path().join("evidence").join(format!(
        "{}.blob",
        p.book.for_record("household", &gone_id).unwrap()[0].sha256
    )))
    .unwrap();

    // The scan finds what is there: before the purge, both households' bytes are on disk.
    let raw = p.raw_files();
    assert!(gone_sealed.iter().all(|s| contains(&raw, s)));
    assert!(contains(&raw, &gone_blob));

    let purger = p.purger();
    purger.confirm(RecordKind::Household, &gone_id).unwrap();
    purger.confirm(RecordKind::Household, &gone_id).unwrap();
    p.time.fetch_add(DEFAULT_RETENTION_MS - 1, Ordering::SeqCst);
    assert_eq!(
        purger.purge_due().unwrap(),
        PurgeReport::default(),
        "too early"
    );
    assert!(p.registry.household(&gone_id).is_ok());

    p.time.fetch_add(1, Ordering::SeqCst);
    let report = purger.purge_due().unwrap();
    assert_eq!(
        report,
        PurgeReport {
            records: 1,
            evidence_rows: 1,
            blobs: 1
        }
    );
    assert!(p.registry.household(&gone_id).is_err());
    assert!(p.book.for_record("household", &gone_id).unwrap().is_empty());
    assert_eq!(blob_count(p.dir.path()), 1);

    let raw = p.raw_files();
    for secret in gone_sealed
        .iter()
        .chain(&plain_values(&gone))
        .chain([&gone_blob])
    {
        assert!(!contains(&raw, secret), "a purged value is still on disk");
    }
    assert_eq!(
        std::fs::metadata(p.dir.path().join("device.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0),
        0,
        "the WAL is truncated"
    );
    // The other household is untouched and still readable.
    assert!(kept_sealed.iter().all(|s| contains(&raw, s)));
    let household = p.registry.household(&kept_id).unwrap();
    assert_eq!(household.kk, kept.household.kk);

    let receipts = purger.receipts().unwrap();
    assert_eq!(receipts.len(), 1);
    assert_eq!(
        (
            receipts[0].record_id.as_str(),
            receipts[0].agent_id.as_str()
        ),
        (gone_id.as_str(), "agen-01")
    );
    assert_eq!(receipts[0].confirmed_at, start());
    assert_eq!(receipts[0].purged_at, Some(start() + DEFAULT_RETENTION_MS));

    let (count, last): (i64, (String, String)) = p
        .store
        .read(|conn| {
            Ok((
                crate::audit::verify_chain(
                    conn,
                    ring::signature::KeyPair::public_key(&*p.key).as_ref(),
                )?
                .unwrap(),
                conn.query_row(
                    "SELECT action, record_id FROM audit WHERE action = 'purge'",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?,
            ))
        })
        .unwrap();
    assert!(count > 2);
    assert_eq!(last, ("purge".to_owned(), gone_id.clone()));

    // Purging again does nothing; a repeated confirmation of a purged record is accepted.
    assert_eq!(purger.purge_due().unwrap(), PurgeReport::default());
    purger.confirm(RecordKind::Household, &gone_id).unwrap();
}

#[test]
fn confirming_a_record_the_phone_never_held_is_refused_and_changes_nothing() {
    let p = phone();
    let purger = p.purger().with_retention(0);
    let error = purger
        .confirm(
            RecordKind::Household,
            "019ac9a0-0000-7000-8000-00000000dead",
        )
        .unwrap_err();
    assert_eq!(error.field_errors()[0].code, ErrorCode::PurgeRecordUnknown);
    assert!(purger.receipts().unwrap().is_empty());
}

#[test]
fn an_interrupted_compaction_runs_on_the_next_purge() {
    let p = phone();
    let mut generator = Generator::new(8, Date::new(2026, 11, 28).unwrap());
    let sample = generator.household("agen-01", 2, start());
    let id = p.register(&sample, CAM2);
    let sealed = p.stored_bytes(&id);
    let purger = p.purger().with_retention(0);
    purger.confirm(RecordKind::Household, &id).unwrap();
    // The rows are deleted and the compaction is due, as if the process died right after the
    // purge transaction committed.
    p.store
        .write(|tx| {
            purge_record(tx, RecordKind::Household, &id)?;
            tx.execute("UPDATE receipts SET purged_at = 1", [])?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, X'01')",
                [VACUUM_PENDING],
            )?;
            Ok(())
        })
        .unwrap();
    assert!(
        sealed.iter().any(|s| contains(&p.raw_files(), s)),
        "deleted rows linger in free pages until the compaction"
    );
    assert_eq!(purger.purge_due().unwrap().records, 0);
    let raw = p.raw_files();
    assert!(sealed.iter().all(|s| !contains(&raw, s)));
}
