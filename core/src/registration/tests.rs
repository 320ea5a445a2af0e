use std::sync::Arc;

use super::*;
use crate::crypt::{Cipher, DataKey};
use crate::identity::Sex;
use crate::sample::Generator;

/// 2026-11-28 10:00 WITA.
fn now() -> Millis {
    Date::new(2026, 11, 28).unwrap().days_since_epoch() * 86_400_000 + 2 * 3_600_000
}

struct Fixture {
    _dir: tempfile::TempDir,
    registry: Registry,
    generator: Generator,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("device.db")).unwrap());
    // Records are sealed at enqueue: the device makes the holding key they wait under.
    crate::session::device::Device::open_or_create(&store, b"keystore").unwrap();
    let cipher = Arc::new(Cipher::new(&DataKey::from_bytes([3; 32])).unwrap());
    store.verify_key(&cipher).unwrap();
    Fixture {
        _dir: dir,
        registry: Registry::with_clock(store, cipher, Arc::new(now)),
        generator: Generator::new(42, Date::new(2026, 11, 28).unwrap()),
    }
}

fn codes(error: &Error) -> Vec<(String, ErrorCode)> {
    error
        .field_errors()
        .iter()
        .map(|e| (e.field.clone(), e.code))
        .collect()
}

#[test]
fn full_flow_registers_household_with_outbox_entry_and_removes_draft() {
    let mut f = fixture();
    let sample = f.generator.household("agen-01", 5, now());
    let id = sample.register(&f.registry, now()).unwrap();
    let household = f.registry.household(&id).unwrap();
    assert_eq!(household.kk, sample.household.kk);
    assert_eq!(household.address, sample.household.address);
    assert_eq!(household.visit, sample.visit);
    let inputs: Vec<_> = household.members.iter().map(|m| m.input.clone()).collect();
    assert_eq!(inputs, sample.members);
    assert_eq!(household.head_member_id, household.members[0].id);
    assert_eq!(household.members[0].ikd, Some(IkdStatus::PerluKeDukcapil));
    assert_eq!(household.members[4].ikd, None, "a child has no IKD status");
    assert!(f.registry.list_drafts().unwrap().is_empty());
    let outbox = f.registry.store.read(crate::outbox::entries).unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].entity_id, id);
    assert_eq!(outbox[0].kind, "household.registered");
    assert_eq!(
        f.registry
            .find_household_by_nik(&sample.members[2].nik)
            .unwrap(),
        Some(id)
    );
}

#[test]
fn bad_input_changes_nothing() {
    let mut f = fixture();
    let sample = f.generator.household("agen-01", 3, now());
    let draft = f.registry.start_draft(sample.visit.clone()).unwrap();
    f.registry
        .set_household(&draft, sample.household.clone())
        .unwrap();
    let before = f.registry.draft(&draft).unwrap();
    let mut bad = sample.members[0].clone();
    bad.nik = "12345".into();
    let error = f.registry.put_member(&draft, None, bad).unwrap_err();
    assert_eq!(
        codes(&error),
        vec![("members[0].nik".into(), ErrorCode::NikLength)]
    );
    let mut bad_household = sample.household.clone();
    bad_household.address.rt = 0;
    assert!(f.registry.set_household(&draft, bad_household).is_err());
    assert_eq!(f.registry.draft(&draft).unwrap(), before);
}

#[test]
fn sex_and_birth_date_must_agree_with_nik_and_the_error_says_which() {
    let mut f = fixture();
    let sample = f.generator.household("agen-01", 2, now());
    let draft = f.registry.start_draft(sample.visit.clone()).unwrap();
    let mut wrong_sex = sample.members[0].clone();
    wrong_sex.sex = Sex::P;
    assert_eq!(
        codes(&f.registry.put_member(&draft, None, wrong_sex).unwrap_err()),
        vec![("members[0].sex".into(), ErrorCode::SexMismatchNik)]
    );
    let mut wrong_date = sample.members[0].clone();
    wrong_date.birth_date =
        Date::from_days_since_epoch(wrong_date.birth_date.days_since_epoch() + 1);
    assert_eq!(
        codes(&f.registry.put_member(&draft, None, wrong_date).unwrap_err()),
        vec![(
            "members[0].birth_date".into(),
            ErrorCode::BirthDateMismatchNik
        )]
    );
}

