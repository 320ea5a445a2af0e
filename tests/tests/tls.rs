//! HTTPS for real (issue 19): the server serves TLS itself with a self-signed certificate, the
//! enrollment ticket pins that certificate, and the phone syncs with it over real loopback
//! sockets. A server with any other certificate is refused with its own code before a byte of
//! the phone's data leaves, and the phone keeps its queue for the real server.
use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use perlinsos_core::error::ErrorCode;
use perlinsos_core::sync::{self, Interrupted};
use perlinsos_e2e::field::{fresh_phone, refusal_code, FieldPhone, Server};
use perlinsos_protocol::enrollment::Ticket;

const SCOPE: &[&str] = perlinsos_core::sample::KELURAHAN;

fn scope() -> Vec<String> {
    SCOPE.iter().map(|s| s.to_string()).collect()
}

/// A self-signed certificate for loopback, written as PEM files the server reads.
struct SelfSigned {
    _dir: tempfile::TempDir,
    cert: PathBuf,
    key: PathBuf,
    der: Vec<u8>,
}

fn self_signed() -> SelfSigned {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let made = rcgen::generate_simple_self_signed(names).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("server.crt");
    let key = dir.path().join("server.key");
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    SelfSigned {
        der: made.cert.der().to_vec(),
        _dir: dir,
        cert,
        key,
    }
}

/// The outbox rows and their states.
fn outbox(phone: &FieldPhone) -> Vec<(String, String)> {
    phone
        .store
        .read(|c| {
            let mut stmt = c.prepare("SELECT id, status FROM outbox ORDER BY id")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<(String, String)>>>()?;
            Ok(rows)
        })
        .unwrap()
}

