//! Verification visits end to end over HTTP: two agents verify the same family offline, both
//! visits are kept and flagged as a conflict, an officer keeps one and both phones learn it;
//! the resident's receipt checks out at the district (and a forged one does not); a visit to
//! a family taken off the agent's list is refused with its code and changes nothing.
use perlinsos_core::date::now_millis;
use perlinsos_core::visits::{ACCEPTED, CONFLICT, SUPERSEDED};
use perlinsos_core::Date;
use perlinsos_e2e::field::{FieldPhone, Server};
use perlinsos_protocol::wire::ErrorCode;
use perlinsos_server::families::{self, Selection};
use perlinsos_server::{receipts, visits};

const MINE: &str = "52.71.01.1004";

fn place() -> Selection {
    Selection::Place {
        kelurahan_code: MINE.to_owned(),
        rw: None,
        rt: None,
    }
}

async fn district_with_families(count: usize) -> (Server, Vec<perlinsos_rules::dtsen::Family>) {
    let server = Server::start().await;
    let all =
        perlinsos_core::sample::families(21, count, &[MINE], Date::of_unix_millis(now_millis()));
    server.import_families(&all);
    (server, all)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_agents_visit_one_family_and_an_officer_decides() {
    let (server, all) = district_with_families(6).await;
    let a = FieldPhone::enrolled(&server, "agen-01", &[MINE]).await;
    let b = FieldPhone::enrolled(&server, "agen-02", &[MINE]).await;
    for agent in ["agen-01", "agen-02"] {
        families::assign(&server.state, "operator", agent, &place()).unwrap();
    }
    a.sync().await;
    b.sync().await;
    let family = all.iter().find(|f| f.members.len() >= 2).unwrap();

    // Both at the door, offline; A syncs first.
    let receipt_a = a.visit_found(&family.id);
    let receipt_b = b.visit_found(&family.id);
    let report = a.sync().await;
    assert_eq!(report.parked, 0);
    assert_eq!(server.visit_status(&receipt_a.record_id), ACCEPTED);
    b.sync().await;
    assert_eq!(server.visit_status(&receipt_a.record_id), CONFLICT);
    assert_eq!(server.visit_status(&receipt_b.record_id), CONFLICT);
    a.sync().await;
    b.sync().await;
    assert_eq!(a.visits().visits().unwrap()[0].status, CONFLICT);
    assert_eq!(b.visits().visits().unwrap()[0].status, CONFLICT);
    let listed = server
        .state
        .db
        .read(|tx| visits::conflicts(tx, None))
        .unwrap();
    assert_eq!(listed.len(), 2);

    // The officer keeps B's (the family's data as B found it is the newer).
    let refused = visits::resolve(&server.state, "petugas", &receipt_b.record_id, " ");
    assert_eq!(refused, Err(visits::ResolveError::ReasonMissing));
    let resolved = visits::resolve(
        &server.state,
        "petugas",
        &receipt_b.record_id,
        "Data agen-02 lebih lengkap",
    )
    .unwrap();
    assert_eq!(resolved, 2);
    assert_eq!(
        visits::resolve(&server.state, "petugas", &receipt_b.record_id, "lagi"),
        Err(visits::ResolveError::NotInConflict)
    );
    a.sync().await;
    b.sync().await;
    let seen_a = &a.visits().visits().unwrap()[0];
    assert_eq!(seen_a.status, SUPERSEDED);
    assert_eq!(seen_a.reason.as_deref(), Some("Data agen-02 lebih lengkap"));
    assert_eq!(b.visits().visits().unwrap()[0].status, ACCEPTED);
    let audited = server
        .state
        .db
        .scalar("SELECT count(*) FROM operator_audit WHERE action = 'resolve_visit_conflict'")
        .unwrap();
    assert_eq!(audited, 1);

    // A third visit later, by A again, from the same version: not a conflict with A's own.
    assert!(
        server
            .state
            .db
            .scalar("SELECT count(*) FROM visits")
            .unwrap()
            == 2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_residents_receipt_checks_out_and_a_forged_one_does_not() {
    let (server, all) = district_with_families(3).await;
    let phone = FieldPhone::enrolled(&server, "agen-01", &[MINE]).await;
    families::assign(&server.state, "operator", "agen-01", &place()).unwrap();
    phone.sync().await;
    let receipt = phone.visit_found(&all[0].id);

    // Before the phone syncs, the district has not heard of it.
    assert_eq!(
        receipts::check(&server.state, &receipt.code),
        Err(receipts::CheckError::Unknown)
    );
    phone.sync().await;
    for shown in [
        receipt.code.clone(),
        receipt.code.to_lowercase().replace('-', " "),
        receipt.payload.clone(),
    ] {
        let found = receipts::check(&server.state, &shown).unwrap();
        assert_eq!(found.len(), 1, "{shown}");
        assert_eq!(found[0].record_id, receipt.record_id);
        assert_eq!(found[0].status.as_deref(), Some(ACCEPTED));
    }
    // The payload with another time (or record) is not the device's signature.
    let forged = receipt.payload.replace(
        &format!(":{}:", receipt.at),
        &format!(":{}:", receipt.at + 1),
    );
    assert_eq!(
        receipts::check(&server.state, &forged),
        Err(receipts::CheckError::Forged)
    );
    assert_eq!(
        receipts::check(&server.state, "bukan kode"),
        Err(receipts::CheckError::Unreadable)
    );
    assert!(!receipts::CheckError::Forged.message().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_to_a_family_off_the_list_is_refused_and_changes_nothing() {
    let (server, all) = district_with_families(3).await;
    let phone = FieldPhone::enrolled(&server, "agen-01", &[MINE]).await;
    families::assign(&server.state, "operator", "agen-01", &place()).unwrap();
    phone.sync().await;
    // Taken off the list after the phone downloaded it; the agent visits before the next sync.
    let family = &all[1];
    families::unassign(
        &server.state,
        "operator",
        "agen-01",
        &Selection::Ids(vec![family.id.clone()]),
    )
    .unwrap();
    phone.visit_found(&family.id);
    let report = phone.sync().await;
    assert_eq!(report.parked, 1);
    let parked = phone
        .store
        .read(|c| {
            Ok(c.query_row(
                "SELECT park_reason FROM outbox WHERE kind = 'visit.recorded'",
                [],
                |r| r.get::<_, String>(0),
            )?)
        })
        .unwrap();
    assert!(
        parked.starts_with(&format!("{:?}", ErrorCode::FamilyNotAssigned)),
        "{parked}"
    );
    assert!(parked.contains("daftar tugas"), "{parked}");
    assert_eq!(
        server
            .state
            .db
            .scalar("SELECT count(*) FROM visits")
            .unwrap(),
        0
    );
    assert_eq!(
        server
            .state
            .db
            .scalar("SELECT count(*) FROM entries WHERE kind = 'visit.recorded'")
            .unwrap(),
        0
    );
}

/// Photos of the house taken during a visit travel with it: named in the record, uploaded,
/// hashed by the server and indexed under the visit, with the photo's own attestation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visits_photos_of_the_house_reach_the_district_with_it() {
    const CAM2: &[u8] = include_bytes!("../../core/data/photos/cam2_wood.jpg");
    let (server, all) = district_with_families(2).await;
    let phone = FieldPhone::enrolled(&server, "agen-01", &[MINE]).await;
    families::assign(&server.state, "operator", "agen-01", &place()).unwrap();
    phone.sync().await;
    let visits = phone.visits();
    let mut draft = visits.start(&all[0].id).unwrap();
    perlinsos_core::sample::answer_found(&mut draft, now_millis());
    visits.save(&draft).unwrap();
    let photo = perlinsos_core::sample::photo_taken_on(CAM2, Date::of_unix_millis(now_millis()));
    let taken = phone
        .evidence()
        .capture(
            &photo,
            &perlinsos_core::evidence::Options::default(),
            perlinsos_core::evidence::book::Capture {
                record_kind: "visit",
                record_id: &draft.id,
                captured_at: now_millis(),
                gps: None,
                device_id: &phone.device.id,
                device_key: phone.device.key(),
                agent_id: "agen-01",
            },
        )
        .unwrap();
    let receipt = visits.submit(&draft.id).unwrap();
    phone.sync().await;

    assert_eq!(server.visit_status(&receipt.record_id), ACCEPTED);
    let indexed = server
        .state
        .db
        .read(|tx| {
            tx.query(
                "SELECT sha256, record_kind FROM evidence_index WHERE record_id = ?1",
                &[perlinsos_server::db::text(receipt.record_id.as_str())],
            )
        })
        .unwrap();
    assert_eq!(indexed.len(), 1);
    assert_eq!(indexed[0][0].text().as_deref(), Some(taken.sha256.as_str()));
    assert_eq!(indexed[0][1].text().as_deref(), Some("visit"));
    assert!(server
        .state
        .data_dir
        .join("blobs")
        .join(&taken.sha256)
        .exists());
}