#[test]
fn names_allow_single_words_apostrophes_hyphens_dots_and_non_ascii() {
    let mut f = fixture();
    let sample = f.generator.household("agen-01", 1, now());
    let draft = f.registry.start_draft(sample.visit.clone()).unwrap();
    for name in [
        "Sukarni",
        "Ma'ruf Amin",
        "Nur-Aini",
        "H. Lalu M. Zaini, S.Pd.",
        "Zahrā Ṣāliḥ",
        "Ni Luh Ayu",
    ] {
        let mut member = sample.members[0].clone();
        member.full_name = name.into();
        f.registry.put_member(&draft, None, member).unwrap();
    }
    for (name, code) in [
        ("", ErrorCode::NameEmpty),
        ("   ", ErrorCode::NameEmpty),
        ("Agus 2", ErrorCode::NameInvalidCharacter),
        ("...", ErrorCode::NameInvalidCharacter),
        ("Budi\u{0}", ErrorCode::NameInvalidCharacter),
    ] {
        let mut member = sample.members[0].clone();
        member.full_name = name.into();
        let error = f.registry.put_member(&draft, None, member).unwrap_err();
        assert_eq!(codes(&error)[0].1, code, "{name:?}");
    }
    let mut member = sample.members[0].clone();
    member.full_name = "A".repeat(101);
    assert_eq!(
        codes(&f.registry.put_member(&draft, None, member).unwrap_err())[0].1,
        ErrorCode::NameTooLong
    );
}

#[test]
fn nik_in_another_household_is_refused_naming_only_that_household() {
    let mut f = fixture();
    let first = f.generator.household("agen-01", 3, now());
    let first_id = first.register(&f.registry, now()).unwrap();
    let mut second = f.generator.household("agen-01", 3, now());
    second.members[2] = first.members[2].clone();
    second.members[2].relation = Relation::Anak;
    let error = second.register(&f.registry, now()).unwrap_err();
    let errors = error.field_errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "members[2].nik");
    assert_eq!(errors[0].code, ErrorCode::NikRegisteredElsewhere);
    assert!(errors[0].message.contains(&first_id));
    let text = format!("{error} {error:?}");
    assert!(!text.contains(&first.members[2].nik));
    assert!(!text.contains(&first.members[2].full_name));
    assert_eq!(f.registry.household_ids().unwrap(), vec![first_id]);
    assert_eq!(
        f.registry.list_drafts().unwrap().len(),
        1,
        "the draft is kept for correction"
    );
}

#[test]
fn kk_registered_twice_is_refused() {
    let mut f = fixture();
    let first = f.generator.household("agen-01", 2, now());
    let first_id = first.register(&f.registry, now()).unwrap();
    let mut second = f.generator.household("agen-01", 2, now());
    second.household.kk = first.household.kk.clone();
    let error = second.register(&f.registry, now()).unwrap_err();
    assert_eq!(
        codes(&error),
        vec![("household.kk".into(), ErrorCode::KkRegisteredElsewhere)]
    );
    assert!(error.field_errors()[0].message.contains(&first_id));
}

