use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use super::*;
use crate::crypt::Cell;

/// A clock the test moves by hand, forwards or back.
struct TestClock(AtomicI64);

impl TestClock {
    fn set(&self, t: Millis) {
        self.0.store(t, Ordering::SeqCst);
    }
    fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

const T0: Millis = 1_795_000_000_000;
const RECOVERY: [u8; 32] = [7; 32];

struct Fixture {
    dir: tempfile::TempDir,
    clock: Arc<TestClock>,
}

fn fixture() -> Fixture {
    Fixture {
        dir: tempfile::tempdir().unwrap(),
        clock: Arc::new(TestClock(AtomicI64::new(T0))),
    }
}

impl Fixture {
    /// A fresh `Agents` over a freshly opened store: what an app restart sees.
    fn agents(&self, platform_secret: &[u8]) -> Agents {
        let store = Arc::new(Store::open(self.dir.path().join("device.db")).unwrap());
        // Records are sealed at enqueue: the device makes the holding key they wait under
        // (a second platform secret cannot open the device, but the key is there by then).
        let _ = crate::session::device::Device::open_or_create(&store, platform_secret);
        let clock = self.clock.clone();
        Agents::new(
            store,
            platform_secret,
            Arc::new(move || clock.0.load(Ordering::SeqCst)),
        )
        .with_iterations(1_000)
    }
}

fn code(result: std::result::Result<AgentSession, (Error, Refusal)>) -> Refusal {
    match result {
        Ok(session) => panic!("unlocked {}", session.agent_id),
        Err((error, refusal)) => {
            assert_eq!(error.field_errors()[0].code, refusal.code);
            refusal
        }
    }
}

fn secret_of(session: &AgentSession) -> Vec<u8> {
    session
        .cipher()
        .unwrap()
        .seal(Cell::new("t", "c", "r"), b"rahasia keluarga")
        .unwrap()
}

fn opens(session: &AgentSession, sealed: &[u8]) -> bool {
    session
        .cipher()
        .is_ok_and(|c| c.open(Cell::new("t", "c", "r"), sealed).is_ok())
}

#[test]
fn the_right_pin_unlocks_the_same_key_and_a_wrong_one_does_not() {
    let f = fixture();
    let agents = f.agents(b"keystore");
    let enrolled = agents.enroll("agen-01", "482913", &RECOVERY).unwrap();
    let sealed = secret_of(&enrolled);
    enrolled.lock();
    let session = agents.unlock("agen-01", "482913").unwrap();
    assert!(opens(&session, &sealed));
    let refusal = code(agents.unlock("agen-01", "482914"));
    assert_eq!(
        (refusal.code, refusal.attempts_left),
        (ErrorCode::SessionPinWrong, 9)
    );
    assert_eq!(
        code(agents.unlock("agen-01", "48291")).code,
        ErrorCode::SessionPinFormat
    );
    assert_eq!(
        code(agents.unlock("agen-01", "48291a")).code,
        ErrorCode::SessionPinFormat
    );
    assert_eq!(
        code(agents.unlock("agen-99", "482913")).code,
        ErrorCode::SessionAgentUnknown
    );
    assert!(
        matches!(agents.enroll("agen-01", "111111", &RECOVERY), Err(e) if e.field_errors()[0].code == ErrorCode::SessionAgentExists)
    );
}

#[test]
fn lockouts_grow_survive_a_restart_and_a_clock_set_back() {
    let f = fixture();
    f.agents(b"")
        .enroll("agen-01", "482913", &RECOVERY)
        .unwrap();
    for attempt in 1..=3 {
        let refusal = code(f.agents(b"").unlock("agen-01", "000000"));
        assert_eq!(refusal.retry_at, None, "attempt {attempt} is free");
    }
    // The 4th wrong PIN locks for 30 s, even against the right PIN, across a restart.
    let refusal = code(f.agents(b"").unlock("agen-01", "000000"));
    assert_eq!(refusal.retry_at, Some(T0 + 30_000));
    let locked = code(f.agents(b"").unlock("agen-01", "482913"));
    assert_eq!(
        (locked.code, locked.retry_at),
        (ErrorCode::SessionLocked, Some(T0 + 30_000))
    );
    // Moving the clock back an hour does not help, nor does waiting 29 s from there.
    f.clock.set(T0 - 3_600_000);
    assert_eq!(
        code(f.agents(b"").unlock("agen-01", "482913")).code,
        ErrorCode::SessionLocked
    );
    f.clock.advance(3_600_000 + 29_000);
    assert_eq!(
        code(f.agents(b"").unlock("agen-01", "482913")).code,
        ErrorCode::SessionLocked
    );
    f.clock.set(T0 + 30_000);
    // The next wrong PIN doubles the wait.
    let refusal = code(f.agents(b"").unlock("agen-01", "000000"));
    assert_eq!(refusal.retry_at, Some(T0 + 30_000 + 60_000));
    f.clock.set(T0 + 90_000);
    f.agents(b"").unlock("agen-01", "482913").unwrap();
    // A correct PIN resets the count.
    assert_eq!(
        code(f.agents(b"").unlock("agen-01", "000000")).attempts_left,
        9
    );
    assert_eq!(
        (1..=12).map(lockout_ms).collect::<Vec<_>>(),
        vec![
            0, 0, 0, 30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_840_000,
            7_680_000
        ]
    );
}

#[test]
fn ten_wrong_pins_need_the_district_and_lose_nothing() {
    let f = fixture();
    let agents = f.agents(b"keystore");
    let sealed = secret_of(&agents.enroll("agen-01", "482913", &RECOVERY).unwrap());
    for n in 1..=MAX_ATTEMPTS {
        f.clock.advance(10 * 3_600_000);
        let refusal = code(agents.unlock("agen-01", "123456"));
        if n < MAX_ATTEMPTS {
            assert_eq!(refusal.code, ErrorCode::SessionPinWrong, "attempt {n}");
        } else {
            assert_eq!(refusal.code, ErrorCode::SessionReenrollRequired);
        }
    }
    f.clock.advance(100 * 3_600_000);
    assert_eq!(
        code(agents.unlock("agen-01", "482913")).code,
        ErrorCode::SessionReenrollRequired
    );
    let wrong = agents.reenroll("agen-01", &[8; 32], "777777").unwrap_err();
    assert_eq!(
        wrong.field_errors()[0].code,
        ErrorCode::SessionRecoveryInvalid
    );
    let session = agents.reenroll("agen-01", &RECOVERY, "777777").unwrap();
    assert!(opens(&session, &sealed), "the same data key: nothing lost");
    session.lock();
    assert!(opens(&agents.unlock("agen-01", "777777").unwrap(), &sealed));
    assert_eq!(
        code(agents.unlock("agen-01", "482913")).code,
        ErrorCode::SessionPinWrong
    );
}

#[test]
fn agents_cannot_read_each_other_and_the_file_and_pin_alone_are_not_enough() {
    let f = fixture();
    let agents = f.agents(b"keystore");
    let a = agents.enroll("agen-a", "111111", &RECOVERY).unwrap();
    let b = agents.enroll("agen-b", "222222", &[9; 32]).unwrap();
    let sealed_by_b = secret_of(&b);
    assert!(!opens(&a, &sealed_by_b));
    // Knowing A's PIN and holding the database file, without the platform secret: nothing.
    let other_phone = f.agents(b"another keystore");
    assert_eq!(
        code(other_phone.unlock("agen-a", "111111")).code,
        ErrorCode::SessionPinWrong
    );
    // B's PIN tried on A's profile is just a wrong PIN.
    assert_eq!(
        code(agents.unlock("agen-a", "222222")).code,
        ErrorCode::SessionPinWrong
    );
}

#[test]
fn an_idle_session_locks_itself_and_lock_drops_the_keys() {
    let f = fixture();
    let agents = f.agents(b"").with_idle_timeout(5 * 60_000);
    let session = agents.enroll("agen-01", "482913", &RECOVERY).unwrap();
    let sealed = secret_of(&session);
    f.clock.advance(4 * 60_000);
    assert!(
        opens(&session, &sealed),
        "4 min idle: still open, and now active again"
    );
    f.clock.advance(4 * 60_000);
    assert!(opens(&session, &sealed), "4 min after the last use");
    f.clock.advance(5 * 60_000 + 1);
    let Err(error) = session.cipher() else {
        panic!("still open after 5 minutes idle");
    };
    assert_eq!(error.field_errors()[0].code, ErrorCode::SessionIdleLocked);
    assert!(session.is_locked());
    f.clock.set(T0);
    assert!(
        session.cipher().is_err(),
        "stays locked, whatever the clock says"
    );
    let again = agents.unlock("agen-01", "482913").unwrap();
    assert!(opens(&again, &sealed));
    again.lock();
    assert!(again.is_locked() && !opens(&again, &sealed));
}

mod audit_chain {
    use ring::signature::{Ed25519KeyPair, KeyPair};

