//! The district server. The sync issue gives it enrollment, blobs, the outbox endpoint and the
//! change feed; today it answers health checks so devices and operators can find it.
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn router() -> Router {
    Router::new().route("/v1/health", get(health))
}

async fn health() -> Json<Value> {
    Json(json!({
        "status": "ok",
        "api": perlinsos_protocol::API_VERSION,
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

/// Serves until the listener fails or the process is stopped.
pub async fn serve(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(listener, router()).await
}
