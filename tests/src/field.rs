//! A district server on a loopback socket with a clock the test can move, and agents' phones
//! (the real core: SQLite file, keys, evidence, outbox) that enroll with it, register, take
//! sanggahan with photos and sync. Shared by the review-console and browser tests.
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use perlinsos_core::date::now_millis;

use perlinsos_core::evidence::Gps;
use perlinsos_core::registration::Registry;
use perlinsos_core::sample::Generator;
use perlinsos_core::sanggahan::{
    Filing, FilingPhoto, PhotoRole, Reason, Reporter, SanggahanBook, Status,
};
use perlinsos_core::session::device::Device;
use perlinsos_core::session::AgentSession;
use perlinsos_core::store::Store;
use perlinsos_core::sync::{Report, Syncer};
use perlinsos_core::Date;
use perlinsos_server::{operator, AppState};

pub const HOUSE: Gps = Gps {
    latitude: -8.5833,
    longitude: 116.1167,
};

pub struct Server {
    _dir: tempfile::TempDir,
    pub state: AppState,
    pub url: String,
    /// Added to the real time on the server's clock (the 14-day lapse, login blocks).
    pub offset_ms: Arc<AtomicI64>,
}

impl Server {
    pub async fn start() -> Server {
        Server::start_with(|_| {}).await
    }

    /// A server whose state `configure` adjusts before it serves (serve's options).
    pub async fn start_with(configure: impl FnOnce(&mut perlinsos_server::AppState)) -> Server {
        Server::start_serving(configure, None).await
    }

    /// A server serving HTTPS with a PEM certificate chain and key (`serve --tls-cert
    /// --tls-key`), at `https://127.0.0.1:port`.
    pub async fn start_tls(cert_pem: &std::path::Path, key_pem: &std::path::Path) -> Server {
        let tls = perlinsos_server::tls::acceptor(cert_pem, key_pem).expect("certificate");
        Server::start_serving(|_| {}, Some(tls)).await
    }

    /// Serves the same district (state) on one more socket, with HTTPS when `cert_pem` and
    /// `key_pem` are given: its address.
    pub async fn serve_also(&self, tls: Option<(&std::path::Path, &std::path::Path)>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("loopback");
        let addr = listener.local_addr().expect("address");
        match tls {
            Some((cert, key)) => {
                let tls = perlinsos_server::tls::acceptor(cert, key).expect("certificate");
                tokio::spawn(perlinsos_server::serve_tls(
                    listener,
                    self.state.clone(),
                    tls,
                ));
                format!("https://{addr}")
            }
            None => {
                tokio::spawn(perlinsos_server::serve(listener, self.state.clone()));
                format!("http://{addr}")
            }
        }
    }

    /// The data folder and the PostgreSQL database (if any) of this server, to serve again with
    /// `reopen` once the runtime that served it has shut down (its tasks hold the state).
    pub fn into_parts(self) -> (tempfile::TempDir, Option<String>) {
        (self._dir, self.state.database_url.clone())
    }

    /// Serves the district kept in `dir` (and `database_url`) again, as a restarted server.
    pub async fn reopen(dir: tempfile::TempDir, database_url: Option<String>) -> Server {
        let state = perlinsos_server::AppState::open_with(
            dir.path(),
            database_url.as_deref(),
            Arc::new(now_millis),
        )
        .expect("server state");
        Server::serve_state(dir, state, |_| {}, None).await
    }

