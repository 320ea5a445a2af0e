//! The server holds up under slow and greedy clients (issue 19): over real sockets, a client
//! that sends its headers or its body too slowly is cut off, a device cannot touch another's
//! unfinished upload nor keep more of them than its quota, `/metrics` answers only a scraper on
//! this machine, and a device id that could forge a log line is refused at enrollment.
use std::time::{Duration, Instant};

use perlinsos_core::date::now_millis;
use perlinsos_core::evidence::{ingest, Options};
use perlinsos_e2e::field::{FieldPhone, Server};
use ring::digest::{digest, SHA256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CAM2: &[u8] = include_bytes!("../../core/data/photos/cam2_wood.jpg");
const KELURAHAN: &str = "52.71.01.1004";

fn hex(bytes: &[u8]) -> String {
    perlinsos_core::hex::encode(bytes)
}

async fn short_timeouts() -> Server {
    Server::start_with(|state| {
        state.timeouts = perlinsos_server::Timeouts {
            header_read: Duration::from_secs(1),
            body_idle: Duration::from_secs(1),
            request: Duration::from_secs(5),
        };
    })
    .await
}

/// Writes `bytes` on a raw connection, then reads until the server closes it; how long that
/// took and what came back.
async fn raw(server: &Server, bytes: &[u8]) -> (Duration, String) {
    let address = server.url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server kept the connection open");
    (
        started.elapsed(),
        String::from_utf8_lossy(&answer).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_and_a_body_that_never_comes_are_cut_off() {
    let server = short_timeouts().await;
    // Headers that never end.
    let (took, _) = raw(&server, b"POST /v1/outbox HTTP/1.1\r\nHost: x\r\n").await;
    assert!(took < Duration::from_secs(5), "{took:?}");
    // A body announced as 99,999,999,999 bytes that never comes.
    let (took, answer) = raw(
        &server,
        b"POST /v1/outbox HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n",
    )
    .await;
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("BODY_TOO_LARGE"), "{answer}");
    // A body that stops half way (axum's own answer: 400, "not received within the
    // designated timeout").
    let (took, answer) = raw(
        &server,
        b"POST /v1/enroll HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"code\":",
    )
    .await;
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    // The server still serves everyone else.
    let health = reqwest::get(format!("{}/v1/health", server.url))
        .await
        .unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::OK);
}

/// Signed PUTs of blob chunks from one phone's device key.
struct Uploader<'a> {
    server: &'a Server,
    phone: &'a FieldPhone,
    http: reqwest::Client,
}

impl Uploader<'_> {
    async fn put(&self, sha: &str, offset: u64, length: u64, chunk: &[u8]) -> (u16, String) {
        let path = format!("/v1/blobs/{sha}");
        let signed =
            perlinsos_e2e::signed_headers(&self.phone.device, "PUT", &path, chunk, now_millis());
        let key_id = self
            .server
            .state
            .db
            .read(|tx| perlinsos_server::record_keys::current(tx, &self.server.state.district_key))
            .unwrap()
            .key_id;
        let mut request = self.http.put(format!("{}{path}", self.server.url));
        for (name, value) in signed {
            request = request.header(name, value);
        }
        let response = request
            .header("x-perlinsos-blob-offset", offset.to_string())
            .header("x-perlinsos-blob-length", length.to_string())
            .header("x-perlinsos-blob-key", key_id)
            .body(chunk.to_vec())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let code = response
            .headers()
            .get("x-perlinsos-error")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (status, code)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unfinished_upload_belongs_to_its_device_and_each_device_has_a_quota() {
    let server = Server::start().await;
    let a = FieldPhone::enrolled(&server, "agen-01", &[KELURAHAN]).await;
    let b = FieldPhone::enrolled(&server, "agen-02", &[KELURAHAN]).await;
    let (ua, ub) = (
        Uploader {
            server: &server,
            phone: &a,
            http: reqwest::Client::new(),
        },
        Uploader {
            server: &server,
            phone: &b,
            http: reqwest::Client::new(),
        },
    );
    let photo = ingest(CAM2, &Options::default()).unwrap();
    let sha = photo.sha256_hex();
    let (_, sealed) = perlinsos_e2e::sealed_photo(&server.state, &sha, &photo.jpeg);
    let half = sealed.len() / 2;
    let length = sealed.len() as u64;
    assert_eq!(ua.put(&sha, 0, length, &sealed[..half]).await.0, 202);
    // Another device writes garbage to the same photo's name: its own partial, not A's.
    assert_eq!(ub.put(&sha, 0, length, &vec![7u8; half]).await.0, 202);
    // A goes on from where it was and the photo is stored whole.
    assert_eq!(
        ua.put(&sha, half as u64, length, &sealed[half..]).await.0,
        200
    );
    assert_eq!(
        server
            .state
            .db
            .scalar("SELECT count(*) FROM blobs")
            .unwrap(),
        1
    );

    // At most 16 unfinished uploads per device: the next one is refused, with its code.
    let fake = |i: u32| hex(digest(&SHA256, &i.to_be_bytes()).as_ref());
    for i in 0..perlinsos_server::blobs::MAX_PARTIALS as u32 - 1 {
        assert_eq!(ub.put(&fake(i), 0, 1000, b"x").await.0, 202, "{i}");
    }
    let refused = ub.put(&fake(99), 0, 1000, b"x").await;
    assert_eq!(refused, (429, "QUOTA_EXCEEDED".to_owned()));
    // Another device is not held back by it.
    assert_eq!(ua.put(&fake(99), 0, 1000, b"x").await.0, 202);
    // The sweeper removes what was left unfinished; then there is room again.
    let swept = perlinsos_server::blobs::sweep_partials(&server.state, Duration::ZERO).unwrap();
    assert!(swept >= perlinsos_server::blobs::MAX_PARTIALS, "{swept}");
    assert_eq!(ub.put(&fake(99), 0, 1000, b"x").await.0, 202);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_answer_a_local_scraper_and_a_log_forging_device_id_is_refused() {
    let server = Server::start().await;
    let phone = FieldPhone::enrolled(&server, "agen-01", &[KELURAHAN]).await;
    phone.register(3, 2);
    phone.sync().await;
    let http = reqwest::Client::new();
    let metrics = http
        .get(format!("{}/metrics", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), reqwest::StatusCode::OK);
    let text = metrics.text().await.unwrap();
    for expected in [
        "perlinsos_http_requests_total{method=\"POST\",route=\"/v1/outbox\",status=\"200\"}",
        "perlinsos_http_request_duration_seconds_bucket{",
        "perlinsos_outbox_batches_total",
        "perlinsos_outbox_entries_total{outcome=\"accepted\"",
        "perlinsos_queue_size{queue=\"quarantined_entries\"} 0",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    // Through a proxy (a forwarded request), refused.
    let proxied = http
        .get(format!("{}/metrics", server.url))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(proxied.status(), reqwest::StatusCode::FORBIDDEN);

    let key = hex(&[9u8; 32]);
    for bad in [
        "hp\nINFO event=forged",
        "hp 1",
        "",
        &"x".repeat(65),
        "hp\u{1b}[31m",
    ] {
        let body = serde_json::json!({
            "code": "ABCD-EFGH-JKLM", "device_id": bad, "device_public_key": key,
        });
        let answer = http
            .post(format!("{}/v1/enroll", server.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            answer.status(),
            reqwest::StatusCode::UNPROCESSABLE_ENTITY,
            "{bad:?}"
        );
        assert_eq!(answer.headers()["x-perlinsos-error"], "BODY_INVALID");
    }
}
