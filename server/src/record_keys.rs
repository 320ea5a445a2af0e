//! The district's record keys: X25519 key pairs phones seal records and photos for (HPKE,
//! `protocol::record`). The newest is handed out at enrollment and, after a rotation, through
//! the change feed, each signed by the district key; every older key stays so entries sealed
//! for it still open. Private keys are stored sealed under the server's data key.
use perlinsos_protocol::record::record_key_text;
use perlinsos_protocol::seal;
use perlinsos_protocol::wire::{Change, RecordKey};
use ring::signature::Ed25519KeyPair;
use zeroize::Zeroizing;

use crate::auth::hex;
use crate::db::{self, DbError, DbResult, Tx};
use crate::keys::ServerKeys;

pub(crate) fn context(key_id: &str) -> String {
    format!("record_keys/private/{key_id}")
}

/// Makes a key, stores it and puts it, signed, in every phone's change feed.
fn new_key(
    tx: &mut dyn Tx,
    keys: &ServerKeys,
    district: &Ed25519KeyPair,
    now: i64,
) -> DbResult<String> {
    let (private, public) = seal::generate_keypair().map_err(|e| DbError(e.to_string()))?;
    // Short, unique and telling when it was made.
    let mut suffix = [0u8; 4];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut suffix)
        .map_err(|_| DbError("random".into()))?;
    let key_id = format!("rk-{now}-{}", hex(&suffix));
    let sealed = keys
        .seal(&context(&key_id), &private[..])
        .map_err(|e| DbError(e.to_string()))?;
    tx.execute(
        "INSERT INTO record_keys (key_id, public_key, private_sealed, created_at)
         VALUES (?1, ?2, ?3, ?4)",
        &[
            db::text(key_id.as_str()),
            db::blob(public.to_vec()),
            db::blob(sealed),
            db::int(now),
        ],
    )?;
    let body = serde_json::to_string(&Change::RecordKey(signed(district, &key_id, &public)))
        .map_err(|e| DbError(e.to_string()))?;
    db::add_change(tx, keys, None, None, &body, now)?;
    Ok(key_id)
}

/// Makes the first record key if there is none (at start-up), and publishes it in the change
/// feed: phones enrolled before record keys existed take it from there.
pub fn ensure(
    tx: &mut dyn Tx,
    keys: &ServerKeys,
    district: &Ed25519KeyPair,
    now: i64,
) -> DbResult<()> {
    db::serialize_on(tx, b"record_keys")?;
    if !tx.exists("SELECT 1 FROM record_keys", &[])? {
        new_key(tx, keys, district, now)?;
    }
    Ok(())
}

/// The newest key, signed for phones.
pub fn current(tx: &mut dyn Tx, district: &Ed25519KeyPair) -> DbResult<RecordKey> {
    let row = tx
        .query_one(
            "SELECT key_id, public_key FROM record_keys ORDER BY created_at DESC, key_id DESC
             LIMIT 1",
            &[],
        )?
        .ok_or_else(|| DbError("no record key".into()))?;
    Ok(signed(
        district,
        &row[0].text().unwrap_or_default(),
        &row[1].blob().unwrap_or_default(),
    ))
}

fn signed(district: &Ed25519KeyPair, key_id: &str, public: &[u8]) -> RecordKey {
    let public_key = hex(public);
    let signature = hex(district
        .sign(record_key_text(key_id, &public_key).as_bytes())
        .as_ref());
    RecordKey {
        key_id: key_id.to_owned(),
        public_key,
        signature,
    }
}

/// The private key with this id, or None if the server never made it.
pub fn private(
    tx: &mut dyn Tx,
    keys: &ServerKeys,
    key_id: &str,
) -> DbResult<Option<Zeroizing<[u8; 32]>>> {
    let Some(row) = tx.query_one(
        "SELECT private_sealed FROM record_keys WHERE key_id = ?1",
        &[db::text(key_id)],
    )?
    else {
        return Ok(None);
    };
    let plain = keys
        .open(&context(key_id), &row[0].blob().unwrap_or_default())
        .ok_or_else(|| DbError("record key does not open with this data key".into()))?;
    let plain = Zeroizing::new(plain);
    let bytes: [u8; 32] = plain
        .as_slice()
        .try_into()
        .map_err(|_| DbError("record key length".into()))?;
    Ok(Some(Zeroizing::new(bytes)))
}

/// Private record keys already opened this run, by key id. A key never changes once made
/// (a data-key rotation re-seals it, same bytes), so each is read once, not on every batch.
/// Only keys the database holds are kept: an unknown id from a phone is never cached.
#[derive(Default)]
pub struct PrivateKeys(std::sync::Mutex<std::collections::HashMap<String, Zeroizing<[u8; 32]>>>);

impl PrivateKeys {
    pub fn get(
        &self,
        state: &crate::AppState,
        key_id: &str,
    ) -> DbResult<Option<Zeroizing<[u8; 32]>>> {
        let cached = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key_id)
            .cloned();
        if cached.is_some() {
            return Ok(cached);
        }
        let (keys, id) = (state.keys.clone(), key_id.to_owned());
        let read = state.db.read(move |tx| private(tx, &keys, &id))?;
        if let Some(key) = &read {
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key_id.to_owned(), key.clone());
        }
        Ok(read)
    }
}

/// A new key for all phones from now on; entries sealed for older keys still open.
pub fn rotate(
    tx: &mut dyn Tx,
    keys: &ServerKeys,
    district: &Ed25519KeyPair,
    now: i64,
) -> DbResult<String> {
    db::serialize_on(tx, b"record_keys")?;
    new_key(tx, keys, district, now)
}
