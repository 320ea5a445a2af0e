//! Re-enrollment under a new device key (issue 19 item 4, issue 21 item 8), over a real server
//! on loopback with real phones: a revoked phone takes a new identity, enrolls with the
//! operator's replacement code and hands its old queue over as it is; the district holds it
//! as entries of the old device, officers admit them, and nothing is lost or applied twice.
//! A forged answer changes nothing on the phone; an interrupted hand-over is retried safely; a
//! device the operator did not bind as the replacement is refused (`HANDOVER_NOT_ALLOWED`).
//! With `PERLINSOS_TEST_DATABASE_URL` the server runs on PostgreSQL.
use axum::body::Body;
use axum::http::StatusCode;
use axum::Router;
use perlinsos_core::error::ErrorCode;
use perlinsos_core::sync::Interrupted;
use perlinsos_e2e::field::{refusal_code, FieldPhone, Server};
use perlinsos_server::quarantine::{self, Decided};

const SCOPE: &[&str] = perlinsos_core::sample::KELURAHAN;
const CAM3: &[u8] = include_bytes!("../../core/data/photos/cam3_ladybird.jpg");
const HOUR_MS: i64 = 3_600_000;

/// The phone's queue: (entry id, kind, the old device id it waits to be handed over for).
fn queue(phone: &FieldPhone) -> Vec<(String, String, Option<String>)> {
    phone
        .store
        .read(|conn| {
            let mut stmt =
                conn.prepare("SELECT id, kind, handover_from FROM outbox ORDER BY id")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .unwrap()
}

fn count(server: &Server, sql: &str) -> i64 {
    server.state.db.scalar(sql).unwrap()
}

/// Held entries of `device_id` on the server (all of them: a queue here is far below a page).
fn held(server: &Server, device_id: &str) -> Vec<quarantine::Held> {
    let id = device_id.to_owned();
    server
        .state
        .db
        .read(move |tx| quarantine::list(tx, &id, ""))
        .unwrap()
}

/// An officer admits every held entry of `device_id`, again while any admission succeeds (an
/// audit entry waits for the one before it): the codes of what stays held.
fn admit_all(server: &Server, device_id: &str) -> Vec<perlinsos_protocol::wire::ErrorCode> {
    loop {
        let mut progress = false;
        let mut refused = Vec::new();
        for entry in held(server, device_id) {
            if entry.decision.is_some() {
                continue;
            }
            match quarantine::admit(&server.state, device_id, &entry.entry_id, "admin").unwrap() {
                Decided::Admitted => progress = true,
                Decided::Refused(code) => refused.push(code),
                other => panic!("{other:?}"),
            }
        }
        if !progress {
            return refused;
        }
    }
}

/// A phone with two households, a sanggahan with a photo and their audit entries queued (one
/// household reached the district before), revoked by the operator and locked by the
/// district's notice. Returns it, its device id and its queue.
async fn lost_phone(
    server: &Server,
) -> (FieldPhone, String, Vec<(String, String, Option<String>)>) {
    let phone = FieldPhone::enrolled(server, "agen-01", SCOPE).await;
    phone.register(31, 2);
    phone.sync().await;
    phone.register(32, 3);
    phone.register(33, 1);
    phone.file_sanggahan(34, SCOPE, &[CAM3]);
    let old = phone.device.id.clone();
    perlinsos_server::operator::revoke_device(&server.state, &old, "cli").unwrap();
    assert_eq!(
        refusal_code(phone.syncer().sync().await),
        ErrorCode::DeviceRevoked
    );
    let queued = queue(&phone);
    let kinds: Vec<&str> = queued.iter().map(|q| q.1.as_str()).collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == "household.registered")
            .count(),
        2
    );
    assert!(kinds.contains(&"sanggahan.filed"));
    assert!(kinds.contains(&"audit.appended"));
    (phone, old, queued)
}

