//! A phone's core syncing with a real perlinsos-server over a loopback socket: enrollment,
//! households with photos, the audit trail, recipient lists and models pulled, a sanggahan
//! filed and its decision coming back; a lost answer repeated; and the refusals (replayed and
//! badly signed requests, a tampered blob, a write outside the scope, an unsigned model).
use std::path::Path;
use std::sync::Arc;

use perlinsos_core::date::now_millis;
use perlinsos_core::evidence::book::{Capture, EvidenceBook};
use perlinsos_core::evidence::{Gps, Options};
use perlinsos_core::registration::Registry;
use perlinsos_core::sample::Generator;
use perlinsos_core::sanggahan::{
    Filing, FilingPhoto, PhotoRole, Reason, Reporter, SanggahanBook, Status,
};
use perlinsos_core::session::device::Device;
use perlinsos_core::session::AgentSession;
use perlinsos_core::store::Store;
use perlinsos_core::sync::{self, Progress, Syncer};
use perlinsos_core::Date;
use perlinsos_server::{operator, AppState};

const CAM2: &[u8] = include_bytes!("../../core/data/photos/cam2_wood.jpg");
const CAM3: &[u8] = include_bytes!("../../core/data/photos/cam3_ladybird.jpg");
const MODEL: &str = include_str!("../../core/models/ilustratif-kota-mataram.json");
const HOUSE: Gps = Gps {
    latitude: -8.5833,
    longitude: 116.1167,
};
/// This phone's scope: the Kota Mataram kelurahan the sample generator draws from (not the
/// two in Lombok Timur).
const SCOPE: &[&str] = perlinsos_core::sample::KELURAHAN.split_at(8).0;

struct Server {
    _dir: tempfile::TempDir,
    state: AppState,
    url: String,
}

async fn server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let state = perlinsos_e2e::server_state(dir.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(perlinsos_server::serve(listener, state.clone()));
    Server {
        _dir: dir,
        state,
        url,
    }
}

impl Server {
    fn count(&self, sql: &str) -> i64 {
        self.state.db.scalar(sql).unwrap()
    }
}

struct Phone {
    dir: tempfile::TempDir,
    core: perlinsos_core::phone::Phone,
    session: AgentSession,
    store: Arc<Store>,
    device: Arc<Device>,
    cipher: Arc<perlinsos_core::crypt::Cipher>,
}

fn phone() -> Phone {
    let dir = tempfile::tempdir().unwrap();
    let core =
        perlinsos_core::phone::Phone::open(dir.path(), b"keystore", Arc::new(now_millis)).unwrap();
    let session = core.agents().enroll("agen-01", "482913", &[5; 32]).unwrap();
    Phone {
        cipher: session.cipher().unwrap(),
        store: core.store().clone(),
        device: core.device().clone(),
        dir,
        core,
        session,
    }
}

impl Phone {
    fn blob_dir(&self) -> std::path::PathBuf {
        self.core.evidence_dir()
    }

    fn registry(&self) -> Registry {
        self.core.registry(&self.session).unwrap()
    }

    fn evidence(&self) -> EvidenceBook {
        self.core.evidence(&self.session).unwrap()
    }

    fn sanggahan(&self) -> SanggahanBook {
        self.core.sanggahan(&self.session).unwrap()
    }

    fn syncer(&self) -> Syncer {
        self.core.syncer(&self.session).unwrap()
    }

    fn outbox_len(&self) -> usize {
        self.store
            .read(perlinsos_core::outbox::entries)
            .unwrap()
            .len()
    }

    fn register(&self, generator: &mut Generator, photo: Option<&[u8]>) -> String {
        let now = now_millis();
        let id = generator
            .household("agen-01", 4, now)
            .register(&self.registry(), now)
            .unwrap();
        if let Some(photo) = photo {
            self.evidence()
                .capture(
                    photo,
                    &Options::default(),
                    Capture {
                        record_kind: "household",
                        record_id: &id,
                        captured_at: now,
                        gps: Some(HOUSE),
                        device_id: &self.device.id,
                        device_key: self.device.key(),
                        agent_id: "agen-01",
                    },
                )
                .unwrap();
        }
        id
    }
}

