//! The server's storage: SQLite embedded by default, PostgreSQL when a database URL is given.
//! Both are driven through one small interface (`Tx`: execute and query with `?N` parameters
//! and three value types), so every query is written once. Each request's effect is one
//! transaction; an outbox entry's id is its key, so a batch sent twice is applied once.
//! Writes are serialized on one connection per server (enough for a district's phones).
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

#[derive(Debug)]
pub struct DbError(pub String);

pub type DbResult<T> = Result<T, DbError>;

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> DbError {
        DbError(format!("sqlite: {e}"))
    }
}

impl From<postgres::Error> for DbError {
    fn from(e: postgres::Error) -> DbError {
        DbError(format!(
            "postgres: {}",
            e.code().map(|c| c.code()).unwrap_or("io")
        ))
    }
}

/// A parameter or a column: an integer, a text or bytes, each possibly NULL.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Blob(Option<Vec<u8>>),
}

impl Value {
    pub fn int(&self) -> i64 {
        match self {
            Value::Int(Some(v)) => *v,
            _ => 0,
        }
    }

    /// An integer column that may be NULL.
    pub fn opt_int(&self) -> Option<i64> {
        match self {
            Value::Int(v) => *v,
            _ => None,
        }
    }

    pub fn text(&self) -> Option<String> {
        match self {
            Value::Text(v) => v.clone(),
            _ => None,
        }
    }

    pub fn blob(&self) -> Option<Vec<u8>> {
        match self {
            Value::Blob(v) => v.clone(),
            _ => None,
        }
    }
}

pub fn int(v: i64) -> Value {
    Value::Int(Some(v))
}

pub fn text(v: impl Into<String>) -> Value {
    Value::Text(Some(v.into()))
}

pub fn opt_text(v: Option<&str>) -> Value {
    Value::Text(v.map(str::to_owned))
}

pub fn blob(v: impl Into<Vec<u8>>) -> Value {
    Value::Blob(Some(v.into()))
}

pub type Row = Vec<Value>;

/// Rows per console page.
pub const PAGE_SIZE: usize = 50;

/// `LIMIT ?n OFFSET ?m` for page `page` (from 0), its two parameters appended to `params`:
/// one row more than a page, so `split_page` can tell whether another follows.
pub fn page_clause(params: &mut Vec<Value>, page: usize) -> String {
    let offset = page.saturating_mul(PAGE_SIZE).min(i64::MAX as usize) as i64;
    params.push(int((PAGE_SIZE + 1) as i64));
    params.push(int(offset));
    format!("LIMIT ?{} OFFSET ?{}", params.len() - 1, params.len())
}

/// A page's rows out of what `page_clause` read, and whether more follow.
pub fn split_page(mut rows: Vec<Row>) -> (Vec<Row>, bool) {
    let more = rows.len() > PAGE_SIZE;
    rows.truncate(PAGE_SIZE);
    (rows, more)
}

/// When Some, every statement run with parameters is recorded here (the query-plan test
/// drives the request paths and then EXPLAINs what they ran). Never set by the server.
#[doc(hidden)]
pub static QUERY_LOG: Mutex<Option<Vec<LoggedQuery>>> = Mutex::new(None);

/// A statement and its parameters, as run.
pub type LoggedQuery = (String, Vec<Value>);

fn log_query(sql: &str, params: &[Value]) {
    let mut log = lock(&QUERY_LOG);
    if let Some(log) = log.as_mut() {
        log.push((sql.to_owned(), params.to_vec()));
    }
}

/// One open transaction, whichever the database.
pub trait Tx {
    fn execute(&mut self, sql: &str, params: &[Value]) -> DbResult<u64>;
    fn query(&mut self, sql: &str, params: &[Value]) -> DbResult<Vec<Row>>;

    fn query_one(&mut self, sql: &str, params: &[Value]) -> DbResult<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    fn exists(&mut self, sql: &str, params: &[Value]) -> DbResult<bool> {
        Ok(!self.query(sql, params)?.is_empty())
    }

    /// Several statements without parameters (migrations).
    fn batch(&mut self, sql: &str) -> DbResult<()>;

