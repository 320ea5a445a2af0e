//! The phones come back online through a poor 3G link (perlinsos-netsim: bandwidth, round
//! trips, connections cut, 5xx answers, requests delivered twice) and sync, both at once, each
//! until a pass completes, waiting with backoff after each interrupted one.
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use perlinsos_core::sample::Rng;
use perlinsos_core::sync::{backoff, outbox_status, Interrupted};
use perlinsos_netsim::{FaultMix, Proxy, Shape};

use super::phone::{interrupted, Phone};
use super::progress::{Board, Tracker};
use super::{DemoResult, Stop};

/// About one connection in four meets a fault: cut mid-request or mid-response, delayed,
/// answered 5xx by the network, or delivered to the server twice.
pub const MIX: FaultMix = FaultMix {
    cut_request: 6,
    cut_response: 6,
    delay: 3,
    status: 5,
    duplicate: 5,
};
/// The poor 3G cell, with a long upload more likely to be cut part-way (6% per 64 KiB).
pub const LINK: Shape = Shape {
    cut_percent_per_64k: 6,
    ..Shape::POOR_3G
};
/// Waits between passes: from 250 ms, at most 3 s (a phone on a known-bad link, a demo).
const BACKOFF: (i64, i64) = (250, 3_000);
const MAX_PASSES: u32 = 200;

/// What one phone's sync cost.
#[derive(Debug, Clone, Default)]
pub struct LinkReport {
    pub agent_id: String,
    pub seconds: f64,
    pub passes: u32,
    pub retries: u32,
    pub faults: u64,
    pub connections: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
}

async fn sync_one(
    phone: &Phone,
    proxy: &Proxy,
    tracker: Tracker,
    seed: u64,
) -> DemoResult<LinkReport> {
    let store = phone.store.clone();
    let reporter = tracker.clone();
    let syncer = phone
        .syncer()?
        .via_proxy(&proxy.url())?
        .on_progress(move |event| reporter.progress(event, &store));
    let mut rng = Rng::new(seed);
    let mut report = LinkReport {
        agent_id: phone.agent_id.clone(),
        ..LinkReport::default()
    };
    let started = Instant::now();
    loop {
        report.passes += 1;
        match syncer.sync().await {
            Ok(_) => break,
            Err(Interrupted::Transient { retry_after_ms }) if report.passes < MAX_PASSES => {
                report.retries += 1;
                tracker.retried(report.retries);
                let wait = backoff::delay_ms(
                    BACKOFF,
                    report.retries - 1,
                    super::draw::unit(&mut rng),
                    retry_after_ms,
                );
                tokio::time::sleep(Duration::from_millis(wait.max(0) as u64)).await;
            }
            Err(Interrupted::Transient { .. }) => {
                return Err(Stop(format!(
                    "sinkron {} belum selesai setelah {MAX_PASSES} percobaan",
                    phone.agent_id
                )))
            }
            Err(e) => return Err(interrupted(e)),
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    tracker.finished(report.seconds);
    let stats = &proxy.stats;
    report.faults = stats.faults.load(Ordering::Relaxed);
    report.connections = stats.connections.load(Ordering::Relaxed);
    report.bytes_up = stats.bytes_up.load(Ordering::Relaxed);
    report.bytes_down = stats.bytes_down.load(Ordering::Relaxed);
    Ok(report)
}

/// Every phone syncs at once, each through its own shaped, faulty link; `blob_bytes` is what
/// each has in photos to upload (for its bar).
pub async fn sync_all(
    phones: &[Phone],
    blob_bytes: &[u64],
    server: std::net::SocketAddr,
    seed: u64,
) -> DemoResult<Vec<LinkReport>> {
    let mut board = Board::for_stdout();
    let mut links = Vec::new();
    for (i, phone) in phones.iter().enumerate() {
        let link_seed = seed.wrapping_mul(0x0100_0000_01B3).wrapping_add(i as u64);
        let proxy = Proxy::start(server, link_seed, MIX, Some(LINK)).await?;
        let items = outbox_status(&phone.store)?.pending as u64;
        let tracker = board.add(
            &phone.agent_id,
            items,
            blob_bytes.get(i).copied().unwrap_or(0),
            proxy.stats.clone(),
        );
        links.push((proxy, tracker, link_seed));
    }
    let board = Arc::new(board);
    let animation = Board::animate(&board);
    let results = futures_util::future::join_all(
        phones
            .iter()
            .zip(&links)
            .map(|(phone, (proxy, tracker, seed))| sync_one(phone, proxy, tracker.clone(), *seed)),
    )
    .await;
    animation.abort();
    board.done();
    results.into_iter().collect()
}
