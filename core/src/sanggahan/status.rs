//! A sanggahan's status history on the phone: the transitions and the server's statuses, as
//! free functions so sync applies a status with every agent locked (a status with an officer's
//! reason needs the agent's cipher to seal the reason, and waits for an unlock).
use rusqlite::{params, OptionalExtension, Transaction};

use super::lifecycle::{self, Source, Status};
use super::reason_cell;
use crate::crypt::Cipher;
use crate::error::{Error, ErrorCode, Result};
use crate::purge::{self, RecordKind};
use crate::registration::Millis;

/// Appends a transition and moves the sanggahan to it; `reason` needs `cipher`.
pub fn add_transition(
    tx: &Transaction<'_>,
    cipher: Option<&Cipher>,
    id: &str,
    status: Status,
    at: Millis,
    source: Source,
    reason: Option<&str>,
) -> Result<()> {
    let seq: i64 = tx
        .prepare_cached(
            "SELECT coalesce(max(seq), 0) + 1 FROM sanggahan_status WHERE sanggahan_id = ?1",
        )?
        .query_row([id], |r| r.get(0))?;
    let seq_text = seq.to_string();
    let sealed = match (reason, cipher) {
        (Some(reason), Some(cipher)) => Some(cipher.seal_str(reason_cell(id, &seq_text), reason)?),
        (Some(_), None) => return Err(Error::Corrupt("a reason needs the agent's cipher")),
        (None, _) => None,
    };
    tx.prepare_cached(
        "INSERT INTO sanggahan_status (sanggahan_id, seq, status, at, source, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        id,
        seq,
        status.as_str(),
        at,
        source.as_str(),
        sealed
    ])?;
    tx.prepare_cached(
        "UPDATE sanggahan SET status = ?2, status_source = ?3, status_at = ?4 WHERE id = ?1",
    )?
    .execute(params![id, status.as_str(), source.as_str(), at])?;
    // WITHOUT ROWID tables: SQLite's update hook does not see these rows.
    crate::changes::touch(crate::changes::Topic::Statuses);
    Ok(())
}

/// Status and its source, for a sanggahan on this phone (within `agent`'s, when given).
pub fn current(
    tx: &Transaction<'_>,
    agent: Option<&str>,
    id: &str,
) -> Result<Option<(Status, Source)>> {
    let row: Option<(String, String)> = tx
        .prepare_cached(
            "SELECT status, status_source FROM sanggahan
             WHERE id = ?1 AND (?2 IS NULL OR agent_id = ?2)",
        )?
        .query_row(params![id, agent], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(status, source)| {
        Ok((
            Status::parse(&status).ok_or(Error::Corrupt("sanggahan status"))?,
            Source::parse(&source).ok_or(Error::Corrupt("sanggahan source"))?,
        ))
    })
    .transpose()
}

/// A status reported by the district server. Repeating the current status is a no-op; a move
/// the lifecycle does not allow is refused and changes nothing. The server receiving it
/// (`diterima`) is the confirmation that starts the purge clock.
#[allow(clippy::too_many_arguments)]
pub fn apply_server_status_in(
    tx: &Transaction<'_>,
    cipher: Option<&Cipher>,
    agent: Option<&str>,
    id: &str,
    status: Status,
    at: Millis,
    reason: Option<&str>,
    now: Millis,
) -> Result<()> {
    let (current, source) = current(tx, agent, id)?
        .ok_or_else(|| Error::invalid("sanggahan", ErrorCode::SanggahanNotFound))?;
    if current == status {
        return Ok(());
    }
    if !lifecycle::allowed(current, source, status, Source::Server) {
        return Err(Error::invalid(
            "status",
            ErrorCode::SanggahanTransitionInvalid,
        ));
    }
    add_transition(tx, cipher, id, status, at, Source::Server, reason)?;
    purge::set_receipt_status(tx, RecordKind::Sanggahan, id, status.as_str())?;
    if status == Status::Diterima {
        purge::confirm(tx, RecordKind::Sanggahan, id, now)?;
    }
    Ok(())
}