    use super::*;
    use crate::audit::{self, Action, Break};

    struct Trail {
        _dir: tempfile::TempDir,
        store: Store,
        key: Ed25519KeyPair,
    }

    /// Five entries, each in its own transaction.
    fn trail() -> Trail {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("device.db")).unwrap();
        // Records are sealed at enqueue: the device makes the holding key they wait under.
        crate::session::device::Device::open_or_create(&store, b"keystore").unwrap();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
        let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let actions = [
            (Action::Unlock, None),
            (Action::HouseholdCreated, Some("hh-1")),
            (Action::EvidenceCaptured, Some("ev-1")),
            (Action::HouseholdSubmitted, Some("hh-1")),
            (Action::ResidentModeEntered, Some("hh-1")),
        ];
        for (i, (action, record)) in actions.into_iter().enumerate() {
            store
                .write(|tx| audit::append(tx, &key, "agen-01", action, record, T0 + i as i64))
                .unwrap();
        }
        Trail {
            _dir: dir,
            store,
            key,
        }
    }

    impl Trail {
        fn verify(&self) -> std::result::Result<i64, Break> {
            self.store
                .read(|c| audit::verify_chain(c, self.key.public_key().as_ref()))
                .unwrap()
        }

        fn tamper(&self, sql: &str) {
            self.store
                .write(|tx| {
                    tx.execute_batch(sql)?;
                    Ok(())
                })
                .unwrap();
        }
    }

