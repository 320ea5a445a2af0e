//! A hostile phone against the real server over loopback: an enrolled device whose requests
//! are correctly signed, but whose records lie. Each attack is refused with its stable code and
//! changes nothing. Runs on SQLite and (with `PERLINSOS_TEST_DATABASE_URL`) on PostgreSQL.
use std::time::Duration;

use perlinsos_core::date::now_millis;
use perlinsos_core::evidence::{attest, ingest, Normalized, Options};
use perlinsos_e2e::field::{FieldPhone, Server};
use perlinsos_e2e::PlainEntry as PushEntry;
use perlinsos_protocol::wire::{ErrorCode, Outcome, PushRequest, PushResponse};

const CAM2: &[u8] = include_bytes!("../../core/data/photos/cam2_wood.jpg");
const CAM3: &[u8] = include_bytes!("../../core/data/photos/cam3_ladybird.jpg");
const KELURAHAN: &str = "52.71.01.1004";

/// Signed requests from `phone`'s own device key, with whatever body the attacker chooses.
struct Hostile<'a> {
    server: &'a Server,
    phone: &'a FieldPhone,
    http: reqwest::Client,
}

impl<'a> Hostile<'a> {
    fn new(server: &'a Server, phone: &'a FieldPhone) -> Hostile<'a> {
        Hostile {
            server,
            phone,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
        }
    }

    fn signed_at(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        at: i64,
    ) -> Vec<(&'static str, String)> {
        perlinsos_e2e::signed_headers(&self.phone.device, method, path, body, at)
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    ) -> (reqwest::StatusCode, Vec<u8>) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.server.url))
            .body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        (status, response.bytes().await.unwrap().to_vec())
    }

    /// Pushes the entries, each sealed for the server's record key as a phone would.
    async fn push(&self, entries: Vec<PushEntry>) -> Vec<Outcome> {
        let entries = entries.iter().map(|e| e.seal(&self.server.state)).collect();
        self.push_sealed(entries).await
    }

    /// Pushes entries exactly as given.
    async fn push_sealed(&self, entries: Vec<perlinsos_protocol::wire::PushEntry>) -> Vec<Outcome> {
        let body = serde_json::to_vec(&PushRequest { entries }).unwrap();
        let headers = self.signed_at("POST", "/v1/outbox", &body, now_millis());
        let (status, bytes) = self
            .send(reqwest::Method::POST, "/v1/outbox", headers, body)
            .await;
        assert_eq!(status, reqwest::StatusCode::OK);
        let answer: PushResponse = serde_json::from_slice(&bytes).unwrap();
        answer.results.into_iter().map(|r| r.outcome).collect()
    }

    async fn upload(&self, photo: &Normalized) {
        let path = format!("/v1/blobs/{}", photo.sha256_hex());
        let (key_id, sealed) =
            perlinsos_e2e::sealed_photo(&self.server.state, &photo.sha256_hex(), &photo.jpeg);
        let mut headers = self.signed_at("PUT", &path, &sealed, now_millis());
        headers.push(("x-perlinsos-blob-offset", "0".into()));
        headers.push(("x-perlinsos-blob-length", sealed.len().to_string()));
        headers.push(("x-perlinsos-blob-key", key_id));
        let (status, _) = self
            .send(reqwest::Method::PUT, &path, headers, sealed)
            .await;
        assert_eq!(status, reqwest::StatusCode::OK);
    }

    /// The phone's own pending entries, exactly as its sync would send them.
    fn pending(&self) -> Vec<PushEntry> {
        let json = self.phone.syncer().wire_records().expect("records");
        let sealed: Vec<perlinsos_protocol::wire::PushEntry> =
            serde_json::from_slice(&json).unwrap();
        sealed
            .iter()
            .map(|e| PushEntry::open(&self.server.state, e))
            .collect()
    }

    /// A genuine household of this phone (registered in its own kelurahan), as sent.
    fn household(&self, seed: u64) -> PushEntry {
        let id = loop_register(self.phone, seed);
        self.pending()
            .into_iter()
            .find(|e| e.entity_id == id && e.kind == "household.registered")
            .expect("household entry")
    }

    fn attested(&self, photo: &Normalized, record_id: &str) -> serde_json::Value {
        let attestation = attest::attest(
            photo,
            now_millis(),
            None,
            &self.phone.device.id,
            record_id,
            self.phone.device.key(),
        )
        .unwrap();
        serde_json::to_value(attestation).unwrap()
    }
}

/// Registers sample households until one falls in KELURAHAN (the phone's scope).
fn loop_register(phone: &FieldPhone, seed: u64) -> String {
    for s in seed.. {
        let now = now_millis();
        let mut generator =
            perlinsos_core::sample::Generator::new(s, perlinsos_core::Date::of_unix_millis(now));
        let sample = generator.household(&phone.agent_id, 2, now);
        if sample.household.address.kelurahan_code == KELURAHAN {
            return sample.register(&phone.registry(), now).expect("registered");
        }
    }
    unreachable!()
}

