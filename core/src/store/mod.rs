//! One SQLite database per device: WAL, exactly one writer connection and a few read-only
//! readers. Every write is a short IMMEDIATE transaction, so a killed process leaves either the
//! whole change or none of it.
pub mod migrations;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};

use crate::changes::{self, Observation, Observers, Topics};
use crate::error::Result;

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_IDLE_READERS: usize = 4;

pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// Told after each commit that changed an observed topic (crate::changes).
    observers: Arc<Observers>,
}

/// A panic inside a closure drops its transaction (rolling it back), so the connection behind
/// a poisoned lock is still consistent.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        let mut writer = Connection::open(&path)?;
        writer.busy_timeout(BUSY_TIMEOUT)?;
        // WAL lets readers run beside the writer. synchronous=FULL makes every commit durable
        // across power loss (a flat battery), not only across a killed process.
        writer.pragma_update(None, "journal_mode", "WAL")?;
        writer.pragma_update(None, "synchronous", "FULL")?;
        writer.pragma_update(None, "foreign_keys", "ON")?;
        writer.pragma_update(None, "temp_store", "MEMORY")?;
        // Each registration rewrites a few pages of the NIK/KK blind indexes at random; fewer,
        // larger checkpoints copy each of those pages to the main file once rather than many
        // times. The WAL may grow to about 16 MB between checkpoints.
        writer.pragma_update(None, "wal_autocheckpoint", 4000)?;
        migrations::migrate(&mut writer)?;
        // Each row a write changes names its table here, on the writer's thread: what the write
        // touched (crate::changes) is told to observers once it commits. (WITHOUT ROWID tables
        // are not reported by SQLite; their writers mark their topic themselves.)
        writer.update_hook(Some(
            |_: rusqlite::hooks::Action, _: &str, table: &str, _: i64| changes::touch_table(table),
        ));
        Ok(Store {
            path,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            observers: Arc::new(Observers::default()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in one IMMEDIATE transaction; commits only if `f` succeeds. After the commit
    /// (and with the writer released) the observers of what it changed are told.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let (value, changed) = {
            let mut conn = lock(&self.writer);
            changes::take_touched();
            let committed: Result<T> = (|| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let value = f(&tx)?;
                tx.commit()?;
                Ok(value)
            })();
            // Taken either way: a rolled-back write leaves nothing for the next one.
            let changed = changes::take_touched();
            (committed?, changed)
        };
        self.observers.notify(changed);
        Ok(value)
    }

    /// Calls `callback` after each commit that changed one of `topics` (see crate::changes),
    /// until the observation is cancelled or dropped.
    pub fn observe(
        &self,
        topics: Topics,
        callback: impl Fn(Topics) + Send + Sync + 'static,
    ) -> Observation {
        self.observers.observe(topics, callback)
    }

    /// Runs `f` on a read-only connection (a consistent snapshot for its duration).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = match lock(&self.readers).pop() {
            Some(conn) => conn,
            None => self.open_reader()?,
        };
        let tx = conn.unchecked_transaction()?;
        let value = f(&tx);
        drop(tx);
        let mut readers = lock(&self.readers);
        if readers.len() < MAX_IDLE_READERS {
            readers.push(conn);
        }
        value
    }

    fn open_reader(&self) -> Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(conn)
    }

    /// Folds the WAL back into the main file (at a quiet moment, or before a backup).
    pub fn checkpoint(&self) -> Result<()> {
        lock(&self.writer).execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
        Ok(())
    }

    /// Rebuilds the database file without its free pages (VACUUM) and truncates the WAL, so
    /// deleted rows leave no bytes behind in either file. Costs a full rewrite: run it after a
    /// purge, not after every write.
    pub fn compact(&self) -> Result<()> {
        let conn = lock(&self.writer);
        conn.execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }

    pub fn schema_version(&self) -> Result<i64> {
        migrations::current_version(&lock(&self.writer))
    }
}

impl Store {
    /// Binds the store to one data key: the first key used seals a check value, and any other
    /// key is refused up front instead of failing on the first personal field.
    pub fn verify_key(&self, cipher: &crate::crypt::Cipher) -> Result<()> {
        let cell = crate::crypt::Cell::new("meta", "value", "key_check");
        self.write(|tx| {
            let existing: Option<Vec<u8>> = tx
                .query_row("SELECT value FROM meta WHERE key = 'key_check'", [], |r| {
                    r.get(0)
                })
                .optional()?;
            match existing {
                Some(sealed) => cipher.open(cell, &sealed).map(|_| ()),
                None => {
                    let sealed = cipher.seal(cell, b"perlinsos")?;
                    tx.execute(
                        "INSERT INTO meta (key, value) VALUES ('key_check', ?1)",
                        [sealed],
                    )?;
                    Ok(())
                }
            }
        })
    }
}
