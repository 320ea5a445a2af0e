//! The phone trusts no network (issue 19): over real sockets, an impostor server stands where
//! the district should be, at enrollment and on the path of a sync. Each trick is refused with
//! its code and changes nothing on the phone; the real server then gets everything, once.
use std::io::Read as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, head, post};
use axum::Router;
use perlinsos_core::date::now_millis;
use perlinsos_core::error::ErrorCode;
use perlinsos_core::phone::Phone;
use perlinsos_core::sync::{self, Interrupted, Syncer};
use perlinsos_e2e::field::{fresh_phone, refusal_code, FieldPhone, Server};
use perlinsos_protocol::enrollment::Ticket;
use perlinsos_protocol::wire::{EntryResult, ErrorCode as WireCode, Outcome, PushRequest};

const SCOPE: &[&str] = perlinsos_core::sample::KELURAHAN;

fn scope() -> Vec<String> {
    SCOPE.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrollment_trusts_only_the_server_and_key_the_ticket_names() {
    let district = Server::start().await;
    let impostor = Server::start().await;
    let real = Ticket::parse(&district.ticket("agen-01", &scope())).unwrap();
    let theirs = Ticket::parse(&impostor.ticket("agen-01", &scope())).unwrap();
    let (_dir, phone) = fresh_phone();

    // The ticket's address answers, but with another district's key (whoever answered first
    // on a hostile network): refused, and the phone is not enrolled with anyone.
    let hijacked = Ticket {
        code: theirs.code.clone(),
        district_key_sha256: real.district_key_sha256.clone(),
        server_url: theirs.server_url.clone(),
        server_cert_sha256: None,
    };
    assert_eq!(
        refusal_code(phone.enroll(&hijacked.payload()).await),
        ErrorCode::DistrictKeyMismatch
    );
    assert!(sync::enrollment(phone.store()).unwrap().is_none());
    let not_enrolled = Syncer::locked(
        phone.store().clone(),
        phone.device().clone(),
        Arc::new(now_millis),
    );
    assert!(
        matches!(not_enrolled, Err(e) if e.field_errors()[0].code == ErrorCode::SyncNotEnrolled)
    );
    let district_keys: i64 = phone
        .store()
        .read(|c| {
            Ok(c.query_row(
                "SELECT count(*) FROM record_keys WHERE district = 1",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(district_keys, 0, "no record key of the impostor accepted");

    // Plain http to anything but loopback is refused before a byte is sent (192.0.2.1 is a
    // documentation address: a connection attempt would hang for the connect timeout).
    let started = Instant::now();
    let insecure = Ticket {
        server_url: "http://192.0.2.1:8080".into(),
        ..real.clone()
    };
    assert_eq!(
        refusal_code(phone.enroll(&insecure.payload()).await),
        ErrorCode::ServerUrlInsecure
    );
    assert!(started.elapsed().as_secs() < 2);
    for garbage in [
        "",
        "ABCD-EFGH-JKLM",
        "perlinsos-enroll:1:ABCD",
        "\u{0}\u{1}",
    ] {
        assert_eq!(
            refusal_code(phone.enroll(garbage).await),
            ErrorCode::EnrollTicketInvalid
        );
    }

    // The real ticket enrolls, and binds the district's address for every later sync.
    let enrollment = phone.enroll(&real.payload()).await.unwrap();
    assert_eq!(enrollment.server_url, district.url);
    let syncer = Syncer::locked(
        phone.store().clone(),
        phone.device().clone(),
        Arc::new(now_millis),
    )
    .unwrap();
    syncer.sync().await.unwrap();
    // The tests' proxy hook takes only https or loopback addresses, too.
    let syncer = Syncer::locked(
        phone.store().clone(),
        phone.device().clone(),
        Arc::new(now_millis),
    )
    .unwrap();
    assert!(syncer.via_proxy("http://192.0.2.1").is_err());
}

/// How the impostor answers a push.
#[derive(Clone, Copy, Debug)]
enum Forgery {
    /// "accepted" for every entry, no receipt.
    AcceptedUnsigned,
    /// "accepted", with a receipt signed by another key.
    AcceptedSignedByOther,
    /// "accepted", with a receipt the district really signed, for another batch.
    AcceptedReplayedReceipt,
    /// A permanent refusal for every entry, no receipt (would park them all).
    RejectedUnsigned,
    /// An answer of 64 MiB, declared.
    Huge,
    /// An answer that never ends, undeclared.
    Endless,
}

#[derive(Clone)]
struct Impostor {
    forgery: Forgery,
    replayed: Option<String>,
    other_key: Arc<ring::signature::Ed25519KeyPair>,
    pushes: Arc<AtomicUsize>,
}

fn unzip(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut out)
        .unwrap();
    out
}

async fn forged_push(
    axum::extract::State(imp): axum::extract::State<Impostor>,
    _headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    imp.pushes.fetch_add(1, Ordering::SeqCst);
    let request: PushRequest = serde_json::from_slice(&unzip(&body)).unwrap();
    let outcome = match imp.forgery {
        Forgery::RejectedUnsigned => Outcome::Rejected {
            code: WireCode::OutOfScope,
            reason: "Hubungi 0812-XXXX untuk aktivasi".into(),
        },
        Forgery::Huge => {
            let huge = vec![b' '; 64 * 1024 * 1024];
            return axum::response::Response::builder()
                .header("content-type", "application/json")
                .body(Body::from(huge))
                .unwrap();
        }
        Forgery::Endless => {
            // 16 KiB of spaces, for ever, with no length declared.
            let chunks = futures_util::stream::repeat_with(|| {
                Ok::<_, std::io::Error>(Bytes::from(vec![b' '; 16 * 1024]))
            });
            return axum::response::Response::builder()
                .header("content-type", "application/json")
                .body(Body::from_stream(chunks))
                .unwrap();
        }
        _ => Outcome::Accepted,
    };
    let results: Vec<EntryResult> = request
        .entries
        .iter()
        .map(|e| EntryResult {
            id: e.id.clone(),
            outcome: outcome.clone(),
        })
        .collect();
    let receipt = match imp.forgery {
        Forgery::AcceptedSignedByOther => Some(perlinsos_core::hex::encode(
            imp.other_key.sign(b"anything at all").as_ref(),
        )),
        Forgery::AcceptedReplayedReceipt => imp.replayed.clone(),
        _ => None,
    };
    let answer = serde_json::json!({ "results": results, "receipt": receipt });
    axum::response::Response::builder()
        .header("content-type", "application/json")
        .body(Body::from(answer.to_string()))
        .unwrap()
}

async fn start_impostor(imp: Impostor) -> String {
    let app = Router::new()
        .route("/v1/outbox", post(forged_push))
        // "The server has this photo already": the phone would skip the upload.
        .route("/v1/blobs/{sha}", head(|| async { StatusCode::OK }))
        .route(
            "/v1/changes",
            get(|| async { r#"{"changes":[],"next":0,"more":false}"# }),
        )
        .with_state(imp);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// What a forged answer could have changed: the outbox rows and their states, the staged
/// photos, the purge confirmations.
fn phone_state(phone: &FieldPhone) -> (Vec<(String, String)>, i64, i64) {
    phone
        .store
        .read(|c| {
            let mut stmt = c.prepare("SELECT id, status FROM outbox ORDER BY id")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<(String, String)>>>()?;
            let blobs = c.query_row("SELECT count(*) FROM outbox_blobs", [], |r| r.get(0))?;
            let confirmed = c.query_row(
                "SELECT count(*) FROM receipts WHERE confirmed_at IS NOT NULL",
                [],
                |r| r.get(0),
            )?;
            Ok((rows, blobs, confirmed))
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_push_answers_change_nothing_on_the_phone() {
    let server = Server::start().await;
    let phone = FieldPhone::enrolled(&server, "agen-01", SCOPE).await;
    // A receipt the district really signed, from a first batch, to replay later.
    phone.register(1, 3);
    let replayed = real_receipt(&server, &phone).await;
    for seed in 2..5 {
        phone.register(seed, 2);
    }
    let before = phone_state(&phone);
    assert!(before.0.len() >= 3, "{before:?}");

    for forgery in [
        Forgery::AcceptedUnsigned,
        Forgery::AcceptedSignedByOther,
        Forgery::AcceptedReplayedReceipt,
        Forgery::RejectedUnsigned,
        Forgery::Huge,
        Forgery::Endless,
    ] {
        let pushes = Arc::new(AtomicUsize::new(0));
        let url = start_impostor(Impostor {
            forgery,
            replayed: Some(replayed.clone()),
            other_key: Arc::new(other_key()),
            pushes: pushes.clone(),
        })
        .await;
        let started = Instant::now();
        let outcome = phone.syncer().via_proxy(&url).unwrap().sync().await;
        match forgery {
            Forgery::Huge | Forgery::Endless => {
                assert_eq!(
                    refusal_code(outcome),
                    ErrorCode::ResponseTooLarge,
                    "{forgery:?}"
                )
            }
            _ => assert!(
                matches!(outcome, Err(Interrupted::Transient { .. })),
                "{forgery:?}: {outcome:?}"
            ),
        }
        assert!(started.elapsed().as_secs() < 30, "{forgery:?}");
        assert!(pushes.load(Ordering::SeqCst) >= 1, "{forgery:?} was asked");
        assert_eq!(phone_state(&phone), before, "{forgery:?} changed the phone");
    }

    // The real district: everything arrives, each household once, and the outbox empties.
    let report = phone.sync().await;
    assert_eq!(report.answers_refused, 0);
    assert_eq!(report.parked, 0);
    let after = phone_state(&phone);
    assert!(after.0.is_empty(), "{after:?}");
    let households = server
        .state
        .db
        .scalar("SELECT count(*) FROM households")
        .unwrap();
    assert_eq!(households, 4);
}

fn other_key() -> ring::signature::Ed25519KeyPair {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap()
}

/// A hop in front of the real server that passes everything on, keeps the receipt of the first
/// push answer, and with `forge_head` answers every photo's HEAD with "the server has it".
async fn forwarding_hop(
    server: &Server,
    forge_head: bool,
) -> (String, Arc<std::sync::Mutex<Option<String>>>) {
    let recorded = Arc::new(std::sync::Mutex::new(None::<String>));
    let upstream = server.url.clone();
    let keep = recorded.clone();
    let app = Router::new().fallback(move |req: axum::extract::Request| {
        let upstream = upstream.clone();
        let keep = keep.clone();
        async move {
            let (parts, body) = req.into_parts();
            if forge_head && parts.method == axum::http::Method::HEAD {
                return axum::response::Response::builder()
                    .status(StatusCode::OK)
                    .body(Body::empty())
                    .unwrap();
            }
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            let mut forward = reqwest::Client::new()
                .request(parts.method.clone(), format!("{upstream}{}", parts.uri));
            for (name, value) in &parts.headers {
                if name != "host" {
                    forward = forward.header(name, value);
                }
            }
            let answer = forward.body(body.to_vec()).send().await.unwrap();
            let status = answer.status();
            let headers = answer.headers().clone();
            let bytes = answer.bytes().await.unwrap();
            if parts.uri.path() == "/v1/outbox" && status.is_success() {
                let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                let mut slot = keep.lock().unwrap();
                if slot.is_none() {
                    *slot = value["receipt"].as_str().map(str::to_owned);
                }
            }
            let mut response = axum::response::Response::builder().status(status);
            for (name, value) in &headers {
                if name != "content-length" && name != "transfer-encoding" {
                    response = response.header(name, value);
                }
            }
            response.body(Body::from(bytes)).unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, recorded)
}

/// Syncs the phone with the real server through a recording hop and returns the receipt of
/// the first push answer.
async fn real_receipt(server: &Server, phone: &FieldPhone) -> String {
    let (url, recorded) = forwarding_hop(server, false).await;
    phone
        .syncer()
        .via_proxy(&url)
        .unwrap()
        .sync()
        .await
        .unwrap();
    let receipt = recorded.lock().unwrap().clone();
    receipt.expect("the district signed its answer")
}

/// A hop that forges only "the server has this photo" would make a phone that trusted HEAD
/// skip the upload for ever; the district's signed answer (the photo is missing) makes it
/// upload anyway, and the photo and its household arrive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_have_it_for_a_photo_does_not_stop_its_upload() {
    let server = Server::start().await;
    let phone = FieldPhone::enrolled(&server, "agen-01", SCOPE).await;
    let household = phone.register(7, 2);
    let photo = perlinsos_core::sample::photo_taken_on(
        include_bytes!("../../core/data/photos/cam2_wood.jpg"),
        perlinsos_core::Date::of_unix_millis(now_millis()),
    );
    let now = now_millis();
    phone
        .evidence()
        .capture(
            &photo,
            &perlinsos_core::evidence::Options::default(),
            perlinsos_core::evidence::book::Capture {
                record_kind: "household",
                record_id: &household,
                captured_at: now,
                gps: Some(perlinsos_e2e::field::HOUSE),
                device_id: &phone.device.id,
                device_key: phone.device.key(),
                agent_id: &phone.agent_id,
            },
        )
        .unwrap();
    let (url, _) = forwarding_hop(&server, true).await;
    let report = phone
        .syncer()
        .via_proxy(&url)
        .unwrap()
        .with_backoff(1, 5)
        .run(4)
        .await
        .unwrap();
    assert_eq!(report.blobs_uploaded, 1, "{report:?}");
    assert_eq!(report.parked, 0, "{report:?}");
    assert!(phone_state(&phone).0.is_empty());
    let blobs = server
        .state
        .db
        .scalar("SELECT count(*) FROM blobs")
        .unwrap();
    assert_eq!(blobs, 1);
}

/// An impostor hop that answers every request as the server does for a revoked device, with
/// `notice` as its revocation header (forged, or none).
async fn forged_revocation(notice: Option<&'static str>) -> String {
    let app = Router::new().fallback(move || async move {
        let mut response = axum::response::Response::builder()
            .status(StatusCode::FORBIDDEN)
            .header("content-type", "application/json")
            .header(perlinsos_protocol::wire::HEADER_ERROR, "DEVICE_REVOKED");
        if let Some(notice) = notice {
            response = response.header(perlinsos_protocol::wire::HEADER_REVOCATION, notice);
        }
        response
            .body(Body::from(
                r#"{"code":"DEVICE_REVOKED","message":"Ponsel ini dicabut."}"#,
            ))
            .unwrap()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_phone_locks_on_the_districts_notice_only_and_its_late_data_is_kept() {
    let server = Server::start().await;
    let phone = FieldPhone::enrolled(&server, "agen-01", SCOPE).await;
    phone.register(21, 2);
    phone.sync().await;
    let households = || {
        server
            .state
            .db
            .scalar("SELECT count(*) FROM households")
            .unwrap()
    };
    let stored = households();
    phone.register(22, 3);
    phone.register(23, 1);
    let queued = phone_state(&phone);
    assert!(!queued.0.is_empty());
    let reopen = || Phone::open(phone.dir(), b"keystore", Arc::new(now_millis)).unwrap();

    // A refusal on the path that says "revoked" without the district's notice, or with a
    // forged one, locks nothing: the pass is retried later.
    for notice in [None, Some("1700000000000.00ff"), Some("garbage")] {
        let url = forged_revocation(notice).await;
        let outcome = phone.syncer().via_proxy(&url).unwrap().sync().await;
        assert!(
            matches!(outcome, Err(Interrupted::Transient { .. })),
            "{notice:?}: {outcome:?}"
        );
        assert_eq!(sync::revoked(&phone.store).unwrap(), None);
        assert_eq!(phone_state(&phone), queued);
    }
    // Still open for its agent (the unlock is audited: one entry more in the queue).
    assert!(reopen().agents().unlock("agen-01", "482913").is_ok());
    let queued = phone_state(&phone);

    // The district revokes it (the phone was reported stolen).
    perlinsos_server::operator::revoke_device(&server.state, &phone.device.id, "cli").unwrap();
    assert!(
        perlinsos_server::operator::revoke_device(&server.state, &phone.device.id, "cli").is_err(),
        "once"
    );
    let outcome = phone.syncer().sync().await;
    assert_eq!(refusal_code(outcome), ErrorCode::DeviceRevoked);
    assert!(sync::revoked(&phone.store).unwrap().is_some());
    // Locked: no agent opens it, no sync starts; nothing queued was dropped.
    let refusal = reopen().agents().unlock("agen-01", "482913").err().unwrap();
    assert_eq!(refusal.1.code, ErrorCode::DeviceRevoked);
    assert!(refusal.0.field_errors()[0].message.contains("dicabut"));
    let background = Syncer::locked(
        phone.store.clone(),
        phone.device.clone(),
        Arc::new(now_millis),
    );
    assert!(matches!(background, Err(e) if e.field_errors()[0].code == ErrorCode::DeviceRevoked));
    assert_eq!(phone_state(&phone), queued);

    // On the server: nothing of the revoked device was applied, what it sent is kept aside
    // for officers, and the revocation is in the operators' audit log.
    assert_eq!(households(), stored);
    let kept = server
        .state
        .db
        .scalar("SELECT count(*) FROM quarantined_entries")
        .unwrap();
    assert!(kept >= 1 && kept as usize <= queued.0.len(), "{kept}");
    let audited = server
        .state
        .db
        .scalar("SELECT count(*) FROM operator_audit WHERE action = 'device_revoked'")
        .unwrap();
    assert_eq!(audited, 1);
}

/// What a forged change could alter on the phone: its cursor, the recipient lists, the
/// statuses the district sent, the models.
fn feed_state(phone: &FieldPhone) -> (Option<Vec<u8>>, i64, i64, i64) {
    phone
        .store
        .read(|c| {
            use rusqlite::OptionalExtension;
            let cursor = c
                .query_row(
                    "SELECT value FROM meta WHERE key = 'changes_cursor'",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            let count = |table: &str| -> rusqlite::Result<i64> {
                c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            };
            Ok((
                cursor,
                count("recipients")?,
                count("sanggahan_status")?,
                count("models")?,
            ))
        })
        .unwrap()
}

/// A hop that answers the change feed with `page` (and passes nothing else on).
async fn feed_impostor(page: String) -> String {
    let app = Router::new().route(
        "/v1/changes",
        get(move || {
            let page = page.clone();
            async move {
                axum::response::Response::builder()
                    .header("content-type", "application/json")
                    .body(Body::from(page))
                    .unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// The change feed as the district serves it to `phone` from the start, fetched with its own
/// signed request (what a recording hop on the path would have seen).
async fn real_page(server: &Server, phone: &FieldPhone) -> String {
    let path = "/v1/changes?since=0";
    let mut request = reqwest::Client::new().get(format!("{}{path}", server.url));
    for (name, value) in
        perlinsos_e2e::signed_headers(&phone.device, "GET", path, b"", now_millis())
    {
        request = request.header(name, value);
    }
    request.send().await.unwrap().text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phone_applies_only_changes_the_district_signed_for_it() {
    let server = Server::start().await;
    server.import_recipients(SCOPE);
    let first = FieldPhone::enrolled(&server, "agen-01", SCOPE).await;
    let second = FieldPhone::enrolled(&server, "agen-02", SCOPE).await;
    let page_for_first = real_page(&server, &first).await;
    let value: serde_json::Value = serde_json::from_str(&page_for_first).unwrap();
    assert!(
        value["changes"].as_array().unwrap().len() >= 2,
        "{page_for_first}"
    );

    // A forged recipient list and a forged decision, unsigned, or with the first phone's
    // signatures copied onto them.
    let signature = value["changes"][0]["change_signature"]
        .as_str()
        .unwrap()
        .to_owned();
    let forged_list = serde_json::json!({
        "changes": [{
            "cursor": 999_999, "type": "recipients", "kelurahan_code": SCOPE[0],
            "rows": [{"recipient_id": "X-1", "kelurahan_code": SCOPE[0], "programme": "PKH",
                      "name": "Palsu", "nik": "5271010101900999", "rt": "1", "rw": "1"}],
            "change_signature": signature,
        }],
        "cursor": 999_999, "more": false,
    })
    .to_string();
    let mut unsigned = value.clone();
    for change in unsigned["changes"].as_array_mut().unwrap() {
        change.as_object_mut().unwrap().remove("change_signature");
    }
    let second_before = feed_state(&second);
    for page in [forged_list, unsigned.to_string(), page_for_first.clone()] {
        // The last one: the district's real page, but signed for the first phone.
        let url = feed_impostor(page).await;
        let outcome = second.syncer().via_proxy(&url).unwrap().sync().await;
        assert!(
            matches!(outcome, Err(Interrupted::Transient { .. })),
            "{outcome:?}"
        );
        assert_eq!(feed_state(&second), second_before);
    }

    // The first phone takes its own page once; served again later (replayed, cursors not
    // after its own), it is refused.
    let url = feed_impostor(page_for_first.clone()).await;
    let report = first.syncer().via_proxy(&url).unwrap().sync().await;
    assert!(report.is_ok() || matches!(report, Err(Interrupted::Transient { .. })));
    let first_after = feed_state(&first);
    let replay = first.syncer().via_proxy(&url).unwrap().sync().await;
    assert!(
        matches!(replay, Err(Interrupted::Transient { .. })),
        "{replay:?}"
    );
    assert_eq!(feed_state(&first), first_after);
    // The real feed still works for both.
    assert_eq!(second.sync().await.changes_refused, 0);
    assert_eq!(first.sync().await.changes_refused, 0);
}
