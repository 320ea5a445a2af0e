//! Who is told when the phone's data changes: observers of a few topics (the outbox, drafts,
//! the worklist, statuses), called after the write that changed them has committed, never for
//! one that rolled back. The app's screens read again when told, instead of polling.
//!
//! What a write touched is collected while its transaction runs, on the writer's thread: the
//! store's SQLite update hook names every rowid table a row of changed in, and the few writes to
//! WITHOUT ROWID tables (which SQLite's hook does not report: the sanggahan and their statuses)
//! call [`touch`] themselves. [`crate::store::Store::write`] takes the set after its commit and
//! hands it to [`Observers::notify`].
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// What an observer can be told changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// The queue waiting to go up (its count, parked items).
    Outbox,
    /// Registration and visit drafts.
    Drafts,
    /// The assigned families, their visit marks and results.
    Worklist,
    /// The statuses of what was filed: visits, objections, sanggahan, registrations.
    Statuses,
}

impl Topic {
    pub const ALL: [Topic; 4] = [
        Topic::Outbox,
        Topic::Drafts,
        Topic::Worklist,
        Topic::Statuses,
    ];

    fn bit(self) -> u8 {
        match self {
            Topic::Outbox => 1,
            Topic::Drafts => 2,
            Topic::Worklist => 4,
            Topic::Statuses => 8,
        }
    }

    /// The topic a row of `table` belongs to, if any.
    pub fn of_table(table: &str) -> Option<Topic> {
        match table {
            "outbox" => Some(Topic::Outbox),
            "drafts" | "visit_drafts" => Some(Topic::Drafts),
            "worklist_families" | "family_results" => Some(Topic::Worklist),
            "visits" | "objections" | "households" | "sanggahan" | "sanggahan_status" => {
                Some(Topic::Statuses)
            }
            _ => None,
        }
    }
}

/// A set of topics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Topics(u8);

impl Topics {
    pub const NONE: Topics = Topics(0);

    pub fn all() -> Topics {
        Topics::of(&Topic::ALL)
    }

    pub fn of(topics: &[Topic]) -> Topics {
        Topics(topics.iter().fold(0, |bits, t| bits | t.bit()))
    }

    pub fn contains(self, topic: Topic) -> bool {
        self.0 & topic.bit() != 0
    }

    pub fn intersects(self, other: Topics) -> bool {
        self.0 & other.0 != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn with(self, topic: Topic) -> Topics {
        Topics(self.0 | topic.bit())
    }

    /// The topics in [`Topic::ALL`]'s order.
    pub fn iter(self) -> impl Iterator<Item = Topic> {
        Topic::ALL.into_iter().filter(move |t| self.contains(*t))
    }
}

thread_local! {
    /// What the write running on this thread touched so far (the store has one writer).
    static TOUCHED: Cell<Topics> = const { Cell::new(Topics::NONE) };
    /// The observer being called on this thread, so that it may cancel itself.
    static CALLING: Cell<u64> = const { Cell::new(0) };
}

/// Marks `topic` as changed by the write running on this thread (told after its commit).
pub fn touch(topic: Topic) {
    TOUCHED.with(|t| t.set(t.get().with(topic)));
}

/// Marks the topic of a row changed in `table` (the store's update hook).
pub(crate) fn touch_table(table: &str) {
    if let Some(topic) = Topic::of_table(table) {
        touch(topic);
    }
}

/// Takes what this thread's write touched, leaving nothing (before a write, and after it).
pub(crate) fn take_touched() -> Topics {
    TOUCHED.with(|t| t.replace(Topics::NONE))
}

type Callback = Box<dyn Fn(Topics) + Send + Sync>;

struct Entry {
    id: u64,
    topics: Topics,
    active: AtomicBool,
    /// Held while the callback runs: a cancel waits for a call in flight.
    calling: Mutex<()>,
    callback: Callback,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The observers of one store.
#[derive(Default)]
pub struct Observers {
    next_id: AtomicU64,
    entries: Mutex<Vec<Arc<Entry>>>,
}

impl Observers {
    /// Calls `callback` with the topics changed (those of `topics` only) after each commit that
    /// changed one of them, until the returned [`Observation`] is cancelled or dropped. The
    /// callback runs on the writer's thread after the commit: it must return quickly (hand the
    /// news on, read elsewhere). A callback that panics is ignored; the write stays committed.
    pub fn observe(
        self: &Arc<Self>,
        topics: Topics,
        callback: impl Fn(Topics) + Send + Sync + 'static,
    ) -> Observation {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let entry = Arc::new(Entry {
            id,
            topics,
            active: AtomicBool::new(true),
            calling: Mutex::new(()),
            callback: Box::new(callback),
        });
        lock(&self.entries).push(entry.clone());
        Observation {
            entry,
            observers: Arc::downgrade(self),
        }
    }