#[test]
fn whole_household_rules_are_checked_on_submit() {
    let mut f = fixture();
    let sample = f.generator.household("agen-01", 3, now());
    let draft = f.registry.start_draft(sample.visit.clone()).unwrap();
    let error = f.registry.submit(&draft).unwrap_err();
    assert_eq!(
        codes(&error),
        vec![
            ("household".into(), ErrorCode::StepMissing),
            ("members".into(), ErrorCode::NoMembers),
            ("consent".into(), ErrorCode::ConsentMissing),
        ]
    );
    f.registry
        .set_household(&draft, sample.household.clone())
        .unwrap();
    let head = f
        .registry
        .put_member(&draft, None, sample.members[0].clone())
        .unwrap();
    let mut second_head = sample.members[1].clone();
    second_head.relation = Relation::KepalaKeluarga;
    let wife = f
        .registry
        .put_member(&draft, None, second_head.clone())
        .unwrap();
    let child = f
        .registry
        .put_member(&draft, None, sample.members[2].clone())
        .unwrap();
    let error = f.registry.submit(&draft).unwrap_err();
    assert!(codes(&error).contains(&("members".into(), ErrorCode::HeadMultiple)));
    assert!(codes(&error).contains(&("members[0].ikd".into(), ErrorCode::IkdStatusMissing)));
    second_head.relation = Relation::Istri;
    f.registry
        .put_member(&draft, Some(&wife), second_head)
        .unwrap();
    // A child can neither consent nor hold an IKD status.
    let consent = |by: &str| Consent {
        given_by: by.into(),
        given_at: now(),
        notice_version: "PDP-2026.1".into(),
    };
    assert_eq!(
        codes(&f.registry.set_consent(&draft, consent(&child)).unwrap_err()),
        vec![("consent.given_by".into(), ErrorCode::ConsentGiverInvalid)]
    );
    assert_eq!(
        codes(
            &f.registry
                .set_ikd(&draft, &child, IkdStatus::SudahAktif)
                .unwrap_err()
        ),
        vec![("ikd".into(), ErrorCode::IkdNotAdult)]
    );
    f.registry.set_consent(&draft, consent(&wife)).unwrap();
    f.registry
        .set_ikd(&draft, &head, IkdStatus::SudahAktif)
        .unwrap();
    let error = f.registry.submit(&draft).unwrap_err();
    assert_eq!(
        codes(&error),
        vec![("members[1].ikd".into(), ErrorCode::IkdStatusMissing)]
    );
    f.registry
        .set_ikd(&draft, &wife, IkdStatus::TidakPunyaHp)
        .unwrap();
    let id = f.registry.submit(&draft).unwrap();
    assert_eq!(
        f.registry.submit(&draft).unwrap(),
        id,
        "a repeated submit is idempotent"
    );
    assert_eq!(f.registry.household_ids().unwrap().len(), 1);
    assert_eq!(
        f.registry.store.read(crate::outbox::entries).unwrap().len(),
        1
    );
}

#[test]
fn duplicate_nik_inside_one_household_is_refused() {
    let mut f = fixture();
    let mut sample = f.generator.household("agen-01", 3, now());
    sample.members[2] = sample.members[1].clone();
    sample.members[2].relation = Relation::Anak;
    let error = sample.register(&f.registry, now()).unwrap_err();
    assert_eq!(
        codes(&error),
        vec![("members[2].nik".into(), ErrorCode::NikDuplicateInHousehold)]
    );
}

#[test]
fn removing_a_member_drops_their_ikd_and_consent() {
    let mut f = fixture();
    let sample = f.generator.household("agen-01", 2, now());
    let draft = f.registry.start_draft(sample.visit.clone()).unwrap();
    f.registry
        .put_member(&draft, None, sample.members[0].clone())
        .unwrap();
    let wife = f
        .registry
        .put_member(&draft, None, sample.members[1].clone())
        .unwrap();
    f.registry
        .set_ikd(&draft, &wife, IkdStatus::SudahAktif)
        .unwrap();
    f.registry
        .set_consent(
            &draft,
            Consent {
                given_by: wife.clone(),
                given_at: now(),
                notice_version: "PDP-2026.1".into(),
            },
        )
        .unwrap();
    f.registry.remove_member(&draft, &wife).unwrap();
    let saved = f.registry.draft(&draft).unwrap();
    assert_eq!(saved.members.len(), 1);
    assert!(saved.ikd.is_empty());
    assert!(saved.consent.is_none());
    assert_eq!(saved.step, Step::Members);
}

#[test]
fn drafts_resume_at_their_step_after_reopening_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let mut generator = Generator::new(7, Date::new(2026, 11, 28).unwrap());
    let sample = generator.household("agen-01", 2, now());
    let open = || {
        let store = Arc::new(Store::open(&path).unwrap());
        // Records are sealed at enqueue: the device makes the holding key they wait under.
        crate::session::device::Device::open_or_create(&store, b"keystore").unwrap();
        let cipher = Arc::new(Cipher::new(&DataKey::from_bytes([3; 32])).unwrap());
        Registry::with_clock(store, cipher, Arc::new(now))
    };
    let draft = {
        let registry = open();
        let draft = registry.start_draft(sample.visit.clone()).unwrap();
        registry
            .set_household(&draft, sample.household.clone())
            .unwrap();
        registry
            .put_member(&draft, None, sample.members[0].clone())
            .unwrap();
        draft
    };
    let registry = open();
    let summaries = registry.list_drafts().unwrap();
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0].id, draft);
    assert_eq!(summaries[0].step, Step::Members);
    assert_eq!(summaries[0].revision, 3);
    assert_eq!(
        summaries[0].head_name.as_deref(),
        Some(sample.members[0].full_name.as_str())
    );
    assert_eq!(
        registry.draft(&draft).unwrap().household,
        Some(sample.household)
    );
}