    fn is_postgres(&self) -> bool;
}

// One Db per server, made once: the SQLite variant's size (rusqlite's connection grew with the
// `hooks` feature the phone's change listeners use) costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
pub enum Db {
    /// One writer connection, and readers opened as needed (WAL lets them read while it
    /// writes).
    Sqlite {
        writer: Mutex<rusqlite::Connection>,
        readers: Mutex<Vec<rusqlite::Connection>>,
        path: std::path::PathBuf,
    },
    /// A pool of connections (r2d2): transactions of different requests run side by side;
    /// what must not interleave takes a row lock or a transaction-scoped advisory lock.
    /// Always Some until dropped (see `Drop`).
    Postgres(Option<PgPool>),
}

pub type PgPool = r2d2::Pool<PgManager>;

/// r2d2_postgres's manager, with each connection's prepared statements kept beside it: a
/// statement is parsed and planned once per connection, not at every call (which also cost
/// a round trip of its own).
pub struct PgManager(r2d2_postgres::PostgresConnectionManager<postgres::NoTls>);

pub struct PgConnection {
    client: postgres::Client,
    statements: std::collections::HashMap<String, postgres::Statement>,
}

/// Statements kept per connection; the SQL is the server's own text, so this is never reached
/// in practice, but a bound is a bound.
const PG_STATEMENTS: usize = 512;

impl r2d2::ManageConnection for PgManager {
    type Connection = PgConnection;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConnection, postgres::Error> {
        let mut client = self.0.connect()?;
        // A generic plan is made once from the statistics of the moment (an empty table on a
        // new server: a sequential scan, kept as the table grows). Planned per call instead;
        // only the parse is saved.
        client.batch_execute("SET plan_cache_mode = force_custom_plan")?;
        Ok(PgConnection {
            client,
            statements: std::collections::HashMap::new(),
        })
    }

    fn is_valid(&self, conn: &mut PgConnection) -> Result<(), postgres::Error> {
        self.0.is_valid(&mut conn.client)
    }

    fn has_broken(&self, conn: &mut PgConnection) -> bool {
        self.0.has_broken(&mut conn.client)
    }
}

/// Connections in the PostgreSQL pool, well under the server's default of 100: a transaction
/// spends much of its time waiting on round trips, and at the ingest peak 8 left a sixth of
/// both cores idle (16: 1,146 households/s against 1,026, bench/INGEST-REPORT.md).
const PG_POOL_SIZE: u32 = 16;

impl Drop for Db {
    /// The postgres clients close through their own runtimes: on a plain thread, not on an
    /// async worker where the server may be dropped.
    fn drop(&mut self) {
        if let Db::Postgres(pool) = self {
            if let Some(pool) = pool.take() {
                let _ = std::thread::spawn(move || drop(pool)).join();
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The postgres client drives its own small runtime, which cannot start on a thread that is
/// running the server's async tasks. On a blocking thread (`spawn_blocking`, where request
/// handlers send their database work) or on a thread outside any runtime it runs in place;
/// an async worker of the multi-threaded runtime steps aside first (`block_in_place`, which
/// leaves the runtime's context). Only a current-thread runtime (tests) needs a thread of
/// its own. A thread per transaction had been 3 thread starts per pushed batch.
fn blocking<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        Ok(_) => std::thread::scope(|s| s.spawn(f).join().expect("database thread")),
        Err(_) => f(),
    }
}

fn sqlite_connection(path: &Path) -> DbResult<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Freed pages are zeroed: a value once in clear does not linger in the file.
    conn.pragma_update(None, "secure_delete", "ON")?;
    Ok(conn)
}

impl Db {
    pub fn open_sqlite(path: &Path) -> DbResult<Db> {
        let writer = sqlite_connection(path)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        Ok(Db::Sqlite {
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            path: path.to_path_buf(),
        })
    }

