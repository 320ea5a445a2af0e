//! What the server refuses, over a real socket: replayed, stale, badly signed and unknown-device
//! requests, a tampered blob, a forged attestation, a broken audit chain; and what the phone
//! refuses: a model the district did not sign.
use std::sync::Arc;

use perlinsos_core::date::now_millis;
use perlinsos_core::evidence::{attest, ingest, Options};
use perlinsos_core::session::device::Device;
use perlinsos_core::store::Store;
use perlinsos_core::sync::Syncer;
use perlinsos_e2e::PlainEntry as PushEntry;
use perlinsos_protocol::signing::{self, canonical_request};
use perlinsos_protocol::wire::{self, Change, ErrorCode, PushRequest, PushResponse};
use perlinsos_server::{db, operator, AppState};
use reqwest::StatusCode;
use ring::digest::{digest, SHA256};
use ring::signature::{Ed25519KeyPair, KeyPair};

const CAM2: &[u8] = include_bytes!("../../core/data/photos/cam2_wood.jpg");

fn hex(bytes: &[u8]) -> String {
    perlinsos_core::hex::encode(bytes)
}

struct Setup {
    _dirs: (tempfile::TempDir, tempfile::TempDir),
    state: AppState,
    url: String,
    store: Arc<Store>,
    device: Arc<Device>,
    http: reqwest::Client,
}

async fn setup() -> Setup {
    let server_dir = tempfile::tempdir().unwrap();
    let state = perlinsos_e2e::server_state(server_dir.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(perlinsos_server::serve(listener, state.clone()));
    let code = perlinsos_e2e::ticket(&state, "agen-01", &["52.71.01.1004".into()], &url);
    let phone_dir = tempfile::tempdir().unwrap();
    let phone =
        perlinsos_core::phone::Phone::open(phone_dir.path(), b"keystore", Arc::new(now_millis))
            .unwrap();
    phone.enroll(&code).await.unwrap();
    let (store, device) = (phone.store().clone(), phone.device().clone());
    Setup {
        _dirs: (server_dir, phone_dir),
        state,
        url,
        store,
        device,
        http: reqwest::Client::new(),
    }
}

/// The signing headers for a request, with a chosen time and nonce.
fn signed(
    key: &Ed25519KeyPair,
    device_id: &str,
    method: &str,
    path: &str,
    body: &[u8],
    at: i64,
    nonce: &str,
) -> Vec<(&'static str, String)> {
    let text = canonical_request(
        method,
        path,
        device_id,
        at,
        nonce,
        &hex(digest(&SHA256, body).as_ref()),
    );
    vec![
        (signing::HEADER_DEVICE, device_id.to_owned()),
        (signing::HEADER_TIMESTAMP, at.to_string()),
        (signing::HEADER_NONCE, nonce.to_owned()),
        (signing::HEADER_SIGNATURE, hex(key.sign(&text).as_ref())),
    ]
}

impl Setup {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    ) -> (StatusCode, Option<ErrorCode>, Vec<u8>) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let code = response
            .headers()
            .get(wire::HEADER_ERROR)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| serde_json::from_value(serde_json::Value::String(v.into())).ok());
        (status, code, response.bytes().await.unwrap().to_vec())
    }

    fn headers(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        nonce: &str,
    ) -> Vec<(&'static str, String)> {
        signed(
            self.device.key(),
            &self.device.id,
            method,
            path,
            body,
            now_millis(),
            nonce,
        )
    }

    /// Pushes the entries, each sealed for the server's record key as a phone would.
    async fn push(&self, entries: Vec<PushEntry>, nonce: &str) -> PushResponse {
        let entries = entries.iter().map(|e| e.seal(&self.state)).collect();
        let body = serde_json::to_vec(&PushRequest { entries }).unwrap();
        let headers = self.headers("POST", "/v1/outbox", &body, nonce);
        let (status, _, bytes) = self
            .send(reqwest::Method::POST, "/v1/outbox", headers, body)
            .await;
        assert_eq!(status, StatusCode::OK);
        serde_json::from_slice(&bytes).unwrap()
    }
}