#[test]
fn a_store_refuses_a_different_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("device.db")).unwrap();
    let right = Cipher::new(&DataKey::from_bytes([1; 32])).unwrap();
    let wrong = Cipher::new(&DataKey::from_bytes([2; 32])).unwrap();
    store.verify_key(&right).unwrap();
    store.verify_key(&right).unwrap();
    assert!(matches!(store.verify_key(&wrong), Err(Error::Crypto)));
}

#[test]
fn visit_fields_are_validated() {
    let f = fixture();
    let visit = Visit {
        agent_id: " ".into(),
        kelurahan_code: "52.71.01.9999".into(),
        rt: 0,
        rw: 1000,
        started_at: now() + 86_400_000,
        gps: Some(Gps {
            latitude: f64::NAN,
            longitude: 116.1,
            accuracy_m: 5.0,
        }),
    };
    let error = f.registry.start_draft(visit).unwrap_err();
    assert_eq!(
        codes(&error),
        vec![
            ("visit.agent_id".into(), ErrorCode::AgentMissing),
            ("visit.kelurahan_code".into(), ErrorCode::KelurahanUnknown),
            ("visit.rt".into(), ErrorCode::RtRwInvalid),
            ("visit.rw".into(), ErrorCode::RtRwInvalid),
            ("visit.started_at".into(), ErrorCode::TimeInvalid),
            ("visit.gps".into(), ErrorCode::GpsInvalid),
        ]
    );
    assert!(f.registry.list_drafts().unwrap().is_empty());
}

#[test]
fn register_complete_writes_one_household_in_one_step() {
    let mut f = fixture();
    let sample = f.generator.household("agen-01", 5, now());
    let id = f
        .registry
        .register_complete(
            sample.visit.clone(),
            sample.household.clone(),
            sample.members.clone(),
            0,
            "PDP-2026.1",
            &[(0, IkdStatus::SudahAktif), (1, IkdStatus::DibantuAktivasi)],
        )
        .unwrap();
    assert_eq!(f.registry.household(&id).unwrap().members.len(), 5);
    let again = f.registry.register_complete(
        sample.visit.clone(),
        sample.household.clone(),
        sample.members.clone(),
        0,
        "PDP-2026.1",
        &[(0, IkdStatus::SudahAktif), (1, IkdStatus::DibantuAktivasi)],
    );
    assert!(again.is_err());
    assert_eq!(f.registry.household_ids().unwrap().len(), 1);
}

mod pmt_step {
    use super::*;
    use crate::pmt::{model::Model, Answer, Answers, Preview};

    fn ppi_2022() -> Model {
        serde_json::from_str(include_str!("../../models/ppi-indonesia-2022.json")).unwrap()
    }

    fn yes_no_answers() -> Answers {
        [
            ("tabungan", "B"),
            ("lantai", "C"),
            ("daging", "B"),
            ("nasi_jadi", "B"),
            ("perawatan_pakaian", "A"),
            ("bensin", "A"),
            ("kulkas", "B"),
            ("mobil", "B"),
        ]
        .into_iter()
        .map(|(q, a)| (q.to_owned(), Answer::Choice(a.to_owned())))
        .collect()
    }

    /// A draft with household and members, ready for the PMT step; returns (draft id, member ids).
    fn ready_draft(
        f: &mut Fixture,
        size: usize,
    ) -> (String, Vec<String>, crate::sample::SampleHousehold) {
        let sample = f.generator.household("agen-01", size, now());
        let draft = f.registry.start_draft(sample.visit.clone()).unwrap();
        f.registry
            .set_household(&draft, sample.household.clone())
            .unwrap();
        let ids = sample
            .members
            .iter()
            .map(|m| f.registry.put_member(&draft, None, m.clone()).unwrap())
            .collect();
        (draft, ids, sample)
    }

    fn finish(f: &Fixture, draft: &str, ids: &[String], sample: &crate::sample::SampleHousehold) {
        f.registry
            .set_consent(
                draft,
                Consent {
                    given_by: ids[0].clone(),
                    given_at: now(),
                    notice_version: "PDP-2026.1".into(),
                },
            )
            .unwrap();
        let day = Date::of_unix_millis(sample.visit.started_at);
        for (id, m) in ids.iter().zip(&sample.members) {
            if validate::is_adult(m, day) {
                f.registry
                    .set_ikd(draft, id, IkdStatus::SudahAktif)
                    .unwrap();
            }
        }
    }