    pub fn open_postgres(url: &str) -> DbResult<Db> {
        let url = url.to_owned();
        blocking(move || {
            let config: postgres::Config = url.parse()?;
            let manager = PgManager(r2d2_postgres::PostgresConnectionManager::new(
                config,
                postgres::NoTls,
            ));
            let pool = r2d2::Pool::builder()
                .max_size(PG_POOL_SIZE)
                .min_idle(Some(1))
                .connection_timeout(std::time::Duration::from_secs(10))
                // Not a test query at every checkout (a round trip per transaction, two per
                // pushed batch): a closed connection is found by `has_broken` and dropped,
                // and a query on a broken one fails its request, which the phone retries.
                .test_on_check_out(false)
                .build(manager)
                .map_err(|e| DbError(format!("postgres pool: {e}")))?;
            Ok(Db::Postgres(Some(pool)))
        })
    }

    /// Creates an empty database `name` on the PostgreSQL server at `admin_url`
    /// (`postgres://user@host:port/db`) and returns its URL (throw-away test clusters).
    pub fn create_postgres_database(admin_url: &str, name: &str) -> DbResult<String> {
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(DbError("database name".into()));
        }
        let admin = admin_url.to_owned();
        let statement = format!("CREATE DATABASE {name}");
        blocking(move || {
            let mut client = postgres::Client::connect(&admin, postgres::NoTls)?;
            client.batch_execute(&statement)?;
            Ok::<_, DbError>(())
        })?;
        let (base, query) = match admin_url.split_once('?') {
            Some((base, query)) => (base, format!("?{query}")),
            None => (admin_url, String::new()),
        };
        let base = base.rsplit_once('/').map(|(b, _)| b).unwrap_or(base);
        Ok(format!("{base}/{name}{query}"))
    }

    /// Runs `f` in one transaction, committed only if `f` succeeds.
    pub fn write<T: Send, E: From<DbError> + Send>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E> + Send,
    ) -> Result<T, E> {
        match self {
            Db::Sqlite { writer, .. } => {
                let mut conn = lock(writer);
                let tx = conn
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .map_err(DbError::from)?;
                let mut handle = SqliteTx(&tx);
                let value = f(&mut handle)?;
                tx.commit().map_err(DbError::from)?;
                Ok(value)
            }
            Db::Postgres(pool) => blocking(|| {
                let pool = pool
                    .as_ref()
                    .ok_or_else(|| DbError("postgres: closed".into()))?;
                let mut pooled = pool
                    .get()
                    .map_err(|e| DbError(format!("postgres pool: {e}")))?;
                let conn = &mut *pooled;
                let mut tx = conn.client.transaction().map_err(DbError::from)?;
                let value = f(&mut PostgresTx {
                    tx: &mut tx,
                    statements: &mut conn.statements,
                })?;
                tx.commit().map_err(DbError::from)?;
                Ok(value)
            }),
        }
    }

    /// SQLite: moves the WAL's pages into the database file and empties the WAL (after a
    /// migration that sealed what was in clear). PostgreSQL: nothing.
    pub fn checkpoint(&self) -> DbResult<()> {
        if let Db::Sqlite { writer, .. } = self {
            lock(writer).execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        }
        Ok(())
    }

    /// Reads (in a transaction, for one consistent view). On SQLite a reader connection, so
    /// reads do not wait for the writer.
    pub fn read<T: Send>(&self, f: impl FnOnce(&mut dyn Tx) -> DbResult<T> + Send) -> DbResult<T> {
        let Db::Sqlite { readers, path, .. } = self else {
            return self.write(f);
        };
        let reader = lock(readers).pop();
        let mut conn = match reader {
            Some(conn) => conn,
            None => sqlite_connection(path)?,
        };
        let value = {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)?;
            let value = f(&mut SqliteTx(&tx))?;
            tx.commit()?;
            value
        };
        lock(readers).push(conn);
        Ok(value)
    }

    /// The first column of the first row of `sql`, as an integer (counts, in tests and
    /// `status`).
    pub fn scalar(&self, sql: &str) -> DbResult<i64> {
        let sql = sql.to_owned();
        self.read(move |tx| Ok(tx.query_one(&sql, &[])?.map(|r| r[0].int()).unwrap_or(0)))
    }
}

struct SqliteTx<'a>(&'a rusqlite::Transaction<'a>);