const N1: &str = "00000000000000000000000000000001";
const N2: &str = "00000000000000000000000000000002";
const N3: &str = "00000000000000000000000000000003";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_stale_forged_and_unknown_requests_are_refused() {
    let s = setup().await;
    let get = reqwest::Method::GET;
    let path = "/v1/changes?since=0";
    let headers = s.headers("GET", path, b"", N1);
    assert_eq!(
        s.send(get.clone(), path, headers.clone(), vec![]).await.0,
        StatusCode::OK
    );
    let replay = s.send(get.clone(), path, headers, vec![]).await;
    assert_eq!(
        (replay.0, replay.1),
        (StatusCode::UNAUTHORIZED, Some(ErrorCode::RequestReplayed))
    );
    let stale = signed(
        s.device.key(),
        &s.device.id,
        "GET",
        path,
        b"",
        now_millis() - 10 * 60 * 1000,
        N2,
    );
    assert_eq!(
        s.send(get.clone(), path, stale, vec![]).await.1,
        Some(ErrorCode::RequestStale)
    );
    let other_key = Ed25519KeyPair::from_pkcs8(
        Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
            .unwrap()
            .as_ref(),
    )
    .unwrap();
    let forged = signed(&other_key, &s.device.id, "GET", path, b"", now_millis(), N3);
    assert_eq!(
        s.send(get.clone(), path, forged, vec![]).await.1,
        Some(ErrorCode::SignatureInvalid)
    );
    // A signed request for another path, or with another body, does not verify.
    let moved = s.headers("GET", "/v1/changes?since=5", b"", N3);
    assert_eq!(
        s.send(get.clone(), path, moved, vec![]).await.1,
        Some(ErrorCode::SignatureInvalid)
    );
    let stranger = signed(&other_key, "hp-asing", "GET", path, b"", now_millis(), N3);
    assert_eq!(
        s.send(get, path, stranger, vec![]).await.1,
        Some(ErrorCode::DeviceUnknown)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_blob_and_a_forged_attestation_are_refused() {
    let s = setup().await;
    let photo = ingest(CAM2, &Options::default()).unwrap();
    let sha = photo.sha256_hex();
    let mut tampered = photo.jpeg.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x40;
    let path = format!("/v1/blobs/{sha}");
    // Sealed as a phone seals it: the server finds the tampering once it has opened it.
    let (key_id, tampered) = perlinsos_e2e::sealed_photo(&s.state, &sha, &tampered);
    let mut headers = s.headers("PUT", &path, &tampered, N1);
    headers.push((wire::HEADER_BLOB_OFFSET, "0".into()));
    headers.push((wire::HEADER_BLOB_LENGTH, tampered.len().to_string()));
    headers.push((wire::HEADER_BLOB_KEY, key_id.clone()));
    let (status, code, _) = s.send(reqwest::Method::PUT, &path, headers, tampered).await;
    assert_eq!(
        (status, code),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(ErrorCode::BlobHashMismatch)
        )
    );
    let head = s.headers("HEAD", &path, b"", N2);
    let (status, _, _) = s.send(reqwest::Method::HEAD, &path, head, vec![]).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "nothing of the tampered blob is kept"
    );

    // The real bytes go up; a record naming them with an attestation from another key is
    // refused, and one with the device's own attestation is accepted.
    // Photo bytes in clear, or sealed for a key the server never made, do not open.
    for (n, key) in [
        ("00000000000000000000000000000011", key_id.as_str()),
        ("00000000000000000000000000000012", "rk-none"),
    ] {
        let mut headers = s.headers("PUT", &path, &photo.jpeg, n);
        headers.push((wire::HEADER_BLOB_OFFSET, "0".into()));
        headers.push((wire::HEADER_BLOB_LENGTH, photo.jpeg.len().to_string()));
        headers.push((wire::HEADER_BLOB_KEY, key.to_owned()));
        let (_, code, _) = s
            .send(reqwest::Method::PUT, &path, headers, photo.jpeg.clone())
            .await;
        assert_eq!(code, Some(ErrorCode::SealInvalid));
    }
    let (_, sealed) = perlinsos_e2e::sealed_photo(&s.state, &sha, &photo.jpeg);
    let mut headers = s.headers("PUT", &path, &sealed, N3);
    headers.push((wire::HEADER_BLOB_OFFSET, "0".into()));
    headers.push((wire::HEADER_BLOB_LENGTH, sealed.len().to_string()));
    headers.push((wire::HEADER_BLOB_KEY, key_id));
    let (status, _, _) = s.send(reqwest::Method::PUT, &path, headers, sealed).await;
    assert_eq!(status, StatusCode::OK);
    let other_key = Ed25519KeyPair::from_pkcs8(
        Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
            .unwrap()
            .as_ref(),
    )
    .unwrap();
    // A genuine household of this phone's kelurahan, as the server checks every record.
    let cipher = Arc::new(
        perlinsos_core::crypt::Cipher::new(&perlinsos_core::crypt::DataKey::from_bytes([1; 32]))
            .unwrap(),
    );
    let registry =
        perlinsos_core::registration::Registry::new(s.store.clone(), cipher).for_agent("agen-01");
    let household = |seed: u64| {
        for seed in seed.. {
            let now = now_millis();
            let mut generator = perlinsos_core::sample::Generator::new(
                seed,
                perlinsos_core::Date::of_unix_millis(now),
            );
            let sample = generator.household("agen-01", 2, now);
            if sample.household.address.kelurahan_code == "52.71.01.1004" {
                let id = sample.register(&registry, now).unwrap();
                return serde_json::to_value(registry.household(&id).unwrap()).unwrap();
            }
        }
        unreachable!()
    };
    let entry = |seed: u64, key: &Ed25519KeyPair| {
        let mut body = household(seed);
        let id = body["id"].as_str().unwrap().to_owned();
        let attestation =
            attest::attest(&photo, now_millis(), None, &s.device.id, &id, key).unwrap();
        body["evidence"] = serde_json::json!([{ "sha256": sha, "attestation": attestation }]);
        PushEntry {
            id: format!("e-{id}"),
            kind: "household.registered".into(),
            entity_id: id,
            body,
            kelurahan_code: Some("52.71.01.1004".into()),
            blobs: vec![sha.clone()],
            created_at: now_millis(),
        }
    };
    let answer = s
        .push(
            vec![entry(1, &other_key), entry(100, s.device.key())],
            "00000000000000000000000000000004",
        )
        .await;
    let outcomes: Vec<_> = answer.results.iter().map(|r| r.outcome.clone()).collect();
    assert_eq!(
        outcomes,
        vec![
            wire::Outcome::Rejected {
                code: ErrorCode::AttestationInvalid,
                reason: ErrorCode::AttestationInvalid.message().into()
            },
            wire::Outcome::Accepted
        ]
    );
    assert_eq!(s.device.public_key(), s.device.key().public_key().as_ref());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_entry_that_does_not_continue_the_chain_is_refused() {
    let s = setup().await;
    let key = s.device.key();
    let entry = |seq: i64, prev: &[u8]| {
        let at = now_millis();
        let text = signing::audit_entry_text(seq, at, "agen-01", "unlock", None, &hex(prev));
        let hash = digest(&SHA256, text.as_bytes()).as_ref().to_vec();
        PushEntry {
            id: format!("a-{seq}"),
            kind: "audit.appended".into(),
            entity_id: seq.to_string(),
            body: serde_json::json!({
                "seq": seq, "at": at, "agent_id": "agen-01", "action": "unlock",
                "record_id": null, "prev_hash": hex(prev), "hash": hex(&hash),
                "signature": hex(key.sign(&hash).as_ref()),
            }),
            kelurahan_code: None,
            blobs: vec![],
            created_at: at,
        }
    };
    let first = entry(1, &[0; 32]);
    let first_hash = perlinsos_core::hex::decode(first.body["hash"].as_str().unwrap()).unwrap();
    // Entry 3 after entry 1: entry 2 is missing.
    let answer = s.push(vec![first, entry(3, &first_hash)], N1).await;
    assert_eq!(answer.results[0].outcome, wire::Outcome::Accepted);
    assert!(matches!(
        answer.results[1].outcome,
        wire::Outcome::Rejected {
            code: ErrorCode::AuditChainBroken,
            ..
        }
    ));
    let answer = s.push(vec![entry(2, &first_hash)], N2).await;
    assert_eq!(answer.results[0].outcome, wire::Outcome::Accepted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phone_refuses_a_model_the_district_did_not_sign() {
    let s = setup().await;
    let model = include_str!("../../core/models/ilustratif-kota-mataram.json");
    let forged_key = Ed25519KeyPair::from_pkcs8(
        Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
            .unwrap()
            .as_ref(),
    )
    .unwrap();
    let forged = perlinsos_core::pmt::signed::sign(model, "district", &forged_key).unwrap();
    let parsed = perlinsos_core::pmt::model::Model::parse(model.as_bytes()).unwrap();
    let change = Change::Model {
        id: parsed.id.clone(),
        version: parsed.version,
        signed: serde_json::to_string(&forged).unwrap(),
    };
    s.state
        .db
        .write(|tx| {
            db::add_change(
                tx,
                &s.state.keys,
                None,
                None,
                &serde_json::to_string(&change).unwrap(),
                1,
            )
            .map(drop)
        })
        .map_err(|e: db::DbError| e.0)
        .unwrap();
    operator::publish_model(&s.state, model).unwrap();
    // No agent is needed to take what the district publishes.
    let syncer = Syncer::locked(s.store.clone(), s.device.clone(), Arc::new(now_millis)).unwrap();
    let report = syncer.sync().await.unwrap();
    // The record key published at start, the signed model; the unsigned one refused.
    assert_eq!((report.changes_applied, report.models_refused), (3, 1));
    assert_eq!(
        syncer.models().unwrap().len(),
        1,
        "only the signed one is kept"
    );
}
