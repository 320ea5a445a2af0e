//! The review console over real HTTP on loopback, with sanggahan that phones' cores filed and
//! synced: no page without a session, the reviewer never sees the reporter, a forged form
//! changes nothing, wrong passwords are slowed, decisions and lapses reach the phone, photos
//! that turn up on other phones are flagged, and the registrations export for SIKS-NG.
use perlinsos_core::sanggahan::Status;
use perlinsos_e2e::field::{FieldPhone, Server};
use perlinsos_server::console::accounts::{self, Role};
use perlinsos_server::registrations::CSV_COLUMNS;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;

const CAM3: &[u8] = include_bytes!("../../core/data/photos/cam3_ladybird.jpg");
const CAM2: &[u8] = include_bytes!("../../core/data/photos/cam2_wood.jpg");
const SCOPE: &[&str] = perlinsos_core::sample::KELURAHAN.split_at(8).0;
const PASSWORD: &str = "kata-sandi-yang-panjang";

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The hash of the first evidence photo a page links.
fn first_photo(page: &str) -> &str {
    page.split("/review/bukti/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a photo on the page")
}

/// The value of the first `name="csrf"` hidden field of a page.
fn csrf_of(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    page[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn cookie_of(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

struct Console {
    http: reqwest::Client,
    base: String,
    session: Option<String>,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

impl Console {
    fn new(server: &Server) -> Console {
        Console {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: server.url.clone(),
            session: None,
        }
    }

    async fn read(response: reqwest::Response) -> Page {
        Page {
            status: response.status(),
            location: response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: response.text().await.unwrap(),
        }
    }

    async fn get(&self, path: &str) -> Page {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(s) = &self.session {
            request = request.header(COOKIE, format!("perlinsos_review={s}"));
        }
        Console::read(request.send().await.unwrap()).await
    }

    async fn post(&self, path: &str, pairs: &[(&str, &str)]) -> Page {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(pairs));
        if let Some(s) = &self.session {
            request = request.header(COOKIE, format!("perlinsos_review={s}"));
        }
        Console::read(request.send().await.unwrap()).await
    }

    /// The login form's round trip; keeps the session cookie when it succeeds.
    async fn login(&mut self, username: &str, password: &str) -> Page {
        self.login_from(username, password, None).await
    }

    /// A login with the second factor's code.
    async fn login_with_code(&mut self, username: &str, password: &str, code: &str) -> Page {
        self.login_as(username, password, None, Some(code)).await
    }

    /// A login with an `X-Forwarded-For` header (what a reverse proxy adds).
    async fn login_from(
        &mut self,
        username: &str,
        password: &str,
        forwarded: Option<&str>,
    ) -> Page {
        self.login_as(username, password, forwarded, None).await
    }

    async fn login_as(
        &mut self,
        username: &str,
        password: &str,
        forwarded: Option<&str>,
        code: Option<&str>,
    ) -> Page {
        let form_page = self
            .http
            .get(format!("{}/review/login", self.base))
            .send()
            .await
            .unwrap();
        let login_cookie = cookie_of(&form_page, "perlinsos_login").expect("login cookie");
        let token = login_cookie["perlinsos_login=".len()..]
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let mut request = self.http.post(format!("{}/review/login", self.base));
        if let Some(forwarded) = forwarded {
            request = request.header("x-forwarded-for", forwarded);
        }
        let response = request
            .header("content-type", "application/x-www-form-urlencoded")
            .header(COOKIE, format!("perlinsos_login={token}"))
            .body(form(&[
                ("csrf", &token),
                ("username", username),
                ("password", password),
                ("kode", code.unwrap_or("")),
            ]))
            .send()
            .await
            .unwrap();
        if let Some(cookie) = cookie_of(&response, "perlinsos_review") {
            assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
            self.session = Some(
                cookie["perlinsos_review=".len()..]
                    .split(';')
                    .next()
                    .unwrap()
                    .to_owned(),
            );
        }
        Console::read(response).await
    }
}

fn add_accounts(server: &Server) {
    let scope: Vec<String> = SCOPE.iter().map(|s| s.to_string()).collect();
    accounts::add(
        &server.state,
        "peninjau01",
        Role::Peninjau,
        PASSWORD,
        &scope,
    )
    .unwrap();
    accounts::add(&server.state, "admin01", Role::Admin, PASSWORD, &[]).unwrap();
}

/// A server with recipients and accounts, and a phone that filed one sanggahan and synced it.
async fn filed() -> (Server, FieldPhone, String) {
    let server = Server::start().await;
    server.import_recipients(SCOPE);
    add_accounts(&server);
    let phone = FieldPhone::enrolled(&server, "agen-01", SCOPE).await;
    let (id, _) = phone.file_sanggahan(11, SCOPE, &[CAM3]);
    phone.sync().await;
    assert_eq!(phone.status(&id), Status::Diterima);
    (server, phone, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_refuses_a_request_without_a_live_session() {
    let (server, _phone, id) = filed().await;
    let sha: String = server
        .state
        .db
        .read(|tx| {
            Ok(tx
                .query_one("SELECT sha256 FROM evidence_index", &[])?
                .unwrap()[0]
                .text()
                .unwrap())
        })
        .unwrap();
    let mut anonymous = Console::new(&server);
    for forged in [None, Some("0".repeat(64))] {
        anonymous.session = forged;
        for page in [
            "/review/sanggahan",
            &format!("/review/sanggahan/{id}"),
            "/review/registrasi",
            "/review/data-ganda",
            "/review/perangkat",
            "/review/kunjungan",
            "/review/tanda-terima",
        ] {
            let page = anonymous.get(page).await;
            assert_eq!(page.status, StatusCode::SEE_OTHER);
            assert_eq!(page.location.as_deref(), Some("/review/login"));
        }
        for path in [
            format!("/review/bukti/{sha}"),
            "/review/registrasi.csv".into(),
        ] {
            assert_eq!(
                anonymous.get(&path).await.status,
                StatusCode::UNAUTHORIZED,
                "{path}"
            );
        }
        let post = anonymous
            .post(
                &format!("/review/sanggahan/{id}/putusan"),
                &[("decision", "diverifikasi")],
            )
            .await;
        assert_eq!(post.status, StatusCode::UNAUTHORIZED);
        let post = anonymous
            .post("/review/data-ganda/1/putusan", &[("resolution", "berbeda")])
            .await;
        assert_eq!(post.status, StatusCode::UNAUTHORIZED);
    }
    // A session ends after 8 hours.
    let mut officer = Console::new(&server);
    assert_eq!(
        officer.login("peninjau01", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        officer.get("/review/sanggahan").await.status,
        StatusCode::OK
    );
    server
        .offset_ms
        .store(8 * 3_600_000 + 1_000, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        officer.get("/review/sanggahan").await.status,
        StatusCode::SEE_OTHER
    );
    let decided: i64 = server
        .state
        .db
        .scalar("SELECT count(*) FROM sanggahan_decisions")
        .unwrap();
    assert_eq!(decided, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_decides_without_seeing_the_reporter_and_a_forged_form_changes_nothing() {
    let (server, phone, id) = filed().await;
    let reporter = phone.sanggahan().get(&id).unwrap().reporter;
    let path = format!("/review/sanggahan/{id}");

    let mut admin = Console::new(&server);
    admin.login("admin01", PASSWORD).await;
    let page = admin.get(&path).await;
    assert!(
        page.body.contains(&reporter.nik),
        "an admin sees the reporter"
    );

    let mut reviewer = Console::new(&server);
    reviewer.login("peninjau01", PASSWORD).await;
    let list = reviewer.get("/review/sanggahan?status=diterima").await;
    assert!(
        list.body.contains(&id) && list.body.contains("13 hari"),
        "{}",
        list.body
    );
    let page = reviewer.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains(&reporter.nik) && !page.body.contains(&reporter.full_name));
    assert!(page.body.contains("disembunyikan"));
    assert!(page.body.contains("Atestasi sah"));
    assert!(
        page.body.contains("Baiq Nurul"),
        "the recipient as the list has it"
    );
    let csrf = csrf_of(&page.body);

    // No token, a wrong token, another session's token: refused, nothing decided.
    let admin_csrf = csrf_of(&admin.get(&path).await.body);
    for token in [None, Some("f".repeat(64)), Some(admin_csrf)] {
        let mut pairs = vec![("decision", "diverifikasi")];
        if let Some(t) = &token {
            pairs.push(("csrf", t));
        }
        let refused = reviewer.post(&format!("{path}/putusan"), &pairs).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(refused.body.contains("CSRF"));
    }
    assert_eq!(
        server
            .state
            .db
            .scalar("SELECT count(*) FROM sanggahan_decisions")
            .unwrap(),
        0
    );

    // A refusal needs a reason the resident will read.
    let refused = reviewer
        .post(
            &format!("{path}/putusan"),
            &[("csrf", &csrf), ("decision", "ditolak")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Alasan penolakan wajib diisi"));
    let reason = "Penerima masih memenuhi syarat menurut verifikasi lapangan.";
    let done = reviewer
        .post(
            &format!("{path}/putusan"),
            &[("csrf", &csrf), ("decision", "ditolak"), ("reason", reason)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let again = reviewer
        .post(
            &format!("{path}/putusan"),
            &[("csrf", &csrf), ("decision", "diverifikasi")],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("sudah tidak menunggu putusan"));

    phone.sync().await;
    assert_eq!(phone.status(&id), Status::Ditolak);
    let history = phone.sanggahan().history(&id).unwrap();
    assert_eq!(history.last().unwrap().reason.as_deref(), Some(reason));
    let audit: i64 = server
        .state
        .db
        .scalar("SELECT count(*) FROM operator_audit WHERE username = 'peninjau01' AND action = 'sanggahan_ditolak'")
        .unwrap();
    assert_eq!(audit, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_wrong_passwords_are_slowed_even_for_the_right_one() {
    let server = Server::start().await;
    add_accounts(&server);
    let mut console = Console::new(&server);
    for _ in 0..accounts::FREE_FAILURES {
        let page = console.login("peninjau01", "bukan-kata-sandinya").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        assert!(page.body.contains("Nama pengguna atau kata sandi salah."));
    }
    let blocked = console.login("peninjau01", PASSWORD).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.body.contains("Coba lagi dalam 30 detik"));
    assert!(console.session.is_none());
    // The wait doubles with every further failure.
    server
        .offset_ms
        .fetch_add(31_000, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        console.login("peninjau01", "salah-lagi").await.status,
        StatusCode::UNAUTHORIZED
    );
    let longer = console.login("peninjau01", PASSWORD).await;
    assert!(
        longer.body.contains("Coba lagi dalam 60 detik"),
        "{}",
        longer.body
    );
    server
        .offset_ms
        .fetch_add(61_000, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        console.login("peninjau01", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(console.session.is_some());
    // A login form without its token is refused before any password is checked.
    let forged = console
        .http
        .post(format!("{}/review/login", server.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("username", "peninjau01"), ("password", PASSWORD)]))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecided_sanggahan_lapses_after_14_days_here_and_on_the_phone() {
    let (server, phone, id) = filed().await;
    server.advance_days(15);
    let mut reviewer = Console::new(&server);
    reviewer.login("peninjau01", PASSWORD).await;
    let list = reviewer.get("/review/sanggahan?status=kedaluwarsa").await;
    assert!(list.body.contains(&id), "{}", list.body);
    let csrf = csrf_of(&list.body);
    let late = reviewer
        .post(
            &format!("/review/sanggahan/{id}/putusan"),
            &[("csrf", &csrf), ("decision", "diverifikasi")],
        )
        .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The phone's signed requests carry today's time: back to it before the sync.
    server.reset_clock();
    phone.sync().await;
    assert_eq!(phone.status(&id), Status::Kedaluwarsa);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_from_other_phones_and_repeat_reporters_are_flagged() {
    let server = Server::start().await;
    server.import_recipients(SCOPE);
    add_accounts(&server);
    let first = FieldPhone::enrolled(&server, "agen-01", SCOPE).await;
    let second = FieldPhone::enrolled(&server, "agen-02", SCOPE).await;
    let (a, _) = first.file_sanggahan(21, SCOPE, &[CAM3]);
    // The same reporter again, with a different photo.
    let (b, _) = first.file_against(21, SCOPE, &[CAM2], "b");
    // Another phone, the same house photo at another size: other bytes, the same picture.
    let resized = perlinsos_e2e::photo_sized(CAM3, 800);
    let (c, _) = second.file_sanggahan(33, SCOPE, &[&resized]);
    first.sync().await;
    second.sync().await;

    let mut reviewer = Console::new(&server);
    reviewer.login("peninjau01", PASSWORD).await;
    let page = reviewer.get(&format!("/review/sanggahan/{a}")).await;
    assert!(page.body.contains("Foto serupa ditemukan"), "{}", page.body);
    assert!(page.body.contains(&format!("sanggahan {c}")));
    assert!(
        !page.body.contains(&format!("sanggahan {b}")),
        "a different photo is not flagged"
    );
    assert!(page.body.contains("<dd id=\"reporter-others\">1</dd>"));
    let other = reviewer.get(&format!("/review/sanggahan/{c}")).await;
    assert!(other.body.contains("<dd id=\"reporter-others\">0</dd>"));
    assert!(other.body.contains(&format!("sanggahan {a}")));
    // The photo itself, to a logged-in officer.
    let sha = first_photo(&page.body);
    let photo = reviewer
        .http
        .get(format!("{}/review/bukti/{sha}", server.url))
        .header(
            COOKIE,
            format!("perlinsos_review={}", reviewer.session.as_ref().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(photo.status(), StatusCode::OK);
    assert_eq!(photo.headers()["content-type"], "image/jpeg");
    assert!(photo.bytes().await.unwrap().starts_with(&[0xFF, 0xD8]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_are_listed_and_exported_for_siks_ng() {
    let server = Server::start().await;
    add_accounts(&server);
    let every: Vec<&str> = perlinsos_core::sample::KELURAHAN.to_vec();
    let phone = FieldPhone::enrolled(&server, "agen-01", &every).await;
    let ids = [phone.register(41, 3), phone.register(42, 2)];
    phone.sync().await;
    let members: usize = ids
        .iter()
        .map(|id| phone.registry().household(id).unwrap().members.len())
        .sum();
    let nik = phone.registry().household(&ids[0]).unwrap().members[0]
        .input
        .nik
        .clone();

    let mut officer = Console::new(&server);
    officer.login("peninjau01", PASSWORD).await;
    let page = officer.get("/review/registrasi").await;
    assert!(page.body.contains("Registrasi keluarga (2)"));
    assert!(page.body.contains("peringkat resmi ditetapkan BPS"));
    let csv = officer.get("/review/registrasi.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0], CSV_COLUMNS.join(","));
    assert_eq!(lines.len(), 1 + members);
    // A peninjau's export masks the numbers; the admin's has them whole.
    assert!(!csv.body.contains(&nik));
    assert!(csv
        .body
        .contains(&format!("{}******{}", &nik[..6], &nik[12..])));
    let mut admin = Console::new(&server);
    admin.login("admin01", PASSWORD).await;
    assert!(admin
        .get("/review/registrasi.csv")
        .await
        .body
        .contains(&nik));
    let exported: i64 = server
        .state
        .db
        .scalar("SELECT count(*) FROM operator_audit WHERE action = 'registrations_exported'")
        .unwrap();
    assert_eq!(exported, 2);
}

fn receipt_status(phone: &FieldPhone, record_id: &str) -> Option<String> {
    phone
        .store
        .read(|c| {
            Ok(c.query_row(
                "SELECT status FROM receipts WHERE record_id = ?1",
                [record_id],
                |r| r.get::<_, Option<String>>(0),
            )
            .ok()
            .flatten())
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_family_registered_on_two_phones_is_kept_twice_flagged_and_resolved() {
    let server = Server::start().await;
    add_accounts(&server);
    let first = FieldPhone::enrolled(&server, "agen-01", perlinsos_core::sample::KELURAHAN).await;
    let second = FieldPhone::enrolled(&server, "agen-02", perlinsos_core::sample::KELURAHAN).await;
    // The same seed draws the same family: the same KK and NIKs, on two phones.
    let a = first.register(77, 4);
    first.sync().await;
    let b = second.register(77, 4);
    let report = second.sync().await;
    assert_eq!(report.records_accepted, 1, "both registrations are kept");
    let statuses: Vec<String> = server
        .state
        .db
        .read(|tx| tx.query("SELECT status FROM households ORDER BY id", &[]))
        .unwrap()
        .iter()
        .map(|r| r[0].text().unwrap_or_default())
        .collect();
    assert_eq!(statuses, vec!["data_ganda", "data_ganda"]);

    // Both phones learn at once that their registration waits for an officer.
    first.sync().await;
    second.sync().await;
    assert_eq!(receipt_status(&first, &a).as_deref(), Some("data_ganda"));
    assert_eq!(receipt_status(&second, &b).as_deref(), Some("data_ganda"));

    let mut officer = Console::new(&server);
    officer.login("peninjau01", PASSWORD).await;
    let list = officer.get("/review/data-ganda").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains(&a) && list.body.contains(&b),
        "{}",
        list.body
    );
    assert!(list.body.contains("No. KK sama"));
    let csrf = csrf_of(&list.body);
    let id: i64 = server.state.db.scalar("SELECT id FROM duplicates").unwrap();
    let path = format!("/review/data-ganda/{id}/putusan");
    // A forged form (no token) and a resolution that is not one change nothing.
    assert_eq!(
        officer
            .post(&path, &[("resolution", "berbeda")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        officer
            .post(&path, &[("csrf", &csrf), ("resolution", "hapus")])
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let decided = officer
        .post(&path, &[("csrf", &csrf), ("resolution", "pertama_benar")])
        .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER);
    assert_eq!(
        officer
            .post(&path, &[("csrf", &csrf), ("resolution", "berbeda")])
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "decided once"
    );
    assert!(officer
        .get("/review/data-ganda")
        .await
        .body
        .contains("Tidak ada data ganda"));
    let audited = server
        .state
        .db
        .scalar("SELECT count(*) FROM operator_audit WHERE action = 'data_ganda_diputus'")
        .unwrap();
    assert_eq!(audited, 1);

    // Each phone learns its registration's outcome.
    first.sync().await;
    second.sync().await;
    assert_eq!(receipt_status(&first, &a).as_deref(), Some("diterima"));
    assert_eq!(
        receipt_status(&second, &b).as_deref(),
        Some("ganda_ditolak")
    );
}

/// Forty wrong passwords at once: the check and the count are one transaction, so no more
/// than the free failures are ever hashed; the rest wait or are told to. The throttle keeps
/// no typed name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_wrong_passwords_cannot_race_the_count() {
    let server = Server::start().await;
    add_accounts(&server);
    let mut attempts = Vec::new();
    for _ in 0..40 {
        let mut console = Console::new(&server);
        attempts.push(tokio::spawn(async move {
            console.login("admin01", "tebakan-yang-salah").await.status
        }));
    }
    let mut wrong = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            StatusCode::UNAUTHORIZED => wrong += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("{other}"),
        }
    }
    assert!(
        wrong <= accounts::FREE_FAILURES as usize,
        "{wrong} passwords checked"
    );
    let rows: Vec<String> = server
        .state
        .db
        .read(|tx| {
            Ok(tx
                .query("SELECT key FROM login_throttle", &[])?
                .into_iter()
                .filter_map(|r| r[0].text())
                .collect())
        })
        .unwrap();
    assert_eq!(rows.len(), 2, "one name, one address: {rows:?}");
    assert!(rows
        .iter()
        .all(|k| !k.contains("admin01") && !k.contains("127.0.0.1")));
    // After the wait the real admin gets in: a wait, not a lock-out.
    server
        .offset_ms
        .fetch_add(61_000, std::sync::atomic::Ordering::SeqCst);
    let mut console = Console::new(&server);
    let page = console.login("admin01", PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
}

/// Behind a trusted reverse proxy each officer's own address is throttled, not the proxy's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_client_has_its_own_count() {
    let server = Server::start_with(|state| {
        state.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    add_accounts(&server);
    let mut guesser = Console::new(&server);
    for i in 0..accounts::FREE_FAILURES + 1 {
        let name = format!("nama{i}");
        guesser
            .login_from(&name, "salah-salah-salah", Some("203.0.113.7"))
            .await;
    }
    let blocked = guesser
        .login_from("peninjau01", PASSWORD, Some("203.0.113.7"))
        .await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    let mut officer = Console::new(&server);
    let page = officer
        .login_from("peninjau01", PASSWORD, Some("198.51.100.4"))
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    // A forged extra hop added by the client itself does not help the guesser.
    let forged = guesser
        .login_from("peninjau01", PASSWORD, Some("198.51.100.4, 203.0.113.7"))
        .await;
    assert_eq!(forged.status, StatusCode::TOO_MANY_REQUESTS);
}

/// A peninjau sees, decides, opens the photos of and exports only what lies inside their
/// kelurahan; the export shows them masked NIKs, the admin full ones. A peninjau without a
/// scope cannot be made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peninjau_works_only_inside_their_scope() {
    let server = Server::start().await;
    server.import_recipients(SCOPE);
    add_accounts(&server);
    let phone = FieldPhone::enrolled(&server, "agen-01", SCOPE).await;
    // Two sanggahan in two different kelurahan; the one outside the officer's scope has the
    // only copy of its photo (CAM3).
    let (outside, there) = phone.file_sanggahan(11, SCOPE, &[CAM3]);
    let (inside, here) = (12..40)
        .map(|seed| phone.file_sanggahan(seed, SCOPE, &[CAM2]))
        .find(|(_, k)| *k != there)
        .expect("another kelurahan");
    for seed in 50..60 {
        phone.register(seed, 2);
    }
    phone.sync().await;
    assert!(accounts::add(&server.state, "peninjau09", Role::Peninjau, PASSWORD, &[]).is_err());
    accounts::add(
        &server.state,
        "peninjau02",
        Role::Peninjau,
        PASSWORD,
        std::slice::from_ref(&here),
    )
    .unwrap();
    let mut officer = Console::new(&server);
    assert_eq!(
        officer.login("peninjau02", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );

    let list = officer.get("/review/sanggahan").await;
    assert!(list.body.contains(&inside), "{}", list.body);
    assert!(!list.body.contains(&outside));
    assert!(
        !list.body.contains(&format!("({there})")),
        "not even in the filter"
    );
    let page = officer.get(&format!("/review/sanggahan/{outside}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    // Deciding it by its id: refused as unknown, nothing decided.
    let own = officer.get(&format!("/review/sanggahan/{inside}")).await;
    let csrf = csrf_of(&own.body);
    let refused = officer
        .post(
            &format!("/review/sanggahan/{outside}/putusan"),
            &[("csrf", &csrf), ("decision", "diverifikasi")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(
        server
            .state
            .db
            .scalar("SELECT count(*) FROM sanggahan_decisions")
            .unwrap(),
        0
    );
    // Its photo, by its hash: not found for this officer, served to the admin.
    let mut admin = Console::new(&server);
    admin.login("admin01", PASSWORD).await;
    let outside_page = admin.get(&format!("/review/sanggahan/{outside}")).await;
    let sha = first_photo(&outside_page.body);
    assert_eq!(
        officer.get(&format!("/review/bukti/{sha}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin.get(&format!("/review/bukti/{sha}")).await.status,
        StatusCode::OK
    );

    // The export: only this kelurahan's households, NIKs masked; the admin's has them all.
    let mine = officer.get("/review/registrasi.csv").await.body;
    let all = admin.get("/review/registrasi.csv").await.body;
    let rows = |csv: &str| csv.lines().skip(1).count();
    assert!(
        rows(&mine) < rows(&all),
        "{} vs {}",
        rows(&mine),
        rows(&all)
    );
    assert!(mine.lines().skip(1).all(|l| l.contains(&here)));
    let nik_column = |csv: &str| -> Vec<String> {
        let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        let at = header.iter().position(|h| *h == "nik").unwrap();
        csv.lines()
            .skip(1)
            .map(|l| l.split(',').nth(at).unwrap().to_owned())
            .collect()
    };
    assert!(nik_column(&mine).iter().all(|n| n.contains("******")));
    assert!(nik_column(&all)
        .iter()
        .all(|n| n.len() == 16 && n.bytes().all(|b| b.is_ascii_digit())));

    // The admin widens the scope (audited); the officer then sees the other one too.
    accounts::set_scope(
        &server.state,
        "peninjau02",
        &[here.clone(), there.clone()],
        "admin01",
    )
    .unwrap();
    let list = officer.get("/review/sanggahan").await;
    assert!(list.body.contains(&outside));
}

/// An admin revokes a lost phone from the console (audited under the admin's name); a
/// peninjau cannot; the phone is refused from then on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_revokes_a_lost_phone_from_the_console() {
    let server = Server::start().await;
    add_accounts(&server);
    let phone = FieldPhone::enrolled(&server, "agen-01", SCOPE).await;
    let mut reviewer = Console::new(&server);
    reviewer.login("peninjau01", PASSWORD).await;
    assert_eq!(
        reviewer.get("/review/perangkat").await.status,
        StatusCode::FORBIDDEN
    );
    let mut admin = Console::new(&server);
    admin.login("admin01", PASSWORD).await;
    let page = admin.get("/review/perangkat").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&phone.device.id));
    let path = format!("/review/perangkat/{}/cabut", phone.device.id);
    let csrf = csrf_of(&page.body);
    // A peninjau's form, or one without the token: refused, nothing revoked.
    let reviewer_csrf = csrf_of(&reviewer.get("/review/sanggahan").await.body);
    assert_eq!(
        reviewer
            .post(&path, &[("csrf", &reviewer_csrf)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(admin.post(&path, &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        server
            .state
            .db
            .scalar("SELECT count(*) FROM devices WHERE revoked_at IS NOT NULL")
            .unwrap(),
        0
    );
    let done = admin.post(&path, &[("csrf", &csrf)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert!(admin
        .get("/review/perangkat")
        .await
        .body
        .contains("dicabut"));
    let audited = server
        .state
        .db
        .scalar(
            "SELECT count(*) FROM operator_audit WHERE action = 'device_revoked' AND username = 'admin01'",
        )
        .unwrap();
    assert_eq!(audited, 1);
    // What the lost phone still sends is held apart, and the admin sees how much.
    phone.register(81, 2);
    assert!(phone.syncer().sync().await.is_err());
    assert!(perlinsos_core::sync::revoked(&phone.store)
        .unwrap()
        .is_some());
    let held = server
        .state
        .db
        .scalar("SELECT count(*) FROM quarantined_entries")
        .unwrap();
    assert!(held > 0);
    let page = admin.get("/review/perangkat").await;
    assert!(
        page.body.contains(&format!("{held} data ditahan")),
        "{}",
        page.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_settles_a_visit_conflict_and_checks_a_receipt() {
    use perlinsos_server::families::{self, Selection};
    let server = Server::start().await;
    add_accounts(&server);
    let here = SCOPE[0];
    let all = perlinsos_core::sample::families(
        31,
        4,
        &[here],
        perlinsos_core::Date::of_unix_millis(perlinsos_core::date::now_millis()),
    );
    server.import_families(&all);
    let a = FieldPhone::enrolled(&server, "agen-01", &[here]).await;
    let b = FieldPhone::enrolled(&server, "agen-02", &[here]).await;
    for agent in ["agen-01", "agen-02"] {
        let place = Selection::Place {
            kelurahan_code: here.to_owned(),
            rw: None,
            rt: None,
        };
        families::assign(&server.state, "petugas", agent, &place).unwrap();
    }
    a.sync().await;
    b.sync().await;
    let family = &all[0];
    let receipt_a = a.visit_found(&family.id);
    let receipt_b = b.visit_found(&family.id);
    a.sync().await;
    b.sync().await;

    // A peninjau of another kelurahan sees no conflict and cannot decide one.
    accounts::add(
        &server.state,
        "peninjau03",
        Role::Peninjau,
        PASSWORD,
        &[SCOPE[1].to_owned()],
    )
    .unwrap();
    let mut stranger = Console::new(&server);
    stranger.login("peninjau03", PASSWORD).await;
    let page = stranger.get("/review/kunjungan").await;
    assert!(!page.body.contains(&receipt_a.record_id));
    let csrf = csrf_of(&page.body);
    let path = format!("/review/kunjungan/{}/pilih", receipt_b.record_id);
    let refused = stranger
        .post(&path, &[("csrf", &csrf), ("reason", "x")])
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);

    let mut officer = Console::new(&server);
    officer.login("peninjau01", PASSWORD).await;
    let page = officer.get("/review/kunjungan").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&receipt_a.record_id) && page.body.contains(&receipt_b.record_id));
    assert!(
        !page.body.contains(&family.members[0].nik),
        "no NIK on the page"
    );
    let csrf = csrf_of(&page.body);
    // Without the token, or without a reason: nothing decided.
    assert_eq!(
        officer.post(&path, &[("reason", "x")]).await.status,
        StatusCode::FORBIDDEN
    );
    let no_reason = officer
        .post(&path, &[("csrf", &csrf), ("reason", "  ")])
        .await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    let decided = officer
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("reason", "Data <b>agen-02</b> lebih baru"),
            ],
        )
        .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER);
    a.sync().await;
    let seen = &a.visits().visits().unwrap()[0];
    assert_eq!(seen.status, perlinsos_core::visits::SUPERSEDED);
    assert_eq!(
        seen.reason.as_deref(),
        Some("Data <b>agen-02</b> lebih baru")
    );
    assert!(officer
        .get("/review/kunjungan")
        .await
        .body
        .contains("Tidak ada kunjungan"));

    // The resident shows agent A's receipt; then a tampered payload.
    let page = officer
        .get(&format!(
            "/review/tanda-terima?kode={}",
            encode(&receipt_a.code)
        ))
        .await;
    assert!(page.body.contains("Tanda terima SAH"), "{}", page.body);
    assert!(page.body.contains(&receipt_a.record_id));
    let forged = receipt_a
        .payload
        .replacen(&receipt_a.record_id, &receipt_b.record_id, 1);
    let page = officer
        .get(&format!("/review/tanda-terima?kode={}", encode(&forged)))
        .await;
    assert!(page.body.contains("TIDAK SAH"), "{}", page.body);
    let page = officer.get("/review/tanda-terima?kode=%3Cscript%3E").await;
    assert!(!page.body.contains("<script>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_reviews_an_objection_to_a_result_with_the_family_and_its_evidence() {
    use perlinsos_core::objections::{
        ObjectionForm, ObjectionPhoto, ObjectionPhotoInput, ObjectionReason,
    };
    use perlinsos_server::families::{self, Selection};
    let server = Server::start().await;
    add_accounts(&server);
    let here = SCOPE[0];
    let today = perlinsos_core::Date::of_unix_millis(perlinsos_core::date::now_millis());
    let all = perlinsos_core::sample::families(51, 2, &[here], today);
    server.import_families(&all);
    let phone = FieldPhone::enrolled(&server, "agen-01", &[here]).await;
    let place = Selection::Place {
        kelurahan_code: here.to_owned(),
        rw: None,
        rt: None,
    };
    families::assign(&server.state, "petugas", "agen-01", &place).unwrap();
    server.publish_results(&all, 1, 30);
    phone.sync().await;
    let family = &all[1];
    let jpeg = perlinsos_core::sample::photo_taken_on(CAM2, today);
    let receipt = phone
        .objections()
        .file(
            &ObjectionForm {
                family_id: family.id.clone(),
                objector_nik: family.members[0].nik.clone(),
                reason: ObjectionReason::DesilTidakSesuai,
                statement: "Rumah kami masih berdinding bambu dan kami tidak punya sawah.".into(),
            },
            &[ObjectionPhotoInput {
                bytes: &jpeg,
                shows: ObjectionPhoto::Rumah,
                captured_at: perlinsos_core::date::now_millis(),
                gps: None,
            }],
        )
        .unwrap();
    phone.sync().await;

    let mut officer = Console::new(&server);
    officer.login("peninjau01", PASSWORD).await;
    let list = officer.get("/review/sanggahan-hasil").await;
    assert!(list.body.contains(&receipt.record_id));
    let path = format!("/review/sanggahan-hasil/{}", receipt.record_id);
    let detail = officer.get(&path).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.body.contains("TIDAK LAYAK"));
    assert!(detail.body.contains(&esc_name(&family.members[0].name)));
    assert!(
        !detail.body.contains(&family.members[0].nik),
        "a peninjau sees masked numbers"
    );
    assert!(detail.body.contains("berdinding bambu"));
    let photo = officer
        .get(&format!("/review/bukti/{}", first_photo(&detail.body)))
        .await;
    assert_eq!(photo.status, StatusCode::OK);
    let csrf = csrf_of(&detail.body);
    let decide = format!("{path}/putusan");
    assert_eq!(
        officer
            .post(&decide, &[("csrf", &csrf), ("decision", "ditolak")])
            .await
            .status,
        StatusCode::BAD_REQUEST,
        "a reason is required"
    );
    let done = officer
        .post(
            &decide,
            &[
                ("csrf", &csrf),
                ("decision", "dikabulkan"),
                ("reason", "Akan diverifikasi ulang minggu depan."),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    phone.sync().await;
    let seen = &phone.objections().of_family(&family.id).unwrap()[0];
    assert_eq!(seen.status, perlinsos_core::objections::GRANTED);
    assert_eq!(
        seen.reason.as_deref(),
        Some("Akan diverifikasi ulang minggu depan.")
    );
}

/// A name as the console's templates escape it.
fn esc_name(name: &str) -> String {
    name.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_finds_a_resident_by_nik_only_inside_their_scope_and_only_by_post() {
    let server = Server::start().await;
    add_accounts(&server);
    let here = SCOPE[0];
    let today = perlinsos_core::Date::of_unix_millis(perlinsos_core::date::now_millis());
    let families = perlinsos_core::sample::families(41, 3, &[here], today);
    server.import_families(&families);
    let phone = FieldPhone::enrolled(&server, "agen-01", SCOPE).await;
    // A household the sample generator places inside the officer's scope.
    let household = (61..)
        .map(|seed| {
            let id = phone.register(seed, 3);
            phone.registry().household(&id).unwrap()
        })
        .find(|h| SCOPE.contains(&h.address.kelurahan_code.as_str()))
        .unwrap();
    let household_id = household.id.clone();
    phone.sync().await;
    let registered_nik = household.members[1].input.nik.clone();
    let registered_in = household.address.kelurahan_code.clone();
    let listed_nik = families[2].members[0].nik.clone();

    let mut officer = Console::new(&server);
    officer.login("peninjau01", PASSWORD).await;
    let form_page = officer.get("/review/cari-nik").await;
    assert_eq!(form_page.status, StatusCode::OK);
    assert!(form_page.body.contains("method=\"post\""));
    let csrf = csrf_of(&form_page.body);

    let found = officer
        .post(
            "/review/cari-nik",
            &[("csrf", &csrf), ("nik", &registered_nik)],
        )
        .await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(found.body.contains(&household_id), "{}", found.body);
    assert!(!found.body.contains(&families[2].id));
    let found = officer
        .post("/review/cari-nik", &[("csrf", &csrf), ("nik", &listed_nik)])
        .await;
    assert!(found.body.contains(&families[2].id), "{}", found.body);
    assert!(!found.body.contains(&household_id));
    // Not a NIK: the rules' code and text, nothing searched.
    let bad = officer
        .post("/review/cari-nik", &[("csrf", &csrf), ("nik", "52710112")])
        .await;
    assert!(bad.body.contains("NIK_LENGTH"), "{}", bad.body);
    // A forged form (no CSRF token) searches nothing.
    let forged = officer
        .post("/review/cari-nik", &[("nik", &registered_nik)])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(!forged.body.contains(&household_id));
    // A NIK in the address is not a search: only the empty form comes back.
    let by_get = officer
        .get(&format!("/review/cari-nik?nik={registered_nik}"))
        .await;
    assert!(!by_get.body.contains(&household_id));

    // An officer of another kelurahan finds neither.
    let elsewhere = SCOPE
        .iter()
        .find(|k| **k != here && **k != registered_in)
        .unwrap();
    accounts::add(
        &server.state,
        "peninjau04",
        Role::Peninjau,
        PASSWORD,
        &[elsewhere.to_string()],
    )
    .unwrap();
    let mut stranger = Console::new(&server);
    stranger.login("peninjau04", PASSWORD).await;
    let csrf = csrf_of(&stranger.get("/review/cari-nik").await.body);
    for nik in [&registered_nik, &listed_nik] {
        let page = stranger
            .post("/review/cari-nik", &[("csrf", &csrf), ("nik", nik)])
            .await;
        assert!(page.body.contains("Tidak ada data"), "{}", page.body);
        assert!(!page.body.contains(&household_id) && !page.body.contains(&families[2].id));
    }

    // Every search audited (the two good ones and the stranger's two), never with the NIK.
    let searches = server
        .state
        .db
        .scalar("SELECT count(*) FROM operator_audit WHERE action = 'cari_nik'")
        .unwrap();
    assert_eq!(searches, 4);
    let with_nik = server
        .state
        .db
        .read(|tx| {
            tx.query(
                "SELECT count(*) FROM operator_audit WHERE detail LIKE ?1 OR detail LIKE ?2",
                &[
                    perlinsos_server::db::text(format!("%{registered_nik}%")),
                    perlinsos_server::db::text(format!("%{listed_nik}%")),
                ],
            )
        })
        .unwrap();
    assert_eq!(with_nik[0][0].int(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_assigns_a_kelurahan_to_an_enrolled_agent_and_takes_an_rw_back() {
    let server = Server::start().await;
    add_accounts(&server);
    let here = SCOPE[0];
    let today = perlinsos_core::Date::of_unix_millis(perlinsos_core::date::now_millis());
    let all = perlinsos_core::sample::families(53, 8, &[here], today);
    server.import_families(&all);
    let phone = FieldPhone::enrolled(&server, "agen-01", &[here]).await;
    let assigned = || {
        server
            .state
            .db
            .scalar("SELECT count(*) FROM assignments")
            .unwrap()
    };

    let mut officer = Console::new(&server);
    officer.login("peninjau01", PASSWORD).await;
    let page = officer
        .get(&format!("/review/penugasan?kelurahan={here}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("<option>agen-01</option>"),
        "{}",
        page.body
    );
    let csrf = csrf_of(&page.body);

    // An agent with no phone for this kelurahan would never get the list: refused.
    let refused = officer
        .post(
            "/review/penugasan",
            &[
                ("csrf", &csrf),
                ("kelurahan", here),
                ("agent", "agen-99"),
                ("action", "tugaskan"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("tidak punya ponsel terdaftar"));
    // A forged form and a bad RW change nothing either.
    let forged = officer
        .post(
            "/review/penugasan",
            &[
                ("kelurahan", here),
                ("agent", "agen-01"),
                ("action", "tugaskan"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let bad_rw = officer
        .post(
            "/review/penugasan",
            &[
                ("csrf", &csrf),
                ("kelurahan", here),
                ("agent", "agen-01"),
                ("rw", "0"),
                ("action", "tugaskan"),
            ],
        )
        .await;
    assert_eq!(bad_rw.status, StatusCode::BAD_REQUEST);
    assert_eq!(assigned(), 0);

    let done = officer
        .post(
            "/review/penugasan",
            &[
                ("csrf", &csrf),
                ("kelurahan", here),
                ("agent", "agen-01"),
                ("action", "tugaskan"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(
        done.body
            .contains(&format!("{} keluarga ditugaskan", all.len())),
        "{}",
        done.body
    );
    phone.sync().await;
    assert_eq!(phone.worklist().count().unwrap(), all.len());

    // One RW taken back: its families leave the phone at the next sync.
    let rw = all[0].rw;
    let in_rw = all.iter().filter(|f| f.rw == rw).count();
    let back = officer
        .post(
            "/review/penugasan",
            &[
                ("csrf", &csrf),
                ("kelurahan", here),
                ("agent", "agen-01"),
                ("rw", &rw.to_string()),
                ("action", "tarik"),
            ],
        )
        .await;
    assert!(
        back.body.contains(&format!("{in_rw} keluarga ditarik")),
        "{}",
        back.body
    );
    phone.sync().await;
    assert_eq!(phone.worklist().count().unwrap(), all.len() - in_rw);

    // An officer of another kelurahan can neither see nor change it.
    accounts::add(
        &server.state,
        "peninjau05",
        Role::Peninjau,
        PASSWORD,
        &[SCOPE[1].to_owned()],
    )
    .unwrap();
    let mut stranger = Console::new(&server);
    stranger.login("peninjau05", PASSWORD).await;
    let page = stranger
        .get(&format!("/review/penugasan?kelurahan={here}"))
        .await;
    assert!(!page.body.contains("<option>agen-01</option>"));
    let csrf = csrf_of(&page.body);
    let before = assigned();
    let refused = stranger
        .post(
            "/review/penugasan",
            &[
                ("csrf", &csrf),
                ("kelurahan", here),
                ("agent", "agen-01"),
                ("action", "tarik"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(assigned(), before);
    let audited = server
        .state
        .db
        .scalar("SELECT count(*) FROM operator_audit WHERE username = 'peninjau01' AND action IN ('assign_families', 'unassign_families')")
        .unwrap();
    assert_eq!(audited, 2);
}

/// After a long stop more sanggahan are due than one sweep transaction takes: the sweep goes
/// on chunk after chunk until none is left, each lapsed one decided and sent to its phone once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_after_a_long_stop_lapses_every_overdue_sanggahan_in_chunks() {
    use perlinsos_server::{db, review, stored};
    let server = Server::start().await;
    let overdue = 2 * review::EXPIRE_CHUNK as usize + 17;
    let filed_at = perlinsos_core::date::now_millis() - 20 * 86_400_000;
    server
        .state
        .db
        .write(|tx| {
            for i in 0..overdue + 5 {
                let id = format!("{i:08x}-0000-4000-8000-00000000aaaa");
                // The last five are recent: not due.
                let at = if i < overdue {
                    filed_at
                } else {
                    perlinsos_core::date::now_millis()
                };
                let new = stored::NewSanggahan {
                    id: &id,
                    kelurahan_code: SCOPE[0],
                    recipient_id: "R-1",
                    reason: "mampu",
                    reporter_nik: "5271014101900001",
                    filed_at: at,
                };
                stored::insert_sanggahan(
                    tx,
                    &server.state.keys,
                    "device-1",
                    &format!("e-{i}"),
                    &new,
                    perlinsos_rules::sanggahan::Status::Diterima,
                    at,
                )?;
            }
            Ok::<_, db::DbError>(())
        })
        .unwrap();
    // The server's own sweeper (at its start) may take some of them first: between the two,
    // each lapses once.
    assert!(review::expire_overdue(&server.state).unwrap() <= overdue);
    let count = |sql: &str| server.state.db.scalar(sql).unwrap();
    assert_eq!(
        count("SELECT count(*) FROM sanggahan WHERE status = 'kedaluwarsa'"),
        overdue as i64
    );
    assert_eq!(
        count("SELECT count(*) FROM sanggahan WHERE status = 'diterima'"),
        5
    );
    assert_eq!(
        count("SELECT count(*) FROM changes WHERE audience = 'd:device-1'"),
        overdue as i64
    );
    // Nothing left to do: a second sweep lapses none and sends nothing again.
    assert_eq!(review::expire_overdue(&server.state).unwrap(), 0);
    assert_eq!(
        count("SELECT count(*) FROM changes WHERE audience = 'd:device-1'"),
        overdue as i64
    );
}

/// A family not in DTSEN is an usulan baru by the server's own data, and stops being one when
/// its family is imported; every registration gives the resident a receipt an officer checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_usulan_baru_is_labelled_by_the_server_and_its_receipt_checks() {
    let server = Server::start().await;
    add_accounts(&server);
    let phone = FieldPhone::enrolled(&server, "agen-01", SCOPE).await;
    let in_scope = |phone: &FieldPhone, from: u64| {
        (from..)
            .map(|seed| {
                let id = phone.register(seed, 3);
                phone.registry().household(&id).unwrap()
            })
            .find(|h| SCOPE.contains(&h.address.kelurahan_code.as_str()))
            .unwrap()
    };
    let proposed = in_scope(&phone, 71);
    let listed = in_scope(&phone, 171);
    // The district's extract holds the second household's KK (imported before it arrives).
    let today = perlinsos_core::Date::of_unix_millis(perlinsos_core::date::now_millis());
    let mut family = perlinsos_core::sample::families(91, 1, &[SCOPE[0]], today).remove(0);
    family.kk = listed.kk.clone();
    server.import_families(std::slice::from_ref(&family));
    let receipt = phone
        .registry()
        .receipt(&proposed.id)
        .unwrap()
        .expect("a receipt");
    let code: Vec<&str> = receipt.code.split('-').collect();
    assert!(
        code.len() == 2 && code.iter().all(|p| p.len() == 5),
        "{}",
        receipt.code
    );
    phone.sync().await;

    let (households, _) =
        perlinsos_server::registrations::list(&server.state, None, None, &accounts::Scope::All)
            .unwrap();
    let label = |id: &str| {
        households
            .iter()
            .find(|h| h.id == id)
            .map(|h| h.dtsen_family_id.clone())
            .expect("stored")
    };
    assert_eq!(label(&proposed.id), None, "not in DTSEN: usulan baru");
    assert_eq!(label(&listed.id), Some(family.id.clone()));
    let mut officer = Console::new(&server);
    officer.login("peninjau01", PASSWORD).await;
    let page = officer.get("/review/registrasi").await;
    assert!(page.body.contains("Usulan baru"), "{}", page.body);
    assert!(page.body.contains(&format!("Keluarga {}", family.id)));

    // A family imported after its household arrived takes the label off.
    let mut later = perlinsos_core::sample::families(92, 1, &[SCOPE[0]], today).remove(0);
    later.kk = proposed.kk.clone();
    server.import_families(std::slice::from_ref(&later));
    let (households, _) =
        perlinsos_server::registrations::list(&server.state, None, None, &accounts::Scope::All)
            .unwrap();
    let now_listed = households.iter().find(|h| h.id == proposed.id).unwrap();
    assert_eq!(now_listed.dtsen_family_id, Some(later.id.clone()));

    // The receipt checks by code and by payload, with the household's status; a payload with
    // another record's id is named forged.
    let found = perlinsos_server::receipts::check(&server.state, &receipt.code).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].record_kind, "household.registered");
    assert_eq!(found[0].record_id, proposed.id);
    assert_eq!(found[0].status.as_deref(), Some("diterima"));
    assert_eq!(
        perlinsos_server::receipts::check(&server.state, &receipt.payload).unwrap(),
        found
    );
    let forged = receipt.payload.replace(&proposed.id, &listed.id);
    assert_eq!(
        perlinsos_server::receipts::check(&server.state, &forged),
        Err(perlinsos_server::receipts::CheckError::Forged)
    );
}

const HOSTILE: &str = "\"><script>alert(1)</script>";
const HOSTILE_SHOWN: &str = "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_text_is_escaped_on_every_page_that_shows_it() {
    let (server, _phone, id) = filed().await;
    let mut admin = Console::new(&server);
    admin.login("admin01", PASSWORD).await;
    // A decision's reason, typed by an officer and shown on the detail page, is markup.
    let path = format!("/review/sanggahan/{id}");
    let csrf = csrf_of(&admin.get(&path).await.body);
    let decided = admin
        .post(
            &format!("{path}/putusan"),
            &[
                ("csrf", &csrf),
                ("decision", "ditolak"),
                ("reason", HOSTILE),
            ],
        )
        .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.body);
    let detail = admin.get(&path).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.body.contains(HOSTILE_SHOWN), "{}", detail.body);
    assert!(!detail.body.contains("<script>"));

    // Typed values shown back in a form field's attribute.
    let receipt = admin
        .get(&format!("/review/tanda-terima?kode={}", encode(HOSTILE)))
        .await;
    assert!(receipt.body.contains(&format!("value=\"{HOSTILE_SHOWN}\"")));
    assert!(!receipt.body.contains("<script>"));
    let csrf = csrf_of(&admin.get("/review/cari-nik").await.body);
    let search = admin
        .post("/review/cari-nik", &[("csrf", &csrf), ("nik", HOSTILE)])
        .await;
    assert!(search.body.contains(&format!("value=\"{HOSTILE_SHOWN}\"")));
    assert!(!search.body.contains("<script>"));
    // A path that is not a photo's hash is only ever a 404.
    let photo = admin.get("/review/bukti/%22%3E%3Cscript%3E").await;
    assert_eq!(photo.status, StatusCode::NOT_FOUND);
    assert!(!photo.body.contains("<script>"));
}

/// A form post of owned fields.
async fn post_fields(console: &Console, path: &str, fields: Vec<(String, String)>) -> Page {
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    console.post(path, &borrowed).await
}

type AuditLine = (String, String, Option<String>, Option<String>);

fn audit(server: &Server) -> Vec<AuditLine> {
    server
        .state
        .db
        .read(|tx| {
            tx.query(
                "SELECT username, action, record_id, detail FROM operator_audit ORDER BY seq",
                &[],
            )
        })
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[0].text().unwrap_or_default(),
                r[1].text().unwrap_or_default(),
                r[2].text(),
                r[3].text(),
            )
        })
        .collect()
}

fn audited(server: &Server, actor: &str, action: &str, account: &str) -> bool {
    audit(server)
        .iter()
        .any(|(who, what, on, _)| who == actor && what == action && on.as_deref() == Some(account))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_manages_accounts_in_the_console_and_a_peninjau_cannot() {
    let server = Server::start().await;
    add_accounts(&server);
    let mut admin = Console::new(&server);
    admin.login("admin01", PASSWORD).await;
    let page = admin.get("/review/akun").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Akun petugas") && page.body.contains("peninjau01"));
    let csrf = csrf_of(&page.body);

    // Adding: a new peninjau for one kelurahan, who can then log in.
    let add = |csrf: &str, password: &str, role: &str| {
        vec![
            ("csrf".to_owned(), csrf.to_owned()),
            ("username".to_owned(), "peninjau02".to_owned()),
            ("role".to_owned(), role.to_owned()),
            ("wilayah".to_owned(), SCOPE[0].to_owned()),
            ("password".to_owned(), password.to_owned()),
        ]
    };
    let forged = post_fields(&admin, "/review/akun/tambah", add("", PASSWORD, "peninjau")).await;
    assert_eq!(
        forged.status,
        StatusCode::FORBIDDEN,
        "no CSRF token, no account"
    );
    let added = post_fields(
        &admin,
        "/review/akun/tambah",
        add(&csrf, PASSWORD, "peninjau"),
    )
    .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert!(added
        .body
        .contains("Akun peninjau02 (peninjau) ditambahkan"));
    assert!(audited(&server, "admin01", "operator_added", "peninjau02"));
    // The name is taken: refused, the account is not overwritten (nor made an admin).
    let again = post_fields(
        &admin,
        "/review/akun/tambah",
        add(&csrf, "sandi-lain-yang-panjang", "admin"),
    )
    .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("sudah dipakai"));
    let short = post_fields(&admin, "/review/akun/tambah", {
        let mut f = add(&csrf, "pendek", "peninjau");
        f[1].1 = "peninjau03".into();
        f
    })
    .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body.contains("paling sedikit 12 karakter"));
    let mut second = Console::new(&server);
    let login = second.login("peninjau02", PASSWORD).await;
    assert_eq!(login.location.as_deref(), Some("/review/sanggahan"));
    let operator = |name: &str| {
        let name = name.to_owned();
        server
            .state
            .db
            .read(move |tx| accounts::operator(tx, &name))
            .unwrap()
    };
    assert_eq!(operator("peninjau02").unwrap().role, Role::Peninjau);
    assert!(operator("peninjau03").is_none());

    // A peninjau sees only their own password form and may change nobody else.
    let own = second.get("/review/akun").await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.body.contains("Ganti kata sandi Anda") && !own.body.contains("Akun petugas"));
    let theirs = csrf_of(&own.body);
    for path in [
        "/review/akun/peninjau01/status",
        "/review/akun/peninjau01/sandi",
        "/review/akun/peninjau01/wilayah",
        "/review/akun/tambah",
    ] {
        let refused = second
            .post(
                path,
                &[
                    ("csrf", &theirs),
                    ("aktif", "tidak"),
                    ("baru", "sandi-baru-yang-panjang"),
                    ("wilayah", SCOPE[1]),
                    ("username", "peninjau09"),
                    ("role", "admin"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
        assert!(refused.body.contains("hanya untuk admin"));
    }
    assert!(operator("peninjau09").is_none());
    let mut first = Console::new(&server);
    let login = first.login("peninjau01", PASSWORD).await;
    assert_eq!(login.location.as_deref(), Some("/review/sanggahan"));

    // Regions: a code the region table does not know changes nothing.
    let bad = admin
        .post(
            "/review/akun/peninjau02/wilayah",
            &[("csrf", &csrf), ("wilayah", "99.99.99")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unchanged = accounts::Scope::Regions(vec![SCOPE[0].to_owned()]);
    assert_eq!(operator("peninjau02").unwrap().scope, unchanged);
    let both = format!("{}, {}", SCOPE[0], SCOPE[1]);
    let moved = admin
        .post(
            "/review/akun/peninjau02/wilayah",
            &[("csrf", &csrf), ("wilayah", &both)],
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(
        operator("peninjau02").unwrap().scope,
        accounts::Scope::Regions(vec![SCOPE[0].to_owned(), SCOPE[1].to_owned()])
    );
    assert!(audited(&server, "admin01", "operator_scope", "peninjau02"));

    // A new password set by the admin: the old one and the open session stop working.
    let reset = admin
        .post(
            "/review/akun/peninjau02/sandi",
            &[("csrf", &csrf), ("baru", "sandi-baru-yang-panjang")],
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    assert!(audited(
        &server,
        "admin01",
        "operator_password_reset",
        "peninjau02"
    ));
    assert_eq!(
        second.get("/review/akun").await.location.as_deref(),
        Some("/review/login")
    );
    let mut third = Console::new(&server);
    assert_eq!(
        third.login("peninjau02", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let login = third.login("peninjau02", "sandi-baru-yang-panjang").await;
    assert_eq!(login.location.as_deref(), Some("/review/sanggahan"));

    // Disabled: its session ends and even the right password is refused; enabled again, it
    // works. An admin cannot disable themself.
    let disabled = admin
        .post(
            "/review/akun/peninjau02/status",
            &[("csrf", &csrf), ("aktif", "tidak")],
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.body);
    assert!(disabled.body.contains("nonaktif sejak"));
    assert!(audited(
        &server,
        "admin01",
        "operator_disabled",
        "peninjau02"
    ));
    assert_eq!(
        third.get("/review/sanggahan").await.location.as_deref(),
        Some("/review/login")
    );
    let refused = Console::new(&server)
        .login("peninjau02", "sandi-baru-yang-panjang")
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("dinonaktifkan"));
    // Nor set their own password without the current one.
    let own = admin
        .post(
            "/review/akun/admin01/sandi",
            &[("csrf", &csrf), ("baru", "sandi-baru-yang-panjang")],
        )
        .await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY);
    let own = admin
        .post(
            "/review/akun/admin01/status",
            &[("csrf", &csrf), ("aktif", "tidak")],
        )
        .await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(operator("admin01").is_some());
    let enabled = admin
        .post(
            "/review/akun/peninjau02/status",
            &[("csrf", &csrf), ("aktif", "ya")],
        )
        .await;
    assert_eq!(enabled.status, StatusCode::OK);
    assert!(audited(
        &server,
        "admin01",
        "operator_enabled",
        "peninjau02"
    ));
    let login = Console::new(&server)
        .login("peninjau02", "sandi-baru-yang-panjang")
        .await;
    assert_eq!(login.location.as_deref(), Some("/review/sanggahan"));

    // No password in the audit.
    for (_, _, on, detail) in audit(&server) {
        for text in [on, detail].into_iter().flatten() {
            assert!(
                !text.contains("sandi") && !text.contains(PASSWORD),
                "{text}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_changes_their_own_password_only_with_the_current_one() {
    let server = Server::start().await;
    add_accounts(&server);
    let mut officer = Console::new(&server);
    officer.login("peninjau01", PASSWORD).await;
    let csrf = csrf_of(&officer.get("/review/akun").await.body);
    let new = "kata-sandi-baru-saya-panjang";
    let change = |csrf: &str, old: &str, repeat: &str| {
        vec![
            ("csrf".to_owned(), csrf.to_owned()),
            ("lama".to_owned(), old.to_owned()),
            ("baru".to_owned(), new.to_owned()),
            ("ulangi".to_owned(), repeat.to_owned()),
        ]
    };
    assert_eq!(
        post_fields(&officer, "/review/akun/sandi", change("", PASSWORD, new))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let wrong = post_fields(
        &officer,
        "/review/akun/sandi",
        change(&csrf, "bukan-kata-sandi-saya", new),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("kata sandi sekarang salah"));
    assert!(audit(&server)
        .iter()
        .any(|(who, what, _, _)| who == "peninjau01" && what == "operator_password_change_failed"));
    let mismatch = post_fields(
        &officer,
        "/review/akun/sandi",
        change(&csrf, PASSWORD, "lain-dari-yang-baru"),
    )
    .await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(mismatch.body.contains("tidak sama"));
    // Nothing changed so far: the session lives and the old password still works.
    assert_eq!(officer.get("/review/akun").await.status, StatusCode::OK);

    let changed = post_fields(&officer, "/review/akun/sandi", change(&csrf, PASSWORD, new)).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert!(changed.body.contains("sudah diganti"));
    assert!(audited(
        &server,
        "peninjau01",
        "operator_password_changed",
        "peninjau01"
    ));
    assert_eq!(
        officer.get("/review/akun").await.location.as_deref(),
        Some("/review/login")
    );
    let mut again = Console::new(&server);
    assert_eq!(
        again.login("peninjau01", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let login = again.login("peninjau01", new).await;
    assert_eq!(login.location.as_deref(), Some("/review/sanggahan"));
}

/// The code an authenticator app shows for `secret` (base32) at `millis`.
fn app_code(secret: &str, millis: i64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .expect("base32");
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 0, 30, bytes)
        .expect("a valid secret")
        .generate(millis as u64 / 1000)
}

/// The text of the element with `id` (`<code id="...">text</code>`).
fn text_of<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page.find(&format!("id=\"{id}\">")).expect("the element") + id.len() + 6;
    page[start..].split('<').next().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_factor_is_set_up_with_a_real_code_and_then_asked_at_every_login() {
    let server = Server::start().await;
    add_accounts(&server);
    let now = || (server.state.clock)();
    let mut officer = Console::new(&server);
    officer.login("peninjau01", PASSWORD).await;
    let csrf = csrf_of(&officer.get("/review/akun").await.body);
    assert_eq!(
        officer.post("/review/akun/totp/siapkan", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let set_up = officer
        .post("/review/akun/totp/siapkan", &[("csrf", &csrf)])
        .await;
    assert_eq!(set_up.status, StatusCode::OK, "{}", set_up.body);
    let secret = text_of(&set_up.body, "totp-secret").to_owned();
    assert_eq!(secret.len(), 32, "160 bits in base32");
    assert!(text_of(&set_up.body, "totp-uri").starts_with(&format!(
        "otpauth://totp/Perlinsos:peninjau01?secret={secret}"
    )));
    // Sealed at rest: the secret's bytes are nowhere in the row.
    let raw = totp_rs::Secret::Encoded(secret.clone()).to_bytes().unwrap();
    let sealed = server
        .state
        .db
        .read(|tx| {
            tx.query_one(
                "SELECT totp_sealed FROM operators WHERE username = 'peninjau01'",
                &[],
            )
        })
        .unwrap()
        .and_then(|r| r[0].blob())
        .expect("sealed");
    assert!(!sealed.windows(raw.len()).any(|w| w == raw.as_slice()));

    // A wrong first code leaves it waiting.
    let code = app_code(&secret, now());
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = officer
        .post(
            "/review/akun/totp/aktifkan",
            &[("csrf", &csrf), ("kode", wrong)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("kode autentikator salah"));
    assert!(refused.body.contains("id=\"totp-secret\""));
    let active = officer
        .post(
            "/review/akun/totp/aktifkan",
            &[("csrf", &csrf), ("kode", &code)],
        )
        .await;
    assert_eq!(active.status, StatusCode::OK, "{}", active.body);
    assert!(active.body.contains("Aktif sejak"));
    assert!(audit(&server)
        .iter()
        .any(|(who, what, _, _)| who == "peninjau01" && what == "totp_enabled"));

    // From now on: no code, a wrong code or the code already used are refused.
    let mut again = Console::new(&server);
    let without = again.login("peninjau01", PASSWORD).await;
    assert_eq!(without.status, StatusCode::UNAUTHORIZED);
    assert!(without.body.contains("dua langkah"));
    let with_code = |code: String| {
        let server = &server;
        async move {
            let mut console = Console::new(server);
            let page = console.login_with_code("peninjau01", PASSWORD, &code).await;
            (console, page)
        }
    };
    assert_eq!(
        with_code(wrong.to_owned()).await.1.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        with_code(code.clone()).await.1.status,
        StatusCode::UNAUTHORIZED
    );
    // The app's next code (one step of clock drift is allowed) works, once.
    let next = app_code(&secret, now() + 30_000);
    let (mut console, page) = with_code(next.clone()).await;
    assert_eq!(page.location.as_deref(), Some("/review/sanggahan"));
    assert_eq!(console.get("/review/akun").await.status, StatusCode::OK);
    assert_eq!(
        console
            .login_with_code("peninjau01", PASSWORD, &next)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // An admin's password reset removes it (the phone may be lost too).
    let mut admin = Console::new(&server);
    admin.login("admin01", PASSWORD).await;
    let admin_csrf = csrf_of(&admin.get("/review/akun").await.body);
    let reset = admin
        .post(
            "/review/akun/peninjau01/sandi",
            &[("csrf", &admin_csrf), ("baru", "sandi-baru-yang-panjang")],
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK);
    let page = Console::new(&server)
        .login("peninjau01", "sandi-baru-yang-panjang")
        .await;
    assert_eq!(page.location.as_deref(), Some("/review/sanggahan"));
}

/// The entry id of the household `household_id` in a phone's queue, and the NIKs and names it
/// carries (which no console page about held entries may show).
fn queued_household(
    server: &Server,
    wire: &[perlinsos_protocol::wire::PushEntry],
    household_id: &str,
) -> (String, Vec<String>) {
    let entry = wire
        .iter()
        .find(|e| e.entity_id == household_id)
        .expect("the household is queued");
    let plain = perlinsos_e2e::PlainEntry::open(&server.state, entry);
    let mut personal = Vec::new();
    for member in plain.body["members"].as_array().expect("members") {
        for field in ["nik", "full_name"] {
            if let Some(value) = member[field].as_str() {
                personal.push(value.to_owned());
            }
        }
    }
    assert!(!personal.is_empty());
    (entry.id.clone(), personal)
}

/// What a revoked phone still sent is decided by an admin, entry by entry: an admitted entry
/// goes through the push's own checks and is applied once (admitting it again changes
/// nothing), a rejected one is never applied, an entry that fails a check stays held with its
/// code; a peninjau, a form without its token and a second, contrary decision are refused; the
/// page shows no NIK or name; the revoked phone learns nothing (still refused, its queue
/// intact).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_admits_or_rejects_what_a_revoked_phone_still_sent() {
    let server = Server::start().await;
    add_accounts(&server);
    let phone = FieldPhone::enrolled(&server, "agen-01", SCOPE).await;
    let kept = phone.register_in(81, SCOPE[0], 2);
    let dropped = phone.register_in(82, SCOPE[1], 2);
    // A kelurahan outside the device's scope: the server refuses it even when admitted.
    let outside = phone.register_in(83, perlinsos_core::sample::KELURAHAN[8], 2);
    let wire: Vec<perlinsos_protocol::wire::PushEntry> =
        serde_json::from_slice(&phone.syncer().wire_records().unwrap()).unwrap();
    let (kept_entry, mut personal) = queued_household(&server, &wire, &kept);
    let (dropped_entry, more) = queued_household(&server, &wire, &dropped);
    personal.extend(more);
    let (outside_entry, _) = queued_household(&server, &wire, &outside);

    perlinsos_server::operator::revoke_device(&server.state, &phone.device.id, "admin01").unwrap();
    assert!(phone.syncer().sync().await.is_err());
    assert!(perlinsos_core::sync::revoked(&phone.store)
        .unwrap()
        .is_some());
    let queued = perlinsos_core::sync::outbox_status(&phone.store)
        .unwrap()
        .pending;
    assert_eq!(queued, wire.len());
    let db = &server.state.db;
    let count = |sql: &str| db.scalar(sql).unwrap();
    assert_eq!(
        count("SELECT count(*) FROM quarantined_entries WHERE decision IS NULL"),
        wire.len() as i64
    );
    let applied = |entry: &str| {
        count(&format!(
            "SELECT count(*) FROM entries WHERE id = '{entry}'"
        ))
    };
    let audited = |action: &str| {
        count(&format!(
            "SELECT count(*) FROM operator_audit WHERE action = '{action}' AND username = 'admin01'"
        ))
    };

    let base = format!("/review/perangkat/{}/ditahan", phone.device.id);
    let mut admin = Console::new(&server);
    admin.login("admin01", PASSWORD).await;
    let devices = admin.get("/review/perangkat").await;
    assert!(devices.body.contains(&base), "{}", devices.body);
    let page = admin.get(&base).await;
    assert_eq!(page.status, StatusCode::OK);
    for entry in &wire {
        assert!(page.body.contains(&entry.id), "{}", page.body);
    }
    for value in &personal {
        assert!(
            !page.body.contains(value.as_str()),
            "personal data on the page"
        );
    }
    let csrf = csrf_of(&page.body);
    let admit = |entry: &str| format!("{base}/{entry}/terima");
    let reject = |entry: &str| format!("{base}/{entry}/tolak");

    // A peninjau (even of the phone's own kelurahan) neither sees nor decides; a form without
    // the token decides nothing.
    let mut reviewer = Console::new(&server);
    reviewer.login("peninjau01", PASSWORD).await;
    assert_eq!(reviewer.get(&base).await.status, StatusCode::FORBIDDEN);
    let reviewer_csrf = csrf_of(&reviewer.get("/review/sanggahan").await.body);
    for path in [admit(&kept_entry), reject(&kept_entry)] {
        let refused = reviewer
            .post(&path, &[("csrf", &reviewer_csrf), ("alasan", "x")])
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        admin.post(&admit(&kept_entry), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(applied(&kept_entry), 0);

    // Admitted: applied once, through the push's checks (two clicks at once included); again,
    // nothing changes.
    let path = admit(&kept_entry);
    let fields = [("csrf", csrf.as_str())];
    let (one, two) = tokio::join!(admin.post(&path, &fields), admin.post(&path, &fields));
    assert_eq!(one.status, StatusCode::SEE_OTHER, "{}", one.body);
    assert_eq!(two.status, StatusCode::SEE_OTHER, "{}", two.body);
    for _ in 0..2 {
        let done = admin.post(&admit(&kept_entry), &[("csrf", &csrf)]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        assert_eq!(applied(&kept_entry), 1);
        assert_eq!(
            count(&format!(
                "SELECT count(*) FROM entries WHERE entity_id = '{kept}'"
            )),
            1
        );
        assert_eq!(audited("quarantine_admitted"), 1);
    }
    assert_eq!(
        admin
            .post(
                &reject(&kept_entry),
                &[("csrf", &csrf), ("alasan", "salah")]
            )
            .await
            .status,
        StatusCode::CONFLICT
    );

    // Rejected: a reason is required; nothing applied; again, nothing changes; not admitted
    // afterwards.
    assert_eq!(
        admin
            .post(&reject(&dropped_entry), &[("csrf", &csrf), ("alasan", " ")])
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    for _ in 0..2 {
        let done = admin
            .post(
                &reject(&dropped_entry),
                &[
                    ("csrf", &csrf),
                    ("alasan", "Ponsel dicuri; data tidak dikenal agen"),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        assert_eq!(audited("quarantine_rejected"), 1);
    }
    assert_eq!(
        admin
            .post(&admit(&dropped_entry), &[("csrf", &csrf)])
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(applied(&dropped_entry), 0);
    assert_eq!(
        count(&format!(
            "SELECT count(*) FROM quarantined_entries
             WHERE entry_id = '{dropped_entry}' AND decision = 'rejected' AND sealed = ''"
        )),
        1
    );

    // Out of the device's scope: the admission fails the push's own check and the entry stays
    // held with the code shown.
    let done = admin.post(&admit(&outside_entry), &[("csrf", &csrf)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(applied(&outside_entry), 0);
    assert_eq!(
        count(&format!(
            "SELECT count(*) FROM quarantined_entries WHERE entry_id = '{outside_entry}'
             AND decision IS NULL AND last_code = 'OUT_OF_SCOPE'"
        )),
        1
    );
    assert_eq!(audited("quarantine_admit_refused"), 1);
    let page = admin.get(&base).await;
    assert!(page.body.contains("OUT_OF_SCOPE"), "{}", page.body);
    assert!(page.body.contains("diterima oleh admin01"));
    assert!(page.body.contains("ditolak oleh admin01"));
    for value in &personal {
        assert!(
            !page.body.contains(value.as_str()),
            "personal data on the page"
        );
    }

    // The phone learns nothing: still locked (no sync starts), its queue as it was; and the
    // server still refuses what it signs.
    assert!(perlinsos_core::sync::revoked(&phone.store)
        .unwrap()
        .is_some());
    let path = "/v1/changes?since=0";
    let mut request = reqwest::Client::new().get(format!("{}{path}", server.url));
    for (name, value) in perlinsos_e2e::signed_headers(
        &phone.device,
        "GET",
        path,
        b"",
        perlinsos_core::date::now_millis(),
    ) {
        request = request.header(name, value);
    }
    let answer = request.send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    assert!(answer.text().await.unwrap().contains("DEVICE_REVOKED"));
    assert_eq!(
        perlinsos_core::sync::outbox_status(&phone.store)
            .unwrap()
            .pending,
        queued
    );
}
