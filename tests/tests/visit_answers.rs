//! A visit's PMT answers flow back, end to end over HTTP: agent A verifies a family with the
//! resident's answers, the district takes them as the family's last known answers (a new
//! revision of the same DTSEN version, sealed) and sends the family again, signed, to every
//! agent it is assigned to; B's phone (and A's other phone) then open the questionnaire with
//! A's answers, each holding the family once. Conflicting visits wait for the officer; a newer
//! extract without answers keeps the visit's, one with answers replaces them.
use perlinsos_core::date::now_millis;
use perlinsos_core::visits::{ACCEPTED, CONFLICT};
use perlinsos_core::Date;
use perlinsos_e2e::field::{FieldPhone, Server};
use perlinsos_protocol::wire::Change;
use perlinsos_rules::dtsen::Family;
use perlinsos_rules::pmt::model::Model;
use perlinsos_rules::pmt::Answers;
use perlinsos_server::families::{self, Selection};
use perlinsos_server::{operator, visits};

const MINE: &str = "52.71.01.1004";
const MODEL: &str = include_str!("../../core/models/ilustratif-kota-mataram.json");

fn model() -> Model {
    Model::parse(MODEL.as_bytes()).unwrap()
}

fn place() -> Selection {
    Selection::Place {
        kelurahan_code: MINE.to_owned(),
        rw: None,
        rt: None,
    }
}

/// A district with families of MINE (with DTSEN's answers) and the model published, agents
/// A and B both holding every family.
async fn district() -> (Server, Vec<Family>) {
    let server = Server::start().await;
    let all = perlinsos_core::sample::families(23, 4, &[MINE], Date::of_unix_millis(now_millis()));
    assert!(all.iter().all(|f| !f.pmt_answers.is_empty()));
    server.import_families(&all);
    operator::publish_model(&server.state, MODEL).unwrap();
    for agent in ["agen-01", "agen-02"] {
        families::assign(&server.state, "operator", agent, &place()).unwrap();
    }
    (server, all)
}

fn server_family(server: &Server, id: &str) -> Family {
    server
        .state
        .db
        .read(|tx| families::family(tx, &server.state.keys, id))
        .unwrap()
        .unwrap()
}

/// What the phone's questionnaire would open with for the family now (a draft started and
/// discarded, as an agent who looks and goes).
fn prefilled(phone: &FieldPhone, family_id: &str) -> Answers {
    let visits = phone.visits();
    let draft = visits.start(family_id).unwrap();
    let answers = visits.pmt_prefill(&draft.id, &model()).unwrap();
    visits.discard(&draft.id).unwrap();
    answers
}

fn visit_with_answers(phone: &FieldPhone, family_id: &str, motorbikes: f64) -> (String, Answers) {
    phone.visit_found_with_answers(family_id, &model(), motorbikes)
}

fn worklist_changes(server: &Server, agent: &str) -> i64 {
    server
        .state
        .db
        .scalar(&format!(
            "SELECT count(*) FROM changes WHERE audience = 'a:{agent}:{MINE}'"
        ))
        .unwrap()
}