fn sqlite_params(params: &[Value]) -> Vec<rusqlite::types::Value> {
    use rusqlite::types::Value as V;
    params
        .iter()
        .map(|p| match p {
            Value::Int(Some(v)) => V::Integer(*v),
            Value::Text(Some(v)) => V::Text(v.clone()),
            Value::Blob(Some(v)) => V::Blob(v.clone()),
            _ => V::Null,
        })
        .collect()
}

impl Tx for SqliteTx<'_> {
    fn batch(&mut self, sql: &str) -> DbResult<()> {
        Ok(self.0.execute_batch(sql)?)
    }

    fn is_postgres(&self) -> bool {
        false
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> DbResult<u64> {
        log_query(sql, params);
        let mut stmt = self.0.prepare_cached(sql)?;
        Ok(stmt.execute(rusqlite::params_from_iter(sqlite_params(params)))? as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> DbResult<Vec<Row>> {
        use rusqlite::types::ValueRef;
        log_query(sql, params);
        let mut stmt = self.0.prepare_cached(sql)?;
        let columns = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(sqlite_params(params)))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i)? {
                    ValueRef::Null => Value::Text(None),
                    ValueRef::Integer(v) => Value::Int(Some(v)),
                    ValueRef::Real(v) => Value::Int(Some(v as i64)),
                    ValueRef::Text(v) => Value::Text(Some(String::from_utf8_lossy(v).into())),
                    ValueRef::Blob(v) => Value::Blob(Some(v.to_vec())),
                });
            }
            out.push(values);
        }
        Ok(out)
    }
}

struct PostgresTx<'a, 'b> {
    tx: &'a mut postgres::Transaction<'b>,
    statements: &'a mut std::collections::HashMap<String, postgres::Statement>,
}

impl PostgresTx<'_, '_> {
    /// The connection's prepared statement for `sql` (with `?N` already made `$N`).
    fn statement(&mut self, sql: String) -> DbResult<postgres::Statement> {
        if let Some(statement) = self.statements.get(&sql) {
            return Ok(statement.clone());
        }
        let verb = sql
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        if !matches!(
            verb.as_str(),
            "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "WITH"
        ) {
            // A schema change: what was kept may be planned for the old tables.
            self.statements.clear();
            return Ok(self.tx.prepare(&sql)?);
        }
        let statement = self.tx.prepare(&sql)?;
        if self.statements.len() >= PG_STATEMENTS {
            self.statements.clear();
        }
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }
}

/// `?N` placeholders become PostgreSQL's `$N`.
fn postgres_sql(sql: &str) -> String {
    sql.replace('?', "$")
}

fn postgres_params(params: &[Value]) -> Vec<Box<dyn postgres::types::ToSql + Sync + Send>> {
    params
        .iter()
        .map(|p| -> Box<dyn postgres::types::ToSql + Sync + Send> {
            match p {
                Value::Int(v) => Box::new(*v),
                Value::Text(v) => Box::new(v.clone()),
                Value::Blob(v) => Box::new(v.clone()),
            }
        })
        .collect()
}

impl Tx for PostgresTx<'_, '_> {
    fn batch(&mut self, sql: &str) -> DbResult<()> {
        // A schema change may leave a kept statement planned for the old tables.
        self.statements.clear();
        Ok(self.tx.batch_execute(sql)?)
    }

