//! Refusals the OpenAPI document (server/openapi.json) describes, over a real loopback socket:
//! what the schema-driven API fuzzer (tools/api-fuzz) found answered with the framework's
//! plain-text 400, 415 or 422 instead of an ErrorBody with a stable code.
use std::io::{Read, Write};
use std::net::SocketAddr;

use perlinsos_protocol::signing;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair};

struct Served {
    _dir: tempfile::TempDir,
    addr: SocketAddr,
    device_id: String,
    key: Ed25519KeyPair,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Sends `head` (request line and headers, without the blank line) and `body`; the answer's
/// status, headers (lower case) and body.
fn send(addr: SocketAddr, head: &str, body: &[u8]) -> (u16, String, String) {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let mut request = format!(
        "{head}\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    stream.write_all(&request).unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let (headers, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = headers[9..12].parse().unwrap();
    (status, headers.to_ascii_lowercase(), body.to_owned())
}

/// A server on loopback and a device enrolled with it over the API.
async fn served() -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = perlinsos_server::AppState::open(
        dir.path(),
        std::sync::Arc::new(perlinsos_server::now_millis),
    )
    .unwrap();
    let code = perlinsos_server::operator::enroll_code(
        &state,
        "agen-01",
        &["52.71.01.1004".to_owned()],
        3_600_000,
    )
    .unwrap();
    tokio::spawn(perlinsos_server::serve(listener, state));
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let body = serde_json::json!({
        "code": code,
        "device_id": "hp-01",
        "device_public_key": hex(key.public_key().as_ref()),
    })
    .to_string();
    let (status, _, answer) = tokio::task::spawn_blocking(move || {
        send(
            addr,
            "POST /v1/enroll HTTP/1.1\r\nContent-Type: application/json",
            body.as_bytes(),
        )
    })
    .await
    .unwrap();
    assert_eq!(status, 200, "{answer}");
    Served {
        _dir: dir,
        addr,
        device_id: "hp-01".into(),
        key,
    }
}

impl Served {
    /// The request signed as the device signs it.
    fn signed(&self, method: &str, path: &str, body: &[u8]) -> (u16, String, String) {
        let mut nonce = [0u8; 16];
        SystemRandom::new().fill(&mut nonce).unwrap();
        let nonce = hex(&nonce);
        let at = perlinsos_server::now_millis();
        let body_hash = ring::digest::digest(&ring::digest::SHA256, body);
        let text = signing::canonical_request(
            method,
            path,
            &self.device_id,
            at,
            &nonce,
            &hex(body_hash.as_ref()),
        );
        let head = format!(
            "{method} {path} HTTP/1.1\r\n{}: {}\r\n{}: {at}\r\n{}: {nonce}\r\n{}: {}",
            signing::HEADER_DEVICE,
            self.device_id,
            signing::HEADER_TIMESTAMP,
            signing::HEADER_NONCE,
            signing::HEADER_SIGNATURE,
            hex(self.key.sign(&text).as_ref()),
        );
        send(self.addr, &head, body)
    }
}

fn assert_refused(answer: (u16, String, String), status: u16, code: &str) {
    let (got, headers, body) = answer;
    assert_eq!(got, status, "{headers}\n{body}");
    assert!(
        headers.contains("content-type: application/json"),
        "{headers}"
    );
    assert!(
        headers.contains(&format!("x-perlinsos-error: {}", code.to_ascii_lowercase())),
        "{headers}"
    );
    if !body.is_empty() {
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["code"], code);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_enrollment_that_is_not_an_enrollment_request_gets_a_code() {
    let server = served().await;
    let addr = server.addr;
    for (head, body) in [
        ("POST /v1/enroll HTTP/1.1", &b"not json"[..]),
        (
            "POST /v1/enroll HTTP/1.1\r\nContent-Type: application/json",
            b"{\"code\": 1}",
        ),
        (
            "POST /v1/enroll HTTP/1.1\r\nContent-Type: text/plain",
            b"{}",
        ),
    ] {
        let answer = tokio::task::spawn_blocking(move || send(addr, head, body))
            .await
            .unwrap();
        assert_refused(answer, 422, "BODY_INVALID");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_feed_query_that_is_not_a_cursor_gets_a_code() {
    let server = std::sync::Arc::new(served().await);
    let s = server.clone();
    let answers = tokio::task::spawn_blocking(move || {
        [
            s.signed("GET", "/v1/changes?since=abc", b""),
            s.signed("GET", "/v1/changes?since=99999999999999999999", b""),
            s.signed("GET", "/v1/changes?since=1&since=2", b""),
        ]
    })
    .await
    .unwrap();
    for answer in answers {
        assert_refused(answer, 422, "BODY_INVALID");
    }
    let s = server.clone();
    let (status, _, body) =
        tokio::task::spawn_blocking(move || s.signed("GET", "/v1/changes?since=-5", b""))
            .await
            .unwrap();
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_blob_name_that_does_not_decode_gets_a_code() {
    let server = std::sync::Arc::new(served().await);
    let s = server.clone();
    let answers = tokio::task::spawn_blocking(move || {
        [
            s.signed("HEAD", "/v1/blobs/%FF%FE", b""),
            s.signed("HEAD", "/v1/blobs/..", b""),
        ]
    })
    .await
    .unwrap();
    for answer in answers {
        assert_refused(answer, 422, "BODY_INVALID");
    }
}

/// `POST /v1/handover` as the fuzzer probes it: a body that is not a hand-over request is
/// BODY_INVALID; too many entries BATCH_TOO_LARGE; a well-formed one from a device the operator
/// did not enroll as the named device's replacement HANDOVER_NOT_ALLOWED (403), whatever
/// device it names (itself, an unknown one).
#[tokio::test(flavor = "multi_thread")]
async fn a_handover_that_is_not_allowed_or_not_a_request_gets_a_code() {
    let server = std::sync::Arc::new(served().await);
    let s = server.clone();
    let entry = serde_json::json!({
        "id": "e", "kind": "household.registered", "entity_id": "x", "key_id": "k",
        "sealed": "", "kelurahan_code": null, "created_at": 1,
    });
    let many = serde_json::json!({
        "from_device_id": "hp-old",
        "entries": vec![entry.clone(); 201],
    })
    .to_string();
    let own = format!(
        r#"{{"from_device_id":"{}","entries":[]}}"#,
        server.device_id
    );
    let answers = tokio::task::spawn_blocking(move || {
        [
            (
                s.signed("POST", "/v1/handover", b"not json"),
                422,
                "BODY_INVALID",
            ),
            (
                s.signed("POST", "/v1/handover", br#"{"entries":[]}"#),
                422,
                "BODY_INVALID",
            ),
            (
                s.signed("POST", "/v1/handover", many.as_bytes()),
                413,
                "BATCH_TOO_LARGE",
            ),
            (
                s.signed(
                    "POST",
                    "/v1/handover",
                    serde_json::json!({"from_device_id": "hp-old", "entries": [entry]})
                        .to_string()
                        .as_bytes(),
                ),
                403,
                "HANDOVER_NOT_ALLOWED",
            ),
            (
                s.signed("POST", "/v1/handover", own.as_bytes()),
                403,
                "HANDOVER_NOT_ALLOWED",
            ),
        ]
    })
    .await
    .unwrap();
    for (answer, status, code) in answers {
        assert_refused(answer, status, code);
    }
}
