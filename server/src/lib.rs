//! The district server: device enrollment, evidence blobs (resumable, verified), the outbox
//! endpoint (idempotent by entry id, a result per entry) and the change feed (models, recipient
//! lists, statuses). Storage is SQLite in the data folder; blobs are files named by SHA-256.
pub mod auth;
pub mod blobs;
pub mod db;
pub mod enroll;
pub mod error;
pub mod operator;
pub mod outbox;

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
}

impl AppState {
    /// Opens (creating) the data folder: database, blob folder and the district key.
    pub fn open(data_dir: &Path, clock: Clock) -> std::io::Result<AppState> {
        std::fs::create_dir_all(data_dir.join("blobs").join("partial"))?;
        let db = db::Db::open(&data_dir.join("server.db")).map_err(std::io::Error::other)?;
        Ok(AppState {
            db: Arc::new(db),
            data_dir: data_dir.to_path_buf(),
            clock,
            district_key: Arc::new(operator::district_key(data_dir)?),
            blob_lock: Arc::new(tokio::sync::Mutex::new(())),
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
    let scope = serde_json::to_string(&device.scope).unwrap_or_default();
    let rows: Vec<(i64, String)> = state.db.read(|c| {
        let mut stmt = c.prepare_cached(
            "SELECT cursor, body FROM changes
             WHERE cursor > ?1
               AND (kelurahan_code IS NULL OR kelurahan_code IN (SELECT value FROM json_each(?2)))
               AND (device_id IS NULL OR device_id = ?3)
             ORDER BY cursor LIMIT ?4",
        )?;
        let rows = stmt.query_map(
            rusqlite::params![since, scope, device.device_id, CHANGES_PAGE + 1],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        rows.collect()
    })?;
    let more = rows.len() as i64 > CHANGES_PAGE;
    let mut items = Vec::new();
    for (cursor, body) in rows.into_iter().take(CHANGES_PAGE as usize) {
        let change = serde_json::from_str(&body)
            .map_err(|_| ApiError(perlinsos_protocol::wire::ErrorCode::Internal))?;
        items.push(ChangeItem { cursor, change });
    }
    let cursor = items.last().map(|i| i.cursor).unwrap_or(since);
    Ok(Json(ChangesResponse {
        changes: items,
        cursor,
        more,
    }))
}

/// Serves until the listener fails or the process is stopped.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    axum::serve(listener, router(state)).await
}
