use super::*;
use crate::crypt::DataKey;

const AGENT: &str = "agen-01";

struct Phone {
    dir: tempfile::TempDir,
    store: Arc<Store>,
    device: Arc<Device>,
    cipher: Arc<Cipher>,
    family: crate::worklist::Family,
}

fn now() -> Millis {
    crate::date::now_millis()
}

fn phone() -> Phone {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("device.db")).unwrap());
    let device = Arc::new(Device::open_or_create(&store, b"keystore").unwrap());
    let cipher = Arc::new(Cipher::new(&DataKey::from_bytes([4; 32])).unwrap());
    let mut families =
        crate::sample::families(3, 8, &["52.71.01.1004"], Date::of_unix_millis(now()));
    // A family with an adult head and a child, whatever the generator drew.
    let family = families
        .iter()
        .find(|f| f.members.len() >= 3)
        .cloned()
        .unwrap();
    families.retain(|f| f.id != family.id);
    families.push(family.clone());
    store
        .write(|tx| {
            crate::worklist::apply(tx, &device.reference_cipher(), AGENT, &families, &[], now())
        })
        .unwrap();
    Phone {
        dir,
        store,
        device,
        cipher,
        family,
    }
}

fn book(p: &Phone) -> VisitBook {
    VisitBook::new(
        p.store.clone(),
        p.cipher.clone(),
        p.device.clone(),
        Arc::new(crate::date::now_millis),
        AGENT,
    )
}

fn fill_found(draft: &mut VisitDraft) {
    crate::sample::answer_found(draft, now());
}

#[test]
fn a_visit_is_drafted_at_every_step_and_survives_a_kill() {
    let p = phone();
    let draft = book(&p).start(&p.family.id).unwrap();
    assert_eq!(draft.members.len(), p.family.members.len());
    assert_eq!(draft.family_version, 1);
    let mut edited = draft.clone();
    edited.outcome = Some(VisitOutcome::Ditemukan);
    assert_eq!(book(&p).save(&edited).unwrap(), 1);
    // The old copy again: refused, the saved one stands.
    let stale = book(&p).save(&draft).unwrap_err();
    assert_eq!(stale.field_errors()[0].code, ErrorCode::DraftStale);
    // "Killed": a new store on the same file finds the same draft for the family.
    let store = Arc::new(Store::open(p.dir.path().join("device.db")).unwrap());
    let reopened = VisitBook::new(
        store,
        p.cipher.clone(),
        p.device.clone(),
        Arc::new(crate::date::now_millis),
        AGENT,
    );
    let resumed = reopened.start(&p.family.id).unwrap();
    assert_eq!(resumed.id, draft.id);
    assert_eq!(resumed.revision, 1);
    assert_eq!(resumed.outcome, Some(VisitOutcome::Ditemukan));
}

#[test]
fn a_found_family_goes_up_as_one_record_with_a_receipt() {
    let p = phone();
    let visits = book(&p);
    let mut draft = visits.start(&p.family.id).unwrap();
    fill_found(&mut draft);
    visits.save(&draft).unwrap();
    assert_eq!(visits.check(&draft.id).unwrap(), vec![]);
    let receipt = visits.submit(&draft.id).unwrap();
    assert_eq!(receipt.code.len(), 11);
    assert!(receipt
        .payload
        .starts_with("perlinsos-receipt:1:visit.recorded:"));
    // The same submit again (the app was killed before it heard): the same receipt.
    assert_eq!(visits.submit(&draft.id).unwrap(), receipt);
    let queued = p
        .store
        .read(crate::outbox::entries)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == outbox_kind::VISIT_RECORDED)
        .count();
    assert_eq!(queued, 1);
    assert!(visits.drafts().unwrap().is_empty());
    let list = Worklist::new(p.store.clone(), p.device.reference_cipher(), AGENT);
    let (entry, _) = list.family(&p.family.id).unwrap().unwrap();
    assert_eq!(entry.status, VisitStatus::Dikunjungi);
    let summary = &visits.visits().unwrap()[0];
    assert_eq!(
        (summary.status.as_str(), summary.outcome),
        (WAITING, VisitOutcome::Ditemukan)
    );

    // The district's answer lands on it, reason sealed.
    p.store
        .write(|tx| {
            apply_server_status(
                tx,
                &p.device.reference_cipher(),
                &draft.id,
                CONFLICT,
                now(),
                None,
            )?;
            apply_server_status(
                tx,
                &p.device.reference_cipher(),
                &draft.id,
                "dibajak",
                now(),
                None,
            )
        })
        .unwrap();
    assert_eq!(visits.visits().unwrap()[0].status, CONFLICT);
}