fn recipients_csv() -> String {
    let mut csv = String::from("recipient_id,kelurahan_code,programme,name,nik,rt,rw\n");
    for (i, kelurahan) in SCOPE.iter().enumerate() {
        csv += &format!("R-{i},{kelurahan},PKH,Baiq Nurul,5271010101900{i:03},1,2\n");
    }
    csv
}

fn copy_db(from: &Path, to: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let source = from.with_file_name(format!("device.db{suffix}"));
        let target = to.with_file_name(format!("device.db{suffix}"));
        if source.exists() {
            std::fs::copy(source, target).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_enrolls_pushes_pulls_and_gets_its_decisions_back_exactly_once() {
    let server = server().await;
    let scope: Vec<String> = SCOPE.iter().map(|s| s.to_string()).collect();
    let code = perlinsos_e2e::ticket(&server.state, "agen-01", &scope, &server.url);
    operator::import_recipients(&server.state, recipients_csv().as_bytes()).unwrap();
    operator::publish_model(&server.state, MODEL).unwrap();

    let phone = phone();
    let enrollment = sync::enroll(&phone.store, &phone.device, &code)
        .await
        .unwrap();
    assert_eq!(enrollment.agent_id, "agen-01");
    assert_eq!(enrollment.scope, scope);
    // The code is spent: another phone cannot use it.
    let other = self::phone();
    assert!(sync::enroll(&other.store, &other.device, &code)
        .await
        .is_err());

    let mut generator = Generator::new(5, Date::of_unix_millis(now_millis()));
    let households: Vec<(String, String)> = (0..3)
        .map(|i| {
            let id = phone.register(&mut generator, (i == 0).then_some(CAM2));
            let kelurahan = phone
                .registry()
                .household(&id)
                .unwrap()
                .address
                .kelurahan_code;
            (id, kelurahan)
        })
        .collect();
    // The generator also draws Lombok Timur, outside this phone's scope (Kota Mataram).
    let outside = households
        .iter()
        .filter(|(_, k)| !SCOPE.contains(&k.as_str()))
        .count();
    assert_eq!(outside, 1, "the seed gives one household outside the scope");
    let queued = phone.outbox_len();
    // Records of the household outside the scope (it and any photo added later) are refused.
    let sealed: Vec<perlinsos_protocol::wire::PushEntry> =
        serde_json::from_slice(&phone.syncer().wire_records().unwrap()).unwrap();
    let in_scope = |e: &&perlinsos_protocol::wire::PushEntry| {
        e.kelurahan_code
            .as_deref()
            .is_some_and(|k| SCOPE.contains(&k))
    };
    let records_in_scope = sealed.iter().filter(in_scope).count();
    let outside_records = sealed
        .iter()
        .filter(|e| e.kelurahan_code.is_some() && !in_scope(e))
        .count();
    assert!(queued > 3, "households and their audit entries are queued");

    // A copy of the phone as it was before the pass: replaying it is a pass whose answer
    // was lost.
    let before = tempfile::tempdir().unwrap();
    phone.store.checkpoint().unwrap();
    copy_db(
        &phone.dir.path().join("device.db"),
        &before.path().join("device.db"),
    );

    let events = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = events.clone();
    let report = phone
        .syncer()
        .on_progress(move |p| seen.lock().unwrap().push(p))
        .sync()
        .await
        .unwrap();
    // The agent's screen heard about the photo's bytes and the entries as they went.
    let events = events.lock().unwrap().clone();
    assert!(events.iter().any(|e| matches!(
        e,
        Progress::Blob { sent_bytes, total_bytes } if sent_bytes == total_bytes && *total_bytes > 0
    )));
    assert!(events
        .iter()
        .any(|e| matches!(e, Progress::Entries { pending: 0, .. })));
    // Everything queued, and the pass's own audit entry (sync), went up.
    assert_eq!(report.accepted + report.parked, queued + 1);
    assert_eq!(report.records_accepted, records_in_scope);
    assert!(
        records_in_scope >= 2,
        "two households in scope, and a photo if it was theirs"
    );
    assert_eq!(
        report.parked, outside_records,
        "a write outside the scope is refused"
    );
    let parked: Vec<(String, Option<String>)> = phone
        .store
        .read(|c| {
            let mut stmt = c.prepare("SELECT entity_id, park_reason FROM outbox")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .unwrap();
    assert_eq!(parked.len(), outside_records);
    assert!(parked
        .iter()
        .all(|p| p.1.as_deref().unwrap().starts_with("OutOfScope")));
    assert_eq!(report.blobs_uploaded, 1);
    assert_eq!(
        server.count("SELECT count(*) FROM entries WHERE kind = 'household.registered'"),
        2
    );
    assert_eq!(server.count("SELECT count(*) FROM blobs"), 1);
    assert_eq!(
        report.changes_applied,
        SCOPE.len() + 2,
        "a list per kelurahan, the model and the record key the server published at start"
    );
    // The recipient list and the model arrived, the model verified under the district key.
    let sanggahan = phone.sanggahan();
    assert_eq!(sanggahan.recipients(SCOPE[0]).unwrap().len(), 1);
    assert_eq!(phone.syncer().models().unwrap().len(), 1);
    // Each household the server took is confirmed for purge.
    let receipts: i64 = phone
        .store
        .read(|c| Ok(c.query_row("SELECT count(*) FROM receipts", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(receipts, 2);

    // The same entries again (the phone never heard the answer): all duplicates, nothing
    // stored twice. The copy's own new audit entry forks the device's chain and is refused.
    {
        let replay_store = Arc::new(Store::open(before.path().join("device.db")).unwrap());
        let replay = Syncer::new(
            replay_store.clone(),
            phone.device.clone(),
            phone.cipher.clone(),
            phone.blob_dir(),
            Arc::new(now_millis),
        )
        .unwrap();
        let again = replay.sync().await.unwrap();
        assert_eq!(
            (again.accepted, again.duplicates, again.parked),
            (0, report.accepted - 1, outside_records + 1)
        );
        let forked: i64 = replay_store
            .read(|c| {
                Ok(c.query_row(
                    "SELECT count(*) FROM outbox WHERE park_reason LIKE 'AuditChainBroken%'",
                    [],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert_eq!(forked, 1);
        assert_eq!(
            again.blobs_uploaded, 0,
            "the blob is already whole on the server"
        );
    }
    assert_eq!(
        server.count("SELECT count(*) FROM entries"),
        report.accepted as i64
    );

    // A resident's sanggahan, with photos, goes up; the district's decision comes down.
    let sample = generator.household("agen-01", 1, now_millis());
    let kelurahan = sample.household.address.kelurahan_code.clone();
    let target = format!("R-{}", SCOPE.iter().position(|k| *k == kelurahan).unwrap());
    let filed = sanggahan
        .file(
            &Filing {
                id: None,
                agent_id: "agen-01".into(),
                recipient_id: target,
                reporter: Reporter {
                    nik: sample.members[0].nik.clone(),
                    full_name: sample.members[0].full_name.clone(),
                    address: sample.household.address.clone(),
                },
                reason: Reason::Mampu,
                statement: "Rumahnya bertingkat dan punya mobil baru tahun ini.".into(),
            },
            &[FilingPhoto {
                bytes: &perlinsos_core::sample::photo_taken_on(
                    CAM3,
                    Date::of_unix_millis(now_millis()),
                ),
                role: PhotoRole::RumahPenerima,
                captured_at: now_millis(),
                gps: Some(HOUSE),
            }],
        )
        .unwrap();
    let report = phone.syncer().sync().await.unwrap();
    assert_eq!(report.blobs_uploaded, 1);
    assert_eq!(
        sanggahan.get(&filed.id).unwrap().summary.status,
        Status::Diterima
    );
    operator::set_status(&server.state, "sanggahan", &filed.id, "diverifikasi", None).unwrap();
    phone.syncer().sync().await.unwrap();
    assert_eq!(
        sanggahan.get(&filed.id).unwrap().summary.status,
        Status::Diverifikasi
    );
    // The server's copy of the audit trail is continuous: every entry the phone wrote.
    let phone_audit: i64 = phone
        .store
        .read(|c| Ok(c.query_row("SELECT max(seq) FROM audit", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(server.count("SELECT audit_seq FROM devices"), phone_audit);
}

/// The phone takes the district's record key at enrollment and a rotated one from the change
/// feed, each only with the district key's signature over it.
#[tokio::test]
async fn record_keys_come_signed_at_enrollment_and_rotate_through_the_feed() {
    use perlinsos_core::record_keys;
    let server = server().await;
    let scope: Vec<String> = SCOPE.iter().map(|s| s.to_string()).collect();
    let code = perlinsos_e2e::ticket(&server.state, "agen-01", &scope, &server.url);
    let phone = phone();
    sync::enroll(&phone.store, &phone.device, &code)
        .await
        .unwrap();
    let current = || phone.store.read(record_keys::current).unwrap().unwrap();
    let first = current();
    let district = server.state.district_key.clone();
    let served = server
        .state
        .db
        .read(move |tx| perlinsos_server::record_keys::current(tx, &district))
        .unwrap();
    assert_eq!(first.key_id, served.key_id);
    // A household in scope, registered now, and the key its record is sealed for.
    let mut generator = Generator::new(9, Date::of_unix_millis(now_millis()));
    let mut register = || loop {
        let sample = generator.household("agen-01", 2, now_millis());
        if SCOPE.contains(&sample.household.address.kelurahan_code.as_str()) {
            let id = sample.register(&phone.registry(), now_millis()).unwrap();
            let key_id: String = phone
                .store
                .read(|c| {
                    Ok(c.query_row(
                        "SELECT key_id FROM outbox WHERE entity_id = ?1",
                        [&id],
                        |r| r.get(0),
                    )?)
                })
                .unwrap();
            break (id, key_id);
        }
    };
    // A household queued before the rotation stays sealed for the first key.
    let (before, sealed_for) = register();
    assert_eq!(sealed_for, first.key_id);

    let now = now_millis();
    let rotated = server
        .state
        .db
        .write(|tx| {
            perlinsos_server::record_keys::rotate(
                tx,
                &server.state.keys,
                &server.state.district_key,
                now,
            )
        })
        .unwrap();
    let report = phone.syncer().sync().await.unwrap();
    assert_eq!(report.keys_refused, 0);
    assert_eq!(current().key_id, rotated);
    assert_ne!(rotated, first.key_id);
    // The server still opens what was sealed for the older key.
    assert_eq!(report.parked, 0, "{report:?}");
    assert_eq!(
        server.count(&format!(
            "SELECT count(*) FROM entries WHERE kind = 'household.registered' AND entity_id = '{before}'"
        )),
        1
    );
    // New records are sealed for the new key.
    let (_, sealed_for) = register();
    assert_eq!(sealed_for, rotated);

    // A key the district did not sign is never taken, whoever delivers it.
    let mut forged = served.clone();
    forged.key_id = "rk-forged".into();
    let district_public = perlinsos_core::hex::decode(
        &sync::enrollment(&phone.store)
            .unwrap()
            .unwrap()
            .district_public_key,
    )
    .unwrap();
    assert!(!phone
        .store
        .write(|tx| record_keys::accept(tx, &district_public, &forged, now))
        .unwrap());
    assert_eq!(current().key_id, rotated);
}
