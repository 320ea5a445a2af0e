//! The district server: device enrollment, evidence blobs (resumable, verified), the outbox
//! endpoint (idempotent by entry id, a result per entry) and the change feed (models, recipient
//! lists, statuses). Storage is SQLite in the data folder; blobs are files named by SHA-256.
/// The allocator the server binary runs with (`main.rs`); the ingest benchmark embeds the
/// server with the same one.
pub use mimalloc::MiMalloc as Allocator;

pub mod access;
pub mod audit_signatures;
pub mod auth;
pub mod blobs;
pub mod console;
pub mod data_key_reseal;
pub mod data_key_rotation;
pub mod db;
pub mod duplicates;
pub mod enroll;
pub mod error;
pub mod families;
#[doc(hidden)]
pub mod fuzzing;
pub mod handover;
pub mod keys;
pub mod local_time;
pub mod migrate;
pub mod nik_search;
pub mod objections;
pub mod opened;
pub mod operator;
pub mod outbox;
pub mod photo_bands;
pub mod private_file;
pub mod quarantine;
pub mod receipts;
pub mod record_keys;
pub mod record_rules;
pub mod registrations;
pub mod results;
pub mod review;
pub mod server_lock;
pub mod staff_audit;
pub mod stored;
pub mod tls;
pub mod visit_answers;
pub mod visits;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::routing::{get, post};
use axum::{Json, Router};
use perlinsos_protocol::wire::{ChangeItem, ChangesResponse, MAX_BLOB_BYTES};
use ring::signature::Ed25519KeyPair;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiError;

pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Console logins checked at the same time.
pub const LOGIN_SLOTS: usize = 4;

#[derive(Clone)]
pub struct AppState {
    pub db: Arc<db::Db>,
    pub data_dir: PathBuf,
    pub clock: Clock,
    pub district_key: Arc<Ed25519KeyPair>,
    /// The data key's derived keys (blind indexes, sealing at rest), kept outside the database.
    pub keys: Arc<keys::ServerKeys>,
    /// One blob upload writes at a time: a request delivered twice must not interleave.
    pub blob_lock: Arc<tokio::sync::Mutex<()>>,
    /// The PostgreSQL database, when not the embedded SQLite (its dump is scanned in tests).
    pub database_url: Option<String>,
    /// Console cookies marked Secure even without a TLS proxy header (`serve --secure-cookies`).
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`serve --trusted-proxy`);
    /// from anyone else the header is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Console logins hashed at once (PBKDF2 is slow on purpose): more wait their turn briefly
    /// or are told to try again, instead of queueing the server's threads.
    pub login_slots: Arc<tokio::sync::Semaphore>,
    pub timeouts: Timeouts,
    /// Counted for `/metrics`.
    pub metrics: Arc<access::Metrics>,
    /// The data folder, shared with other commands; a data key rotation waits for it alone.
    pub folder_lock: Arc<server_lock::FolderLock>,
    /// Record keys opened this run (`record_keys::PrivateKeys`).
    pub record_keys: Arc<record_keys::PrivateKeys>,
}

impl AppState {
    /// Opens (creating) the data folder: blob folder, district key, and the database there
    /// (SQLite) unless `database_url` names a PostgreSQL database.
    pub fn open(data_dir: &Path, clock: Clock) -> std::io::Result<AppState> {
        AppState::open_with(data_dir, None, clock)
    }

    pub fn open_with(
        data_dir: &Path,
        database_url: Option<&str>,
        clock: Clock,
    ) -> std::io::Result<AppState> {
        std::fs::create_dir_all(data_dir.join("blobs").join("partial"))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let blobs = data_dir.join("blobs");
            for dir in [data_dir.to_path_buf(), blobs.join("partial"), blobs] {
                std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
            }
        }
        let folder_lock = server_lock::shared(data_dir)?;
        let keys = keys::ServerKeys::load(data_dir)?;
        if data_key_rotation::key_files_rotating(data_dir) {
            return Err(std::io::Error::other(data_key_rotation::unfinished(
                data_dir,
            )));
        }
        let db = open_database(data_dir, database_url)?;
        migrate::run(&db, &keys, clock()).map_err(|e| std::io::Error::other(e.0))?;
        if db
            .read(data_key_rotation::underway)
            .map_err(|e| std::io::Error::other(e.0))?
            .is_some()
        {
            return Err(std::io::Error::other(data_key_rotation::unfinished(
                data_dir,
            )));
        }
        let district_key = operator::district_key(data_dir, &keys)?;
        db.write(|tx| record_keys::ensure(tx, &keys, &district_key, clock()))
            .map_err(|e: db::DbError| std::io::Error::other(e.0))?;
        db.checkpoint().map_err(|e| std::io::Error::other(e.0))?;
        let state = AppState {
            db: Arc::new(db),
            keys: Arc::new(keys),
            data_dir: data_dir.to_path_buf(),
            clock,
            district_key: Arc::new(district_key),
            blob_lock: Arc::new(tokio::sync::Mutex::new(())),
            secure_cookies: false,
            trusted_proxies: Vec::new(),
            login_slots: Arc::new(tokio::sync::Semaphore::new(LOGIN_SLOTS)),
            timeouts: Timeouts::default(),
            metrics: Arc::new(access::Metrics::default()),
            database_url: database_url.map(str::to_owned),
            folder_lock: Arc::new(folder_lock),
            record_keys: Arc::default(),
        };
        let sealed = blobs::seal_clear_blobs(&state)?;
        if sealed > 0 {
            tracing::info!(event = "blobs_sealed", count = sealed);
        }
        Ok(state)
    }
}