#[test]
fn each_refusal_has_its_code_and_changes_nothing() {
    let p = phone();
    let visits = book(&p);
    let refused = visits.start("DTSEN-bukan-tugas").unwrap_err();
    assert_eq!(refused.field_errors()[0].code, ErrorCode::FamilyNotAssigned);

    let mut draft = visits.start(&p.family.id).unwrap();
    let missing = visits.submit(&draft.id).unwrap_err();
    assert_eq!(missing.field_errors()[0].code, ErrorCode::StepMissing);
    fill_found(&mut draft);
    draft.consent = None;
    draft.account.as_mut().unwrap().number = "12345".into();
    draft.corrections[0].reason = " ".into();
    draft.revision = visits.save(&draft).unwrap();
    let errors = visits.submit(&draft.id).unwrap_err();
    let codes: Vec<ErrorCode> = errors.field_errors().iter().map(|e| e.code).collect();
    for code in [
        ErrorCode::ConsentMissing,
        ErrorCode::AccountNumberInvalid,
        ErrorCode::VisitCorrectionInvalid,
    ] {
        assert!(codes.contains(&code), "{codes:?}");
    }
    // Nothing queued, the draft kept as it was.
    let queued = p.store.read(crate::outbox::entries).unwrap();
    assert!(!queued.iter().any(|e| e.kind == outbox_kind::VISIT_RECORDED));
    assert_eq!(visits.draft(&draft.id).unwrap().revision, draft.revision);
}

#[test]
fn nobody_home_marks_the_family_for_a_revisit() {
    let p = phone();
    let visits = book(&p);
    let mut draft = visits.start(&p.family.id).unwrap();
    draft.outcome = Some(VisitOutcome::TidakDitemukan);
    draft.note = "Rumah kosong, kata tetangga sedang ke sawah".into();
    visits.save(&draft).unwrap();
    visits.submit(&draft.id).unwrap();
    let list = Worklist::new(p.store.clone(), p.device.reference_cipher(), AGENT);
    assert_eq!(
        list.family(&p.family.id).unwrap().unwrap().0.status,
        VisitStatus::KunjungiUlang
    );
    // A second visit starts a new draft.
    assert_ne!(visits.start(&p.family.id).unwrap().id, draft.id);
}

fn model(file: &str) -> Model {
    serde_json::from_str(file).unwrap()
}

#[test]
fn the_questionnaire_opens_with_the_familys_last_answers_and_keeps_the_agents() {
    let p = phone();
    let visits = book(&p);
    let mataram = model(include_str!("../../models/ilustratif-kota-mataram.json"));
    let mut draft = visits.start(&p.family.id).unwrap();
    assert!(!p.family.pmt_answers.is_empty());
    // The members as found come first: the household size is theirs.
    fill_found(&mut draft);
    draft.revision = visits.save(&draft).unwrap();
    // Opened with what the district holds for the family, minus what the model derives.
    let opened = visits.pmt_prefill(&draft.id, &mataram).unwrap();
    assert_eq!(
        opened,
        pmt::answers::prefill(&mataram, &p.family.pmt_answers)
    );
    assert!(!opened.contains_key("jumlah_anggota"));

    // The resident corrects one answer; the rest are confirmed as they were.
    let mut answers = opened.clone();
    answers.insert("kulkas".into(), pmt::Answer::YesNo(true));
    answers.insert("sepeda_motor".into(), pmt::Answer::Number(1.0));
    for q in &mataram.questions {
        if q.derived.is_none() && !answers.contains_key(&q.id) {
            let a = match q.kind {
                pmt::model::QuestionType::Choice => pmt::Answer::Choice(q.options[0].id.clone()),
                pmt::model::QuestionType::YesNo => pmt::Answer::YesNo(false),
                _ => pmt::Answer::Number(q.min.unwrap_or(0.0)),
            };
            answers.insert(q.id.clone(), a);
        }
    }
    let preview = visits
        .set_pmt(&draft.id, &mataram, answers.clone())
        .unwrap();
    assert!(matches!(preview, Preview::LogLinear { desil: 1..=10, .. }));
    // Opened again: the agent's own answers, not the extract's.
    assert_eq!(visits.pmt_prefill(&draft.id, &mataram).unwrap(), answers);

    // Another step saved from the screen's copy (which never carries the answers) keeps them.
    draft.note = "Rumah di belakang masjid".into();
    draft.revision = visits.save(&draft).unwrap();
    let stored = visits.draft(&draft.id).unwrap().pmt.unwrap();
    assert_eq!(stored.model_id, mataram.id);
    assert_eq!(stored.household_size as usize, draft.members.len());
    assert_eq!(visits.check(&draft.id).unwrap(), vec![]);
    visits.submit(&draft.id).unwrap();
}

#[test]
fn a_model_that_does_not_hold_for_the_family_is_refused_and_saves_nothing() {
    let p = phone();
    let visits = book(&p);
    let draft = visits.start(&p.family.id).unwrap();
    let mut elsewhere = model(include_str!("../../models/ilustratif-kota-mataram.json"));
    elsewhere.region.kabupaten = vec!["52.03".into()];
    let answers = visits.pmt_prefill(&draft.id, &elsewhere).unwrap();
    let refused = visits.set_pmt(&draft.id, &elsewhere, answers).unwrap_err();
    assert_eq!(
        refused.field_errors()[0].code,
        ErrorCode::PmtModelOutOfRegion
    );
    let mut expired = model(include_str!("../../models/ilustratif-kota-mataram.json"));
    expired.effective_until = Some(Date::new(2026, 1, 31).unwrap());
    let refused = visits
        .set_pmt(&draft.id, &expired, pmt::Answers::new())
        .unwrap_err();
    assert_eq!(refused.field_errors()[0].code, ErrorCode::PmtModelExpired);
    assert_eq!(visits.draft(&draft.id).unwrap().pmt, None);
}
