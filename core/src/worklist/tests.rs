use super::*;
use crate::crypt::DataKey;
use crate::date::Date;

const AGENT: &str = "agen-01";
const NOW: Millis = 1_796_083_200_000; // 2026-12-01

fn setup() -> (tempfile::TempDir, Arc<Store>, Arc<Cipher>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("w.db")).unwrap());
    let cipher = Arc::new(Cipher::new(&DataKey::from_bytes([9; 32])).unwrap());
    (dir, store, cipher)
}

fn families(count: usize) -> Vec<Family> {
    crate::sample::families(
        7,
        count,
        &["52.71.01.1004", "52.71.02.1001"],
        Date::of_unix_millis(NOW),
    )
}

fn load(
    store: &Store,
    cipher: &Cipher,
    agent: &str,
    families: &[Family],
    withdrawn: &[String],
) -> Result<()> {
    store.write(|tx| apply(tx, cipher, agent, families, withdrawn, NOW))
}

#[test]
fn families_are_found_by_nik_kk_name_place_and_status() {
    let (_dir, store, cipher) = setup();
    let all = families(40);
    load(&store, &cipher, AGENT, &all, &[]).unwrap();
    let list = Worklist::new(store.clone(), cipher.clone(), AGENT);
    assert_eq!(list.count().unwrap(), 40);

    let target = &all[17];
    let nik = &target.members.last().unwrap().nik;
    let found = list.find_number(nik).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].family_id, target.id);
    assert_eq!(
        list.find_number(&target.kk).unwrap()[0].family_id,
        target.id
    );
    assert!(list.find_number("5271010101010001").unwrap().is_empty());

    // A prefix of the last word of a member's name, typed in capitals.
    let word = search::words(&target.members[0].name).pop().unwrap();
    let typed: String = word.chars().take(3).collect::<String>().to_uppercase();
    let by_name = list.find_name(&typed, 50).unwrap();
    assert!(by_name.iter().any(|e| e.family_id == target.id));
    for entry in &by_name {
        let (_, family) = list.family(&entry.family_id).unwrap().unwrap();
        assert!(family
            .members
            .iter()
            .any(|m| search::matches(&m.name, &typed)));
    }
    assert!(list.find_name("x", 50).unwrap().is_empty());

    let place = Filter {
        kelurahan_code: Some(target.kelurahan_code.clone()),
        rw: Some(target.rw),
        rt: Some(target.rt),
        status: None,
    };
    let here = list.list(&place, 0, 100).unwrap();
    assert!(here.iter().any(|e| e.family_id == target.id));
    assert!(here.iter().all(|e| e.rt == target.rt && e.rw == target.rw));

    list.set_status(&target.id, VisitStatus::KunjungiUlang)
        .unwrap();
    let revisit = Filter {
        status: Some(VisitStatus::KunjungiUlang),
        ..Filter::default()
    };
    let again = list.list(&revisit, 0, 100).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].status, VisitStatus::KunjungiUlang);
    let refused = list
        .set_status("DTSEN-not-mine", VisitStatus::Dikunjungi)
        .unwrap_err();
    assert_eq!(refused.field_errors()[0].code, ErrorCode::FamilyNotAssigned);
}

