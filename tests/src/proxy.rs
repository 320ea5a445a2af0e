//! A fault-injecting TCP proxy between the phone and the server. Each client connection gets
//! one seeded fault (or none): the connection is cut part-way through the request or the
//! response, delayed, answered 500/502/503 without reaching the server, or its first request
//! is delivered to the server twice. It can also shape the link like a poor 3G connection
//! (bandwidth, round-trip delay, a share of connections cut).
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

#[derive(Debug, Default)]
pub struct Stats {
    pub connections: AtomicU64,
    pub faults: AtomicU64,
    pub bytes_up: AtomicU64,
    pub bytes_down: AtomicU64,
}

pub struct Proxy {
    pub addr: std::net::SocketAddr,
    pub stats: Arc<Stats>,
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
    pub async fn start(
        upstream: std::net::SocketAddr,
        seed: u64,
        mix: FaultMix,
        shape: Option<Shape>,
    ) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let stats = Arc::new(Stats::default());
        let config = Arc::new(Config {
            upstream,
            rng: Mutex::new(Rng::new(seed)),
            mix,
            shape,
            stats: stats.clone(),
        });
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let config = config.clone();
                tokio::spawn(async move {
                    let _ = handle(client, config).await;
                });
            }
        });
        Proxy { addr, stats }
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
