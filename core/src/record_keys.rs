//! The district record keys this phone seals for, each accepted only with the district key's
//! signature over it (`protocol::record::record_key_text`): a key the district did not make
//! is never used, whoever delivers it.
use perlinsos_protocol::record::{
    open_blob, record_group, record_key_text, seal_blob, seal_encoded_in, RecordOpener,
};
use perlinsos_protocol::seal;
use perlinsos_protocol::wire::RecordKey;
use ring::signature::{UnparsedPublicKey, ED25519};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use zeroize::Zeroizing;

use crate::crypt::{Cell, Cipher};
use crate::error::{Error, Result};

/// A record key as the phone uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealKey {
    pub key_id: String,
    pub public_key: Vec<u8>,
    /// The district's (false for the phone's holding key).
    pub district: bool,
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
            "SELECT key_id, public_key, district FROM record_keys
             ORDER BY district DESC, received_at DESC, rowid DESC LIMIT 1",
        )?
        .query_row([], |r| {
            Ok(SealKey {
                key_id: r.get(0)?,
                public_key: r.get(1)?,
                district: r.get(2)?,
            })
        })
        .optional()?)
}

fn holding_cell(key_id: &str) -> Cell<'_> {
    Cell::new("record_keys", "private", key_id)
}

/// The private half of the holding key `key_id`, opened with the platform secret's cipher.
pub(crate) fn open_holding(
    reference: &Cipher,
    key_id: &str,
    sealed: &[u8],
) -> Result<Zeroizing<[u8; 32]>> {
    let opened = reference.open(holding_cell(key_id), sealed)?;
    let private: [u8; 32] = opened
        .as_slice()
        .try_into()
        .map_err(|_| Error::Corrupt("holding key"))?;
    Ok(Zeroizing::new(private))
}

/// Gives a phone that knows no record key yet its holding key: records made before
/// enrollment are sealed for it, under the platform secret, until enrollment reseals them for
/// the district and drops it.
pub fn ensure_holding(
    tx: &Transaction<'_>,
    reference: &Cipher,
    device_id: &str,
    now: i64,
) -> Result<()> {
    let any = tx
        .prepare_cached("SELECT 1 FROM record_keys LIMIT 1")?
        .exists([])?;
    if any {
        return Ok(());
    }
    let (private, public) = seal::generate_keypair().map_err(|_| Error::Crypto)?;
    let key_id = format!("phone-{device_id}");
    let sealed = reference.seal(holding_cell(&key_id), &private[..])?;
    tx.prepare_cached(
        "INSERT INTO record_keys (key_id, public_key, private_sealed, district, received_at)
         VALUES (?1, ?2, ?3, 0, ?4)",
    )?
    .execute(params![key_id, &public[..], sealed, now])?;
    Ok(())
}

/// Once a district key is known: everything still sealed for the holding key (queued records
/// and staged photos) is sealed again for it, and the holding key is dropped, in the caller's
/// transaction. Returns how many records moved.
pub fn reseal_for_district(tx: &Transaction<'_>, reference: &Cipher) -> Result<usize> {
    let Some(district) = current(tx)?.filter(|key| key.district) else {
        return Ok(0);
    };
    let holding: Vec<(String, Vec<u8>)> = {
        let mut stmt = tx.prepare(
            "SELECT key_id, private_sealed FROM record_keys
             WHERE district = 0 AND private_sealed IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut moved = 0;
    for (key_id, sealed) in holding {
        let private = open_holding(reference, &key_id, &sealed)?;
        let rows: Vec<(String, String, Vec<u8>)> = {
            let mut stmt = tx.prepare("SELECT id, kind, payload FROM outbox WHERE key_id = ?1")?;
            let rows = stmt.query_map([&key_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut opener = RecordOpener::new(&private);
        let group = record_group(&district.public_key).map_err(|_| Error::Crypto)?;
        for (id, kind, payload) in rows {
            let encoded = opener
                .open_encoded(&payload, &id, &kind, &key_id)
                .map_err(|_| Error::Crypto)?;
            let again = seal_encoded_in(&group, &encoded, &id, &kind, &district.key_id)
                .map_err(|_| Error::Crypto)?;
            tx.execute(
                "UPDATE outbox SET payload = ?2, key_id = ?3 WHERE id = ?1",
                params![id, again, district.key_id],
            )?;
            moved += 1;
        }
        let blobs: Vec<(String, Vec<u8>)> = {
            let mut stmt =
                tx.prepare("SELECT sha256, sealed FROM outbox_blobs WHERE key_id = ?1")?;
            let rows = stmt.query_map([&key_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for (sha, sealed) in blobs {
            let jpeg = Zeroizing::new(
                open_blob(&sealed, &sha, &key_id, &private).map_err(|_| Error::Crypto)?,
            );
            let again = seal_blob(&jpeg, &sha, &district.key_id, &district.public_key)
                .map_err(|_| Error::Crypto)?;
            tx.execute(
                "UPDATE outbox_blobs SET sealed = ?2, key_id = ?3 WHERE sha256 = ?1",
                params![sha, again, district.key_id],
            )?;
        }
        tx.execute("DELETE FROM record_keys WHERE key_id = ?1", [&key_id])?;
    }
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use perlinsos_protocol::record::{open_record, Record};

    use super::*;
    use crate::crypt::DataKey;
    use crate::registration::Registry;
    use crate::session::device::Device;
    use crate::store::Store;

    /// The phone's holding key, opened as enrollment opens it.
    fn holding_private(store: &Store, device: &Device) -> (String, Zeroizing<[u8; 32]>) {
        let reference = device.reference_cipher();
        store
            .read(|conn| {
                let (key_id, sealed): (String, Vec<u8>) = conn.query_row(
                    "SELECT key_id, private_sealed FROM record_keys WHERE district = 0",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                let private = open_holding(&reference, &key_id, &sealed)?;
                Ok((key_id, private))
            })
            .unwrap()
    }

    #[test]
    fn the_sealed_record_is_the_household_as_stored() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path().join("device.db")).unwrap());
        let device = Device::open_or_create(&store, b"keystore").unwrap();
        let cipher = Arc::new(Cipher::new(&DataKey::from_bytes([3; 32])).unwrap());
        let registry = Registry::new(store.clone(), cipher);
        let now = crate::date::now_millis();
        let mut generator =
            crate::sample::Generator::new(11, crate::date::Date::of_unix_millis(now));
        let id = generator
            .household("agen-01", 4, now)
            .register(&registry, now)
            .unwrap();
        let (entry, kind, key_id, payload): (String, String, String, Vec<u8>) = store
            .read(|c| {
                Ok(c.query_row(
                    "SELECT id, kind, key_id, payload FROM outbox WHERE entity_id = ?1",
                    [&id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )?)
            })
            .unwrap();
        let (holding, private) = holding_private(&store, &device);
        assert_eq!(
            key_id, holding,
            "sealed for the holding key before enrollment"
        );
        let Record::HouseholdRegistered(sealed) =
            open_record(&payload, &entry, &kind, &key_id, &private).unwrap()
        else {
            panic!("a household record");
        };
        assert_eq!(sealed.household, registry.household(&id).unwrap());
        assert!(sealed.evidence.is_empty());
        // Nothing of it in clear in the row.
        for member in &sealed.household.members {
            let nik = member.input.nik.as_bytes();
            assert!(!payload.windows(nik.len()).any(|w| w == nik));
        }
    }
}