/// The server's database: SQLite in the data folder, or the PostgreSQL database at `url`.
pub fn open_database(data_dir: &Path, database_url: Option<&str>) -> std::io::Result<db::Db> {
    match database_url {
        Some(url) => db::Db::open_postgres(url),
        None => {
            // SQLite gives its WAL and shared-memory files the database file's mode.
            private_file(&data_dir.join("server.db"))?;
            db::Db::open_sqlite(&data_dir.join("server.db"))
        }
    }
    .map_err(|e| std::io::Error::other(e.0))
}

/// Creates `path` empty with mode 0600 if it does not exist (a file's mode is set at creation).
fn private_file(path: &Path) -> std::io::Result<()> {
    match private_file::options().create_new(true).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/enroll", post(enroll::enroll))
        .route(
            "/v1/blobs/{sha256}",
            axum::routing::head(blobs::head).put(blobs::put),
        )
        .route("/v1/outbox", post(outbox::push))
        .route("/v1/handover", post(handover::hand_over))
        .route(
            "/v1/changes",
            get(changes).layer(tower_http::compression::CompressionLayer::new()),
        )
        .route("/v1/openapi.json", get(openapi))
        .route("/metrics", get(access::metrics))
        .merge(console::routes())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(refuse_declared_oversize))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            state.timeouts.body_idle,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            state.timeouts.request,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::sign_revocations,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::log_and_count,
        ))
        .with_state(state)
}

/// The largest body any route takes: a blob chunk (whole photo at most) with room to spare.
const MAX_BODY_BYTES: usize = MAX_BLOB_BYTES as usize + 1024;

/// A body declared larger than any route takes is refused before a byte of it is read.
async fn refuse_declared_oversize(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return axum::response::IntoResponse::into_response(error::ApiError(
            perlinsos_protocol::wire::ErrorCode::BodyTooLarge,
        ));
    }
    next.run(request).await
}