fn refused(code: ErrorCode) -> Outcome {
    Outcome::Rejected {
        code,
        reason: code.message().to_owned(),
    }
}

/// A sanggahan as the server stored it before it checked records: the entry and its typed
/// row (as migration 0002 derives them), with whatever the body says.
fn store_unchecked(
    server: &Server,
    entry_id: &str,
    id: &str,
    device_id: &str,
    body: &serde_json::Value,
    filed_at: i64,
) {
    use perlinsos_server::db;
    let keys = server.state.keys.clone();
    server
        .state
        .db
        .write(|tx| {
            tx.execute(
                "INSERT INTO entries (id, device_id, kind, entity_id, kelurahan_code, body,
                                      created_at, received_at)
                 VALUES (?1, ?2, 'sanggahan.filed', ?3, ?4, ?5, ?6, ?6)",
                &[
                    db::text(entry_id),
                    db::text(device_id),
                    db::text(id),
                    db::text(KELURAHAN),
                    db::text(body.to_string()),
                    db::int(filed_at),
                ],
            )?;
            let new = perlinsos_server::stored::NewSanggahan {
                id,
                kelurahan_code: KELURAHAN,
                recipient_id: "R-0",
                reason: "mampu",
                reporter_nik: "5271014101900001",
                filed_at,
            };
            perlinsos_server::stored::insert_sanggahan(
                tx,
                &keys,
                device_id,
                entry_id,
                &new,
                perlinsos_core::sanggahan::Status::Diterima,
                filed_at,
            )
        })
        .unwrap();
}

fn count(server: &Server, sql: &str) -> i64 {
    server.state.db.scalar(sql).unwrap()
}

fn photo(source: &[u8]) -> Normalized {
    ingest(source, &Options::default()).unwrap()
}