    #[test]
    fn answers_model_and_preview_are_registered_with_the_household() {
        let mut f = fixture();
        let (draft, ids, sample) = ready_draft(&mut f, 5);
        let model = ppi_2022();
        let preview = f
            .registry
            .set_pmt(&draft, &model, yes_no_answers())
            .unwrap();
        let Preview::Scorecard { score, .. } = &preview else {
            panic!("scorecard expected");
        };
        // Derived from the draft: NTB (52) and five members (option E).
        let saved = f.registry.draft(&draft).unwrap().pmt.unwrap();
        assert_eq!(saved.answers["provinsi"], Answer::Choice("52".into()));
        assert_eq!(saved.answers["jumlah_anggota"], Answer::Choice("E".into()));
        assert_eq!(
            (saved.model_id.as_str(), saved.model_version),
            ("ppi-indonesia-2022", 1)
        );
        finish(&f, &draft, &ids, &sample);
        let id = f.registry.submit(&draft).unwrap();
        let household = f.registry.household(&id).unwrap();
        let pmt = household.pmt.expect("pmt registered");
        assert_eq!(pmt.preview, preview);
        assert_eq!(pmt.answers, saved.answers);
        let Preview::Scorecard { score: again, .. } =
            crate::pmt::preview(&model, &pmt.answers).unwrap()
        else {
            panic!("kind");
        };
        assert_eq!(again, *score, "stored answers reproduce the preview");
        // The model is in clear for the district; the answers are sealed.
        let (model_id, version, sealed): (String, i64, Vec<u8>) = f
            .registry
            .store
            .read(|c| {
                Ok(c.query_row(
                    "SELECT pmt_model_id, pmt_model_version, pmt FROM households WHERE id = ?1",
                    [&id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )?)
            })
            .unwrap();
        assert_eq!((model_id.as_str(), version), ("ppi-indonesia-2022", 1));
        assert!(!String::from_utf8_lossy(&sealed).contains("tabungan"));
    }

    #[test]
    fn a_model_out_of_its_region_or_dates_is_refused_whoever_passes_it() {
        let mut f = fixture();
        let (draft, _, _) = ready_draft(&mut f, 3);
        let before = f.registry.draft(&draft).unwrap();
        let mut elsewhere = ppi_2022();
        elsewhere.region.provinces = vec!["31".into()];
        elsewhere.region.kabupaten = vec![];
        let mut expired = ppi_2022();
        expired.effective_until = Some(Date::parse_iso("2020-12-31").unwrap());
        for (model, code) in [
            (elsewhere, ErrorCode::PmtModelOutOfRegion),
            (expired, ErrorCode::PmtModelExpired),
        ] {
            let error = f
                .registry
                .set_pmt(&draft, &model, yes_no_answers())
                .unwrap_err();
            assert_eq!(codes(&error), vec![("model".to_owned(), code)], "{code:?}");
        }
        assert_eq!(f.registry.draft(&draft).unwrap(), before, "nothing saved");
    }

    #[test]
    fn invalid_answers_are_refused_and_save_nothing() {
        let mut f = fixture();
        let (draft, _, _) = ready_draft(&mut f, 3);
        let before = f.registry.draft(&draft).unwrap();
        let mut answers = yes_no_answers();
        answers.remove("lantai");
        answers.insert("kulkas".into(), Answer::Choice("Z".into()));
        let error = f
            .registry
            .set_pmt(&draft, &ppi_2022(), answers)
            .unwrap_err();
        let mut got = codes(&error);
        got.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            got,
            vec![
                ("answers.kulkas".into(), ErrorCode::PmtOptionUnknown),
                ("answers.lantai".into(), ErrorCode::PmtAnswerMissing)
            ]
        );
        assert_eq!(f.registry.draft(&draft).unwrap(), before);
    }

    #[test]
    fn pmt_needs_household_and_members_first() {
        let mut f = fixture();
        let sample = f.generator.household("agen-01", 2, now());
        let draft = f.registry.start_draft(sample.visit.clone()).unwrap();
        let error = f
            .registry
            .set_pmt(&draft, &ppi_2022(), yes_no_answers())
            .unwrap_err();
        assert_eq!(
            codes(&error),
            vec![("household".into(), ErrorCode::StepMissing)]
        );
        f.registry.set_household(&draft, sample.household).unwrap();
        let error = f
            .registry
            .set_pmt(&draft, &ppi_2022(), yes_no_answers())
            .unwrap_err();
        assert_eq!(
            codes(&error),
            vec![("members".into(), ErrorCode::NoMembers)]
        );
    }