fn households(server: &Server) -> i64 {
    server
        .state
        .db
        .scalar("SELECT count(*) FROM households")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_pinned_to_a_self_signed_certificate_syncs_over_https() {
    let certificate = self_signed();
    let server = Server::start_tls(&certificate.cert, &certificate.key).await;
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    let ticket = server.pinned_ticket("agen-01", &scope(), &certificate.der);
    assert!(ticket.starts_with("perlinsos-enroll:2:"), "{ticket}");

    let phone = FieldPhone::enrolled_by(&ticket, "agen-01").await;
    let enrollment = sync::enrollment(&phone.store).unwrap().unwrap();
    assert_eq!(enrollment.server_url, server.url);
    assert_eq!(
        enrollment.server_cert_sha256,
        Some(perlinsos_protocol::enrollment::fingerprint(
            &certificate.der
        ))
    );
    phone.register(1, 3);
    let report = phone.sync().await;
    assert_eq!(report.parked, 0, "{report:?}");
    assert!(outbox(&phone).is_empty());
    assert_eq!(households(&server), 1);

    // The background worker's sync (no agent unlocked) uses the pin the enrollment stored.
    phone.register(2, 2);
    phone.background_syncer().sync().await.unwrap();
    assert!(outbox(&phone).is_empty());
    assert_eq!(households(&server), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_with_another_certificate_is_refused_and_changes_nothing() {
    let certificate = self_signed();
    let server = Server::start_tls(&certificate.cert, &certificate.key).await;
    let ticket = server.pinned_ticket("agen-01", &scope(), &certificate.der);
    let phone = FieldPhone::enrolled_by(&ticket, "agen-01").await;
    phone.register(3, 2);
    let queued = outbox(&phone);
    assert!(!queued.is_empty());

    // The same district's server, the same URL shape, but another self-signed certificate
    // (someone on the path who terminates TLS himself): refused at the handshake, so nothing
    // reached any server and the phone's queue is as it was.
    let other = self_signed();
    let impostor = server.serve_also(Some((&other.cert, &other.key))).await;
    assert!(impostor.starts_with("https://127.0.0.1:"));
    let outcome = phone.syncer().via_proxy(&impostor).unwrap().sync().await;
    assert_eq!(refusal_code(outcome), ErrorCode::ServerCertMismatch);
    let background = phone
        .background_syncer()
        .via_proxy(&impostor)
        .unwrap()
        .run(3)
        .await;
    assert_eq!(
        refusal_code(background),
        ErrorCode::ServerCertMismatch,
        "not retried as if the network were merely down"
    );
    assert_eq!(outbox(&phone), queued);
    assert_eq!(households(&server), 0);
    assert!(ErrorCode::ServerCertMismatch
        .message()
        .contains("Sertifikat"));

    // The pinned server gets it all, once.
    let report = phone.sync().await;
    assert_eq!(report.parked, 0, "{report:?}");
    assert!(outbox(&phone).is_empty());
    assert_eq!(households(&server), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrollment_is_refused_by_a_server_with_another_certificate_or_a_malformed_pin() {
    let certificate = self_signed();
    let server = Server::start_tls(&certificate.cert, &certificate.key).await;
    let (_dir, phone) = fresh_phone();

    // A ticket that pins another certificate than the one the address answers with.
    let other = self_signed();
    let wrong = server.pinned_ticket("agen-01", &scope(), &other.der);
    assert_eq!(
        refusal_code(phone.enroll(&wrong).await),
        ErrorCode::ServerCertMismatch
    );
    assert!(sync::enrollment(phone.store()).unwrap().is_none());

    // Without a pin the platform's roots decide, and no public CA signed this certificate:
    // not enrolled, and told as an untrusted certificate, not as a network that is down.
    let unpinned = server.ticket("agen-01", &scope());
    assert_eq!(
        refusal_code(phone.enroll(&unpinned).await),
        ErrorCode::ServerCertUntrusted
    );
    assert!(ErrorCode::ServerCertUntrusted
        .message()
        .contains("tidak dipercaya"));
    assert!(sync::enrollment(phone.store()).unwrap().is_none());
    // A server that does not answer at all is still only offline: retried later.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let nobody = Ticket {
        server_url: format!("https://127.0.0.1:{closed}"),
        ..Ticket::parse(&unpinned).unwrap()
    };
    assert!(matches!(
        phone.enroll(&nobody.payload()).await,
        Err(Interrupted::Transient { .. })
    ));
    assert!(sync::enrollment(phone.store()).unwrap().is_none());

    // Malformed pins: refused before anything is sent.
    let good = Ticket::parse(&server.pinned_ticket("agen-01", &scope(), &certificate.der)).unwrap();
    let pin = good.server_cert_sha256.clone().unwrap();
    let http = Ticket {
        server_url: good.server_url.replace("https://", "http://"),
        ..good.clone()
    };
    for bad in [
        good.payload().replace(&pin, &pin[..63]),
        good.payload().replace(&pin, &pin.to_uppercase()),
        good.payload().replace(&pin, &"x".repeat(64)),
        good.payload().replace(&pin, ""),
        // Version 2 without its pin; a pin for plain http.
        good.payload().replace(&format!(":{pin}"), ""),
        http.payload(),
    ] {
        assert_eq!(
            refusal_code(phone.enroll(&bad).await),
            ErrorCode::EnrollTicketInvalid,
            "{bad}"
        );
    }
    assert!(sync::enrollment(phone.store()).unwrap().is_none());

    // The right pin enrolls (the one-time code is still unused).
    let enrollment = phone.enroll(&good.payload()).await.unwrap();
    assert_eq!(enrollment.server_cert_sha256, Some(pin));
}

struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_binary_serves_https_and_its_enrollment_code_pins_the_certificate() {
    let certificate = self_signed();
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(perlinsos_e2e::server_bin())
        .arg("--data")
        .arg(data.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&certificate.cert)
        .arg("--tls-key")
        .arg(&certificate.key)
        .env_remove("PERLINSOS_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let serving = Serving(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();

    let code = Command::new(perlinsos_e2e::server_bin())
        .arg("--data")
        .arg(data.path())
        .args([
            "enroll-code",
            "--agent",
            "agen-01",
            "--scope",
            &SCOPE.join(","),
        ])
        .args(["--url", &format!("https://{addr}"), "--pin-cert"])
        .arg(&certificate.cert)
        .env_remove("PERLINSOS_DATABASE_URL")
        .output()
        .unwrap();
    assert!(code.status.success(), "{code:?}");
    let printed = String::from_utf8(code.stdout).unwrap();
    assert!(printed.contains("Sidik sertifikat :"), "{printed}");
    let payload = printed
        .lines()
        .find_map(|l| l.strip_prefix("QR               : "))
        .unwrap();
    let ticket = Ticket::parse(payload).unwrap();
    assert_eq!(
        ticket.server_cert_sha256,
        Some(perlinsos_protocol::enrollment::fingerprint(
            &certificate.der
        ))
    );

    let phone = FieldPhone::enrolled_by(payload, "agen-01").await;
    phone.register(4, 2);
    let report = phone.sync().await;
    assert_eq!(report.parked, 0, "{report:?}");
    assert!(outbox(&phone).is_empty());

    // A pin for plain http, or a file that holds no certificate: no code is made.
    for (url, pin) in [
        ("http://127.0.0.1:8750", &certificate.cert),
        (&*format!("https://{addr}"), &certificate.key),
    ] {
        let refused = Command::new(perlinsos_e2e::server_bin())
            .arg("--data")
            .arg(data.path())
            .args(["enroll-code", "--agent", "agen-02", "--scope", SCOPE[0]])
            .args(["--url", url, "--pin-cert"])
            .arg(pin)
            .env_remove("PERLINSOS_DATABASE_URL")
            .output()
            .unwrap();
        assert!(!refused.status.success(), "{url}");
    }
    drop(serving);
}

/// A certificate rollover without enrolling again: the operator announces the current and the
/// next certificate (signed, through the change feed), phones that synced follow the server
/// to the next one, and once the next is announced alone the old one is refused. A phone that
/// never synced in between still trusts only what it pinned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phones_follow_an_announced_certificate_rollover_without_enrolling_again() {
    use perlinsos_server::operator::announce_certificates;
    let current = self_signed();
    let server = Server::start_tls(&current.cert, &current.key).await;
    let phone = FieldPhone::enrolled_by(
        &server.pinned_ticket("agen-01", &scope(), &current.der),
        "agen-01",
    )
    .await;
    let late = FieldPhone::enrolled_by(
        &server.pinned_ticket("agen-02", &scope(), &current.der),
        "agen-02",
    )
    .await;
    let next = self_signed();
    let next_url = server.serve_also(Some((&next.cert, &next.key))).await;

    // Not announced yet: the next certificate is refused like any other.
    phone.register(1, 2);
    let outcome = phone.syncer().via_proxy(&next_url).unwrap().sync().await;
    assert_eq!(refusal_code(outcome), ErrorCode::ServerCertMismatch);
    assert_eq!(households(&server), 0);

    // Both announced; the phone learns it at its next sync (over the current certificate).
    let both = announce_certificates(
        &server.state,
        &[current.der.clone(), next.der.clone()],
        "admin",
    )
    .unwrap();
    assert_eq!(both.len(), 2);
    let report = phone.sync().await;
    assert_eq!(report.changes_refused, 0, "{report:?}");
    assert_eq!(households(&server), 1);
    let enrollment = sync::enrollment(&phone.store).unwrap().unwrap();
    assert_eq!(enrollment.server_cert_pins, both);

    // The server moves to the next certificate: the phone follows, no new enrollment.
    phone.register(2, 2);
    phone
        .syncer()
        .via_proxy(&next_url)
        .unwrap()
        .sync()
        .await
        .unwrap();
    assert!(outbox(&phone).is_empty());
    assert_eq!(households(&server), 2);

    // The next one alone: the old certificate is refused from then on.
    announce_certificates(&server.state, std::slice::from_ref(&next.der), "admin").unwrap();
    phone
        .syncer()
        .via_proxy(&next_url)
        .unwrap()
        .sync()
        .await
        .unwrap();
    phone.register(3, 2);
    let outcome = phone.syncer().sync().await;
    assert_eq!(refusal_code(outcome), ErrorCode::ServerCertMismatch);
    phone
        .syncer()
        .via_proxy(&next_url)
        .unwrap()
        .sync()
        .await
        .unwrap();
    assert_eq!(households(&server), 3);

    // The phone that did not sync in between knows only its pin: it must enroll again.
    let outcome = late.syncer().via_proxy(&next_url).unwrap().sync().await;
    assert_eq!(refusal_code(outcome), ErrorCode::ServerCertMismatch);

    // Replayed to it over the old certificate, the announcements apply in order: the last
    // one wins.
    late.sync().await;
    let pins = sync::enrollment(&late.store)
        .unwrap()
        .unwrap()
        .server_cert_pins;
    assert_eq!(
        pins,
        vec![perlinsos_protocol::enrollment::fingerprint(&next.der)]
    );
}