/// (rows, version, revision) of the family in the phone's worklist table.
fn held(phone: &FieldPhone, family_id: &str) -> (i64, i64, i64) {
    phone
        .store
        .read(|c| {
            Ok(c.query_row(
                "SELECT count(*), max(version), max(revision) FROM worklist_families
                 WHERE family_id = ?1",
                [family_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?)
        })
        .unwrap()
}

/// The feed `agent`'s phone reads carries the family at `revision`, with a district signature
/// over it for that device.
fn signed_in_feed(server: &Server, agent: &str, family_id: &str, revision: u32) {
    let device_id = server
        .state
        .db
        .read(|tx| {
            Ok(tx
                .query_one(
                    "SELECT device_id FROM devices WHERE agent_id = ?1",
                    &[perlinsos_server::db::text(agent)],
                )?
                .and_then(|r| r[0].text()))
        })
        .unwrap()
        .unwrap();
    let device = server
        .state
        .db
        .read(|tx| perlinsos_server::db::device(tx, &device_id))
        .unwrap()
        .unwrap();
    let page = perlinsos_server::changes_page(&server.state, &device, 0).unwrap();
    let item = page
        .changes
        .iter()
        .find(|item| match &item.change {
            Change::Worklist { families, .. } => families
                .iter()
                .any(|f| f.id == family_id && f.revision == revision),
            _ => false,
        })
        .expect("the updated family in the feed");
    let signature =
        perlinsos_rules::pmt::signed::from_hex(item.change_signature.as_deref().unwrap()).unwrap();
    let public = ring::signature::KeyPair::public_key(&*server.state.district_key);
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, public)
        .verify(
            &perlinsos_protocol::signing::change_text(&device_id, item.cursor, &item.change),
            &signature,
        )
        .expect("signed by the district key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visits_answers_reach_every_agent_of_the_family() {
    let (server, all) = district().await;
    let a = FieldPhone::enrolled(&server, "agen-01", &[MINE]).await;
    let a2 = FieldPhone::enrolled(&server, "agen-01", &[MINE]).await;
    let b = FieldPhone::enrolled(&server, "agen-02", &[MINE]).await;
    for phone in [&a, &a2, &b] {
        phone.sync().await;
    }
    let family = all.iter().find(|f| f.members.len() >= 2).unwrap();
    let dtsen = perlinsos_rules::pmt::answers::prefill(&model(), &family.pmt_answers);
    assert_eq!(prefilled(&b, &family.id), dtsen);
    let sent_before = worklist_changes(&server, "agen-02");

    // DTSEN has 0..=2 motorbikes for every sample family: 4 is the resident's new answer.
    let (visit_id, given) = visit_with_answers(&a, &family.id, 4.0);
    assert_ne!(given, dtsen);
    assert_eq!(a.sync().await.parked, 0);
    assert_eq!(server.visit_status(&visit_id), ACCEPTED);

    // The district's copy: A's answers (no derived one), the same version, revision 1.
    let copy = server_family(&server, &family.id);
    assert_eq!(copy.pmt_answers, given);
    assert!(!copy.pmt_answers.contains_key("jumlah_anggota"));
    assert_eq!((copy.version, copy.revision), (family.version, 1));
    // Sealed at rest as every family body: no answer id in the stored bytes.
    let sealed: Vec<u8> = server
        .state
        .db
        .read(|tx| {
            Ok(tx
                .query_one(
                    "SELECT sealed FROM families WHERE family_id = ?1",
                    &[perlinsos_server::db::text(family.id.as_str())],
                )?
                .and_then(|r| r[0].blob()))
        })
        .unwrap()
        .unwrap();
    assert!(!sealed.windows(12).any(|w| w == b"sepeda_motor"));
    // One change per agent holding it, signed for each device as every change is.
    assert_eq!(worklist_changes(&server, "agen-02"), sent_before + 1);
    signed_in_feed(&server, "agen-02", &family.id, 1);

    // B's phone, and A's other phone, open the questionnaire with A's answers; each holds
    // the family once, at the same version, revision 1.
    for phone in [&b, &a2, &a] {
        let report = phone.sync().await;
        assert_eq!(report.changes_refused, 0);
        assert_eq!(
            held(phone, &family.id),
            (1, i64::from(family.version), 1),
            "{}",
            phone.agent_id
        );
        assert_eq!(phone.worklist().count().unwrap(), all.len());
    }
    assert_eq!(prefilled(&b, &family.id), given);
    assert_eq!(prefilled(&a2, &family.id), given);
    // Other families are as DTSEN has them.
    let other = all.iter().find(|f| f.id != family.id).unwrap();
    assert_eq!(server_family(&server, &other.id).revision, 0);

    // A visit that found a family without a questionnaire leaves its answers as they are.
    let receipt = b.visit_found(&other.id);
    b.sync().await;
    assert_eq!(server.visit_status(&receipt.record_id), ACCEPTED);
    assert_eq!(server_family(&server, &other.id), *other);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicting_visits_flow_back_only_when_the_officer_keeps_one() {
    let (server, all) = district().await;
    let a = FieldPhone::enrolled(&server, "agen-01", &[MINE]).await;
    let b = FieldPhone::enrolled(&server, "agen-02", &[MINE]).await;
    a.sync().await;
    b.sync().await;
    let family = all.iter().find(|f| f.members.len() >= 2).unwrap();

    // Both at the door offline, with different answers; A syncs first and is accepted.
    let (visit_a, given_a) = visit_with_answers(&a, &family.id, 4.0);
    let (visit_b, given_b) = visit_with_answers(&b, &family.id, 6.0);
    assert_ne!(given_a, given_b);
    a.sync().await;
    assert_eq!(server_family(&server, &family.id).pmt_answers, given_a);
    let sent = (
        worklist_changes(&server, "agen-01"),
        worklist_changes(&server, "agen-02"),
    );
    // B's arrives in conflict: its answers do not flow back, nothing is sent.
    b.sync().await;
    assert_eq!(server.visit_status(&visit_a), CONFLICT);
    assert_eq!(server.visit_status(&visit_b), CONFLICT);
    let copy = server_family(&server, &family.id);
    assert_eq!((copy.revision, &copy.pmt_answers), (1, &given_a));
    assert_eq!(
        (
            worklist_changes(&server, "agen-01"),
            worklist_changes(&server, "agen-02")
        ),
        sent
    );

    // The officer keeps B's: its answers flow back now, to both agents.
    visits::resolve(
        &server.state,
        "petugas",
        &visit_b,
        "Jawaban agen-02 dicek ulang",
    )
    .unwrap();
    let copy = server_family(&server, &family.id);
    assert_eq!((copy.revision, &copy.pmt_answers), (2, &given_b));
    for phone in [&a, &b] {
        assert_eq!(phone.sync().await.changes_refused, 0);
        assert_eq!(held(phone, &family.id), (1, i64::from(family.version), 2));
        assert_eq!(prefilled(phone, &family.id), given_b);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_extract_keeps_the_visits_answers_unless_it_brings_its_own() {
    let (server, all) = district().await;
    let a = FieldPhone::enrolled(&server, "agen-01", &[MINE]).await;
    let b = FieldPhone::enrolled(&server, "agen-02", &[MINE]).await;
    a.sync().await;
    b.sync().await;
    let family = all.iter().find(|f| f.members.len() >= 2).unwrap();
    let (_, given) = visit_with_answers(&a, &family.id, 4.0);
    a.sync().await;
    assert_eq!(server_family(&server, &family.id).revision, 1);

    // Version 2 of every family, the file without pmt_ columns: the visit's answers stay
    // (the other families keep DTSEN's), the revision starts again at 0.
    let newer: Vec<Family> = all
        .iter()
        .map(|f| Family {
            version: f.version + 1,
            pmt_answers: Answers::new(),
            ..f.clone()
        })
        .collect();
    let csv = perlinsos_rules::dtsen::extract::write(&newer);
    assert!(!csv.lines().next().unwrap().contains("pmt_"));
    let imported = server.import_families(&newer);
    assert_eq!(imported.updated, all.len());
    let copy = server_family(&server, &family.id);
    assert_eq!(
        (copy.version, copy.revision, &copy.pmt_answers),
        (family.version + 1, 0, &given)
    );
    let other = all.iter().find(|f| f.id != family.id).unwrap();
    assert_eq!(
        server_family(&server, &other.id).pmt_answers,
        other.pmt_answers
    );
    // Version 2 at revision 0 beats version 1 at revision 1 on the phone.
    b.sync().await;
    assert_eq!(held(&b, &family.id), (1, i64::from(family.version + 1), 0));
    assert_eq!(prefilled(&b, &family.id), given);

    // Version 3 brings DTSEN's own newer answers: they replace the visit's.
    let mut surveyed = newer.clone();
    for f in &mut surveyed {
        f.version += 1;
        f.pmt_answers = other.pmt_answers.clone();
    }
    server.import_families(&surveyed);
    let copy = server_family(&server, &family.id);
    assert_eq!(
        (copy.version, copy.revision, &copy.pmt_answers),
        (family.version + 2, 0, &other.pmt_answers)
    );
    b.sync().await;
    assert_eq!(
        prefilled(&b, &family.id),
        perlinsos_rules::pmt::answers::prefill(&model(), &other.pmt_answers)
    );
    // The same file again changes nothing.
    let again = server.import_families(&surveyed);
    assert_eq!(again.unchanged, all.len());
    assert_eq!(server_family(&server, &family.id), copy);
}
