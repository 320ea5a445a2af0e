//! The server's records in SQLite (WAL, one writer). Every request's effect is one
//! transaction: an outbox entry is stored with its id as the key, so a batch sent twice is
//! applied once.
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

pub type DbResult<T> = Result<T, rusqlite::Error>;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS enroll_codes (
    code_hash  BLOB PRIMARY KEY,
    agent_id   TEXT NOT NULL,
    scope      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_by    TEXT
) STRICT;
CREATE TABLE IF NOT EXISTS devices (
    device_id   TEXT PRIMARY KEY,
    public_key  BLOB NOT NULL,
    agent_id    TEXT NOT NULL,
    scope       TEXT NOT NULL,
    enrolled_at INTEGER NOT NULL,
    audit_seq   INTEGER NOT NULL DEFAULT 0,
    audit_hash  BLOB
) STRICT;
CREATE TABLE IF NOT EXISTS nonces (
    device_id TEXT NOT NULL,
    nonce     TEXT NOT NULL,
    at        INTEGER NOT NULL,
    PRIMARY KEY (device_id, nonce)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs (
    sha256    TEXT PRIMARY KEY,
    length    INTEGER NOT NULL,
    device_id TEXT NOT NULL,
    stored_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS entries (
    id             TEXT PRIMARY KEY,
    device_id      TEXT NOT NULL,
    kind           TEXT NOT NULL,
    entity_id      TEXT NOT NULL,
    kelurahan_code TEXT,
    body           TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    received_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS entries_by_kind ON entries (kind, entity_id);
CREATE TABLE IF NOT EXISTS changes (
    cursor         INTEGER PRIMARY KEY AUTOINCREMENT,
    kelurahan_code TEXT,
    device_id      TEXT,
    body           TEXT NOT NULL,
    at             INTEGER NOT NULL
) STRICT;
";

pub struct Db {
    conn: Mutex<Connection>,
}

#[derive(Debug, Clone)]
pub struct Device {
    pub device_id: String,
    pub public_key: Vec<u8>,
    pub agent_id: String,
    pub scope: Vec<String>,
    pub audit_seq: i64,
    pub audit_hash: Option<Vec<u8>>,
}

impl Db {
    pub fn open(path: &Path) -> DbResult<Db> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Db {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` in one IMMEDIATE transaction, committed only if `f` succeeds.
    pub fn write<T, E: From<rusqlite::Error>>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> DbResult<T>) -> DbResult<T> {
        f(&self.lock())
    }
}

pub fn device(conn: &Connection, device_id: &str) -> DbResult<Option<Device>> {
    conn.prepare_cached(
        "SELECT device_id, public_key, agent_id, scope, audit_seq, audit_hash
         FROM devices WHERE device_id = ?1",
    )?
    .query_row([device_id], |r| {
        let scope: String = r.get(3)?;
        Ok(Device {
            device_id: r.get(0)?,
            public_key: r.get(1)?,
            agent_id: r.get(2)?,
            scope: serde_json::from_str(&scope).unwrap_or_default(),
            audit_seq: r.get(4)?,
            audit_hash: r.get(5)?,
        })
    })
    .optional()
}

/// Remembers a nonce; false if the device used it before.
pub fn use_nonce(tx: &Transaction<'_>, device_id: &str, nonce: &str, at: i64) -> DbResult<bool> {
    let inserted = tx
        .prepare_cached(
            "INSERT INTO nonces (device_id, nonce, at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        )?
        .execute(params![device_id, nonce, at])?;
    Ok(inserted == 1)
}

/// Forgets nonces older than any request the clock-skew window still admits.
pub fn prune_nonces(tx: &Transaction<'_>, before: i64) -> DbResult<usize> {
    tx.prepare_cached("DELETE FROM nonces WHERE at < ?1")?
        .execute([before])
}

pub fn add_change(
    tx: &Transaction<'_>,
    kelurahan_code: Option<&str>,
    device_id: Option<&str>,
    body: &str,
    at: i64,
) -> DbResult<i64> {
    tx.prepare_cached(
        "INSERT INTO changes (kelurahan_code, device_id, body, at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![kelurahan_code, device_id, body, at])?;
    Ok(tx.last_insert_rowid())
}

pub fn blob_length(conn: &Connection, sha256: &str) -> DbResult<Option<i64>> {
    conn.prepare_cached("SELECT length FROM blobs WHERE sha256 = ?1")?
        .query_row([sha256], |r| r.get(0))
        .optional()
}

/// (kind, state) counts for the operator's `status`.
pub fn counts(conn: &Connection) -> DbResult<Vec<(String, i64)>> {
    let mut out = Vec::new();
    for (label, sql) in [
        ("devices", "SELECT count(*) FROM devices"),
        (
            "enroll_codes.unused",
            "SELECT count(*) FROM enroll_codes WHERE used_by IS NULL",
        ),
        ("blobs", "SELECT count(*) FROM blobs"),
        ("changes", "SELECT count(*) FROM changes"),
    ] {
        out.push((label.to_owned(), conn.query_row(sql, [], |r| r.get(0))?));
    }
    let mut stmt =
        conn.prepare("SELECT kind, count(*) FROM entries GROUP BY kind ORDER BY kind")?;
    let rows = stmt.query_map([], |r| {
        Ok((format!("entries.{}", r.get::<_, String>(0)?), r.get(1)?))
    })?;
    for row in rows {
        out.push(row?);
    }
    Ok(out)
}
