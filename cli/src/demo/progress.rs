//! Progress bars for the phones' sync, one line per phone (indicatif): outbox entries
//! confirmed, photo bytes uploaded, bytes on the wire, retries. On a terminal the bars move a
//! few times a second; otherwise (a log, a test) the lines are printed once, when sync ends.
use std::io::IsTerminal;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use perlinsos_core::store::Store;
use perlinsos_core::sync::{outbox_status, Progress};
use perlinsos_netsim::Stats;

use super::text;

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

    /// What follows the entries bar: photos, the wire, retries, the state.
    fn detail(&self) -> String {
        let up = self.wire.bytes_up.load(Ordering::Relaxed);
        let down = self.wire.bytes_down.load(Ordering::Relaxed);
        let state = match self.finished {
            Some(seconds) => format!("selesai {}", text::seconds(seconds)),
            None => "mengirim…".to_owned(),
        };
        format!(
            "foto {:>8}/{:<8} kabel ↑{} ↓{}  ulang {}  {state}",
            text::bytes(self.bytes_done()),
            text::bytes(self.bytes_total),
            text::bytes(up),
            text::bytes(down),
            self.retries,
        )
    }

    /// The line a log gets (no terminal to draw bars on).
    fn line(&self) -> String {
        format!(
            "   {:<20} data {:>4}/{:<4} {}",
            self.label,
            self.items_done,
            self.items_total,
            self.detail()
        )
    }
}

/// The lines of every phone syncing at once.
pub struct Board {
    rows: Vec<(Arc<Mutex<Row>>, indicatif::ProgressBar)>,
    bars: indicatif::MultiProgress,
    tty: bool,
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
        let target = if tty {
            indicatif::ProgressDrawTarget::stdout()
        } else {
            indicatif::ProgressDrawTarget::hidden()
        };
        Board {
            rows: Vec::new(),
            bars: indicatif::MultiProgress::with_draw_target(target),
            tty,
        }
    }

    /// Whether standard output is a terminal (bars drawn in place).
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
        let bar = self.bars.add(indicatif::ProgressBar::new(items.max(1)));
        let style = indicatif::ProgressStyle::with_template(
            "   {prefix:<20} data {bar:12} {pos:>4}/{len:<4} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("█▌ ");
        bar.set_style(style);
        bar.set_prefix(label.to_owned());
        self.rows.push((row.clone(), bar));
        Tracker(row)
    }

    /// Moves the bars to the rows' state.
    pub fn tick(&self) {
        for (row, bar) in &self.rows {
            let row = lock(row);
            bar.set_length(row.items_total.max(1));
            bar.set_position(row.items_done);
            bar.set_message(row.detail());
        }
    }

    /// The final state: the bars finished in place on a terminal, the lines printed otherwise.
    pub fn done(&self) {
        self.tick();
        for (row, bar) in &self.rows {
            bar.finish();
            if !self.tty {
                println!("{}", lock(row).line());
            }
        }
    }

    /// Moves the bars every 200 ms until the returned task is aborted.
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