    /// Tells every observer of one of `changed` (outside the registry's lock, so a callback may
    /// register or cancel).
    pub fn notify(&self, changed: Topics) {
        if changed.is_empty() {
            return;
        }
        let entries: Vec<Arc<Entry>> = lock(&self.entries)
            .iter()
            .filter(|e| e.topics.intersects(changed))
            .cloned()
            .collect();
        for entry in entries {
            let _calling = lock(&entry.calling);
            if !entry.active.load(Ordering::Acquire) {
                continue;
            }
            let mine = Topics(entry.topics.0 & changed.0);
            let previous = CALLING.with(|c| c.replace(entry.id));
            let _ = catch_unwind(AssertUnwindSafe(|| (entry.callback)(mine)));
            CALLING.with(|c| c.set(previous));
        }
    }

    /// How many observers are registered.
    pub fn len(&self) -> usize {
        lock(&self.entries).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One registration; [`Observation::cancel`] (or dropping it) unregisters it. Once `cancel`
/// returns, its callback is not called again (a call in flight on another thread is waited for).
pub struct Observation {
    entry: Arc<Entry>,
    observers: Weak<Observers>,
}

impl Observation {
    pub fn cancel(&self) {
        if !self.entry.active.swap(false, Ordering::AcqRel) {
            return;
        }
        if let Some(observers) = self.observers.upgrade() {
            lock(&observers.entries).retain(|e| e.id != self.entry.id);
        }
        // Wait for a call in flight, unless it is this very thread's (a callback cancelling itself).
        if CALLING.with(|c| c.get()) != self.entry.id {
            drop(lock(&self.entry.calling));
        }
    }

    pub fn is_cancelled(&self) -> bool {
        !self.entry.active.load(Ordering::Acquire)
    }
}

impl Drop for Observation {
    fn drop(&mut self) {
        self.cancel();
    }
}

impl std::fmt::Debug for Observation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observation")
            .field("topics", &self.entry.topics)
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn counter(observers: &Arc<Observers>, topics: Topics) -> (Observation, Arc<AtomicUsize>) {
        let count = Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        let obs = observers.observe(topics, move |_| {
            seen.fetch_add(1, Ordering::SeqCst);
        });
        (obs, count)
    }

    #[test]
    fn an_observer_is_told_only_of_its_topics_and_only_those() {
        let observers = Arc::new(Observers::default());
        let told = Arc::new(Mutex::new(Vec::new()));
        let log = told.clone();
        let _obs = observers.observe(Topics::of(&[Topic::Outbox, Topic::Drafts]), move |t| {
            lock(&log).push(t)
        });
        observers.notify(Topics::of(&[Topic::Worklist]));
        observers.notify(Topics::of(&[Topic::Outbox, Topic::Statuses]));
        observers.notify(Topics::NONE);
        assert_eq!(*lock(&told), vec![Topics::of(&[Topic::Outbox])]);
    }

    #[test]
    fn a_cancelled_or_dropped_observation_is_not_called_again() {
        let observers = Arc::new(Observers::default());
        let (first, first_count) = counter(&observers, Topics::all());
        let (second, second_count) = counter(&observers, Topics::all());
        observers.notify(Topics::all());
        first.cancel();
        first.cancel(); // twice is fine
        assert!(first.is_cancelled());
        drop(second);
        assert!(observers.is_empty());
        observers.notify(Topics::all());
        assert_eq!(first_count.load(Ordering::SeqCst), 1);
        assert_eq!(second_count.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_panicking_callback_does_not_stop_the_others() {
        let observers = Arc::new(Observers::default());
        let _bad = observers.observe(Topics::all(), |_| panic!("observer bug"));
        let (_good, count) = counter(&observers, Topics::all());
        observers.notify(Topics::of(&[Topic::Outbox]));
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_callback_may_cancel_itself_without_waiting_for_itself() {
        let observers = Arc::new(Observers::default());
        let slot: Arc<Mutex<Option<Observation>>> = Arc::new(Mutex::new(None));
        let inner = slot.clone();
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let obs = observers.observe(Topics::all(), move |_| {
            seen.fetch_add(1, Ordering::SeqCst);
            if let Some(me) = lock(&inner).as_ref() {
                me.cancel();
            }
        });
        *lock(&slot) = Some(obs);
        observers.notify(Topics::all());
        observers.notify(Topics::all());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_cancel_waits_for_a_call_in_flight_on_another_thread() {
        let observers = Arc::new(Observers::default());
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let done = Arc::new(AtomicBool::new(false));
        let finished = done.clone();
        let obs = observers.observe(Topics::all(), move |_| {
            let _ = started_tx.send(());
            std::thread::sleep(std::time::Duration::from_millis(100));
            finished.store(true, Ordering::SeqCst);
        });
        let notifier = observers.clone();
        let thread = std::thread::spawn(move || notifier.notify(Topics::all()));
        started_rx.recv().unwrap();
        obs.cancel();
        assert!(
            done.load(Ordering::SeqCst),
            "cancel returned while a call ran"
        );
        thread.join().unwrap();
    }

    #[test]
    fn tables_map_to_topics() {
        assert_eq!(Topic::of_table("outbox"), Some(Topic::Outbox));
        assert_eq!(Topic::of_table("visit_drafts"), Some(Topic::Drafts));
        assert_eq!(Topic::of_table("worklist_families"), Some(Topic::Worklist));
        assert_eq!(Topic::of_table("sanggahan_status"), Some(Topic::Statuses));
        assert_eq!(Topic::of_table("audit"), None);
        let set = Topics::of(&[Topic::Statuses, Topic::Outbox]);
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            vec![Topic::Outbox, Topic::Statuses]
        );
    }
}

/// Through the store: what a write changed is told after its commit, a rollback tells nothing.
#[cfg(test)]
mod store_tests {
    use super::*;
    use crate::store::Store;

    fn recorder(store: &Store, topics: Topics) -> (Observation, Arc<Mutex<Vec<Topics>>>) {
        let told = Arc::new(Mutex::new(Vec::new()));
        let log = told.clone();
        (store.observe(topics, move |t| lock(&log).push(t)), told)
    }

    fn queue(tx: &rusqlite::Transaction<'_>, id: &str) -> crate::Result<()> {
        tx.execute(
            "INSERT INTO outbox (id, kind, entity_id, payload, next_attempt_at, created_at)
             VALUES (?1, 'household', 'h', x'00', 0, 0)",
            [id],
        )?;
        Ok(())
    }

    #[test]
    fn a_committed_outbox_row_tells_the_outbox_observers_after_the_commit() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path().join("p.db")).unwrap());
        let (_obs, told) = recorder(&store, Topics::all());
        let (_drafts, drafts_told) = recorder(&store, Topics::of(&[Topic::Drafts]));
        // The observer reads what it is told about: the row is there (the commit came first).
        let reader = store.clone();
        let counted = Arc::new(Mutex::new(Vec::new()));
        let counts = counted.clone();
        let _reading = store.observe(Topics::of(&[Topic::Outbox]), move |_| {
            let n: i64 = reader
                .read(|c| Ok(c.query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))?))
                .unwrap();
            lock(&counts).push(n);
        });
        store.write(|tx| queue(tx, "e-1")).unwrap();
        assert_eq!(*lock(&told), vec![Topics::of(&[Topic::Outbox])]);
        assert_eq!(*lock(&counted), vec![1]);
        assert!(lock(&drafts_told).is_empty());
        // A write of nothing observed tells no one.
        store
            .write(|tx| {
                tx.execute("INSERT INTO meta (key, value) VALUES ('x', x'01')", [])?;
                Ok(())
            })
            .unwrap();
        assert_eq!(lock(&told).len(), 1);
    }

