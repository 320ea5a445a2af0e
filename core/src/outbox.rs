//! The transactional outbox: every domain change that must reach the server writes its row in
//! the same transaction as the change itself. The sync issue drains it.
use rusqlite::{params, Connection, Transaction};
use serde::Serialize;

use crate::error::Result;
use crate::ids::new_id;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    pub id: String,
    pub kind: String,
    pub entity_id: String,
    pub status: String,
    pub attempts: i64,
    pub created_at: i64,
}

/// Queues `kind` for `entity_id`. `payload` must hold no personal data in clear.
pub fn enqueue(
    tx: &Transaction<'_>,
    kind: &str,
    entity_id: &str,
    payload: &[u8],
    now_ms: i64,
) -> Result<String> {
    let id = new_id()?;
    tx.prepare_cached(
        "INSERT INTO outbox (id, kind, entity_id, payload, next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )?
    .execute(params![id, kind, entity_id, payload, now_ms])?;
    Ok(id)
}

pub fn entries(conn: &Connection) -> Result<Vec<OutboxEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, entity_id, status, attempts, created_at FROM outbox ORDER BY created_at, id",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok(OutboxEntry {
            id: row.get(0)?,
            kind: row.get(1)?,
            entity_id: row.get(2)?,
            status: row.get(3)?,
            attempts: row.get(4)?,
            created_at: row.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
