//! The hash-chained audit trail. An entry is appended in the same transaction as the action it
//! records and queued for the server; `verify_chain` walks the chain and names the first entry
//! that was deleted, reordered, inserted or edited.
use ring::digest::{digest, SHA256};
use ring::signature::{Ed25519KeyPair, UnparsedPublicKey, ED25519};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;

use crate::error::Result;
use crate::outbox;
use crate::registration::Millis;

const GENESIS: [u8; 32] = [0; 32];

/// What was done. The names are API: the server's copy uses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Unlock,
    UnlockFailed,
    HouseholdCreated,
    HouseholdEdited,
    HouseholdViewed,
    HouseholdSubmitted,
    EvidenceCaptured,
    SanggahanFiled,
    SanggahanWithdrawn,
    ResidentModeEntered,
    ResidentModeLeft,
    Sync,
    Purge,
    Export,
    VisitStarted,
    VisitSubmitted,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Unlock => "unlock",
            Action::UnlockFailed => "unlock_failed",
            Action::HouseholdCreated => "household_created",
            Action::HouseholdEdited => "household_edited",
            Action::HouseholdViewed => "household_viewed",
            Action::HouseholdSubmitted => "household_submitted",
            Action::EvidenceCaptured => "evidence_captured",
            Action::SanggahanFiled => "sanggahan_filed",
            Action::SanggahanWithdrawn => "sanggahan_withdrawn",
            Action::ResidentModeEntered => "resident_mode_entered",
            Action::ResidentModeLeft => "resident_mode_left",
            Action::Sync => "sync",
            Action::Purge => "purge",
            Action::Export => "export",
            Action::VisitStarted => "visit_started",
            Action::VisitSubmitted => "visit_submitted",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at: Millis,
    pub agent_id: String,
    pub action: String,
    pub record_id: Option<String>,
    #[serde(serialize_with = "hex")]
    pub prev_hash: Vec<u8>,
    #[serde(serialize_with = "hex")]
    pub hash: Vec<u8>,
    #[serde(serialize_with = "hex")]
    pub signature: Vec<u8>,
}

fn hex<S: serde::Serializer>(bytes: &[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&crate::hex::encode(bytes))
}

/// The hash of an entry: its fields, one per line after the context, and the previous hash.
fn entry_hash(
    seq: i64,
    at: Millis,
    agent_id: &str,
    action: &str,
    record_id: Option<&str>,
    prev: &[u8],
) -> Vec<u8> {
    let text = perlinsos_protocol::signing::audit_entry_text(
        seq,
        at,
        agent_id,
        action,
        record_id,
        &crate::hex::encode(prev),
    );
    digest(&SHA256, text.as_bytes()).as_ref().to_vec()
}

/// Appends an entry inside the caller's transaction (the action and its record commit or
/// roll back together) and queues it for the server.
pub fn append(
    tx: &Transaction<'_>,
    key: &Ed25519KeyPair,
    agent_id: &str,
    action: Action,
    record_id: Option<&str>,
    at: Millis,
) -> Result<Entry> {
    let last: Option<(i64, Vec<u8>)> = tx
        .prepare_cached("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_vec()),
    };
    let hash = entry_hash(seq, at, agent_id, action.as_str(), record_id, &prev_hash);
    let signature = key.sign(&hash).as_ref().to_vec();
    let entry = Entry {
        seq,
        at,
        agent_id: agent_id.to_owned(),
        action: action.as_str().to_owned(),
        record_id: record_id.map(str::to_owned),
        prev_hash,
        hash,
        signature,
    };
    tx.prepare_cached(
        "INSERT INTO audit (seq, at, agent_id, action, record_id, prev_hash, hash, signature)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        entry.seq,
        entry.at,
        entry.agent_id,
        entry.action,
        entry.record_id,
        entry.prev_hash,
        entry.hash,
        entry.signature
    ])?;
    let record = perlinsos_protocol::record::Record::AuditAppended(
        perlinsos_protocol::record::AuditAppended {
            seq: entry.seq,
            at: entry.at,
            agent_id: entry.agent_id.clone(),
            action: entry.action.clone(),
            record_id: entry.record_id.clone(),
            prev_hash: crate::hex::encode(&entry.prev_hash),
            hash: crate::hex::encode(&entry.hash),
            signature: crate::hex::encode(&entry.signature),
        },
    );
    outbox::enqueue(tx, &record, None, at)?;
    Ok(entry)
}

/// Where and how the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// An entry's fields no longer give its hash (edited in place).
    Edited { seq: i64 },
    /// The hash is right but the device did not sign it (forged or re-hashed after an edit).
    BadSignature { seq: i64 },
    /// The sequence skips numbers: entries were deleted.
    Missing { after: i64, next: i64 },
    /// The entry does not follow the one before it (reordered, inserted, or its predecessor
    /// deleted and the rest renumbered).
    Unlinked { seq: i64 },
}

/// Walks the whole chain. Ok(number of entries) when intact. A trail cut short at its end is
/// found against the server's copy, which holds every entry the phone has sent.
pub fn verify_chain(
    conn: &Connection,
    device_public_key: &[u8],
) -> Result<std::result::Result<i64, Break>> {
    let key = UnparsedPublicKey::new(&ED25519, device_public_key);
    let mut stmt = conn.prepare(
        "SELECT seq, at, agent_id, action, record_id, prev_hash, hash, signature
         FROM audit ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut previous: Option<(i64, Vec<u8>)> = None;
    let mut count = 0;
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let prev_hash: Vec<u8> = r.get(5)?;
        let hash: Vec<u8> = r.get(6)?;
        let signature: Vec<u8> = r.get(7)?;
        let record_id: Option<String> = r.get(4)?;
        let expected = entry_hash(
            seq,
            r.get(1)?,
            &r.get::<_, String>(2)?,
            &r.get::<_, String>(3)?,
            record_id.as_deref(),
            &prev_hash,
        );
        if expected != hash {
            return Ok(Err(Break::Edited { seq }));
        }
        if key.verify(&hash, &signature).is_err() {
            return Ok(Err(Break::BadSignature { seq }));
        }
        let (last_seq, last_hash) = previous.clone().unwrap_or((0, GENESIS.to_vec()));
        if seq != last_seq + 1 {
            return Ok(Err(Break::Missing {
                after: last_seq,
                next: seq,
            }));
        }
        if prev_hash != last_hash {
            return Ok(Err(Break::Unlinked { seq }));
        }
        previous = Some((seq, hash));
        count += 1;
    }
    Ok(Ok(count))
}

/// The hash function, for tests that forge entries the way an attacker without the key would.
#[cfg(test)]
pub mod tests_support {
    pub fn hash(
        seq: i64,
        at: super::Millis,
        agent_id: &str,
        action: &str,
        record_id: Option<&str>,
        prev: &[u8],
    ) -> Vec<u8> {
        super::entry_hash(seq, at, agent_id, action, record_id, prev)
    }
}