    async fn start_serving(
        configure: impl FnOnce(&mut perlinsos_server::AppState),
        tls: Option<perlinsos_server::tls::TlsAcceptor>,
    ) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let state = crate::server_state(dir.path());
        Server::serve_state(dir, state, configure, tls).await
    }

    async fn serve_state(
        dir: tempfile::TempDir,
        mut state: perlinsos_server::AppState,
        configure: impl FnOnce(&mut perlinsos_server::AppState),
        tls: Option<perlinsos_server::tls::TlsAcceptor>,
    ) -> Server {
        let offset_ms = Arc::new(AtomicI64::new(0));
        configure(&mut state);
        let offset = offset_ms.clone();
        state.clock = Arc::new(move || now_millis() + offset.load(Ordering::SeqCst));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("loopback");
        let addr = listener.local_addr().expect("address");
        let url = match tls {
            Some(tls) => {
                tokio::spawn(perlinsos_server::serve_tls(listener, state.clone(), tls));
                format!("https://{addr}")
            }
            None => {
                tokio::spawn(perlinsos_server::serve(listener, state.clone()));
                format!("http://{addr}")
            }
        };
        Server {
            _dir: dir,
            state,
            url,
            offset_ms,
        }
    }

    /// An enrollment ticket (the QR payload) for this server, valid an hour.
    pub fn ticket(&self, agent_id: &str, scope: &[String]) -> String {
        crate::ticket(&self.state, agent_id, scope, &self.url)
    }

    /// An enrollment ticket for this server that pins the certificate `cert_der`.
    pub fn pinned_ticket(&self, agent_id: &str, scope: &[String], cert_der: &[u8]) -> String {
        operator::enroll_ticket(
            &self.state,
            agent_id,
            scope,
            3_600_000,
            &self.url,
            Some(cert_der),
        )
        .expect("enrollment ticket")
        .payload()
    }

    pub fn advance_days(&self, days: i64) {
        self.offset_ms
            .fetch_add(days * perlinsos_core::purge::DAY_MS, Ordering::SeqCst);
    }

    pub fn reset_clock(&self) {
        self.offset_ms.store(0, Ordering::SeqCst);
    }

    /// A visit's status as the server holds it (empty when it has none).
    pub fn visit_status(&self, visit_id: &str) -> String {
        self.state
            .db
            .read(|tx| Ok(perlinsos_server::visits::of_visit(tx, visit_id)?.map(|v| v.status)))
            .unwrap()
            .unwrap_or_default()
    }

    /// Imports `families` as a DTSEN extract (the CSV an operator would give the CLI).
    pub fn import_families(
        &self,
        families: &[perlinsos_rules::dtsen::Family],
    ) -> perlinsos_server::families::Imported {
        let csv = perlinsos_rules::dtsen::extract::write(families);
        perlinsos_server::families::import(&self.state, csv.as_bytes(), "test").expect("import")
    }

    /// Publishes a result for each family (`eligible` by position: even ones Layak), announced
    /// `days_ago` days ago with an objection window of `window_days`.
    pub fn publish_results(
        &self,
        families: &[perlinsos_rules::dtsen::Family],
        days_ago: i64,
        window_days: i64,
    ) {
        let mut csv = String::from("family_id,hasil,desil,programmes,alasan\n");
        for (i, f) in families.iter().enumerate() {
            let (hasil, desil, programmes) = if i % 2 == 0 {
                ("layak", 2, "PKH|BPNT")
            } else {
                ("tidak_layak", 7, "")
            };
            csv += &format!(
                "{},{hasil},{desil},{programmes},Hasil pemeringkatan DTSEN 2026\n",
                f.id
            );
        }
        let announced = now_millis() - days_ago * perlinsos_core::purge::DAY_MS;
        let results = perlinsos_server::results::parse(csv.as_bytes(), announced, window_days)
            .expect("results file");
        perlinsos_server::results::publish(&self.state, "test", &results).expect("published");
    }

    /// Two recipients per kelurahan of `scope`, `R-<index>` and `R-<index>b`, for sanggahan to
    /// target.
    pub fn import_recipients(&self, scope: &[&str]) {
        let mut csv = String::from("recipient_id,kelurahan_code,programme,name,nik,rt,rw\n");
        for (i, kelurahan) in scope.iter().enumerate() {
            csv += &format!("R-{i},{kelurahan},PKH,Baiq Nurul,5271010101900{i:03},1,2\n");
            csv += &format!("R-{i}b,{kelurahan},BPNT,Lalu Ahmad,5271010101910{i:03},3,2\n");
        }
        operator::import_recipients(&self.state, csv.as_bytes()).expect("recipients");
    }
}

/// A phone in the field, wired by the core's phone object as the app is.
pub struct FieldPhone {
    dir: tempfile::TempDir,
    core: perlinsos_core::phone::Phone,
    session: AgentSession,
    pub store: Arc<Store>,
    pub device: Arc<Device>,
    pub cipher: Arc<perlinsos_core::crypt::Cipher>,
    pub agent_id: String,
}

impl FieldPhone {
    /// A new phone, its agent enrolled on it, the phone enrolled with `server` for `scope` and
    /// synced once.
    pub async fn enrolled(server: &Server, agent_id: &str, scope: &[&str]) -> FieldPhone {
        let scope: Vec<String> = scope.iter().map(|s| s.to_string()).collect();
        FieldPhone::enrolled_by(&server.ticket(agent_id, &scope), agent_id).await
    }