    fn is_postgres(&self) -> bool {
        true
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> DbResult<u64> {
        log_query(sql, params);
        let boxed = postgres_params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            boxed.iter().map(|b| b.as_ref() as _).collect();
        let statement = self.statement(postgres_sql(sql))?;
        Ok(self.tx.execute(&statement, &refs)?)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> DbResult<Vec<Row>> {
        use postgres::types::Type;
        log_query(sql, params);
        let boxed = postgres_params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            boxed.iter().map(|b| b.as_ref() as _).collect();
        let statement = self.statement(postgres_sql(sql))?;
        let rows = self.tx.query(&statement, &refs)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut values = Vec::with_capacity(row.len());
            for (i, column) in row.columns().iter().enumerate() {
                let ty = column.type_();
                values.push(if *ty == Type::INT8 {
                    Value::Int(row.try_get::<_, Option<i64>>(i)?)
                } else if *ty == Type::INT4 {
                    Value::Int(row.try_get::<_, Option<i32>>(i)?.map(i64::from))
                } else if *ty == Type::BYTEA {
                    Value::Blob(row.try_get(i)?)
                } else {
                    Value::Text(row.try_get(i)?)
                });
            }
            out.push(values);
        }
        Ok(out)
    }
}

#[derive(Debug, Clone)]
pub struct Device {
    pub device_id: String,
    pub public_key: Vec<u8>,
    pub agent_id: String,
    pub scope: Vec<String>,
    pub audit_seq: i64,
    pub audit_hash: Option<Vec<u8>>,
    /// When an operator revoked it (a lost or stolen phone).
    pub revoked_at: Option<i64>,
}

/// Holds, until the transaction ends, a lock named by `key` (PostgreSQL: a transaction-scoped
/// advisory lock; SQLite: nothing, its one writer already serializes writes). Two requests
/// that must not interleave (the same NIK, the change feed's order) take the same key.
pub fn serialize_on(tx: &mut dyn Tx, key: &[u8]) -> DbResult<()> {
    if !tx.is_postgres() {
        return Ok(());
    }
    // execute: the function returns void, which no column type here reads.
    tx.execute("SELECT pg_advisory_xact_lock(?1)", &[int(lock_id(key))])?;
    Ok(())
}

/// `serialize_on` for several keys in one statement, in the order given (callers sort them).
pub fn serialize_on_all(tx: &mut dyn Tx, keys: &[Vec<u8>]) -> DbResult<()> {
    if !tx.is_postgres() || keys.is_empty() {
        return Ok(());
    }
    // The lock ids are numbers this function computed, written into the statement as literals.
    let ids: Vec<String> = keys.iter().map(|k| format!("({})", lock_id(k))).collect();
    tx.execute(
        &format!(
            "SELECT pg_advisory_xact_lock(k) FROM (VALUES {}) AS v(k)",
            ids.join(", ")
        ),
        &[],
    )?;
    Ok(())
}

fn lock_id(key: &[u8]) -> i64 {
    let digest = ring::digest::digest(&ring::digest::SHA256, key);
    let mut id = [0u8; 8];
    id.copy_from_slice(&digest.as_ref()[..8]);
    i64::from_be_bytes(id)
}

/// Stores received entries (rows of id, device, kind, entity, kelurahan, created, received,
/// sealed body), many in one statement.
pub fn insert_entries(tx: &mut dyn Tx, rows: &[Vec<Value>]) -> DbResult<()> {
    const COLUMNS: usize = 8;
    for chunk in rows.chunks(100) {
        let mut groups = Vec::with_capacity(chunk.len());
        let mut params = Vec::with_capacity(chunk.len() * COLUMNS);
        for row in chunk {
            let at = params.len();
            let marks: Vec<String> = (1..=COLUMNS).map(|i| format!("?{}", at + i)).collect();
            // The clear body column stays empty: the record is kept sealed.
            groups.push(format!(
                "({}, {}, {}, {}, {}, '', {}, {}, {})",
                marks[0], marks[1], marks[2], marks[3], marks[4], marks[5], marks[6], marks[7]
            ));
            params.extend(row.iter().cloned());
        }
        tx.execute(
            &format!(
                "INSERT INTO entries (id, device_id, kind, entity_id, kelurahan_code, body,
                                      created_at, received_at, sealed) VALUES {}",
                groups.join(", ")
            ),
            &params,
        )?;
    }
    Ok(())
}

/// The device that sent each of `ids` the server already holds.
pub fn entry_owners(
    tx: &mut dyn Tx,
    ids: &[&str],
) -> DbResult<std::collections::HashMap<String, String>> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(200) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("?{i}")).collect();
        let params: Vec<Value> = chunk.iter().map(|id| text(*id)).collect();
        let sql = format!(
            "SELECT id, device_id FROM entries WHERE id IN ({})",
            marks.join(", ")
        );
        for row in tx.query(&sql, &params)? {
            if let (Some(id), Some(device)) = (row[0].text(), row[1].text()) {
                out.insert(id, device);
            }
        }
    }
    Ok(out)
}

