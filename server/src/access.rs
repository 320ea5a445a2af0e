//! The access log and `/metrics`. One structured line per request (method, route template,
//! status, latency, device id, refusal code), never a body, a query value or personal data;
//! the same facts counted for Prometheus (text format, the Prometheus project's Rust client).
use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use perlinsos_protocol::signing::HEADER_DEVICE;
use perlinsos_protocol::wire::HEADER_ERROR;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    queue: String,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    refusals: Family<CodeLabels, Counter>,
    entries: Family<OutcomeLabels, Counter>,
    batches: Counter,
    queues: Family<QueueLabels, Gauge>,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("perlinsos");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let refusals = Family::<CodeLabels, Counter>::default();
        let entries = Family::<OutcomeLabels, Counter>::default();
        let batches = Counter::default();
        let queues = Family::<QueueLabels, Gauge>::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by route",
            latency.clone(),
        );
        registry.register(
            "refusals",
            "Requests refused, by stable error code",
            refusals.clone(),
        );
        registry.register(
            "outbox_entries",
            "Outbox entries answered, by outcome and code",
            entries.clone(),
        );
        registry.register("outbox_batches", "Outbox batches taken", batches.clone());
        registry.register(
            "queue_size",
            "Items waiting, by queue (read at each scrape)",
            queues.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            refusals,
            entries,
            batches,
            queues,
        }
    }
}

impl Metrics {
    /// One push batch and the outcome of each of its entries.
    pub fn batch(&self, results: &[perlinsos_protocol::wire::EntryResult]) {
        use perlinsos_protocol::wire::Outcome;
        self.batches.inc();
        for result in results {
            let (outcome, code) = match &result.outcome {
                Outcome::Accepted => ("accepted", String::new()),
                Outcome::Duplicate => ("duplicate", String::new()),
                Outcome::Rejected { code, .. } => ("rejected", code.name()),
            };
            self.entries
                .get_or_create(&OutcomeLabels {
                    outcome: outcome.to_owned(),
                    code,
                })
                .inc();
        }
    }
}

/// A value from outside, fit for a log field: control characters escaped, at most 64 chars.
fn loggable(value: &str) -> String {
    value
        .chars()
        .take(64)
        .flat_map(char::escape_default)
        .collect()
}

/// Logs and counts every request (the outermost layer).
pub async fn log_and_count(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    // The route's template (`/v1/blobs/{sha256}`), never the path a client typed.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let device = request
        .headers()
        .get(HEADER_DEVICE)
        .and_then(|v| v.to_str().ok())
        .map(loggable);
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let code = response
        .headers()
        .get(HEADER_ERROR)
        .and_then(|v| v.to_str().ok())
        .map(loggable);
    let seconds = started.elapsed().as_secs_f64();
    tracing::info!(
        event = "request",
        method = %method,
        route = %route,
        status,
        latency_ms = (seconds * 1000.0).round() as u64,
        device = device.as_deref().unwrap_or("-"),
        code = code.as_deref().unwrap_or("-"),
    );
    let metrics = &state.metrics;
    metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route: route.clone(),
            status,
        })
        .inc();
    metrics
        .latency
        .get_or_create(&RouteLabels { route })
        .observe(seconds);
    if let Some(code) = code {
        metrics.refusals.get_or_create(&CodeLabels { code }).inc();
    }
    response
}

/// `GET /metrics`: for a scraper on this machine only (a request that came through a proxy,
/// or from elsewhere, is refused: the counts are the district's business).
pub async fn metrics(
    State(state): State<AppState>,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
) -> Response {
    let local = peer.is_some_and(|axum::Extension(ConnectInfo(a))| a.ip().is_loopback());
    if !local || headers.contains_key("x-forwarded-for") {
        return StatusCode::FORBIDDEN.into_response();
    }
    let counts = {
        let state = state.clone();
        tokio::task::spawn_blocking(move || state.db.read(queue_sizes)).await
    };
    if let Ok(Ok(counts)) = counts {
        for (queue, n) in counts {
            state
                .metrics
                .queues
                .get_or_create(&QueueLabels {
                    queue: queue.to_owned(),
                })
                .set(n);
        }
    }
    let mut text = String::new();
    if prometheus_client::encoding::text::encode(&mut text, &state.metrics.registry).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(
            "content-type",
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// What waits for someone: officers' queues and what devices left unfinished.
fn queue_sizes(tx: &mut dyn crate::db::Tx) -> crate::db::DbResult<Vec<(&'static str, i64)>> {
    let mut out = Vec::new();
    for (queue, sql) in [
        (
            "sanggahan_undecided",
            "SELECT count(*) FROM sanggahan WHERE status IN ('diterima', 'diverifikasi')",
        ),
        (
            "duplicates_open",
            "SELECT count(*) FROM duplicates WHERE resolution IS NULL",
        ),
        (
            "quarantined_entries",
            "SELECT count(*) FROM quarantined_entries",
        ),
        (
            "enroll_codes_unused",
            "SELECT count(*) FROM enroll_codes WHERE used_by IS NULL",
        ),
    ] {
        out.push((
            queue,
            tx.query_one(sql, &[])?.map(|r| r[0].int()).unwrap_or(0),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_values_cannot_forge_log_lines() {
        assert_eq!(loggable("hp-1"), "hp-1");
        assert_eq!(loggable("a\nb\r\u{1b}[31m"), "a\\nb\\r\\u{1b}[31m");
        assert_eq!(loggable(&"x".repeat(100)).len(), 64);
    }
}