    /// A new phone, its agent enrolled on it, the phone enrolled with `ticket` (the QR
    /// payload) and synced once.
    pub async fn enrolled_by(ticket: &str, agent_id: &str) -> FieldPhone {
        let dir = tempfile::tempdir().expect("temp dir");
        let core =
            perlinsos_core::phone::Phone::open(dir.path(), b"keystore", Arc::new(now_millis))
                .expect("phone");
        let session = core
            .agents()
            .enroll(agent_id, "482913", &[5; 32])
            .expect("agent");
        core.enroll(ticket).await.expect("enrolled");
        let phone = FieldPhone {
            cipher: session.cipher().expect("cipher"),
            store: core.store().clone(),
            device: core.device().clone(),
            dir,
            core,
            session,
            agent_id: agent_id.to_owned(),
        };
        // The first sync brings what the district published (recipient lists, models).
        phone.sync().await;
        phone
    }

    /// Re-enrollment (the phone was revoked): the phone takes a new device identity
    /// (`Phone::open_with_new_identity`), its agent unlocks again and it enrolls with `ticket`
    /// (an operator's replacement ticket, or any other); nothing is synced yet. Returns it
    /// and the old device id.
    pub async fn reenrolled(self, ticket: &str) -> (FieldPhone, String) {
        let FieldPhone {
            dir,
            core,
            session,
            agent_id,
            ..
        } = self;
        drop(session);
        drop(core);
        let (core, old) = perlinsos_core::phone::Phone::open_with_new_identity(
            dir.path(),
            b"keystore",
            Arc::new(now_millis),
        )
        .expect("new identity");
        let session = core
            .agents()
            .unlock(&agent_id, "482913")
            .map_err(|e| e.0)
            .expect("unlocked");
        core.enroll(ticket).await.expect("enrolled again");
        let phone = FieldPhone {
            cipher: session.cipher().expect("cipher"),
            store: core.store().clone(),
            device: core.device().clone(),
            dir,
            core,
            session,
            agent_id,
        };
        (phone, old)
    }

    pub fn registry(&self) -> Registry {
        self.core.registry(&self.session).expect("registry")
    }

    pub fn sanggahan(&self) -> SanggahanBook {
        self.core.sanggahan(&self.session).expect("sanggahan book")
    }

    pub fn evidence(&self) -> perlinsos_core::evidence::book::EvidenceBook {
        self.core.evidence(&self.session).expect("evidence book")
    }

    pub fn visits(&self) -> perlinsos_core::visits::VisitBook {
        self.core.visits(&self.session).expect("visits")
    }

    /// A verification visit of a listed family that found it (the sample answers), submitted.
    pub fn visit_found(&self, family_id: &str) -> perlinsos_core::visits::ResidentReceipt {
        let visits = self.visits();
        let mut draft = visits.start(family_id).expect("draft");
        perlinsos_core::sample::answer_found(&mut draft, now_millis());
        visits.save(&draft).expect("saved");
        visits.submit(&draft.id).expect("submitted")
    }

    /// As `visit_found`, with the PMT questionnaire of `model` answered: opened from the
    /// phone's copy (`pmt_prefill`), `motorbikes` and a tiled floor as the resident says, every
    /// other asked question filled. The record id and the answers given (none derived).
    pub fn visit_found_with_answers(
        &self,
        family_id: &str,
        model: &perlinsos_rules::pmt::model::Model,
        motorbikes: f64,
    ) -> (String, perlinsos_rules::pmt::Answers) {
        use perlinsos_rules::pmt::{model::QuestionType, Answer};
        let visits = self.visits();
        let mut draft = visits.start(family_id).expect("draft");
        perlinsos_core::sample::answer_found(&mut draft, now_millis());
        visits.save(&draft).expect("saved");
        let mut answers = visits.pmt_prefill(&draft.id, model).expect("prefill");
        answers.insert("sepeda_motor".into(), Answer::Number(motorbikes));
        answers.insert("lantai".into(), Answer::Choice("keramik".into()));
        for q in model.questions.iter().filter(|q| q.derived.is_none()) {
            answers.entry(q.id.clone()).or_insert_with(|| match q.kind {
                QuestionType::Choice => Answer::Choice(q.options[0].id.clone()),
                QuestionType::YesNo => Answer::YesNo(false),
                _ => Answer::Number(q.min.unwrap_or(0.0)),
            });
        }
        visits
            .set_pmt(&draft.id, model, answers.clone())
            .expect("questionnaire");
        let receipt = visits.submit(&draft.id).expect("submitted");
        (receipt.record_id, answers)
    }

    pub fn objections(&self) -> perlinsos_core::objections::ObjectionBook {
        self.core.objections(&self.session).expect("objections")
    }