    #[test]
    fn a_member_added_after_the_preview_makes_it_stale_until_recomputed() {
        let mut f = fixture();
        let (draft, mut ids, mut sample) = ready_draft(&mut f, 3);
        f.registry
            .set_pmt(&draft, &ppi_2022(), yes_no_answers())
            .unwrap();
        let extra = f.generator.household("agen-01", 4, now()).members[3].clone();
        let mut child = extra;
        child.relation = sample.members[2].relation;
        ids.push(f.registry.put_member(&draft, None, child.clone()).unwrap());
        sample.members.push(child);
        finish(&f, &draft, &ids, &sample);
        let error = f.registry.submit(&draft).unwrap_err();
        assert_eq!(codes(&error), vec![("pmt".into(), ErrorCode::PmtStale)]);
        f.registry
            .set_pmt(&draft, &ppi_2022(), yes_no_answers())
            .unwrap();
        let id = f.registry.submit(&draft).unwrap();
        let pmt = f.registry.household(&id).unwrap().pmt.unwrap();
        assert_eq!(pmt.household_size, 4);
        assert_eq!(pmt.answers["jumlah_anggota"], Answer::Choice("C".into()));
    }

    #[test]
    fn a_household_without_a_preview_still_registers() {
        let mut f = fixture();
        let sample = f.generator.household("agen-01", 2, now());
        let id = sample.register(&f.registry, now()).unwrap();
        assert_eq!(f.registry.household(&id).unwrap().pmt, None);
    }
}

