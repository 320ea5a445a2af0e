//! Fault test: a worker process registering households and editing drafts is SIGKILLed at
//! seeded random moments, again and again, on one real SQLite file. After every kill the
//! database must hold every acknowledged change whole, each draft at its last saved step, and
//! nothing partial: no household without all its members, no orphan or missing outbox entry.
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use perlinsos_core::crypt::{Cipher, DataKey};
use perlinsos_core::registration::Registry;
use perlinsos_core::sample::Rng;
use perlinsos_core::store::Store;
use perlinsos_e2e::{draft_digest, TEST_KEY};

const KILLS: usize = 60;
const SEED: u64 = 0x5EED_2026;

/// What the worker has acknowledged, corrected by what the database showed after each kill.
#[derive(Default)]
struct Model {
    /// draft id -> (revision, digest)
    drafts: HashMap<String, (u64, String)>,
    /// household id -> draft id
    households: HashMap<String, String>,
}

enum InFlight {
    None,
    New,
    On(String, String),
}

fn apply(model: &mut Model, lines: &[String]) -> InFlight {
    let mut in_flight = InFlight::None;
    for line in lines {
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            ["BEGIN", "new", _] => in_flight = InFlight::New,
            ["BEGIN", draft, op] => in_flight = InFlight::On(draft.to_string(), op.to_string()),
            ["SAVED", draft, revision, digest] => {
                let revision = revision.parse().unwrap();
                model
                    .drafts
                    .insert(draft.to_string(), (revision, digest.to_string()));
                in_flight = InFlight::None;
            }
            ["SUBMITTED", draft, household] => {
                model.drafts.remove(*draft);
                model
                    .households
                    .insert(household.to_string(), draft.to_string());
                in_flight = InFlight::None;
            }
            ["REFUSED", _] => in_flight = InFlight::None,
            _ => panic!("unexpected worker line: {line}"),
        }
    }
    in_flight
}

fn open(path: &std::path::Path) -> (Arc<Store>, Registry) {
    let store = Arc::new(Store::open(path).unwrap());
    let cipher = Arc::new(Cipher::new(&DataKey::from_bytes(TEST_KEY)).unwrap());
    store.verify_key(&cipher).unwrap();
    (store.clone(), Registry::new(store, cipher))
}

/// Checks the database against the model and the one operation that may or may not have
/// committed; then makes the model agree with the database.
fn verify(path: &std::path::Path, model: &mut Model, in_flight: &InFlight, round: usize) {
    let (store, registry) = open(path);
    let conn = rusqlite::Connection::open(path).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok", "round {round}");

    // Households: every acknowledged one is whole; at most the in-flight submit adds one.
    let ids = registry.household_ids().unwrap();
    for (household, draft) in &model.households {
        assert!(
            ids.contains(household),
            "round {round}: acknowledged household lost"
        );
        assert_eq!(&registry.household(household).unwrap().draft_id, draft);
    }
    let extra: Vec<&String> = ids
        .iter()
        .filter(|id| !model.households.contains_key(*id))
        .collect();
    match (extra.as_slice(), in_flight) {
        ([], _) => {}
        ([household], InFlight::On(draft, op)) if op == "submit" => {
            let found = registry.household(household).unwrap();
            assert_eq!(&found.draft_id, draft, "round {round}");
            model.households.insert((*household).clone(), draft.clone());
            model.drafts.remove(draft);
        }
        _ => panic!("round {round}: unexpected households {extra:?}"),
    }
    for id in &ids {
        let household = registry.household(id).unwrap();
        let (stored_count, rows): (i64, i64) = conn
            .query_row(
                // Members travel in the household's row (core migration 0016): one NIK
                // index of 16 bytes each, beside the sealed members the load above opened.
                "SELECT member_count, length(members_nik_index) / 16 FROM households
                 WHERE id = ?1 AND members_sealed IS NOT NULL",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert!(
            stored_count > 0 && stored_count == rows,
            "round {round}: partial household"
        );
        assert_eq!(household.members.len() as i64, rows);
    }

    // Outbox: exactly one entry per household, none for anything else.
    let outbox = store.read(perlinsos_core::outbox::entries).unwrap();
    let mut entities: Vec<String> = outbox.iter().map(|e| e.entity_id.clone()).collect();
    entities.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(
        entities, expected,
        "round {round}: outbox does not match households"
    );

    // Drafts: each at its last acknowledged save, or one step further if that was in flight.
    let drafts = registry.list_drafts().unwrap();
    for summary in &drafts {
        let draft = registry.draft(&summary.id).unwrap();
        let digest = draft_digest(&draft);
        match model.drafts.get(&summary.id) {
            Some((revision, acked)) if *revision == draft.revision => {
                assert_eq!(acked, &digest, "round {round}: draft content differs");
            }
            Some((revision, _)) => {
                let ok = matches!(in_flight, InFlight::On(d, _) if d == &summary.id)
                    && draft.revision == revision + 1;
                assert!(
                    ok,
                    "round {round}: draft at revision {} not {revision}",
                    draft.revision
                );
            }
            None => assert!(
                matches!(in_flight, InFlight::New) && draft.revision == 1,
                "round {round}: unknown draft"
            ),
        }
        model
            .drafts
            .insert(summary.id.clone(), (draft.revision, digest));
    }
    let present: Vec<&String> = drafts.iter().map(|d| &d.id).collect();
    let lost: Vec<&String> = model
        .drafts
        .keys()
        .filter(|id| !present.contains(id))
        .collect();
    assert!(lost.is_empty(), "round {round}: drafts lost: {lost:?}");
}

#[test]
fn sigkill_at_random_points_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let mut rng = Rng::new(SEED);
    let mut model = Model::default();
    let mut acknowledged_ops = 0;
    let mut killed_mid_operation = 0;
    for round in 0..KILLS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kill_worker"))
            .arg(&path)
            .arg((SEED + round as u64).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<_>>()
        });
        std::thread::sleep(Duration::from_millis(30 + rng.below(400)));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "round {round}: the worker must die by the kill"
        );
        let lines = reader.join().unwrap();
        acknowledged_ops += lines.iter().filter(|l| !l.starts_with("BEGIN")).count();
        let in_flight = apply(&mut model, &lines);
        if !matches!(in_flight, InFlight::None) {
            killed_mid_operation += 1;
        }
        verify(&path, &mut model, &in_flight, round);
    }
    println!(
        "{KILLS} kills ({killed_mid_operation} mid-operation), {acknowledged_ops} acknowledged \
         operations, {} households, {} drafts",
        model.households.len(),
        model.drafts.len()
    );
    assert!(acknowledged_ops > KILLS * 5, "the worker barely ran");
    assert!(
        killed_mid_operation > KILLS / 2,
        "kills rarely hit an operation"
    );
    assert!(
        !model.households.is_empty(),
        "no household was ever submitted"
    );
}
