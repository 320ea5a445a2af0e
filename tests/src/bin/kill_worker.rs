//! Registers households and edits drafts, forever, until the fault test SIGKILLs it.
//!
//! Protocol on stdout, one line each, flushed: `BEGIN <draft|new> <op>` before an operation,
//! then `SAVED <draft> <revision> <digest>`, `SUBMITTED <draft> <household>` or
//! `REFUSED <draft>` once it has committed (or been refused, changing nothing).
use std::io::Write;
use std::sync::Arc;

use perlinsos_core::crypt::{Cipher, DataKey};
use perlinsos_core::date::now_millis;
use perlinsos_core::registration::{validate, Consent, IkdStatus, Registry};
use perlinsos_core::sample::Generator;
use perlinsos_core::store::Store;
use perlinsos_core::{Date, Error};
use perlinsos_e2e::{draft_digest, TEST_KEY};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (path, seed) = match (args.get(1), args.get(2).and_then(|s| s.parse::<u64>().ok())) {
        (Some(path), Some(seed)) => (path.clone(), seed),
        _ => {
            eprintln!("usage: kill-worker DB SEED");
            std::process::exit(2);
        }
    };
    let store = Arc::new(Store::open(&path).expect("open store"));
    // The device's holding key: submitted households are sealed for it at once.
    perlinsos_core::session::device::Device::open_or_create(&store, b"keystore").expect("device");
    let cipher = Arc::new(Cipher::new(&DataKey::from_bytes(TEST_KEY)).expect("cipher"));
    store.verify_key(&cipher).expect("key");
    let registry = Registry::new(store, cipher);
    let mut generator = Generator::new(seed, Date::today());
    let mut out = std::io::stdout().lock();
    let mut say = |line: String| {
        writeln!(out, "{line}").expect("stdout");
        out.flush().expect("flush");
    };

    for _ in 0..100_000 {
        let drafts = registry.list_drafts().expect("list drafts");
        let sample = generator.household("agen-kill", 6, now_millis());
        let choice = generator.rng().below(100);
        if drafts.len() < 2 || choice < 6 {
            say("BEGIN new start".into());
            let id = registry.start_draft(sample.visit.clone()).expect("start");
            let draft = registry.draft(&id).expect("load");
            say(format!(
                "SAVED {id} {} {}",
                draft.revision,
                draft_digest(&draft)
            ));
            continue;
        }
        let pick = generator.rng().below(drafts.len() as u64) as usize;
        let id = drafts[pick].id.clone();
        let draft = registry.draft(&id).expect("load");
        let target_members = 1 + (seed as usize + id.len() + id.as_bytes()[0] as usize) % 5;
        let visit_day = Date::of_unix_millis(draft.visit.started_at);
        let adult_without_ikd = draft
            .members
            .iter()
            .find(|m| validate::is_adult(&m.input, visit_day) && !draft.ikd.contains_key(&m.id));
        let (op, result) = if draft.household.is_none() {
            say(format!("BEGIN {id} household"));
            (
                "household",
                registry.set_household(&id, sample.household.clone()),
            )
        } else if draft.members.is_empty() {
            say(format!("BEGIN {id} head"));
            (
                "head",
                registry
                    .put_member(&id, None, sample.members[0].clone())
                    .map(drop),
            )
        } else if choice < 25 && draft.members.len() > 1 {
            let victim = draft
                .members
                .last()
                .map(|m| m.id.clone())
                .unwrap_or_default();
            say(format!("BEGIN {id} remove"));
            ("remove", registry.remove_member(&id, &victim))
        } else if choice < 35 {
            let mut edited = draft.members[0].input.clone();
            edited.occupation = format!("Pekerjaan {}", generator.rng().below(1000));
            say(format!("BEGIN {id} edit"));
            let member = draft.members[0].id.clone();
            (
                "edit",
                registry.put_member(&id, Some(&member), edited).map(drop),
            )
        } else if draft.members.len() < target_members {
            let child = sample.members[2 + draft.members.len() % 4].clone();
            say(format!("BEGIN {id} member"));
            ("member", registry.put_member(&id, None, child).map(drop))
        } else if draft.consent.is_none() {
            say(format!("BEGIN {id} consent"));
            let consent = Consent {
                given_by: draft.members[0].id.clone(),
                given_at: now_millis(),
                notice_version: "PDP-2026.1".into(),
            };
            ("consent", registry.set_consent(&id, consent))
        } else if let Some(member) = adult_without_ikd {
            say(format!("BEGIN {id} ikd"));
            (
                "ikd",
                registry.set_ikd(&id, &member.id, IkdStatus::DibantuAktivasi),
            )
        } else {
            say(format!("BEGIN {id} submit"));
            match registry.submit(&id) {
                Ok(household) => {
                    say(format!("SUBMITTED {id} {household}"));
                    continue;
                }
                Err(error) => ("submit", Err(error)),
            }
        };
        match result {
            Ok(()) => {
                let draft = registry.draft(&id).expect("reload");
                say(format!(
                    "SAVED {id} {} {}",
                    draft.revision,
                    draft_digest(&draft)
                ));
            }
            Err(Error::Invalid(_)) => say(format!("REFUSED {id}")),
            Err(other) => panic!("{op} failed: {other}"),
        }
    }
}
