//! Results and objections end to end over HTTP: the district publishes Layak / Tidak Layak with
//! an objection deadline, the phone shows a family its own result in plain Indonesian, a member
//! objects with a photo before the deadline and gets a receipt, the officer decides and the
//! phone hears it; a non-member, a closed window and a late arrival are refused with their
//! codes and change nothing.
use perlinsos_core::date::now_millis;
use perlinsos_core::objections::{
    ObjectionForm, ObjectionPhoto, ObjectionPhotoInput, ObjectionReason,
};
use perlinsos_core::Date;
use perlinsos_core::ErrorCode;
use perlinsos_e2e::field::{FieldPhone, Server};
use perlinsos_server::families::{self, Selection};
use perlinsos_server::objections;

const MINE: &str = "52.71.01.1004";
const CAM3: &[u8] = include_bytes!("../../core/data/photos/cam3_ladybird.jpg");

async fn setup(
    days_ago: i64,
    window: i64,
) -> (Server, FieldPhone, Vec<perlinsos_rules::dtsen::Family>) {
    let server = Server::start().await;
    let all = perlinsos_core::sample::families(41, 4, &[MINE], Date::of_unix_millis(now_millis()));
    server.import_families(&all);
    let phone = FieldPhone::enrolled(&server, "agen-01", &[MINE]).await;
    let place = Selection::Place {
        kelurahan_code: MINE.to_owned(),
        rw: None,
        rt: None,
    };
    families::assign(&server.state, "operator", "agen-01", &place).unwrap();
    server.publish_results(&all, days_ago, window);
    phone.sync().await;
    (server, phone, all)
}

fn photo() -> Vec<u8> {
    perlinsos_core::sample::photo_taken_on(CAM3, Date::of_unix_millis(now_millis()))
}

