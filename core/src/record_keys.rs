//! The district record keys this phone seals for, each accepted only with the district key's
//! signature over it (`protocol::record::record_key_text`): a key the district did not make
//! is never used, whoever delivers it.
use perlinsos_protocol::record::record_key_text;
use perlinsos_protocol::wire::RecordKey;
use ring::signature::{UnparsedPublicKey, ED25519};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::error::Result;

/// A record key as the phone uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealKey {
    pub key_id: String,
    pub public_key: Vec<u8>,
}

/// Checks the district's signature over `key`; the key's public bytes when it holds.
pub fn verify(district_public_key: &[u8], key: &RecordKey) -> Option<Vec<u8>> {
    let public = crate::hex::decode(&key.public_key)?;
    let signature = crate::hex::decode(&key.signature)?;
    if public.len() != perlinsos_protocol::seal::PUBLIC_KEY_LEN
        || key.key_id.is_empty()
        || key.key_id.len() > 64
    {
        return None;
    }
    UnparsedPublicKey::new(&ED25519, district_public_key)
        .verify(
            record_key_text(&key.key_id, &key.public_key).as_bytes(),
            &signature,
        )
        .ok()?;
    Some(public)
}

/// Stores a district key that verified; false (and nothing stored) when it does not.
pub fn accept(
    tx: &Transaction<'_>,
    district_public_key: &[u8],
    key: &RecordKey,
    now: i64,
) -> Result<bool> {
    let Some(public) = verify(district_public_key, key) else {
        return Ok(false);
    };
    tx.prepare_cached(
        "INSERT OR IGNORE INTO record_keys (key_id, public_key, private_sealed, district, received_at)
         VALUES (?1, ?2, NULL, 1, ?3)",
    )?
    .execute(params![key.key_id, public, now])?;
    Ok(true)
}

/// The key new records are sealed for: the newest district key, else the phone's holding key.
pub fn current(conn: &Connection) -> Result<Option<SealKey>> {
    Ok(conn
        .prepare_cached(
            "SELECT key_id, public_key FROM record_keys
             ORDER BY district DESC, received_at DESC, rowid DESC LIMIT 1",
        )?
        .query_row([], |r| {
            Ok(SealKey {
                key_id: r.get(0)?,
                public_key: r.get(1)?,
            })
        })
        .optional()?)
}