/// The device, its row locked until the transaction ends (its audit chain moves one batch at
/// a time).
pub fn lock_device(tx: &mut dyn Tx, device_id: &str) -> DbResult<Option<Device>> {
    // SQLite has one writer: the transaction itself is the lock.
    let lock = if tx.is_postgres() { " FOR UPDATE" } else { "" };
    device_where(tx, device_id, lock)
}

/// The (kind, record id) pairs of `records` that entries already hold: by kind, one indexed
/// read per kind (`entries_by_kind`).
pub fn records_taken(tx: &mut dyn Tx, records: &[(&str, &str)]) -> DbResult<RecordsTaken> {
    let mut out = RecordsTaken::new();
    let kinds: std::collections::BTreeSet<&str> = records.iter().map(|(k, _)| *k).collect();
    for kind in kinds {
        let ids: Vec<&str> = records
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, id)| *id)
            .collect();
        for chunk in ids.chunks(200) {
            let marks: Vec<String> = (2..chunk.len() + 2).map(|i| format!("?{i}")).collect();
            let mut params = vec![text(kind)];
            params.extend(chunk.iter().map(|id| text(*id)));
            let sql = format!(
                "SELECT entity_id FROM entries WHERE kind = ?1 AND entity_id IN ({})",
                marks.join(", ")
            );
            for row in tx.query(&sql, &params)? {
                if let Some(id) = row[0].text() {
                    out.insert((kind.to_owned(), id));
                }
            }
        }
    }
    Ok(out)
}

/// Record ids (kind, entity id) already taken.
pub type RecordsTaken = std::collections::HashSet<(String, String)>;

pub fn device(tx: &mut dyn Tx, device_id: &str) -> DbResult<Option<Device>> {
    device_where(tx, device_id, "")
}

fn device_where(tx: &mut dyn Tx, device_id: &str, lock: &str) -> DbResult<Option<Device>> {
    let row = tx.query_one(
        &format!(
            "SELECT device_id, public_key, agent_id, scope, audit_seq, audit_hash, revoked_at
             FROM devices WHERE device_id = ?1{lock}"
        ),
        &[text(device_id)],
    )?;
    Ok(row.map(|r| Device {
        device_id: r[0].text().unwrap_or_default(),
        public_key: r[1].blob().unwrap_or_default(),
        agent_id: r[2].text().unwrap_or_default(),
        scope: serde_json::from_str(&r[3].text().unwrap_or_default()).unwrap_or_default(),
        audit_seq: r[4].int(),
        audit_hash: r[5].blob(),
        revoked_at: r[6].opt_int(),
    }))
}

/// Remembers a nonce; false if the device used it before.
pub fn use_nonce(tx: &mut dyn Tx, device_id: &str, nonce: &str, at: i64) -> DbResult<bool> {
    let inserted = tx.execute(
        "INSERT INTO nonces (device_id, nonce, at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        &[text(device_id), text(nonce), int(at)],
    )?;
    Ok(inserted == 1)
}

/// Forgets nonces older than any request the clock-skew window still admits.
pub fn prune_nonces(tx: &mut dyn Tx, before: i64) -> DbResult<u64> {
    tx.execute("DELETE FROM nonces WHERE at < ?1", &[int(before)])
}

/// Queues a change for the phones (everyone, one kelurahan or one device), sealed at rest.
pub fn add_change(
    tx: &mut dyn Tx,
    keys: &crate::keys::ServerKeys,
    kelurahan_code: Option<&str>,
    device_id: Option<&str>,
    body: &str,
    at: i64,
) -> DbResult<i64> {
    let audience = match (device_id, kelurahan_code) {
        (Some(device), _) => format!("d:{device}"),
        (None, Some(kelurahan)) => format!("k:{kelurahan}"),
        (None, None) => "all".to_owned(),
    };
    add_change_to(tx, keys, &audience, kelurahan_code, body, at)
}