async fn health() -> Json<Value> {
    Json(json!({
        "status": "ok",
        "api": perlinsos_protocol::API_VERSION,
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

async fn openapi() -> ([(&'static str, &'static str); 1], &'static str) {
    (
        [("content-type", "application/json")],
        include_str!("../openapi.json"),
    )
}

#[derive(Deserialize)]
struct Since {
    since: Option<i64>,
}

/// The `since` cursor of a change-feed request's query: none, or a negative one, is 0; a
/// `since` that is not one signed 64-bit integer (or is given twice) is `BODY_INVALID`,
/// answered like every other refusal (not the framework's plain-text 400). Other parameters
/// are ignored.
pub fn since_cursor(uri: &Uri) -> Result<i64, ApiError> {
    let Query(Since { since }) = Query::<Since>::try_from_uri(uri)
        .map_err(|_| ApiError(perlinsos_protocol::wire::ErrorCode::BodyInvalid))?;
    Ok(since.unwrap_or(0).max(0))
}

const CHANGES_PAGE: i64 = 200;
const CHANGES_PAGE_BYTES: usize = 256 * 1024;

async fn changes(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Json<ChangesResponse>, ApiError> {
    let device = auth::verify(&state, &method, &uri, &headers, b"")?;
    let since = since_cursor(&uri)?;
    Ok(Json(changes_page(&state, &device, since)?))
}

/// One page of the change feed for `device` after `since`: what `GET /v1/changes` answers,
/// each change signed for the device.
pub fn changes_page(
    state: &AppState,
    device: &db::Device,
    since: i64,
) -> Result<ChangesResponse, ApiError> {
    // One indexed read per audience the device belongs to (everyone, itself, each kelurahan
    // of its scope), each at most a page; merged by cursor, the first page of them is the
    // answer. Other kelurahan's changes are never read.
    let mut audiences = vec!["all".to_owned(), format!("d:{}", device.device_id)];
    audiences.extend(device.scope.iter().map(|k| format!("k:{k}")));
    audiences.extend(
        device
            .scope
            .iter()
            .map(|k| format!("a:{}:{k}", device.agent_id)),
    );
    let rows = state.db.read(|tx| {
        let mut rows = Vec::new();
        for audience in &audiences {
            rows.extend(tx.query(
                "SELECT cursor, body, sealed FROM changes WHERE audience = ?1 AND cursor > ?2
                 ORDER BY cursor LIMIT ?3",
                &[
                    db::text(audience.as_str()),
                    db::int(since),
                    db::int(CHANGES_PAGE + 1),
                ],
            )?);
        }
        Ok(rows)
    })?;
    let mut rows: Vec<(i64, String)> = rows
        .into_iter()
        .map(|r| {
            let body = stored::open_text(
                &state.keys,
                stored::CHANGE_CONTEXT,
                r[1].text(),
                r[2].blob(),
            );
            (r[0].int(), body.unwrap_or_default())
        })
        .collect();
    rows.sort_by_key(|(cursor, _)| *cursor);
    let mut more = rows.len() as i64 > CHANGES_PAGE;
    let mut items = Vec::with_capacity(rows.len().min(CHANGES_PAGE as usize));
    let mut bytes = 0usize;
    for (cursor, body) in rows.into_iter().take(CHANGES_PAGE as usize) {
        // Worklists are many changes of a few KiB each: a page stays small enough that a
        // download cut on a slow link loses little.
        if !items.is_empty() && bytes + body.len() > CHANGES_PAGE_BYTES {
            more = true;
            break;
        }
        bytes += body.len();
        let change = serde_json::from_str(&body)
            .map_err(|_| ApiError(perlinsos_protocol::wire::ErrorCode::Internal))?;
        // Signed for this device: the phone obeys nothing the district did not sign.
        let text = perlinsos_protocol::signing::change_text(&device.device_id, cursor, &change);
        let signature = auth::hex(state.district_key.sign(&text).as_ref());
        items.push(ChangeItem {
            cursor,
            change,
            change_signature: Some(signature),
        });
    }
    let cursor = items.last().map(|i| i.cursor).unwrap_or(since);
    Ok(ChangesResponse {
        changes: items,
        cursor,
        more,
    })
}

/// Serves until the listener fails or the process is stopped. Sanggahan past their 14 days
/// lapse at start and then every ten minutes, as well as whenever the console reads them.
/// How long the server waits for a slow or silent client.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// A request's headers must arrive within this (a client that opens a connection and then
    /// trickles, or sends nothing, is cut off).
    pub header_read: std::time::Duration,
    /// Longest pause between two pieces of a request body.
    pub body_idle: std::time::Duration,
    /// Longest a whole request may take, body and answer (a 128 KiB chunk at 64 kbit/s: ~16 s).
    pub request: std::time::Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            header_read: std::time::Duration::from_secs(20),
            body_idle: std::time::Duration::from_secs(30),
            request: std::time::Duration::from_secs(120),
        }
    }
}

pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    serve_with(listener, state, None).await
}

/// Serves HTTPS with `tls` (see [`tls::acceptor`]): what [`serve`] serves, encrypted.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    state: AppState,
    tls: tokio_rustls::TlsAcceptor,
) -> std::io::Result<()> {
    let mut state = state;
    // Every connection is TLS: the console's cookies never travel in clear.
    state.secure_cookies = true;
    serve_with(listener, state, Some(tls)).await
}

async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> std::io::Result<()> {
    let sweeper = state.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            let state = sweeper.clone();
            let partials = state.clone();
            match tokio::task::spawn_blocking(move || {
                blobs::sweep_partials(&partials, blobs::PARTIAL_MAX_AGE)
            })
            .await
            {
                Ok(Ok(n)) if n > 0 => tracing::info!(event = "partials_swept", count = n),
                Ok(Err(e)) => tracing::warn!(event = "partial_sweep_failed", error = %e),
                _ => {}
            }
            match tokio::task::spawn_blocking(move || review::expire_overdue(&state)).await {
                Ok(Ok(n)) if n > 0 => tracing::info!(event = "sanggahan_lapsed", count = n),
                Ok(Err(e)) => tracing::warn!(event = "lapse_failed", error = %e.0),
                _ => {}
            }
        }
    });
    let timeouts = state.timeouts;
    let app = router(state);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: wait, do not spin or stop serving.
                tracing::warn!(event = "accept_failed", error = %e);
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        // Answers are small and written in pieces: without NODELAY each waits for the phone's
        // delayed ACK.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::warn!(event = "nodelay_failed", error = %e);
        }
        let service = tower::ServiceBuilder::new()
            .map_request(
                move |mut request: axum::extract::Request<hyper::body::Incoming>| {
                    request
                        .extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    request
                },
            )
            .service(app.clone());
        let tls = tls.clone();
        tokio::spawn(async move {
            let mut builder =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            builder
                .http1()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(timeouts.header_read);
            let service = hyper_util::service::TowerToHyperService::new(service);
            // A connection that ends badly (cut, timed out, a failed handshake) concerns only
            // itself.
            match tls {
                None => {
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = builder.serve_connection(io, service).await;
                }
                Some(tls) => {
                    // The handshake gets the headers' time limit: a client that opens a
                    // connection and stalls holds nothing for long.
                    let handshake = tokio::time::timeout(timeouts.header_read, tls.accept(stream));
                    match handshake.await {
                        Ok(Ok(stream)) => {
                            let io = hyper_util::rt::TokioIo::new(stream);
                            let _ = builder.serve_connection(io, service).await;
                        }
                        // Scanners and phones behind a hostile hop: common, and says little.
                        _ => tracing::debug!(event = "tls_handshake_failed", %peer),
                    }
                }
            }
        });
    }
}