/// Everything under the data folder, in bytes (the blob folder must not grow).
fn data_bytes(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let meta = entry.metadata().unwrap();
        total += if meta.is_dir() {
            data_bytes(&entry.path())
        } else {
            meta.len()
        };
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_names_that_are_paths_are_refused_and_never_read() {
    let server = Server::start().await;
    let phone = FieldPhone::enrolled(&server, "agen-01", &[KELURAHAN]).await;
    let hostile = Hostile::new(&server, &phone);
    let genuine = hostile.household(1);
    // The enrollment sync's own audit entry (it took the published record key) is there.
    let entries_before = count(&server, "SELECT count(*) FROM entries");

    // A real JPEG outside the data folder, attested by this very device, and a FIFO that would
    // block whoever opens it: named by path, neither may be read.
    let outside = tempfile::tempdir().unwrap();
    let stolen = photo(CAM3);
    let stolen_path = outside.path().join("outside.jpg");
    std::fs::write(&stolen_path, &stolen.jpeg).unwrap();
    let fifo = outside.path().join("fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let data_dir = server.state.data_dir.clone();
    let before = data_bytes(&data_dir);
    let relative = format!("../../../../../../../..{}", stolen_path.to_str().unwrap());
    let names = [
        "/dev/zero".to_owned(),
        stolen_path.to_str().unwrap().to_owned(),
        relative,
        fifo.to_str().unwrap().to_owned(),
        "../server.db".to_owned(),
        // Uppercase hex is not a blob name either (blobs are named in lowercase).
        stolen.sha256_hex().to_uppercase(),
    ];
    for (i, name) in names.iter().enumerate() {
        let mut attestation = hostile.attested(&stolen, &genuine.entity_id);
        attestation["sha256"] = serde_json::Value::String(name.clone());
        for declared in [vec![], vec![name.clone()]] {
            let mut entry = genuine.clone();
            entry.id = format!("{}-{i}-{}", genuine.id, declared.len());
            entry.body["evidence"] =
                serde_json::json!([{ "sha256": name, "attestation": attestation }]);
            entry.blobs = declared;
            let started = std::time::Instant::now();
            let outcomes = hostile.push(vec![entry]).await;
            assert_eq!(outcomes, vec![refused(ErrorCode::BodyInvalid)], "{i}");
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "answered at once"
            );
        }
    }
    assert_eq!(
        count(&server, "SELECT count(*) FROM entries"),
        entries_before
    );
    assert_eq!(count(&server, "SELECT count(*) FROM evidence_index"), 0);
    assert!(
        data_bytes(&data_dir) < before + 1024 * 1024,
        "nothing was copied into the data folder"
    );

    // The blob route refuses a path too (the name is the URL's last segment).
    let path = "/v1/blobs/..%2Fserver.db";
    let headers = hostile.signed_at("HEAD", path, b"", now_millis());
    let (status, _) = hostile
        .send(reqwest::Method::HEAD, path, headers, vec![])
        .await;
    assert_eq!(status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);

    // The genuine record, untouched, still goes through.
    assert_eq!(hostile.push(vec![genuine]).await, vec![Outcome::Accepted]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_must_be_the_declared_uploaded_blobs_attested_for_their_hash() {
    let server = Server::start().await;
    let phone = FieldPhone::enrolled(&server, "agen-01", &[KELURAHAN]).await;
    let hostile = Hostile::new(&server, &phone);
    let genuine = hostile.household(1);
    // The enrollment sync's own audit entry (it took the published record key) is there.
    let entries_before = count(&server, "SELECT count(*) FROM entries");
    let house = photo(CAM2);
    let sha = house.sha256_hex();
    let with = |id: &str, evidence: serde_json::Value, blobs: Vec<String>| {
        let mut entry = genuine.clone();
        entry.id = format!("{}-{id}", genuine.id);
        entry.body["evidence"] = evidence;
        entry.blobs = blobs;
        entry
    };
    let attested = hostile.attested(&house, &genuine.entity_id);
    let item = serde_json::json!({ "sha256": sha, "attestation": attested });

    // Not uploaded yet: the phone uploads first and tries again (transient).
    let outcomes = hostile
        .push(vec![with(
            "a",
            serde_json::json!([item]),
            vec![sha.clone()],
        )])
        .await;
    assert_eq!(outcomes, vec![refused(ErrorCode::BlobMissing)]);
    hostile.upload(&house).await;

    // Named in the body but not declared, declared but not named, named twice, an attestation
    // made for another photo, or an evidence list that is not one.
    let other = photo(CAM3);
    let mut for_other = hostile.attested(&other, &genuine.entity_id);
    for_other["sha256"] = serde_json::Value::String(sha.clone());
    let cases = [
        (
            with("b", serde_json::json!([item]), vec![]),
            ErrorCode::AttestationInvalid,
        ),
        (
            with("c", serde_json::json!([]), vec![sha.clone()]),
            ErrorCode::AttestationInvalid,
        ),
        (
            with(
                "d",
                serde_json::json!([item, item]),
                vec![sha.clone(), sha.clone()],
            ),
            ErrorCode::BodyInvalid,
        ),
        (
            with(
                "e",
                serde_json::json!([{ "sha256": sha, "attestation": for_other }]),
                vec![sha.clone()],
            ),
            ErrorCode::AttestationInvalid,
        ),
        (
            with("f", serde_json::json!("x"), vec![]),
            ErrorCode::BodyInvalid,
        ),
    ];
    for (entry, code) in cases {
        assert_eq!(hostile.push(vec![entry]).await, vec![refused(code)]);
    }
    assert_eq!(
        count(&server, "SELECT count(*) FROM entries"),
        entries_before
    );
    assert_eq!(count(&server, "SELECT count(*) FROM evidence_index"), 0);

    let outcomes = hostile
        .push(vec![with(
            "g",
            serde_json::json!([item]),
            vec![sha.clone()],
        )])
        .await;
    assert_eq!(outcomes, vec![Outcome::Accepted]);
    assert_eq!(count(&server, "SELECT count(*) FROM evidence_index"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_record_naming_a_path_is_neither_read_nor_linked_by_the_console() {
    let server = Server::start().await;
    let now = now_millis();
    // As a record accepted before names were checked would lie in the database.
    let body = serde_json::json!({
        "id": "s-old", "recipient_id": "R-0", "kelurahan_code": KELURAHAN,
        "reporter": { "nik": "5271014101900001", "full_name": "Baiq Nurul" },
        "reason": "mampu", "statement": "Rumahnya bertingkat.", "filed_at": now,
        "evidence": [
            { "sha256": "../../review/registrasi.csv?kelurahan=x", "attestation": {
                "version": 1, "sha256": "x", "phash": "0", "width": 1, "height": 1, "bytes": 1,
                "captured_at": now, "gps": null, "device_id": "hp", "record_id": "s-old",
                "signature": "00" } }
        ],
    });
    store_unchecked(&server, "e-old", "s-old", "hp", &body, now);
    let detail = perlinsos_server::review::detail(&server.state, "s-old")
        .unwrap()
        .expect("the sanggahan is listed");
    assert!(detail.photos.is_empty(), "a path is not a photo");
}

const OTHER_KELURAHAN: &str = "52.71.01.1005";

fn withdrawal(id: &str, sanggahan_id: &str, kelurahan: &str) -> PushEntry {
    PushEntry {
        id: id.into(),
        kind: "sanggahan.withdrawn".into(),
        entity_id: sanggahan_id.into(),
        body: serde_json::json!({ "sanggahan_id": sanggahan_id, "at": now_millis() }),
        kelurahan_code: Some(kelurahan.into()),
        blobs: vec![],
        created_at: now_millis(),
    }
}

fn server_status(server: &Server, id: &str) -> perlinsos_core::sanggahan::Status {
    perlinsos_server::review::detail(&server.state, id)
        .unwrap()
        .expect("sanggahan")
        .line
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_naming_another_kelurahan_than_its_envelope_is_out_of_scope() {
    let server = Server::start().await;
    server.import_recipients(&[KELURAHAN]);
    let phone = FieldPhone::enrolled(&server, "agen-01", &[KELURAHAN]).await;
    let hostile = Hostile::new(&server, &phone);
    let genuine = hostile.household(1);
    let mut cases = Vec::new();
    for pointer in ["address", "visit"] {
        let mut entry = genuine.clone();
        entry.id = format!("{}-{pointer}", genuine.id);
        entry.body[pointer]["kelurahan_code"] = OTHER_KELURAHAN.into();
        cases.push(entry);
    }
    let mut envelope_only = genuine.clone();
    envelope_only.id = format!("{}-envelope", genuine.id);
    envelope_only.kelurahan_code = Some(OTHER_KELURAHAN.into());
    cases.push(envelope_only);

    // A sanggahan the phone really filed and synced, sent again under new ids naming a
    // kelurahan outside the device's scope in its body.
    let (sanggahan_id, _) = phone.file_sanggahan(7, &[KELURAHAN], &[CAM2]);
    let filed = hostile
        .pending()
        .into_iter()
        .find(|e| e.entity_id == sanggahan_id)
        .expect("filed entry");
    phone.sync().await;
    let mut moved = filed.clone();
    moved.id = format!("{}-moved", filed.id);
    moved.entity_id = format!("{sanggahan_id}-2");
    moved.body["id"] = moved.entity_id.clone().into();
    moved.body["kelurahan_code"] = OTHER_KELURAHAN.into();
    moved.body["reporter"]["address"]["kelurahan_code"] = OTHER_KELURAHAN.into();
    cases.push(moved);

    let entries_before = count(&server, "SELECT count(*) FROM entries");
    let outcomes = hostile.push(cases).await;
    assert_eq!(outcomes, vec![refused(ErrorCode::OutOfScope); 4]);
    assert_eq!(
        count(&server, "SELECT count(*) FROM entries"),
        entries_before
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_filing_device_withdraws_and_no_device_reuses_a_record_id() {
    let server = Server::start().await;
    server.import_recipients(&[KELURAHAN, OTHER_KELURAHAN]);
    let owner = FieldPhone::enrolled(&server, "agen-01", &[KELURAHAN]).await;
    let neighbour = FieldPhone::enrolled(&server, "agen-02", &[KELURAHAN]).await;
    let stranger = FieldPhone::enrolled(&server, "agen-03", &[OTHER_KELURAHAN]).await;
    let (sanggahan_id, _) = owner.file_sanggahan(7, &[KELURAHAN], &[CAM2]);
    let household_id = loop_register(&owner, 1);
    owner.sync().await;
    let open = perlinsos_core::sanggahan::Status::Diterima;
    assert_eq!(server_status(&server, &sanggahan_id), open);

    // Another device of the same kelurahan, a device of another one (naming its own
    // kelurahan on the envelope), and a sanggahan that does not exist.
    let by_neighbour = Hostile::new(&server, &neighbour)
        .push(vec![
            withdrawal("w-1", &sanggahan_id, KELURAHAN),
            withdrawal("w-2", "tidak-ada", KELURAHAN),
        ])
        .await;
    assert_eq!(by_neighbour, vec![refused(ErrorCode::RecordNotOwned); 2]);
    let by_stranger = Hostile::new(&server, &stranger)
        .push(vec![withdrawal("w-3", &sanggahan_id, OTHER_KELURAHAN)])
        .await;
    assert_eq!(by_stranger, vec![refused(ErrorCode::RecordNotOwned)]);
    // The owner's withdrawal must name the sanggahan it withdraws.
    let mut mismatched = withdrawal("w-4", &sanggahan_id, KELURAHAN);
    mismatched.body["sanggahan_id"] = "lain".into();
    assert_eq!(
        Hostile::new(&server, &owner).push(vec![mismatched]).await,
        vec![refused(ErrorCode::BodyInvalid)]
    );
    assert_eq!(server_status(&server, &sanggahan_id), open, "still open");

    // A household under the owner's household id, and the owner's own entry id, from the
    // neighbour: both refused, the owner's record unchanged.
    let neighbour_hostile = Hostile::new(&server, &neighbour);
    let mut reused = neighbour_hostile.household(40);
    let sealed_of = |id: &str| -> Vec<u8> {
        server
            .state
            .db
            .read(|tx| {
                Ok(tx
                    .query_one(
                        "SELECT sealed FROM entries WHERE entity_id = ?1",
                        &[perlinsos_server::db::text(id)],
                    )?
                    .and_then(|r| r[0].blob())
                    .unwrap_or_default())
            })
            .unwrap()
    };
    let theirs_before = sealed_of(&household_id);
    let owner_entry_id: String = server
        .state
        .db
        .read(|tx| {
            Ok(tx
                .query_one(
                    "SELECT id FROM entries WHERE entity_id = ?1",
                    &[perlinsos_server::db::text(household_id.as_str())],
                )?
                .and_then(|r| r[0].text())
                .unwrap_or_default())
        })
        .unwrap();
    let mut same_entry = reused.clone();
    same_entry.id = owner_entry_id;
    reused.entity_id = household_id.clone();
    reused.body["id"] = household_id.clone().into();
    reused.id = format!("{}-reuse", reused.id);
    assert_eq!(
        neighbour_hostile.push(vec![reused, same_entry]).await,
        vec![refused(ErrorCode::RecordIdTaken); 2]
    );
    let theirs_after: i64 = count(
        &server,
        &format!("SELECT count(*) FROM entries WHERE entity_id = '{household_id}'"),
    );
    assert_eq!(theirs_after, 1);
    assert!(!theirs_before.is_empty());
    assert_eq!(
        sealed_of(&household_id),
        theirs_before,
        "the owner's record unchanged"
    );

    // The owner's own withdrawal, through its real outbox, closes it.
    owner.sanggahan().withdraw(&sanggahan_id).unwrap();
    owner.sync().await;
    assert_eq!(
        server_status(&server, &sanggahan_id),
        perlinsos_core::sanggahan::Status::Ditarik
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extreme_times_are_refused_and_a_stored_one_stops_no_sweep_or_page() {
    let server = Server::start().await;
    server.import_recipients(&[KELURAHAN]);
    let phone = FieldPhone::enrolled(&server, "agen-01", &[KELURAHAN]).await;
    let hostile = Hostile::new(&server, &phone);

    // Signed requests dated at the ends of time: stale, not a panic.
    for at in [i64::MIN, i64::MAX, 0] {
        let path = "/v1/changes?since=0";
        let headers = hostile.signed_at("GET", path, b"", at);
        let (status, body) = hostile
            .send(reqwest::Method::GET, path, headers, vec![])
            .await;
        assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED, "{at}");
        assert!(String::from_utf8_lossy(&body).contains("REQUEST_STALE"));
    }

    // Records dated far ahead or before the pilot: refused with their code.
    let genuine = hostile.household(1);
    let (sanggahan_id, _) = phone.file_sanggahan(7, &[KELURAHAN], &[CAM2]);
    let filed = hostile
        .pending()
        .into_iter()
        .find(|e| e.entity_id == sanggahan_id)
        .expect("filed entry");
    phone.sync().await;
    let entries_before = count(&server, "SELECT count(*) FROM entries");
    let mut cases = Vec::new();
    for (i, bad) in [i64::MAX, i64::MIN, 1].into_iter().enumerate() {
        let mut late = filed.clone();
        late.id = format!("{}-t{i}", filed.id);
        late.entity_id = format!("{sanggahan_id}-t{i}");
        late.body["id"] = late.entity_id.clone().into();
        late.body["filed_at"] = bad.into();
        cases.push(late);
        let mut household = genuine.clone();
        household.id = format!("{}-t{i}", genuine.id);
        household.entity_id = format!("{}-t{i}", genuine.entity_id);
        household.body["id"] = household.entity_id.clone().into();
        household.body["registered_at"] = bad.into();
        cases.push(household);
        let mut created = genuine.clone();
        created.id = format!("{}-c{i}", genuine.id);
        created.entity_id = format!("{}-c{i}", genuine.entity_id);
        created.body["id"] = created.entity_id.clone().into();
        created.created_at = bad;
        cases.push(created);
    }
    let outcomes = hostile.push(cases).await;
    assert_eq!(outcomes, vec![refused(ErrorCode::TimeInvalid); 9]);
    assert_eq!(
        count(&server, "SELECT count(*) FROM entries"),
        entries_before
    );

    // A sanggahan stored before times were checked, filed at i64::MAX: the expiry sweep (run
    // at start and before console pages), the list and the detail page still work, and the
    // good sanggahan lapses as it should.
    let mut body = filed.body.clone();
    body["filed_at"] = i64::MAX.into();
    body["id"] = "s-max".into();
    store_unchecked(&server, "e-max", "s-max", &phone.device.id, &body, i64::MAX);
    server.advance_days(15);
    assert_eq!(
        perlinsos_server::review::expire_overdue(&server.state).unwrap(),
        1
    );
    let listed = perlinsos_server::review::list(&server.state, &Default::default()).unwrap();
    assert_eq!(listed.lines.len(), 2);
    let max = perlinsos_server::review::detail(&server.state, "s-max")
        .unwrap()
        .expect("listed");
    assert!(max.line.status.is_open());
    assert_eq!(
        server_status(&server, &sanggahan_id),
        perlinsos_core::sanggahan::Status::Kedaluwarsa
    );
    // A time no calendar holds is shown as "-", not a panic.
    assert_eq!(
        perlinsos_server::console::html::time(i64::MAX, KELURAHAN),
        "-"
    );
    assert_eq!(
        perlinsos_server::console::html::time(i64::MIN, KELURAHAN),
        "-"
    );
}

/// `entry` under fresh ids, changed by `change`.
fn variant(entry: &PushEntry, tag: &str, change: impl FnOnce(&mut serde_json::Value)) -> PushEntry {
    let mut out = entry.clone();
    out.id = format!("{}-{tag}", entry.id);
    out.entity_id = format!("{}-{tag}", entry.entity_id);
    out.body["id"] = out.entity_id.clone().into();
    change(&mut out.body);
    out
}

fn refused_for(outcome: &Outcome, field: &str) -> bool {
    matches!(outcome, Outcome::Rejected { code: ErrorCode::RecordInvalid, reason }
        if reason.contains(field))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_breaking_the_phones_rules_are_refused_with_their_fields_and_no_values() {
    let server = Server::start().await;
    server.import_recipients(&[KELURAHAN]);
    let phone = FieldPhone::enrolled(&server, "agen-01", &[KELURAHAN]).await;
    let hostile = Hostile::new(&server, &phone);
    let genuine = hostile.household(1);
    let nik = genuine.body["members"][0]["nik"]
        .as_str()
        .unwrap()
        .to_owned();
    let name = genuine.body["members"][0]["full_name"]
        .as_str()
        .unwrap()
        .to_owned();
    let households = vec![
        (
            variant(&genuine, "nik", |b| {
                b["members"][0]["nik"] = "0000000000000000".into()
            }),
            "members[0].nik",
        ),
        (
            variant(&genuine, "bell", |b| {
                b["members"][0]["full_name"] = "Baiq\u{7}Nurul".into()
            }),
            "members[0].full_name",
        ),
        (
            variant(&genuine, "sex", |b| {
                let sex = if b["members"][0]["sex"] == "L" {
                    "P"
                } else {
                    "L"
                };
                b["members"][0]["sex"] = sex.into();
            }),
            "members[0].sex",
        ),
        (
            variant(&genuine, "rt", |b| b["address"]["rt"] = 0.into()),
            "household.address.rt",
        ),
        (
            variant(&genuine, "street", |b| {
                b["address"]["street"] = "Jl. Pejanggik\n=cmd".into()
            }),
            "household.address.street",
        ),
        (
            variant(&genuine, "head", |b| b["head_member_id"] = "bukan".into()),
            "head_member_id",
        ),
        (
            variant(&genuine, "many", |b| {
                let member = b["members"][1].clone();
                let members = b["members"].as_array_mut().unwrap();
                for i in 0..30 {
                    let mut m = member.clone();
                    m["id"] = format!("m-{i}").into();
                    members.push(m);
                }
            }),
            "members",
        ),
    ];
    let (entries, fields): (Vec<_>, Vec<_>) = households.into_iter().unzip();
    let outcomes = hostile.push(entries).await;
    for (outcome, field) in outcomes.iter().zip(&fields) {
        assert!(refused_for(outcome, field), "{field}: {outcome:?}");
        let text = format!("{outcome:?}");
        assert!(
            !text.contains(&nik) && !text.contains(&name),
            "no personal data"
        );
    }
    // A birth date in the year 292 million is not even a date.
    let far = variant(&genuine, "far", |b| {
        b["members"][0]["birth_date"] = "292000000-01-01".into()
    });
    assert_eq!(
        hostile.push(vec![far]).await,
        vec![refused(ErrorCode::BodyInvalid)]
    );

    let (sanggahan_id, _) = phone.file_sanggahan(7, &[KELURAHAN], &[CAM2]);
    let filed = hostile
        .pending()
        .into_iter()
        .find(|e| e.entity_id == sanggahan_id)
        .expect("filed entry");
    phone.sync().await;
    let sanggahan = vec![
        (
            variant(&filed, "short", |b| b["statement"] = "Kaya.".into()),
            "statement",
        ),
        (
            variant(&filed, "reporter", |b| b["reporter"]["nik"] = "1234".into()),
            "reporter.nik",
        ),
        (
            variant(&filed, "nogps", |b| {
                b["evidence"][0]["attestation"]["gps"] = serde_json::Value::Null
            }),
            "photos",
        ),
        (
            variant(&filed, "old", |b| {
                let at = b["filed_at"].as_i64().unwrap() - 31 * perlinsos_core::purge::DAY_MS;
                b["evidence"][0]["attestation"]["captured_at"] = at.into();
            }),
            "photos[0]",
        ),
    ];
    let (entries, fields): (Vec<_>, Vec<_>) = sanggahan.into_iter().unzip();
    let outcomes = hostile.push(entries).await;
    for (outcome, field) in outcomes.iter().zip(&fields) {
        assert!(refused_for(outcome, field), "{field}: {outcome:?}");
    }
    // A recipient the district never listed.
    let unlisted = variant(&filed, "unlisted", |b| b["recipient_id"] = "R-999".into());
    assert_eq!(
        hostile.push(vec![unlisted]).await,
        vec![refused(ErrorCode::RecordInvalid)]
    );
    // None of it was stored: the genuine household and sanggahan only.
    assert_eq!(
        count(
            &server,
            "SELECT count(*) FROM entries WHERE kind <> 'audit.appended'"
        ),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_phones_racing_with_one_family_or_one_record_id_lose_no_duplicate_and_take_no_id_twice()
{
    let server = Server::start().await;
    let a = FieldPhone::enrolled(&server, "agen-01", &[KELURAHAN]).await;
    let b = FieldPhone::enrolled(&server, "agen-02", &[KELURAHAN]).await;
    let (ha, hb) = (Hostile::new(&server, &a), Hostile::new(&server, &b));
    for round in 0..8u64 {
        // The same family on both phones, sent at the same moment.
        // Seeds far apart: each search for a household of KELURAHAN starts afresh.
        let seed = 100_000 + round * 10_000;
        let first = ha.household(seed);
        let same_family = {
            let id = loop_register(&b, seed);
            hb.pending()
                .into_iter()
                .find(|e| e.entity_id == id && e.kind == "household.registered")
                .unwrap()
        };
        assert_eq!(first.body["kk"], same_family.body["kk"], "the same family");
        let (x, y) = tokio::join!(ha.push(vec![first.clone()]), hb.push(vec![same_family]));
        assert_eq!((x, y), (vec![Outcome::Accepted], vec![Outcome::Accepted]));
        assert_eq!(
            count(&server, "SELECT count(*) FROM duplicates"),
            round as i64 + 1,
            "round {round}: the pair is found whichever commits first"
        );
        // One record id from both phones at once: exactly one takes it.
        let mine = ha.household(seed + 3_000);
        let mut theirs = hb.household(seed + 6_000);
        theirs.entity_id = mine.entity_id.clone();
        theirs.body["id"] = mine.entity_id.clone().into();
        // Its receipt was signed over its own id: without one it is a record queued before
        // receipts, refused only for the id.
        theirs.body.as_object_mut().unwrap().remove("receipt");
        let (x, y) = tokio::join!(ha.push(vec![mine]), hb.push(vec![theirs]));
        let mut outcomes = vec![x[0].clone(), y[0].clone()];
        outcomes.sort_by_key(|o| format!("{o:?}"));
        assert_eq!(
            outcomes,
            vec![Outcome::Accepted, refused(ErrorCode::RecordIdTaken)],
            "round {round}"
        );
    }
}

/// Records sealed for a key the server never made, tampered with, moved into another entry or
/// relabelled as another kind do not open; a newer version or an unknown kind is not guessed.
/// Each is refused with its code and nothing is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_that_do_not_open_or_are_not_known_are_refused_and_change_nothing() {
    let server = Server::start().await;
    let phone = FieldPhone::enrolled(&server, "agen-01", &[KELURAHAN]).await;
    let hostile = Hostile::new(&server, &phone);
    let genuine = hostile.household(1);
    let entries_before = count(&server, "SELECT count(*) FROM entries");
    let sealed = genuine.seal(&server.state);

    let mut unknown_key = sealed.clone();
    unknown_key.key_id = "rk-none".into();
    let mut tampered = sealed.clone();
    let middle = tampered.sealed.len() / 2;
    let flipped = if &tampered.sealed[middle..=middle] == "0" {
        "1"
    } else {
        "0"
    };
    tampered.sealed.replace_range(middle..=middle, flipped);
    let mut moved = sealed.clone();
    moved.id = format!("{}-moved", sealed.id);
    let mut relabelled = sealed.clone();
    relabelled.kind = "sanggahan.withdrawn".into();
    let newer = genuine.seal_as_version(&server.state, 2);
    let mut other_kind = genuine.clone();
    other_kind.kind = "household.verified".into();
    let other_kind = other_kind.seal(&server.state);

    let outcomes = hostile
        .push_sealed(vec![
            unknown_key,
            tampered,
            moved,
            relabelled,
            newer,
            other_kind,
        ])
        .await;
    assert_eq!(
        outcomes,
        vec![
            refused(ErrorCode::SealInvalid),
            refused(ErrorCode::SealInvalid),
            refused(ErrorCode::SealInvalid),
            refused(ErrorCode::SealInvalid),
            refused(ErrorCode::RecordVersionUnknown),
            refused(ErrorCode::KindUnknown),
        ]
    );
    assert_eq!(
        count(&server, "SELECT count(*) FROM entries"),
        entries_before
    );
    assert_eq!(count(&server, "SELECT count(*) FROM households"), 0);
    // The genuine one, as the phone sealed it, still goes in.
    assert_eq!(
        hostile.push_sealed(vec![sealed]).await,
        vec![Outcome::Accepted]
    );
}

/// A registration whose resident receipt is not this device's signature over it is refused
/// whole: the resident would hold a receipt the district cannot confirm.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_with_a_forged_receipt_is_refused_and_stores_nothing() {
    let server = Server::start().await;
    let phone = FieldPhone::enrolled(&server, "agen-01", &[KELURAHAN]).await;
    let hostile = Hostile::new(&server, &phone);
    let mut forged = hostile.household(424_242);
    assert!(
        forged.body["receipt"].is_string(),
        "a real registration has a receipt"
    );
    forged.body["receipt"] = "ab".repeat(64).into();
    assert_eq!(
        hostile.push(vec![forged]).await,
        vec![refused(ErrorCode::RecordInvalid)]
    );
    assert_eq!(count(&server, "SELECT count(*) FROM households"), 0);
    assert_eq!(count(&server, "SELECT count(*) FROM resident_receipts"), 0);
}

/// A push's audit signatures are checked together (`perlinsos_server::audit_signatures`): one
/// forged signature among genuine ones is still found alone (`SIGNATURE_INVALID`), what comes
/// after it no longer continues the chain, a signature that is not hex is `BODY_INVALID`, and
/// nothing refused is stored; the genuine entries then go in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_audit_signature_among_genuine_ones_is_found_and_stores_nothing() {
    let server = Server::start().await;
    let phone = FieldPhone::enrolled(&server, "agen-01", &[KELURAHAN]).await;
    let hostile = Hostile::new(&server, &phone);
    for seed in [1, 1_000, 2_000] {
        loop_register(&phone, seed);
    }
    let audits: Vec<PushEntry> = hostile
        .pending()
        .into_iter()
        .filter(|e| e.kind == "audit.appended")
        .collect();
    assert!(audits.len() >= 4, "{} audit entries", audits.len());
    let entries_before = count(&server, "SELECT count(*) FROM entries");
    let head = || count(&server, "SELECT audit_seq FROM devices");
    let head_before = head();

    // Another entry's signature: valid hex, this device's, but not over this hash.
    let mut forged = audits[1].clone();
    forged.body["signature"] = audits[2].body["signature"].clone();
    let outcomes = hostile
        .push(vec![
            audits[0].clone(),
            forged,
            audits[2].clone(),
            audits[3].clone(),
        ])
        .await;
    assert_eq!(
        outcomes,
        vec![
            Outcome::Accepted,
            refused(ErrorCode::SignatureInvalid),
            refused(ErrorCode::AuditChainBroken),
            refused(ErrorCode::AuditChainBroken),
        ]
    );
    assert_eq!(
        count(&server, "SELECT count(*) FROM entries"),
        entries_before + 1
    );
    assert_eq!(head(), head_before + 1);

    let mut not_hex = audits[1].clone();
    let signature = not_hex.body["signature"].as_str().unwrap().to_owned();
    not_hex.body["signature"] = format!("zz{}", &signature[2..]).into();
    assert_eq!(
        hostile.push(vec![not_hex, audits[2].clone()]).await,
        vec![
            refused(ErrorCode::BodyInvalid),
            refused(ErrorCode::AuditChainBroken),
        ]
    );
    assert_eq!(
        count(&server, "SELECT count(*) FROM entries"),
        entries_before + 1
    );
    assert_eq!(head(), head_before + 1);

    // The genuine entries, as the phone made them, continue the chain.
    let rest = audits[1..].to_vec();
    let accepted = hostile.push(rest.clone()).await;
    assert!(
        accepted.iter().all(|o| *o == Outcome::Accepted),
        "{accepted:?}"
    );
    assert_eq!(head(), head_before + audits.len() as i64);
}