fn form(family: &perlinsos_rules::dtsen::Family, nik: &str) -> ObjectionForm {
    ObjectionForm {
        family_id: family.id.clone(),
        objector_nik: nik.to_owned(),
        reason: ObjectionReason::KondisiBerubah,
        statement: "Suami saya sudah tidak bekerja sejak bulan Agustus karena sakit.".to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_family_sees_its_result_objects_and_hears_the_decision() {
    let (server, phone, all) = setup(2, 30).await;
    let list = phone.worklist();
    let layak = list.result(&all[0].id).unwrap().expect("result");
    let tidak = list.result(&all[1].id).unwrap().expect("result");
    assert!(layak.eligible && !tidak.eligible);
    let deadline = Date::of_unix_millis(tidak.objection_deadline);
    let text = tidak.explain(now_millis(), deadline).join(" ");
    assert!(text.contains("TIDAK LAYAK"), "{text}");
    assert!(text.contains("Desil 7"), "{text}");
    assert!(text.contains("sanggahan sampai"), "{text}");
    let text = layak.explain(now_millis(), deadline).join(" ");
    assert!(text.contains("PKH"), "{text}");

    let family = &all[1];
    let jpeg = photo();
    let photos = [ObjectionPhotoInput {
        bytes: &jpeg,
        shows: ObjectionPhoto::Rumah,
        captured_at: now_millis(),
        gps: Some(perlinsos_e2e::field::HOUSE),
    }];
    let receipt = phone
        .objections()
        .file(&form(family, &family.members[0].nik), &photos)
        .unwrap();
    // A second objection of the family while the first waits: refused on the phone.
    let again = phone
        .objections()
        .file(&form(family, &family.members[0].nik), &photos)
        .unwrap_err();
    assert_eq!(
        again.field_errors()[0].code,
        ErrorCode::ObjectionAlreadyOpen
    );
    phone.sync().await;
    let open = server.state.db.read(objections::open).unwrap();
    assert_eq!(open.len(), 1);
    // Through another agent's phone, the same family again: the server refuses it.
    let other = FieldPhone::enrolled(&server, "agen-02", &[MINE]).await;
    families::assign(
        &server.state,
        "operator",
        "agen-02",
        &Selection::Ids(vec![family.id.clone()]),
    )
    .unwrap();
    server.publish_results(&all, 2, 30);
    other.sync().await;
    other
        .objections()
        .file(&form(family, &family.members[1].nik), &photos)
        .unwrap();
    let report = other.sync().await;
    assert_eq!(report.parked, 1);
    let parked: String = other
        .store
        .read(|c| {
            Ok(c.query_row(
                "SELECT park_reason FROM outbox WHERE kind = 'objection.filed'",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert!(parked.starts_with("ObjectionAlreadyOpen"), "{parked}");
    assert_eq!(server.state.db.read(objections::open).unwrap().len(), 1);
    assert_eq!(open[0].id, receipt.record_id);
    let found = perlinsos_server::receipts::check(&server.state, &receipt.code).unwrap();
    assert_eq!(found[0].record_kind, "objection.filed");

    objections::decide(
        &server.state,
        "petugas",
        &receipt.record_id,
        false,
        "Kondisi sudah dicek ulang; hasil tetap.",
    )
    .unwrap();
    assert_eq!(
        objections::decide(&server.state, "petugas", &receipt.record_id, true, "lagi"),
        Err(objections::DecideError::NotOpen)
    );
    phone.sync().await;
    let mine = phone.objections().of_family(&family.id).unwrap();
    assert_eq!(mine[0].status, perlinsos_core::objections::REFUSED);
    assert_eq!(
        mine[0].reason.as_deref(),
        Some("Kondisi sudah dicek ulang; hasil tetap.")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objections_out_of_bounds_are_refused_with_their_codes() {
    let (server, phone, all) = setup(2, 30).await;
    let jpeg = photo();
    let photos = [ObjectionPhotoInput {
        bytes: &jpeg,
        shows: ObjectionPhoto::Dokumen,
        captured_at: now_millis(),
        gps: None,
    }];
    let book = phone.objections();
    // A neighbour's NIK (a member of another family).
    let refused = book
        .file(&form(&all[1], &all[2].members[0].nik), &photos)
        .unwrap_err();
    assert_eq!(
        refused.field_errors()[0].code,
        ErrorCode::ObjectionNotMember
    );
    // No photo, a short statement.
    let mut short = form(&all[1], &all[1].members[0].nik);
    short.statement = "tidak setuju".into();
    let codes: Vec<ErrorCode> = book
        .file(&short, &[])
        .unwrap_err()
        .field_errors()
        .iter()
        .map(|e| e.code)
        .collect();
    assert!(
        codes.contains(&ErrorCode::SanggahanPhotoMissing),
        "{codes:?}"
    );
    assert!(
        codes.contains(&ErrorCode::SanggahanStatementTooShort),
        "{codes:?}"
    );
    // A family not on the list.
    let mut stranger = form(&all[1], &all[1].members[0].nik);
    stranger.family_id = "DTSEN-lain".into();
    assert_eq!(
        book.file(&stranger, &photos).unwrap_err().field_errors()[0].code,
        ErrorCode::FamilyNotAssigned
    );
    assert!(book.list().unwrap().is_empty());

    // Filed while the phone's copy said the window was open; meanwhile the district corrected
    // the announcement (its window closed weeks ago). The server judges by its own data.
    let receipt = book
        .file(&form(&all[3], &all[3].members[0].nik), &photos)
        .unwrap();
    server.publish_results(&all, 60, 30);
    let report = phone.sync().await;
    assert_eq!(report.parked, 1);
    assert!(server.state.db.read(objections::open).unwrap().is_empty());
    let parked = phone
        .store
        .read(|c| {
            Ok(c.query_row(
                "SELECT park_reason FROM outbox WHERE entity_id = ?1",
                [&receipt.record_id],
                |r| r.get::<_, Option<String>>(0),
            )?)
        })
        .unwrap()
        .unwrap_or_default();
    assert!(parked.starts_with("ObjectionWindowClosed"), "{parked}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_deadline_the_phone_refuses_and_says_so() {
    let (_server, phone, all) = setup(40, 30).await;
    let result = phone.worklist().result(&all[1].id).unwrap().unwrap();
    let text = result
        .explain(
            now_millis(),
            Date::of_unix_millis(result.objection_deadline),
        )
        .join(" ");
    assert!(text.contains("sudah berakhir"), "{text}");
    let jpeg = photo();
    let photos = [ObjectionPhotoInput {
        bytes: &jpeg,
        shows: ObjectionPhoto::Rumah,
        captured_at: now_millis(),
        gps: None,
    }];
    let refused = phone
        .objections()
        .file(&form(&all[1], &all[1].members[0].nik), &photos)
        .unwrap_err();
    assert_eq!(
        refused.field_errors()[0].code,
        ErrorCode::ObjectionWindowClosed
    );
}