fn replacement_ticket(server: &Server, old: &str) -> String {
    perlinsos_server::operator::replacement_ticket(
        &server.state,
        old,
        HOUR_MS,
        &server.url,
        None,
        "admin",
    )
    .expect("replacement ticket")
    .payload()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_phone_re_enrolls_under_a_new_key_and_its_queue_is_handed_over() {
    let server = Server::start().await;
    server.import_recipients(SCOPE);
    let (phone, old, queued) = lost_phone(&server).await;
    let households_before = count(&server, "SELECT count(*) FROM households");
    let ticket = replacement_ticket(&server, &old);
    let (phone, was) = phone.reenrolled(&ticket).await;
    assert_eq!(was, old);
    assert_ne!(phone.device.id, old, "a new device id");
    // The new device has the old one's agent and scope and is bound as its replacement.
    let new = phone.device.id.clone();
    let bound = count(
        &server,
        &format!("SELECT count(*) FROM devices WHERE device_id = '{new}' AND replaces = '{old}'"),
    );
    assert_eq!(bound, 1);
    // Everything queued is still there, waiting to be handed over for the old device; the
    // agent's unlock under the new key starts the new device's own chain.
    let marked = queue(&phone);
    for entry in &queued {
        assert!(
            marked.contains(&(entry.0.clone(), entry.1.clone(), Some(old.clone()))),
            "{entry:?}"
        );
    }
    assert!(marked
        .iter()
        .any(|m| m.2.is_none() && m.1 == "audit.appended"));

    // The new identity's own record, and one sync: its records pushed, the old queue handed over.
    let mine = phone.register(35, 2);
    let report = phone.syncer().sync().await.expect("sync");
    assert_eq!(report.handed_over, queued.len(), "{report:?}");
    assert!(!report.handover_refused);
    assert_eq!(report.answers_refused, 0);
    assert!(queue(&phone).is_empty(), "{:?}", queue(&phone));
    // The new device's record is applied as its own; its chain starts at 1.
    let applied_mine = count(
        &server,
        &format!("SELECT count(*) FROM households WHERE id = '{mine}' AND device_id = '{new}'"),
    );
    assert_eq!(applied_mine, 1);
    assert!(
        count(
            &server,
            &format!("SELECT audit_seq FROM devices WHERE device_id = '{new}'")
        ) >= 1
    );

    // On the server the old queue is held, once per entry, as the old device's, with the
    // photo uploaded; nothing of it is applied before an officer decides.
    let held_now = held(&server, &old);
    assert_eq!(held_now.len(), queued.len());
    for entry in &queued {
        assert!(held_now
            .iter()
            .any(|h| h.entry_id == entry.0 && h.decision.is_none()));
    }
    let by_new = count(
        &server,
        &format!("SELECT count(*) FROM quarantined_entries WHERE handed_over_by = '{new}'"),
    );
    assert_eq!(by_new as usize, queued.len());
    assert_eq!(
        count(&server, "SELECT count(*) FROM households"),
        households_before + 1
    );

    // An officer admits them: checked with the old device's key, scope and chain, applied
    // as records of the old device.
    assert_eq!(admit_all(&server, &old), Vec::new());
    assert_eq!(
        count(&server, "SELECT count(*) FROM households"),
        households_before + 3
    );
    let old_households = count(
        &server,
        &format!("SELECT count(*) FROM households WHERE device_id = '{old}'"),
    );
    assert_eq!(old_households, 3);
    let sanggahan = count(
        &server,
        &format!("SELECT count(*) FROM sanggahan WHERE device_id = '{old}'"),
    );
    assert_eq!(sanggahan, 1);
    // Every handed-over entry applied exactly once, the audit trail continuing the old chain.
    for entry in &queued {
        let applied = count(
            &server,
            &format!("SELECT count(*) FROM entries WHERE id = '{}'", entry.0),
        );
        assert_eq!(applied, 1, "{entry:?}");
    }
    let old_audit = queued.iter().filter(|q| q.1 == "audit.appended").count() as i64;
    assert!(
        count(
            &server,
            &format!("SELECT audit_seq FROM devices WHERE device_id = '{old}'")
        ) >= old_audit
    );
    // Another sync: nothing more to hand over, nothing sent twice.
    let again = phone.syncer().sync().await.expect("sync");
    assert_eq!(again.handed_over, 0);
    assert_eq!(held(&server, &old).len(), queued.len());
}

/// A hop in front of the real server that forwards every request and, on a hand-over,
/// forges, strips or drops the district's answer.
#[derive(Clone, Copy)]
enum Trick {
    /// The receipt signed by another key.
    Forge,
    /// No receipt.
    Strip,
    /// The server got the request; the phone gets no answer (the connection broke).
    Drop,
}

async fn hop(server: &Server, trick: Trick) -> String {
    let upstream = server.url.clone();
    let app = Router::new().fallback(move |req: axum::extract::Request| {
        let upstream = upstream.clone();
        async move {
            let (parts, body) = req.into_parts();
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
            let mut bytes = answer.bytes().await.unwrap().to_vec();
            if parts.uri.path() == "/v1/handover" && status.is_success() {
                let mut value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                match trick {
                    Trick::Forge => {
                        let rng = ring::rand::SystemRandom::new();
                        let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
                        let other =
                            ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
                        value["receipt"] = perlinsos_core::hex::encode(
                            other.sign(b"perlinsos/handover-receipt/v1").as_ref(),
                        )
                        .into();
                    }
                    Trick::Strip => {
                        value.as_object_mut().unwrap().remove("receipt");
                    }
                    Trick::Drop => {
                        return axum::response::Response::builder()
                            .status(StatusCode::BAD_GATEWAY)
                            .body(Body::empty())
                            .unwrap();
                    }
                }
                bytes = serde_json::to_vec(&value).unwrap();
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
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_or_unsigned_handover_answer_leaves_the_queue_untouched() {
    let server = Server::start().await;
    server.import_recipients(SCOPE);
    let (phone, old, queued) = lost_phone(&server).await;
    let (phone, _) = phone.reenrolled(&replacement_ticket(&server, &old)).await;
    let before = queue(&phone);
    for trick in [Trick::Forge, Trick::Strip] {
        let url = hop(&server, trick).await;
        let outcome = phone.syncer().via_proxy(&url).unwrap().hand_over().await;
        assert!(
            matches!(outcome, Err(Interrupted::Transient { .. })),
            "{outcome:?}"
        );
        assert_eq!(queue(&phone), before, "nothing left the queue");
    }
    // The real answer: the district holds each entry once, and the queue empties.
    let report = phone.syncer().hand_over().await.expect("hand-over");
    assert_eq!(report.handed_over, queued.len());
    assert!(queue(&phone).iter().all(|q| q.2.is_none()));
    assert_eq!(held(&server, &old).len(), queued.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_handover_is_retried_without_duplicates() {
    let server = Server::start().await;
    server.import_recipients(SCOPE);
    let (phone, old, queued) = lost_phone(&server).await;
    let (phone, _) = phone.reenrolled(&replacement_ticket(&server, &old)).await;
    let before = queue(&phone);
    // The server holds the entries, the answer never reaches the phone.
    let url = hop(&server, Trick::Drop).await;
    let outcome = phone.syncer().via_proxy(&url).unwrap().hand_over().await;
    assert!(
        matches!(outcome, Err(Interrupted::Transient { .. })),
        "{outcome:?}"
    );
    assert_eq!(queue(&phone), before);
    assert_eq!(held(&server, &old).len(), queued.len());
    // The phone tries again: "duplicate" for each, held once.
    let report = phone.syncer().hand_over().await.expect("hand-over");
    assert_eq!(report.handed_over, queued.len());
    assert!(queue(&phone).iter().all(|q| q.2.is_none()));
    assert_eq!(held(&server, &old).len(), queued.len());
    let kept = count(
        &server,
        &format!("SELECT count(*) FROM quarantined_entries WHERE device_id = '{old}'"),
    );
    assert_eq!(kept as usize, queued.len());
    // Admitted, each applied once.
    let households = count(&server, "SELECT count(*) FROM households");
    assert_eq!(admit_all(&server, &old), Vec::new());
    assert_eq!(
        count(&server, "SELECT count(*) FROM households"),
        households + 2
    );
    for entry in &queued {
        let applied = count(
            &server,
            &format!("SELECT count(*) FROM entries WHERE id = '{}'", entry.0),
        );
        assert_eq!(applied, 1, "{entry:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_not_bound_as_the_replacement_cannot_hand_over_the_queue() {
    let server = Server::start().await;
    server.import_recipients(SCOPE);
    // A replacement code only for a revoked device.
    let other = FieldPhone::enrolled(&server, "agen-02", SCOPE).await;
    assert!(perlinsos_server::operator::replacement_ticket(
        &server.state,
        &other.device.id,
        HOUR_MS,
        &server.url,
        None,
        "admin"
    )
    .is_err());
    assert!(perlinsos_server::operator::replacement_ticket(
        &server.state,
        "no-such-device",
        HOUR_MS,
        &server.url,
        None,
        "admin"
    )
    .is_err());
    perlinsos_server::operator::revoke_device(&server.state, &other.device.id, "cli").unwrap();
    let (phone, old, queued) = lost_phone(&server).await;
    let held_before = count(&server, "SELECT count(*) FROM quarantined_entries");

    // Re-enrolled with a plain code, or with the code that replaces another revoked device:
    // the district refuses the hand-over and nothing changes; the phone's own sync goes on.
    let plain = server.ticket(
        "agen-01",
        &SCOPE.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    );
    let wrong = replacement_ticket(&server, &other.device.id);
    let (phone, _) = phone.reenrolled(&plain).await;
    let before = queue(&phone);
    let outcome = phone.syncer().hand_over().await;
    assert_eq!(refusal_code(outcome), ErrorCode::SyncRefused);
    assert_eq!(queue(&phone), before);
    let mine = phone.register(36, 1);
    let report = phone.syncer().sync().await.expect("own sync");
    assert!(report.handover_refused);
    assert_eq!(report.handed_over, 0);
    assert!(report.records_accepted >= 1);
    assert_eq!(
        count(
            &server,
            &format!("SELECT count(*) FROM households WHERE id = '{mine}'")
        ),
        1
    );
    let left: Vec<_> = queue(&phone)
        .into_iter()
        .filter(|q| q.2.is_some())
        .collect();
    assert_eq!(left.len(), queued.len());

    let (phone, _) = phone.reenrolled(&wrong).await;
    let report = phone.syncer().sync().await.expect("own sync");
    assert!(report.handover_refused);
    // Entries of both earlier identities stay queued.
    assert!(
        queue(&phone)
            .iter()
            .filter(|q| q.2.as_deref() == Some(old.as_str()))
            .count()
            == queued.len()
    );
    assert_eq!(
        count(&server, "SELECT count(*) FROM quarantined_entries"),
        held_before
    );

    // The refusal as it travels: 403 with its stable code.
    let body = serde_json::to_vec(&perlinsos_protocol::wire::HandoverRequest {
        from_device_id: old.clone(),
        entries: Vec::new(),
    })
    .unwrap();
    let mut request = reqwest::Client::new()
        .post(format!("{}/v1/handover", server.url))
        .header("content-type", "application/json");
    for (name, value) in perlinsos_e2e::signed_headers(
        &phone.device,
        "POST",
        "/v1/handover",
        &body,
        perlinsos_core::date::now_millis(),
    ) {
        request = request.header(name, value);
    }
    let answer = request.body(body).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    let text = answer.text().await.unwrap();
    assert!(text.contains("HANDOVER_NOT_ALLOWED"), "{text}");
    assert!(text.contains("pengganti"), "{text}");

    // A record made under the wrongly bound identity and not synced; then the operator binds
    // a replacement of the old device at last: the old queue goes over, while the entries of
    // the identity in between (whose device nobody replaces) stay queued and do not hold it up.
    let between = phone.device.id.clone();
    phone.register(37, 1);
    let (phone, _) = phone.reenrolled(&replacement_ticket(&server, &old)).await;
    let report = phone.syncer().sync().await.expect("sync");
    assert!(report.handover_refused, "the identities in between");
    assert_eq!(report.handed_over, queued.len());
    let left = queue(&phone);
    assert!(left.iter().all(|q| q.2.as_deref() != Some(old.as_str())));
    assert!(left
        .iter()
        .any(|q| q.1 == "household.registered" && q.2.as_deref() == Some(between.as_str())));
    assert_eq!(held(&server, &old).len(), queued.len());
}
