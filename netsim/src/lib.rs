//! perlinsos-netsim: a fault-injecting TCP proxy between a phone and the district server, for
//! the sync tests and the field-day demo. Each client connection gets one seeded fault (or
//! none): the connection is cut part-way through the request or the response, delayed,
//! answered 500/502/503 without reaching the server, or its first request is delivered to the
//! server twice. It can also shape the link like a poor 3G connection (bandwidth, round-trip
//! delay, a share of connections cut). The same seed draws the same faults in the same order.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use perlinsos_core::sample::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// The request is cut after this many bytes.
    CutRequest(usize),
    /// The response is cut after this many bytes.
    CutResponse(usize),
    /// Every chunk waits this long.
    Delay(u64),
    /// The proxy answers this status itself.
    Status(u16),
    /// The first request reaches the server twice.
    Duplicate,
}

/// How often each fault is drawn, in percent of connections (the rest pass untouched).
#[derive(Debug, Clone, Copy)]
pub struct FaultMix {
    pub cut_request: u64,
    pub cut_response: u64,
    pub delay: u64,
    pub status: u64,
    pub duplicate: u64,
}

impl FaultMix {
    pub const NONE: FaultMix = FaultMix {
        cut_request: 0,
        cut_response: 0,
        delay: 0,
        status: 0,
        duplicate: 0,
    };
    /// Six connections in ten meet a fault.
    pub const HOSTILE: FaultMix = FaultMix {
        cut_request: 15,
        cut_response: 15,
        delay: 5,
        status: 12,
        duplicate: 13,
    };
}

/// A link shaped like a poor mobile connection.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub bits_per_second: u64,
    pub round_trip_ms: u64,
    /// Percent chance, for every 64 KiB the phone sends, that the connection drops there
    /// (a long-lived connection on a weak cell is cut part-way, often mid-upload).
    pub cut_percent_per_64k: u64,
}

impl Shape {
    /// A weak 3G cell at the edge of town: 384 kbit/s, 200 ms round trip, 2% of every 64 KiB
    /// sent cut.
    pub const POOR_3G: Shape = Shape {
        bits_per_second: 384_000,
        round_trip_ms: 200,
        cut_percent_per_64k: 2,
    };
}

#[derive(Debug, Default)]
pub struct Stats {
    pub connections: AtomicU64,
    pub faults: AtomicU64,
    pub bytes_up: AtomicU64,
    pub bytes_down: AtomicU64,
}