#[test]
fn a_newer_version_replaces_and_withdrawn_families_go() {
    let (_dir, store, cipher) = setup();
    let mut all = families(5);
    load(&store, &cipher, AGENT, &all, &[]).unwrap();
    let list = Worklist::new(store.clone(), cipher.clone(), AGENT);
    let old_name = all[0].members[0].name.clone();

    all[0].version = 2;
    all[0].members[0].name = "Zainul Wiranata Baru".to_owned();
    // The same delta twice (a crash before the cursor moved) and an older version after it.
    load(&store, &cipher, AGENT, &all[..1], &[]).unwrap();
    load(&store, &cipher, AGENT, &all[..1], &[]).unwrap();
    let mut stale = all[0].clone();
    stale.version = 1;
    stale.members[0].name = old_name.clone();
    load(&store, &cipher, AGENT, &[stale], &[]).unwrap();
    let (entry, family) = list.family(&all[0].id).unwrap().unwrap();
    assert_eq!(entry.version, 2);
    assert_eq!(family.members[0].name, "Zainul Wiranata Baru");
    assert!(list
        .find_name("baru", 10)
        .unwrap()
        .iter()
        .any(|e| e.family_id == all[0].id));
    // The old name's keys went with the old version (unless another member has that name).
    let still = family
        .members
        .iter()
        .any(|m| search::matches(&m.name, &old_name));
    let by_old = list.find_name(&old_name, 10).unwrap();
    assert_eq!(by_old.iter().any(|e| e.family_id == all[0].id), still);
    load(&store, &cipher, AGENT, &[], &[all[1].id.clone()]).unwrap();
    assert_eq!(list.count().unwrap(), 4);
    assert!(list.family(&all[1].id).unwrap().is_none());
    let orphan_keys: i64 = store
        .read(|c| {
            Ok(c.query_row(
                "SELECT count(*) FROM worklist_keys WHERE family NOT IN (SELECT id FROM worklist_families)",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(orphan_keys, 0);
}

fn answers_of(list: &Worklist, id: &str) -> (u32, u32, perlinsos_rules::pmt::Answers) {
    let (entry, family) = list.family(id).unwrap().unwrap();
    assert_eq!(entry.version, family.version);
    (family.version, family.revision, family.pmt_answers)
}

fn with_motorbikes(family: &Family, version: u32, revision: u32, bikes: f64) -> Family {
    let mut f = family.clone();
    f.version = version;
    f.revision = revision;
    f.pmt_answers.insert(
        "sepeda_motor".into(),
        perlinsos_rules::pmt::Answer::Number(bikes),
    );
    f
}

#[test]
fn the_districts_revisions_order_updates_within_a_version() {
    let (_dir, store, cipher) = setup();
    let all = families(3);
    load(&store, &cipher, AGENT, &all, &[]).unwrap();
    let list = Worklist::new(store.clone(), cipher.clone(), AGENT);
    let id = all[0].id.clone();
    list.set_status(&id, VisitStatus::Dikunjungi).unwrap();
    let bikes = |n: f64| perlinsos_rules::pmt::Answer::Number(n);

    // Revision 2 of version 1 (a visit's answers): applied, in place, status kept.
    load(
        &store,
        &cipher,
        AGENT,
        &[with_motorbikes(&all[0], 1, 2, 3.0)],
        &[],
    )
    .unwrap();
    let (version, revision, answers) = answers_of(&list, &id);
    assert_eq!((version, revision), (1, 2));
    assert_eq!(answers.get("sepeda_motor"), Some(&bikes(3.0)));
    assert_eq!(list.count().unwrap(), 3);
    assert_eq!(
        list.family(&id).unwrap().unwrap().0.status,
        VisitStatus::Dikunjungi
    );
    // An older revision (a late page, or the original) changes nothing; nor does the same one.
    load(
        &store,
        &cipher,
        AGENT,
        &[with_motorbikes(&all[0], 1, 1, 7.0)],
        &[],
    )
    .unwrap();
    load(&store, &cipher, AGENT, &[all[0].clone()], &[]).unwrap();
    load(
        &store,
        &cipher,
        AGENT,
        &[with_motorbikes(&all[0], 1, 2, 8.0)],
        &[],
    )
    .unwrap();
    assert_eq!(
        answers_of(&list, &id).2.get("sepeda_motor"),
        Some(&bikes(3.0))
    );
    // A newer revision is applied.
    load(
        &store,
        &cipher,
        AGENT,
        &[with_motorbikes(&all[0], 1, 3, 4.0)],
        &[],
    )
    .unwrap();
    assert_eq!(answers_of(&list, &id).1, 3);
    // A newer extract version at revision 0 beats every revision of the older one, which
    // then cannot come back.
    load(
        &store,
        &cipher,
        AGENT,
        &[with_motorbikes(&all[0], 2, 0, 5.0)],
        &[],
    )
    .unwrap();
    load(
        &store,
        &cipher,
        AGENT,
        &[with_motorbikes(&all[0], 1, 9, 6.0)],
        &[],
    )
    .unwrap();
    let (version, revision, answers) = answers_of(&list, &id);
    assert_eq!((version, revision), (2, 0));
    assert_eq!(answers.get("sepeda_motor"), Some(&bikes(5.0)));
    let (rows, revision_column): (i64, i64) = store
        .read(|c| {
            Ok(c.query_row(
                "SELECT count(*), max(revision) FROM worklist_families WHERE family_id = ?1",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .unwrap();
    assert_eq!((rows, revision_column), (1, 0));
}

#[test]
fn a_delta_against_the_rules_changes_nothing() {
    let (_dir, store, cipher) = setup();
    let mut all = families(3);
    all[2].members[0].nik = "12345".to_owned();
    let refused = load(&store, &cipher, AGENT, &all, &[]).unwrap_err();
    assert_eq!(
        refused.field_errors()[0].code,
        ErrorCode::WorklistChangeInvalid
    );
    assert_eq!(Worklist::new(store, cipher, AGENT).count().unwrap(), 0);
}

#[test]
fn agents_see_only_their_own_list_and_nothing_is_in_clear() {
    let (dir, store, cipher) = setup();
    let all = families(6);
    load(&store, &cipher, AGENT, &all[..3], &[]).unwrap();
    load(&store, &cipher, "agen-02", &all[3..], &[]).unwrap();
    let mine = Worklist::new(store.clone(), cipher.clone(), AGENT);
    assert_eq!(mine.count().unwrap(), 3);
    assert!(mine.find_number(&all[4].kk).unwrap().is_empty());
    assert!(mine.family(&all[4].id).unwrap().is_none());
    store.checkpoint().unwrap();
    let bytes = std::fs::read(dir.path().join("w.db")).unwrap();
    for family in &all {
        for needle in [family.kk.as_bytes(), family.members[0].nik.as_bytes()] {
            assert!(!bytes.windows(needle.len()).any(|w| w == needle));
        }
        for word in search::words(&family.members[0].name) {
            if word.len() >= 5 {
                assert!(
                    !bytes.windows(word.len()).any(|w| w == word.as_bytes()),
                    "{word}"
                );
            }
        }
    }
}