/// Tells the device that sent a record the district's decision on it (a signed
/// `Change::Status` in its feed), in the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub fn add_status_change(
    tx: &mut dyn Tx,
    keys: &crate::keys::ServerKeys,
    device_id: &str,
    record_kind: &str,
    record_id: &str,
    status: &str,
    reason: Option<&str>,
    at: i64,
) -> DbResult<()> {
    let change = perlinsos_protocol::wire::Change::Status {
        record_kind: record_kind.to_owned(),
        record_id: record_id.to_owned(),
        status: status.to_owned(),
        at,
        reason: reason.map(str::to_owned),
    };
    let body = serde_json::to_string(&change).map_err(|e| DbError(e.to_string()))?;
    add_change(tx, keys, None, Some(device_id), &body, at).map(drop)
}

/// Queues a change for a named audience (`a:<agent>:<kelurahan>`: an agent's worklist part).
pub fn add_change_to(
    tx: &mut dyn Tx,
    keys: &crate::keys::ServerKeys,
    audience: &str,
    kelurahan_code: Option<&str>,
    body: &str,
    at: i64,
) -> DbResult<i64> {
    let device_id = audience.strip_prefix("d:");
    let sealed = crate::stored::seal_text(keys, crate::stored::CHANGE_CONTEXT, body)?;
    // Cursors must become visible in order, or a phone reading past a later one would never
    // see an earlier one committed after it: one change-writer at a time, until commit.
    serialize_on(tx, b"changes")?;
    let row = tx.query_one(
        "INSERT INTO changes (kelurahan_code, device_id, body, at, audience, sealed)
         VALUES (?1, ?2, '', ?3, ?4, ?5) RETURNING cursor",
        &[
            opt_text(kelurahan_code),
            opt_text(device_id),
            int(at),
            text(audience),
            blob(sealed),
        ],
    )?;
    Ok(row.map(|r| r[0].int()).unwrap_or(0))
}

/// A change row as version 1 of the schema wrote it (no audience): migration tests only.
#[doc(hidden)]
pub fn add_change_v1(
    tx: &mut dyn Tx,
    kelurahan_code: Option<&str>,
    device_id: Option<&str>,
    body: &str,
    at: i64,
) -> DbResult<()> {
    tx.execute(
        "INSERT INTO changes (kelurahan_code, device_id, body, at) VALUES (?1, ?2, ?3, ?4)",
        &[
            opt_text(kelurahan_code),
            opt_text(device_id),
            text(body),
            int(at),
        ],
    )
    .map(drop)
}

pub fn blob_length(tx: &mut dyn Tx, sha256: &str) -> DbResult<Option<i64>> {
    Ok(tx
        .query_one(
            "SELECT length FROM blobs WHERE sha256 = ?1",
            &[text(sha256)],
        )?
        .map(|r| r[0].int()))
}

/// (kind, state) counts for the operator's `status`.
pub fn counts(tx: &mut dyn Tx) -> DbResult<Vec<(String, i64)>> {
    let mut out = Vec::new();
    for (label, sql) in [
        ("devices", "SELECT count(*) FROM devices"),
        (
            "devices.revoked",
            "SELECT count(*) FROM devices WHERE revoked_at IS NOT NULL",
        ),
        (
            "quarantined_entries",
            "SELECT count(*) FROM quarantined_entries",
        ),
        (
            "enroll_codes.unused",
            "SELECT count(*) FROM enroll_codes WHERE used_by IS NULL",
        ),
        ("blobs", "SELECT count(*) FROM blobs"),
        ("changes", "SELECT count(*) FROM changes"),
    ] {
        let n = tx.query_one(sql, &[])?.map(|r| r[0].int()).unwrap_or(0);
        out.push((label.to_owned(), n));
    }
    for row in tx.query(
        "SELECT kind, count(*) FROM entries GROUP BY kind ORDER BY kind",
        &[],
    )? {
        out.push((
            format!("entries.{}", row[0].text().unwrap_or_default()),
            row[1].int(),
        ));
    }
    Ok(out)
}