    #[test]
    fn a_rolled_back_write_tells_nothing_and_leaves_nothing_for_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("p.db")).unwrap();
        let (_obs, told) = recorder(&store, Topics::all());
        let failed: crate::Result<()> = store.write(|tx| {
            queue(tx, "e-1")?;
            Err(crate::Error::Corrupt("on purpose"))
        });
        assert!(failed.is_err());
        assert!(lock(&told).is_empty());
        store
            .write(|tx| {
                tx.execute("INSERT INTO meta (key, value) VALUES ('x', x'01')", [])?;
                Ok(())
            })
            .unwrap();
        assert!(
            lock(&told).is_empty(),
            "the rolled-back outbox row was not carried over"
        );
    }

    #[test]
    fn a_sanggahan_status_without_rowid_is_told_as_a_status() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("p.db")).unwrap();
        let (_obs, told) = recorder(&store, Topics::of(&[Topic::Statuses]));
        store
            .write(|tx| {
                crate::sanggahan::status::add_transition(
                    tx,
                    None,
                    "s-1",
                    crate::sanggahan::Status::Diajukan,
                    0,
                    crate::sanggahan::Source::Phone,
                    None,
                )
            })
            .unwrap();
        assert_eq!(*lock(&told), vec![Topics::of(&[Topic::Statuses])]);
    }

    #[test]
    fn a_cancelled_observation_of_the_store_is_not_told() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("p.db")).unwrap();
        let (obs, told) = recorder(&store, Topics::all());
        store.write(|tx| queue(tx, "e-1")).unwrap();
        obs.cancel();
        store.write(|tx| queue(tx, "e-2")).unwrap();
        assert_eq!(lock(&told).len(), 1);
    }
}