    pub fn worklist(&self) -> perlinsos_core::worklist::Worklist {
        self.core.worklist(&self.session).expect("worklist")
    }

    pub fn syncer(&self) -> Syncer {
        self.core.syncer(&self.session).expect("syncer")
    }

    /// The background worker's sync: no agent unlocked.
    pub fn background_syncer(&self) -> Syncer {
        self.core.background_syncer().expect("syncer")
    }

    /// The phone's folder (database, WAL, evidence blobs).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    pub async fn sync(&self) -> Report {
        self.syncer().sync().await.expect("sync")
    }

    /// A household of `size` from the sample generator (wherever it draws it).
    pub fn register(&self, seed: u64, size: usize) -> String {
        let now = now_millis();
        let mut generator = Generator::new(seed, Date::of_unix_millis(now));
        generator
            .household(&self.agent_id, size, now)
            .register(&self.registry(), now)
            .expect("registered")
    }

    /// A household of `size` in `kelurahan`, from the sample generator.
    pub fn register_in(&self, seed: u64, kelurahan: &str, size: usize) -> String {
        let now = now_millis();
        let mut generator = Generator::new(seed, Date::of_unix_millis(now));
        generator
            .household_in(kelurahan, &self.agent_id, size, now)
            .register(&self.registry(), now)
            .expect("registered")
    }

    /// A sanggahan by a synthetic resident (drawn with `seed`) against the recipient that
    /// `Server::import_recipients(scope)` listed for the resident's own kelurahan, with photos
    /// of the recipient's house. Returns its id and the kelurahan.
    pub fn file_sanggahan(&self, seed: u64, scope: &[&str], photos: &[&[u8]]) -> (String, String) {
        self.file_against(seed, scope, photos, "")
    }

    /// As `file_sanggahan`, against the recipient `R-<index><suffix>`.
    pub fn file_against(
        &self,
        seed: u64,
        scope: &[&str],
        photos: &[&[u8]],
        suffix: &str,
    ) -> (String, String) {
        let now = now_millis();
        let mut generator = Generator::new(seed, Date::of_unix_millis(now));
        let (sample, place) = loop {
            let sample = generator.household(&self.agent_id, 1, now);
            let kelurahan = sample.household.address.kelurahan_code.clone();
            if let Some(place) = scope.iter().position(|k| *k == kelurahan) {
                break (sample, place);
            }
        };
        // The sample photos' camera dates are fixed; evidence must be recent.
        let today = Date::of_unix_millis(now);
        let restamped: Vec<Vec<u8>> = photos
            .iter()
            .map(|p| perlinsos_core::sample::photo_taken_on(p, today))
            .collect();
        let photos: Vec<FilingPhoto<'_>> = restamped
            .iter()
            .map(|bytes| FilingPhoto {
                bytes,
                role: PhotoRole::RumahPenerima,
                captured_at: now,
                gps: Some(HOUSE),
            })
            .collect();
        let id = self
            .sanggahan()
            .file(
                &Filing {
                    id: None,
                    agent_id: self.agent_id.clone(),
                    recipient_id: format!("R-{place}{suffix}"),
                    reporter: Reporter {
                        nik: sample.members[0].nik.clone(),
                        full_name: sample.members[0].full_name.clone(),
                        address: sample.household.address.clone(),
                    },
                    reason: Reason::Mampu,
                    statement: "Rumahnya bertingkat dan punya mobil baru tahun ini.".into(),
                },
                &photos,
            )
            .expect("filed")
            .id;
        (id, scope[place].to_owned())
    }

    pub fn status(&self, sanggahan_id: &str) -> Status {
        self.sanggahan()
            .get(sanggahan_id)
            .expect("sanggahan")
            .summary
            .status
    }
}

/// A phone opened in a folder of its own, not enrolled yet.
pub fn fresh_phone() -> (tempfile::TempDir, perlinsos_core::phone::Phone) {
    let dir = tempfile::tempdir().expect("temp dir");
    let phone = perlinsos_core::phone::Phone::open(dir.path(), b"keystore", Arc::new(now_millis))
        .expect("phone");
    (dir, phone)
}

/// The code of the first problem of a refused sync or enrollment (a panic for anything else).
pub fn refusal_code(
    result: Result<impl std::fmt::Debug, perlinsos_core::sync::Interrupted>,
) -> perlinsos_core::error::ErrorCode {
    match result {
        Err(perlinsos_core::sync::Interrupted::Stopped(e)) => e.field_errors()[0].code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}
