//! Progress bars for the phones' sync, one line per phone: outbox entries confirmed, photo
//! bytes uploaded, bytes on the wire, retries. On a terminal the lines are redrawn in place a
//! few times a second; otherwise (a log, a test) they are printed once, when sync ends.
use std::io::{IsTerminal, Write};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use perlinsos_core::store::Store;
use perlinsos_core::sync::{outbox_status, Progress};
use perlinsos_netsim::Stats;

use super::text;

const WIDTH: usize = 12;

/// One phone's line.
pub struct Row {
    label: String,
    items_total: u64,
    /// Entries the server answered, batch by batch.
    items_done: u64,
    /// `done` of the last batch event: it counts from zero again in each pass.
    pass_done: u64,
    /// (length, bytes sent) of each blob this pass has touched.
    blobs: Vec<(u64, u64)>,
    bytes_total: u64,
    wire: Arc<Stats>,
    retries: u32,
    finished: Option<f64>,
}

impl Row {
    fn bytes_done(&self) -> u64 {
        self.blobs.iter().map(|(_, sent)| sent).sum()
    }

    fn line(&self) -> String {
        let up = self.wire.bytes_up.load(Ordering::Relaxed);
        let down = self.wire.bytes_down.load(Ordering::Relaxed);
        let state = match self.finished {
            Some(seconds) => format!("selesai {}", text::seconds(seconds)),
            None => "mengirim…".to_owned(),
        };
        format!(
            "   {:<20} data {} {:>4}/{:<4} foto {} {:>8}/{:<8} kabel ↑{} ↓{}  ulang {}  {state}",
            self.label,
            text::bar(self.items_done, self.items_total, WIDTH),
            self.items_done,
            self.items_total,
            text::bar(self.bytes_done(), self.bytes_total, WIDTH),
            text::bytes(self.bytes_done()),
            text::bytes(self.bytes_total),
            text::bytes(up),
            text::bytes(down),
            self.retries,
        )
    }
}

/// The lines of every phone syncing at once.
pub struct Board {
    rows: Vec<Arc<Mutex<Row>>>,
    tty: bool,
    drawn: Mutex<bool>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A handle the sync of one phone reports through.
#[derive(Clone)]
pub struct Tracker(Arc<Mutex<Row>>);

impl Tracker {
    /// Called by the syncer. Each batch answered adds its entries; a batch cut off is sent
    /// again in the next pass and counted once, when answered. The total grows with entries
    /// written meanwhile (the audit entry of the sync itself).
    pub fn progress(&self, event: Progress, store: &Store) {
        match event {
            Progress::Entries { done, .. } => {
                let pending = outbox_status(store).map(|s| s.pending as u64).unwrap_or(0);
                let mut row = lock(&self.0);
                let done = done as u64;
                let batch = if done > row.pass_done {
                    done - row.pass_done
                } else {
                    done
                };
                row.pass_done = done;
                row.items_done += batch;
                row.items_total = row.items_total.max(row.items_done + pending);
            }
            Progress::Blob {
                sent_bytes,
                total_bytes,
            } => {
                let mut row = lock(&self.0);
                // A blob resumed after a cut continues from what the server kept.
                match row
                    .blobs
                    .iter_mut()
                    .find(|(length, sent)| *length == total_bytes && *sent < total_bytes)
                {
                    Some(blob) => blob.1 = sent_bytes,
                    None => row.blobs.push((total_bytes, sent_bytes)),
                }
            }
            Progress::Changes { .. } => {}
        }
    }

    pub fn retried(&self, retries: u32) {
        lock(&self.0).retries = retries;
    }

    /// The pass completed: everything this phone had is on the server (a blob another phone
    /// had uploaded already was not sent again).
    pub fn finished(&self, seconds: f64) {
        let mut row = lock(&self.0);
        row.items_total = row.items_total.max(row.items_done);
        row.items_done = row.items_total;
        let missing = row.bytes_total.saturating_sub(row.bytes_done());
        if missing > 0 {
            row.blobs.push((missing, missing));
        }
        row.finished = Some(seconds);
    }
}

impl Board {
    pub fn new(tty: bool) -> Board {
        Board {
            rows: Vec::new(),
            tty,
            drawn: Mutex::new(false),
        }
    }

    /// Whether standard output is a terminal (bars redrawn in place).
    pub fn for_stdout() -> Board {
        Board::new(std::io::stdout().is_terminal())
    }

    pub fn add(&mut self, label: &str, items: u64, blob_bytes: u64, wire: Arc<Stats>) -> Tracker {
        let row = Arc::new(Mutex::new(Row {
            label: label.to_owned(),
            items_total: items,
            items_done: 0,
            pass_done: 0,
            blobs: Vec::new(),
            bytes_total: blob_bytes,
            wire,
            retries: 0,
            finished: None,
        }));
        self.rows.push(row.clone());
        Tracker(row)
    }

    /// Redraws on a terminal.
    pub fn tick(&self) {
        if self.tty {
            self.draw();
        }
    }

    /// The final state, on a terminal in place of the live lines.
    pub fn done(&self) {
        self.draw();
    }

    fn draw(&self) {
        let mut drawn = lock(&self.drawn);
        let mut out = String::new();
        if self.tty {
            // Lines too long for the terminal are cut, not wrapped: each stays one row, so
            // moving up by the number of rows lands on the first.
            out += "\x1b[?7l";
            if *drawn {
                out += &format!("\x1b[{}A", self.rows.len());
            }
        }
        for row in &self.rows {
            if self.tty {
                out += "\r\x1b[2K";
            }
            out += &lock(row).line();
            out.push('\n');
        }
        if self.tty {
            out += "\x1b[?7h";
        }
        *drawn = true;
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(out.as_bytes());
        let _ = stdout.flush();
    }

    /// Redraws every 200 ms until the returned task is aborted.
    pub fn animate(board: &Arc<Board>) -> tokio::task::JoinHandle<()> {
        let board = board.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(200));
            loop {
                every.tick().await;
                board.tick();
            }
        })
    }
}