    #[test]
    fn an_intact_trail_verifies_and_each_entry_is_queued() {
        let t = trail();
        assert_eq!(t.verify(), Ok(5));
        let queued = t.store.read(crate::outbox::entries).unwrap();
        assert_eq!(queued.len(), 5);
        assert!(queued.iter().all(|e| e.kind == "audit.appended"));
    }

    #[test]
    fn an_entry_commits_only_with_its_action() {
        let t = trail();
        let failed: Result<()> = t.store.write(|tx| {
            audit::append(tx, &t.key, "agen-01", Action::Export, None, T0 + 10)?;
            Err(Error::Corrupt("the export failed"))
        });
        assert!(failed.is_err());
        assert_eq!(t.verify(), Ok(5));
    }

    #[test]
    fn every_kind_of_tampering_is_found() {
        // Deleted.
        let t = trail();
        t.tamper("DELETE FROM audit WHERE seq = 3");
        assert_eq!(t.verify(), Err(Break::Missing { after: 2, next: 4 }));
        // Deleted, and the rest renumbered to hide the gap.
        let t = trail();
        t.tamper(
            "DELETE FROM audit WHERE seq = 3; UPDATE audit SET seq = seq + 100 WHERE seq > 3;
             UPDATE audit SET seq = seq - 101 WHERE seq > 100;",
        );
        assert_eq!(t.verify(), Err(Break::Edited { seq: 3 }));
        // Edited in place.
        let t = trail();
        t.tamper("UPDATE audit SET record_id = 'hh-2' WHERE seq = 2");
        assert_eq!(t.verify(), Err(Break::Edited { seq: 2 }));
        // Edited, with the hash recomputed by someone without the device key.
        let t = trail();
        t.tamper("UPDATE audit SET action = 'export' WHERE seq = 2");
        let forged = t
            .store
            .read(|c| {
                let (prev, at): (Vec<u8>, i64) =
                    c.query_row("SELECT prev_hash, at FROM audit WHERE seq = 2", [], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?;
                Ok(crate::audit::tests_support::hash(
                    2,
                    at,
                    "agen-01",
                    "export",
                    Some("hh-1"),
                    &prev,
                ))
            })
            .unwrap();
        t.store
            .write(|tx| {
                tx.execute("UPDATE audit SET hash = ?1 WHERE seq = 2", [forged])?;
                Ok(())
            })
            .unwrap();
        assert_eq!(t.verify(), Err(Break::BadSignature { seq: 2 }));
        // Reordered: entries 2 and 3 swap places.
        let t = trail();
        t.tamper(
            "UPDATE audit SET seq = -2 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3;
             UPDATE audit SET seq = 3 WHERE seq = -2;",
        );
        assert!(matches!(t.verify(), Err(Break::Edited { seq: 2 })));
        // Inserted: a copy of a genuine, signed entry replayed as a new last entry.
        let t = trail();
        t.tamper(
            "INSERT INTO audit SELECT 6, at, agent_id, action, record_id, prev_hash, hash, signature
             FROM audit WHERE seq = 5",
        );
        assert_eq!(t.verify(), Err(Break::Edited { seq: 6 }));
        // Inserted with its own correct hash but a made-up signature.
        let t = trail();
        let last: Vec<u8> = t
            .store
            .read(|c| Ok(c.query_row("SELECT hash FROM audit WHERE seq = 5", [], |r| r.get(0))?))
            .unwrap();
        let hash = crate::audit::tests_support::hash(6, T0 + 9, "agen-01", "purge", None, &last);
        t.store
            .write(|tx| {
                tx.execute(
                    "INSERT INTO audit VALUES (6, ?1, 'agen-01', 'purge', NULL, ?2, ?3, ?4)",
                    params![T0 + 9, last, hash, vec![0u8; 64]],
                )?;
                Ok(())
            })
            .unwrap();
        assert_eq!(t.verify(), Err(Break::BadSignature { seq: 6 }));
    }
}

mod device_identity {
    use super::super::device::Device;
    use super::*;