#[test]
fn every_step_is_audited_in_its_own_transaction_and_refusals_leave_no_entry() {
    let mut f = fixture();
    let pkcs8 =
        ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    let key = Arc::new(ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap());
    let public = ring::signature::KeyPair::public_key(&*key)
        .as_ref()
        .to_vec();
    let store = f.registry.store.clone();
    let registry = Registry::with_clock(store.clone(), f.registry.cipher.clone(), Arc::new(now))
        .with_audit(key);
    let sample = f.generator.household("agen-01", 2, now());
    let id = sample.register(&registry, now()).unwrap();
    // A refused edit writes nothing, not even its audit entry.
    let before: i64 = store
        .read(|c| Ok(c.query_row("SELECT count(*) FROM audit", [], |r| r.get(0))?))
        .unwrap();
    let draft = registry.start_draft(sample.visit.clone()).unwrap();
    let mut bad = sample.household.clone();
    bad.kk = "123".into();
    assert!(registry.set_household(&draft, bad).is_err());
    registry.household(&id).unwrap();
    let actions: Vec<String> = store
        .read(|c| {
            let mut stmt = c.prepare("SELECT action FROM audit ORDER BY seq")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .unwrap();
    let expected_steps = before as usize;
    assert_eq!(actions[0], "household_created");
    assert_eq!(actions[expected_steps - 1], "household_submitted");
    assert!(actions[1..expected_steps - 1]
        .iter()
        .all(|a| a == "household_edited"));
    assert_eq!(
        actions[expected_steps..],
        ["household_created", "household_viewed"]
    );
    let intact = store
        .read(|c| crate::audit::verify_chain(c, &public))
        .unwrap();
    assert_eq!(intact, Ok(actions.len() as i64));
    // No personal data in the trail: ids and action names only.
    let trail: Vec<u8> = store
        .read(|c| {
            let mut stmt =
                c.prepare("SELECT agent_id || action || coalesce(record_id, '') FROM audit")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            Ok(rows
                .collect::<rusqlite::Result<Vec<_>>>()?
                .concat()
                .into_bytes())
        })
        .unwrap();
    for member in &sample.members {
        assert!(!trail.windows(16).any(|w| w == member.nik.as_bytes()));
    }
}

/// A member of the sealed cell (an array in field order) as a keyed object, as the first
/// 0016 phones wrote it and as `members.profile` held its part before 0016.
fn keyed_member(member: &serde_json::Value) -> serde_json::Value {
    let keyed = |values: &serde_json::Value, keys: &[&str]| {
        let values = values.as_array().unwrap();
        assert_eq!(values.len(), keys.len());
        let pairs = keys
            .iter()
            .zip(values)
            .map(|(k, v)| (k.to_string(), v.clone()));
        serde_json::Value::Object(pairs.collect())
    };
    let mut member = keyed(member, &["id", "nik", "full_name", "birth_date", "profile"]);
    member["profile"] = keyed(
        &member["profile"],
        &[
            "relation",
            "sex",
            "marital",
            "education",
            "occupation",
            "disability",
            "ikd",
        ],
    );
    member
}

/// A household whose members cell holds keyed objects (as 0016 first wrote it, before the
/// cell became arrays) reads as before.
#[test]
fn members_sealed_as_keyed_objects_read_as_before() {
    use crate::crypt::Cell;
    let mut f = fixture();
    let sample = f.generator.household("agen-01", 4, now());
    let id = sample.register(&f.registry, now()).unwrap();
    let before = f.registry.household(&id).unwrap();
    let cipher = f.registry.cipher.clone();
    let cell = Cell::new("households", "members", &id);
    f.registry
        .store
        .write(|tx| {
            let sealed: Vec<u8> = tx.query_row(
                "SELECT members_sealed FROM households WHERE id = ?1",
                [&id],
                |r| r.get(0),
            )?;
            let members: Vec<serde_json::Value> = cipher.open_json(cell, &sealed)?;
            let keyed: Vec<serde_json::Value> = members.iter().map(keyed_member).collect();
            assert_eq!(keyed[0]["nik"], sample.members[0].nik.as_str());
            tx.execute(
                "UPDATE households SET members_sealed = ?1 WHERE id = ?2",
                rusqlite::params![cipher.seal_json(cell, &keyed)?, id],
            )?;
            Ok(())
        })
        .unwrap();
    assert_eq!(f.registry.household(&id).unwrap(), before);
}

/// A household stored before migration 0016 keeps its members as rows of `members`, four
/// sealed cells each: it reads, and is found by NIK, as before.
#[test]
fn members_stored_as_rows_before_0016_read_as_before() {
    use crate::crypt::Cell;
    let mut f = fixture();
    let sample = f.generator.household("agen-01", 3, now());
    let id = sample.register(&f.registry, now()).unwrap();
    let before = f.registry.household(&id).unwrap();
    let cipher = f.registry.cipher.clone();
    f.registry
        .store
        .write(|tx| {
            let (rowid, sealed, indexes): (i64, Vec<u8>, Vec<u8>) = tx.query_row(
                "SELECT rowid, members_sealed, members_nik_index FROM households WHERE id = ?1",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            let members: Vec<serde_json::Value> =
                cipher.open_json(Cell::new("households", "members", &id), &sealed)?;
            let members: Vec<serde_json::Value> = members.iter().map(keyed_member).collect();
            assert_eq!(members.len(), 3);
            for (position, (m, nik_index)) in members.iter().zip(indexes.chunks(16)).enumerate() {
                let member = m["id"].as_str().unwrap();
                let cell = |column| Cell::new("members", column, member);
                let text = |key: &str| m[key].as_str().unwrap().to_owned();
                tx.execute(
                    "INSERT INTO members (rowid, household_id, position, id, nik_index, nik,
                         full_name, birth_date, profile)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    rusqlite::params![
                        rowid * 64 + position as i64,
                        id,
                        position as i64,
                        member,
                        nik_index,
                        cipher.seal_str(cell("nik"), &text("nik"))?,
                        cipher.seal_str(cell("full_name"), &text("full_name"))?,
                        cipher.seal_str(cell("birth_date"), &text("birth_date"))?,
                        cipher.seal_json(cell("profile"), &m["profile"])?,
                    ],
                )?;
            }
            tx.execute(
                "UPDATE households SET members_sealed = NULL, members_nik_index = NULL
                 WHERE rowid = ?1",
                [rowid],
            )?;
            Ok(())
        })
        .unwrap();
    assert_eq!(f.registry.household(&id).unwrap(), before);
    let nik = &sample.members[2].nik;
    assert_eq!(
        f.registry.find_household_by_nik(nik).unwrap(),
        Some(id.clone())
    );
    // A cell sealed for another column does not open as this one.
    f.registry
        .store
        .write(|tx| {
            tx.execute("UPDATE members SET nik = full_name WHERE position = 0", [])?;
            Ok(())
        })
        .unwrap();
    assert!(f.registry.household(&id).is_err());
}
