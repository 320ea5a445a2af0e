//! The transactional outbox: every domain change that must reach the server writes its row in
//! the same transaction as the change itself, as its typed record sealed for the district.
//! Sync drains it without opening anything: it needs the device key, never an agent's PIN.
use rusqlite::{params, Connection, Transaction};
use serde::Serialize;

use perlinsos_protocol::record::{group_is_for, record_group, seal_blob, seal_record_in, Record};
use perlinsos_protocol::seal::SealGroup;

use crate::error::{Error, ErrorCode, Result};
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

/// Queues `record`: serialized and sealed here, in the caller's transaction, for the newest
/// record key (the district's once enrolled, the phone's holding key before). The row holds
/// only the ciphertext and what sync needs unopened: kind, entity id, key id, the kelurahan
/// for the server's scope check and the photos to upload first.
pub fn enqueue(
    tx: &Transaction<'_>,
    record: &Record,
    kelurahan_code: Option<&str>,
    now_ms: i64,
) -> Result<String> {
    let id = new_id()?;
    let Sealed { key, sealed, blobs } = seal_for_row(tx, &id, record)?;
    tx.prepare_cached(
        "INSERT INTO outbox (id, kind, entity_id, payload, next_attempt_at, created_at, key_id,
                             kelurahan_code, blobs)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        id,
        record.kind(),
        record.entity_id(),
        sealed,
        now_ms,
        key.key_id,
        kelurahan_code,
        blobs
    ])?;
    Ok(id)
}

/// Seals `record` into the legacy row `id` (queued by an older app without one), keeping its
/// entry id; false when the row is gone or already sealed.
pub fn seal_in_place(
    tx: &Transaction<'_>,
    id: &str,
    record: &Record,
    kelurahan_code: Option<&str>,
) -> Result<bool> {
    let Sealed { key, sealed, blobs } = seal_for_row(tx, id, record)?;
    let changed = tx
        .prepare_cached(
            "UPDATE outbox SET payload = ?2, key_id = ?3, kelurahan_code = ?4, blobs = ?5
             WHERE id = ?1 AND key_id IS NULL AND kind = ?6",
        )?
        .execute(params![
            id,
            sealed,
            key.key_id,
            kelurahan_code,
            blobs,
            record.kind()
        ])?;
    Ok(changed == 1)
}

/// Keeps a copy of a photo sealed for the newest record key, so sync can send it with every
/// agent locked. Content-addressed: the same photo is kept once.
pub fn stage_blob(tx: &Transaction<'_>, sha256: &str, jpeg: &[u8]) -> Result<()> {
    let exists = tx
        .prepare_cached("SELECT 1 FROM outbox_blobs WHERE sha256 = ?1")?
        .exists([sha256])?;
    if exists {
        return Ok(());
    }
    let key = current_key(tx)?;
    let sealed =
        seal_blob(jpeg, sha256, &key.key_id, &key.public_key).map_err(|_| Error::Crypto)?;
    tx.prepare_cached("INSERT INTO outbox_blobs (sha256, key_id, sealed) VALUES (?1, ?2, ?3)")?
        .execute(params![sha256, key.key_id, sealed])?;
    Ok(())
}

/// Drops staged photos no queued entry names any more (after the server took them, or their
/// record went away).
pub fn drop_unneeded_blobs(tx: &Transaction<'_>, candidates: &[String]) -> Result<()> {
    let mut named = tx.prepare_cached(
        "SELECT 1 FROM outbox o, json_each(o.blobs) b WHERE b.value = ?1 LIMIT 1",
    )?;
    let mut delete = tx.prepare_cached("DELETE FROM outbox_blobs WHERE sha256 = ?1")?;
    for sha in candidates {
        if !named.exists([sha])? {
            delete.execute([sha])?;
        }
    }
    Ok(())
}

/// A row's sealed record, the key it is sealed for and the photos it names (JSON list).
struct Sealed {
    key: crate::record_keys::SealKey,
    sealed: Vec<u8>,
    blobs: String,
}

fn seal_for_row(tx: &Transaction<'_>, id: &str, record: &Record) -> Result<Sealed> {
    let key = current_key(tx)?;
    let sealed = seal_grouped(&key, record, id)?;
    let blobs: Vec<&str> = record
        .evidence()
        .iter()
        .map(|e| e.sha256.as_str())
        .collect();
    let blobs = serde_json::to_string(&blobs).map_err(|_| Error::Corrupt("outbox blobs"))?;
    Ok(Sealed { key, sealed, blobs })
}

/// The group records are sealed in: one X25519 exchange for many records instead of one each
/// (a registration queues its household and audit entries together). Memory only; a new group
/// after `GROUP_MESSAGES` records or `GROUP_SECONDS`, or for a new key.
struct CachedGroup {
    group: SealGroup,
    uses: u32,
    made: std::time::Instant,
}

const GROUP_MESSAGES: u32 = 1_000;
const GROUP_SECONDS: u64 = 600;
static GROUP: std::sync::Mutex<Option<CachedGroup>> = std::sync::Mutex::new(None);

fn seal_grouped(key: &crate::record_keys::SealKey, record: &Record, id: &str) -> Result<Vec<u8>> {
    let mut slot = GROUP.lock().unwrap_or_else(|p| p.into_inner());
    let fresh = slot.as_ref().is_some_and(|c| {
        c.uses < GROUP_MESSAGES
            && c.made.elapsed().as_secs() < GROUP_SECONDS
            && group_is_for(&c.group, &key.public_key)
    });
    if !fresh {
        *slot = Some(CachedGroup {
            group: record_group(&key.public_key).map_err(|_| Error::Crypto)?,
            uses: 0,
            made: std::time::Instant::now(),
        });
    }
    let cached = slot.as_mut().ok_or(Error::Crypto)?;
    cached.uses += 1;
    seal_record_in(&cached.group, record, id, &key.key_id).map_err(|_| Error::Crypto)
}

fn current_key(tx: &Transaction<'_>) -> Result<crate::record_keys::SealKey> {
    crate::record_keys::current(tx)?
        .ok_or_else(|| Error::invalid("sync", ErrorCode::SyncNotEnrolled))
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