    #[test]
    fn the_device_is_made_once_and_opens_only_with_its_platform_secret() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.db");
        let (id, public) = {
            let store = Store::open(&path).unwrap();
            let device = Device::open_or_create(&store, b"keystore").unwrap();
            (device.id.clone(), device.public_key().to_vec())
        };
        let store = Store::open(&path).unwrap();
        let again = Device::open_or_create(&store, b"keystore").unwrap();
        assert_eq!(
            (again.id.as_str(), again.public_key()),
            (id.as_str(), &public[..])
        );
        // The reopened key signs as the first one did.
        let signature = again.key().sign(b"uji");
        ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &public)
            .verify(b"uji", signature.as_ref())
            .unwrap();
        assert!(matches!(
            Device::open_or_create(&store, b"other"),
            Err(Error::Crypto)
        ));
        // The private key is not in the file in clear: the PKCS#8 prefix of an Ed25519 key.
        let raw = std::fs::read(&path).unwrap();
        let wal = std::fs::read(dir.path().join("device.db-wal")).unwrap_or_default();
        let prefix = [
            0x30, 0x53, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
        ];
        for bytes in [raw, wal] {
            assert!(!bytes.windows(prefix.len()).any(|w| w == prefix));
        }
    }
}

mod resident_mode {
    use super::super::device::Device;
    use super::super::resident::Scope;
    use super::*;
    use crate::registration::Registry;
    use crate::sample::Generator;

    #[test]
    fn a_resident_sees_one_household_and_the_agent_needs_the_pin_to_come_back() {
        let f = fixture();
        let store = Arc::new(Store::open(f.dir.path().join("device.db")).unwrap());
        let device = Device::open_or_create(&store, b"keystore").unwrap();
        let agents = f.agents(b"keystore");
        let session = agents.enroll("agen-01", "482913", &RECOVERY).unwrap();
        // Two households registered with the agent's key.
        let registry = Registry::new(store.clone(), session.cipher().unwrap());
        let today = crate::Date::of_unix_millis(crate::date::now_millis());
        let mut generator = Generator::new(7, today);
        let now = crate::date::now_millis();
        let mine = generator
            .household("agen-01", 3, now)
            .register(&registry, now)
            .unwrap();
        let other = generator
            .household("agen-01", 2, now)
            .register(&registry, now)
            .unwrap();
        drop(registry);

        // A household that is not there, or a family not on the list: refused, and the agent
        // keeps the session (it is not lost to an empty resident mode).
        let Err(refused) = session.enter_resident_mode(
            store.clone(),
            &device,
            Scope::Household("tidak-ada".into()),
        ) else {
            panic!("entered for a household that is not there");
        };
        let Err(refused) = refused.session.enter_resident_mode(
            store.clone(),
            &device,
            Scope::Family("DTSEN-x".into()),
        ) else {
            panic!("entered for a family not on the list");
        };
        assert_eq!(
            refused.error.field_errors()[0].code,
            ErrorCode::FamilyNotAssigned
        );
        let session = refused.session;
        assert!(session.cipher().is_ok(), "the agent's session still works");
        let resident = session
            .enter_resident_mode(store.clone(), &device, Scope::Household(mine.clone()))
            .unwrap();
        assert_eq!(resident.household().unwrap().id, mine);
        assert_eq!(resident.scope(), &Scope::Household(mine.clone()));
        // The resident session offers no list, search or cipher: only `household()`, and that
        // is the scoped one. (`other` exists and is not reachable from here.)
        assert_ne!(resident.household().unwrap().id, other);

        // Leaving with a wrong PIN keeps the resident session and counts.
        let (resident, error, refusal) = match resident.leave(&agents, &device, "000000") {
            Err(kept) => (kept.session, kept.error, kept.refusal),
            Ok(_) => panic!("left with a wrong PIN"),
        };
        assert_eq!(error.field_errors()[0].code, ErrorCode::SessionPinWrong);
        assert_eq!(refusal.unwrap().attempts_left, 9);
        assert_eq!(resident.household().unwrap().id, mine);
        let Ok(agent) = resident.leave(&agents, &device, "482913") else {
            panic!("the right PIN must end resident mode");
        };
        let back = Registry::new(store.clone(), agent.cipher().unwrap());
        assert_eq!(back.household_ids().unwrap().len(), 2);

        // Both moves are in the audit trail, which verifies.
        let actions: Vec<String> = store
            .read(|c| {
                let mut stmt = c.prepare("SELECT action FROM audit ORDER BY seq")?;
                let rows = stmt.query_map([], |r| r.get(0))?;
                Ok(rows.collect::<rusqlite::Result<_>>()?)
            })
            .unwrap();
        assert_eq!(actions, vec!["resident_mode_entered", "resident_mode_left"]);
        let intact = store
            .read(|c| crate::audit::verify_chain(c, device.public_key()))
            .unwrap();
        assert_eq!(intact, Ok(2));
    }
}