/// A running proxy; it stops accepting connections when dropped.
pub struct Proxy {
    pub addr: std::net::SocketAddr,
    pub stats: Arc<Stats>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

struct Config {
    upstream: std::net::SocketAddr,
    rng: Mutex<Rng>,
    mix: FaultMix,
    shape: Option<Shape>,
    stats: Arc<Stats>,
}

impl Config {
    fn draw(&self) -> Fault {
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        let roll = rng.below(100);
        let m = self.mix;
        let mut edge = m.cut_request;
        if roll < edge {
            return Fault::CutRequest(rng.below(2_000) as usize);
        }
        edge += m.cut_response;
        if roll < edge {
            return Fault::CutResponse(rng.below(400) as usize);
        }
        edge += m.delay;
        if roll < edge {
            return Fault::Delay(20 + rng.below(200));
        }
        edge += m.status;
        if roll < edge {
            return Fault::Status(*rng.pick(&[500, 502, 503]));
        }
        edge += m.duplicate;
        if roll < edge {
            return Fault::Duplicate;
        }
        Fault::None
    }
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream`, drawing each connection's
    /// fault from `mix` with a generator seeded by `seed`.
    pub async fn start(
        upstream: std::net::SocketAddr,
        seed: u64,
        mix: FaultMix,
        shape: Option<Shape>,
    ) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let stats = Arc::new(Stats::default());
        let config = Arc::new(Config {
            upstream,
            rng: Mutex::new(Rng::new(seed)),
            mix,
            shape,
            stats: stats.clone(),
        });
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let config = config.clone();
                tokio::spawn(async move {
                    let _ = handle(client, config).await;
                });
            }
        });
        Ok(Proxy {
            addr,
            stats,
            accept,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Reads one whole HTTP request (headers and Content-Length body) from the client.
async fn read_request(client: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                let n = client.read(&mut chunk).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Ok(buf);
        }
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn handle(mut client: TcpStream, config: Arc<Config>) -> std::io::Result<()> {
    // The proxy relays in small pieces; Nagle's algorithm would hold each one back for the
    // peer's delayed ACK and add tens of milliseconds to every exchange.
    client.set_nodelay(true)?;
    config.stats.connections.fetch_add(1, Ordering::Relaxed);
    let fault = config.draw();
    if fault != Fault::None {
        config.stats.faults.fetch_add(1, Ordering::Relaxed);
    }
    let shape = config.shape;
    if let Some(shape) = shape {
        // A new connection costs a round trip (the TCP handshake) before anything moves.
        tokio::time::sleep(Duration::from_millis(shape.round_trip_ms)).await;
    }
    let mut first = Vec::new();
    match fault {
        Fault::Status(code) => {
            let _ = read_request(&mut client).await;
            let answer = format!(
                "HTTP/1.1 {code} Proxy Fault\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
            client.write_all(answer.as_bytes()).await?;
            return client.shutdown().await;
        }
        Fault::Duplicate => {
            first = read_request(&mut client).await?;
            // The first delivery's answer is lost; the server must not apply it twice.
            if let Ok(mut twin) = TcpStream::connect(config.upstream).await {
                twin.write_all(&first).await?;
                let mut sink = [0u8; 4096];
                let _ = tokio::time::timeout(Duration::from_secs(5), twin.read(&mut sink)).await;
            }
        }
        _ => {}
    }
    let upstream = TcpStream::connect(config.upstream).await?;
    upstream.set_nodelay(true)?;
    let (mut client_read, mut client_write) = client.into_split();
    let (mut upstream_read, mut upstream_write) = upstream.into_split();
    let stats = config.stats.clone();
    let cut_seed = {
        let mut rng = config.rng.lock().unwrap_or_else(|p| p.into_inner());
        rng.next_u64()
    };
    let up = async move {
        if !first.is_empty() {
            upstream_write.write_all(&first).await?;
        }
        pump(
            &mut client_read,
            &mut upstream_write,
            match fault {
                Fault::CutRequest(n) => Some(n),
                _ => None,
            },
            delay_of(fault),
            shape,
            Some((cut_seed, stats.as_ref())),
            &stats.bytes_up,
        )
        .await?;
        upstream_write.shutdown().await
    };
    let stats = config.stats.clone();
    let down = async move {
        pump(
            &mut upstream_read,
            &mut client_write,
            match fault {
                Fault::CutResponse(n) => Some(n),
                _ => None,
            },
            delay_of(fault),
            shape,
            None,
            &stats.bytes_down,
        )
        .await?;
        client_write.shutdown().await
    };
    // Either direction ending (a cut, or a close) ends the connection.
    tokio::select! {
        _ = up => {},
        _ = down => {},
    }
    Ok(())
}

fn delay_of(fault: Fault) -> u64 {
    match fault {
        Fault::Delay(ms) => ms,
        _ => 0,
    }
}

/// Copies bytes one way until EOF, or until `cut_after` bytes (then fails, dropping both
/// halves), pacing them to the shaped bandwidth and half the round trip.
async fn pump<R, W>(
    from: &mut R,
    to: &mut W,
    cut_after: Option<usize>,
    delay_ms: u64,
    shape: Option<Shape>,
    random_cuts: Option<(u64, &Stats)>,
    counter: &AtomicU64,
) -> std::io::Result<()>
where
    R: tokio::io::AsyncRead + Unpin,
    W: tokio::io::AsyncWrite + Unpin,
{
    let mut chunk = vec![0u8; 4096];
    let mut sent = 0usize;
    let mut idle_since = Some(std::time::Instant::now());
    let mut cut_rng = random_cuts.map(|(seed, _)| Rng::new(seed));
    let mut next_roll = 64 * 1024;
    loop {
        let n = from.read(&mut chunk).await?;
        // Bytes after a pause start a new message: it pays half a round trip on the way.
        let new_burst = idle_since.is_some_and(|t| t.elapsed() >= Duration::from_millis(5));
        if n == 0 {
            return Ok(());
        }
        let mut n = n;
        if let Some(limit) = cut_after {
            if sent + n >= limit {
                n = limit.saturating_sub(sent);
                to.write_all(&chunk[..n]).await?;
                return Err(std::io::ErrorKind::ConnectionReset.into());
            }
        }
        if delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        }
        if let Some(shape) = shape {
            let mut wait_us = n as u64 * 8 * 1_000_000 / shape.bits_per_second.max(1);
            if new_burst {
                wait_us += shape.round_trip_ms * 500;
            }
            tokio::time::sleep(Duration::from_micros(wait_us)).await;
        }
        to.write_all(&chunk[..n]).await?;
        idle_since = Some(std::time::Instant::now());
        if let (Some(shape), Some(rng), Some((_, stats))) = (shape, cut_rng.as_mut(), random_cuts) {
            while sent + n >= next_roll {
                next_roll += 64 * 1024;
                if rng.below(100) < shape.cut_percent_per_64k {
                    stats.faults.fetch_add(1, Ordering::Relaxed);
                    counter.fetch_add(n as u64, Ordering::Relaxed);
                    return Err(std::io::ErrorKind::ConnectionReset.into());
                }
            }
        }
        sent += n;
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An upstream that answers every request with a fixed 5-byte body.
    async fn upstream() -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    if read_request(&mut socket).await.is_ok() {
                        let _ = socket
                            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhalo!")
                            .await;
                        let _ = socket.shutdown().await;
                    }
                });
            }
        });
        addr
    }

    async fn exchange(proxy: &Proxy, request: &[u8]) -> Vec<u8> {
        let mut client = TcpStream::connect(proxy.addr).await.unwrap();
        client.write_all(request).await.unwrap();
        let mut answer = Vec::new();
        let _ = client.read_to_end(&mut answer).await;
        answer
    }

    const REQUEST: &[u8] = b"POST /v1/outbox HTTP/1.1\r\ncontent-length: 4\r\n\r\ndata";

    #[tokio::test]
    async fn a_clean_link_passes_both_ways_and_counts_the_bytes() {
        let proxy = Proxy::start(upstream().await, 1, FaultMix::NONE, None)
            .await
            .unwrap();
        let answer = exchange(&proxy, REQUEST).await;
        assert!(answer.ends_with(b"halo!"));
        assert_eq!(
            proxy.stats.bytes_up.load(Ordering::Relaxed),
            REQUEST.len() as u64
        );
        assert_eq!(
            proxy.stats.bytes_down.load(Ordering::Relaxed),
            answer.len() as u64
        );
        assert_eq!(proxy.stats.faults.load(Ordering::Relaxed), 0);
    }

    #[tokio::test]
    async fn a_status_fault_is_answered_by_the_proxy_itself() {
        let mix = FaultMix {
            status: 100,
            ..FaultMix::NONE
        };
        let proxy = Proxy::start(upstream().await, 2, mix, None).await.unwrap();
        let answer = exchange(&proxy, REQUEST).await;
        assert!(answer.starts_with(b"HTTP/1.1 50"), "{answer:?}");
        assert_eq!(proxy.stats.faults.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn a_shaped_link_takes_the_round_trip_and_the_bandwidth() {
        let shape = Shape {
            bits_per_second: 80_000,
            round_trip_ms: 100,
            cut_percent_per_64k: 0,
        };
        let proxy = Proxy::start(upstream().await, 3, FaultMix::NONE, Some(shape))
            .await
            .unwrap();
        let big = format!(
            "PUT /v1/blobs/x HTTP/1.1\r\ncontent-length: 2000\r\n\r\n{}",
            "x".repeat(2000)
        );
        let start = std::time::Instant::now();
        let answer = exchange(&proxy, big.as_bytes()).await;
        assert!(answer.ends_with(b"halo!"));
        // Handshake (100 ms) + half a round trip each way + ~2 kB at 10 kB/s (200 ms).
        assert!(
            start.elapsed() >= Duration::from_millis(350),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn the_same_seed_draws_the_same_faults() {
        let draws = |seed| {
            let config = Config {
                upstream: "127.0.0.1:1".parse().unwrap(),
                rng: Mutex::new(Rng::new(seed)),
                mix: FaultMix::HOSTILE,
                shape: None,
                stats: Arc::new(Stats::default()),
            };
            (0..50).map(|_| config.draw()).collect::<Vec<_>>()
        };
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
        assert!(draws(7).contains(&Fault::None));
    }
}
