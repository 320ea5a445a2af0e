//! The district server: device enrollment, evidence blobs (resumable, verified), the outbox
//! endpoint (idempotent by entry id, a result per entry) and the change feed (models, recipient
//! lists, statuses). Storage is SQLite in the data folder; blobs are files named by SHA-256.
pub mod auth;
pub mod blobs;
pub mod console;
pub mod db;
pub mod enroll;
pub mod error;
pub mod operator;
pub mod outbox;
pub mod record_rules;
pub mod registrations;
pub mod review;
pub mod staff_audit;

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

#[derive(Clone)]
pub struct AppState {
    pub db: Arc<db::Db>,
    pub data_dir: PathBuf,
    pub clock: Clock,
    pub district_key: Arc<Ed25519KeyPair>,
    /// One blob upload writes at a time: a request delivered twice must not interleave.
    pub blob_lock: Arc<tokio::sync::Mutex<()>>,
    /// Console cookies marked Secure even without a TLS proxy header (`serve --secure-cookies`).
    pub secure_cookies: bool,
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
        let db = match database_url {
            Some(url) => db::Db::open_postgres(url),
            None => db::Db::open_sqlite(&data_dir.join("server.db")),
        }
        .map_err(|e| std::io::Error::other(e.0))?;
        Ok(AppState {
            db: Arc::new(db),
            data_dir: data_dir.to_path_buf(),
            clock,
            district_key: Arc::new(operator::district_key(data_dir)?),
            blob_lock: Arc::new(tokio::sync::Mutex::new(())),
            secure_cookies: false,
        })
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
        .route("/v1/changes", get(changes))
        .route("/v1/openapi.json", get(openapi))
        .merge(console::routes())
        .layer(DefaultBodyLimit::max(MAX_BLOB_BYTES as usize + 1024))
        .with_state(state)
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

const CHANGES_PAGE: i64 = 200;

async fn changes(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(since): Query<Since>,
) -> Result<Json<ChangesResponse>, ApiError> {
    let device = auth::verify(&state, &method, &uri, &headers, b"")?;
    let since = since.since.unwrap_or(0).max(0);
    // Changes for every device, for this device, or for a kelurahan in its scope; read in
    // pages until a page of this device's changes is full.
    let mut items = Vec::new();
    let mut after = since;
    let mut more = false;
    loop {
        let rows = state.db.read(|tx| {
            tx.query(
                "SELECT cursor, kelurahan_code, device_id, body FROM changes
                 WHERE cursor > ?1 ORDER BY cursor LIMIT ?2",
                &[db::int(after), db::int(CHANGES_PAGE * 4)],
            )
        })?;
        let exhausted = (rows.len() as i64) < CHANGES_PAGE * 4;
        for row in rows {
            after = row[0].int();
            let for_me = row[1].text().is_none_or(|k| device.scope.contains(&k))
                && row[2].text().is_none_or(|d| d == device.device_id);
            if !for_me {
                continue;
            }
            if items.len() as i64 == CHANGES_PAGE {
                more = true;
                break;
            }
            let change = serde_json::from_str(&row[3].text().unwrap_or_default())
                .map_err(|_| ApiError(perlinsos_protocol::wire::ErrorCode::Internal))?;
            items.push(ChangeItem {
                cursor: after,
                change,
            });
        }
        if more || exhausted {
            break;
        }
    }
    let cursor = items.last().map(|i| i.cursor).unwrap_or(since);
    Ok(Json(ChangesResponse {
        changes: items,
        cursor,
        more,
    }))
}

/// Serves until the listener fails or the process is stopped. Sanggahan past their 14 days
/// lapse at start and then every ten minutes, as well as whenever the console reads them.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    let sweeper = state.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            let state = sweeper.clone();
            match tokio::task::spawn_blocking(move || review::expire_overdue(&state)).await {
                Ok(Ok(n)) if n > 0 => tracing::info!(event = "sanggahan_lapsed", count = n),
                Ok(Err(e)) => tracing::warn!(event = "lapse_failed", error = %e.0),
                _ => {}
            }
        }
    });
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).await
}