#[test]
fn unlocks_and_failed_unlocks_are_audited() {
    let f = fixture();
    let store = Store::open(f.dir.path().join("device.db")).unwrap();
    let device = Arc::new(super::device::Device::open_or_create(&store, b"keystore").unwrap());
    let agents = f.agents(b"keystore").with_audit(device.clone());
    agents.enroll("agen-01", "482913", &RECOVERY).unwrap();
    let _ = agents.unlock("agen-01", "000000");
    agents.unlock("agen-01", "482913").unwrap();
    let actions: Vec<(String, String)> = store
        .read(|c| {
            let mut stmt = c.prepare("SELECT agent_id, action FROM audit ORDER BY seq")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .unwrap();
    assert_eq!(
        actions,
        vec![
            ("agen-01".to_owned(), "unlock_failed".to_owned()),
            ("agen-01".to_owned(), "unlock".to_owned())
        ]
    );
    let intact = store
        .read(|c| crate::audit::verify_chain(c, device.public_key()))
        .unwrap();
    assert_eq!(intact, Ok(2));
}

mod shared_phone {
    use super::*;
    use crate::sample::Generator;

    #[test]
    fn two_agents_on_one_phone_see_only_their_own_households() {
        let f = fixture();
        let store = Arc::new(Store::open(f.dir.path().join("device.db")).unwrap());
        // Records are sealed at enqueue: the device makes the holding key they wait under.
        crate::session::device::Device::open_or_create(&store, b"keystore").unwrap();
        let agents = f.agents(b"keystore");
        let a = agents.enroll("agen-a", "111111", &RECOVERY).unwrap();
        let b = agents.enroll("agen-b", "222222", &[9; 32]).unwrap();
        let (reg_a, reg_b) = (
            a.registry(store.clone()).unwrap(),
            b.registry(store.clone()).unwrap(),
        );
        let now = crate::date::now_millis();
        let mut generator = Generator::new(11, crate::Date::of_unix_millis(now));
        let mine = generator
            .household("agen-a", 3, now)
            .register(&reg_a, now)
            .unwrap();
        let theirs = generator
            .household("agen-b", 2, now)
            .register(&reg_b, now)
            .unwrap();
        let draft_b = reg_b
            .start_draft(generator.household("agen-b", 2, now).visit)
            .unwrap();
        assert_eq!(reg_a.household_ids().unwrap(), vec![mine.clone()]);
        assert_eq!(reg_b.household_ids().unwrap(), vec![theirs.clone()]);
        assert!(reg_a.list_drafts().unwrap().is_empty());
        assert_eq!(reg_b.list_drafts().unwrap().len(), 1);
        let out_of_scope = reg_a.household(&theirs).unwrap_err();
        assert_eq!(
            out_of_scope.field_errors()[0].code,
            ErrorCode::SessionOutOfScope
        );
        assert_eq!(
            reg_a.draft(&draft_b).unwrap_err().field_errors()[0].code,
            ErrorCode::DraftNotFound
        );
        assert!(reg_a.discard_draft(&draft_b).is_err());
        assert_eq!(
            reg_b.list_drafts().unwrap().len(),
            1,
            "A cannot discard B's draft"
        );
        // A cannot start a visit in B's name.
        let error = reg_a
            .start_draft(generator.household("agen-b", 2, now).visit)
            .unwrap_err();
        assert_eq!(error.field_errors()[0].code, ErrorCode::SessionOutOfScope);
        // Even bypassing the scope, A's key does not open B's household.
        let unscoped = crate::registration::Registry::new(store.clone(), a.cipher().unwrap());
        assert!(unscoped.household(&theirs).is_err());
        assert!(unscoped.household(&mine).is_ok());
    }
}
