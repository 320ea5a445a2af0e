//! This phone's identity: a device id and an Ed25519 key pair, made once. The private key is
//! stored sealed under a key derived from the platform secret (on Android, one the Keystore
//! holds), so the database file alone does not give it away. Without a platform secret the
//! seal is only as strong as the file's protection; the app must supply one.
use std::sync::Arc;

use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use rusqlite::{params, OptionalExtension};

use super::wrap;
use crate::crypt::{random_bytes, Cipher, DataKey};
use crate::date::now_millis;
use crate::error::{Error, Result};
use crate::store::Store;

pub struct Device {
    pub id: String,
    key: Arc<Ed25519KeyPair>,
    reference: Arc<Cipher>,
}

fn reference_cipher(platform_secret: &[u8], salt: &[u8]) -> Result<Arc<Cipher>> {
    let key = wrap::reference_key(platform_secret, salt)?;
    Ok(Arc::new(Cipher::new(&DataKey::from_bytes(*key))?))
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device").field("id", &self.id).finish()
    }
}

impl Device {
    /// Opens this phone's identity, creating it on first use.
    pub fn open_or_create(store: &Store, platform_secret: &[u8]) -> Result<Device> {
        store.write(|tx| {
            let existing: Option<(String, Vec<u8>, Vec<u8>)> = tx
                .query_row(
                    "SELECT device_id, salt, sealed_pkcs8 FROM device WHERE singleton = 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            if let Some((id, salt, sealed)) = existing {
                let kek = wrap::device_kek(platform_secret, &salt)?;
                // A different platform secret (another phone, a wiped Keystore) cannot open it.
                let pkcs8 = wrap::open(&sealed, &kek, &id)?.ok_or(Error::Crypto)?;
                let key = Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|_| Error::Crypto)?;
                let reference = reference_cipher(platform_secret, &salt)?;
                crate::record_keys::ensure_holding(tx, &reference, &id, now_millis())?;
                return Ok(Device {
                    reference,
                    id,
                    key: Arc::new(key),
                });
            }
            let id = crate::ids::new_id()?;
            let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
                .map_err(|_| Error::Crypto)?;
            let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| Error::Crypto)?;
            let mut salt = [0u8; 16];
            random_bytes(&mut salt)?;
            let kek = wrap::device_kek(platform_secret, &salt)?;
            tx.execute(
                "INSERT INTO device (singleton, device_id, public_key, salt, sealed_pkcs8, created_at)
                 VALUES (1, ?1, ?2, ?3, ?4, ?5)",
                params![
                    id,
                    key.public_key().as_ref(),
                    &salt[..],
                    wrap::seal(pkcs8.as_ref(), &kek, &id)?,
                    now_millis()
                ],
            )?;
            let reference = reference_cipher(platform_secret, &salt)?;
            crate::record_keys::ensure_holding(tx, &reference, &id, now_millis())?;
            Ok(Device {
                reference,
                id,
                key: Arc::new(key),
            })
        })
    }

    /// Re-enrollment: this phone takes a new device id and key pair, sealed under
    /// `platform_secret` (the Keystore's secret now, which may differ from the one the old key
    /// was sealed under: a phone whose Keystore lost its key goes this way, never opening the
    /// old key). In one transaction: what is still queued under the old identity is marked
    /// for hand-over (`outbox.handover_from`, sent as it is by `Syncer::hand_over`, never
    /// signed again), the old audit trail moves to `audit_retired` (the new identity starts
    /// its own chain), and the enrollment, the revocation lock and the change cursor are
    /// forgotten: the phone enrolls again with an operator's replacement code. Returns the old
    /// device id.
    pub fn replace(store: &Store, platform_secret: &[u8]) -> Result<String> {
        store.write(|tx| {
            let (old, salt): (String, Vec<u8>) = tx
                .query_row(
                    "SELECT device_id, salt FROM device WHERE singleton = 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .ok_or(Error::Corrupt("no device identity to replace"))?;
            let id = crate::ids::new_id()?;
            let pkcs8 =
                Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| Error::Crypto)?;
            let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| Error::Crypto)?;
            // The salt stays: with the same platform secret, what is sealed for the phone's
            // reference data (recipient lists, worklists) still opens.
            let kek = wrap::device_kek(platform_secret, &salt)?;
            let now = now_millis();
            tx.execute(
                "UPDATE device SET device_id = ?1, public_key = ?2, sealed_pkcs8 = ?3,
                     created_at = ?4
                 WHERE singleton = 1",
                params![
                    id,
                    key.public_key().as_ref(),
                    wrap::seal(pkcs8.as_ref(), &kek, &id)?,
                    now
                ],
            )?;
            tx.execute(
                "UPDATE outbox SET handover_from = ?1 WHERE handover_from IS NULL",
                [&old],
            )?;
            tx.execute(
                "INSERT INTO audit_retired
                     (device_id, seq, at, agent_id, action, record_id, prev_hash, hash, signature)
                 SELECT ?1, seq, at, agent_id, action, record_id, prev_hash, hash, signature
                 FROM audit",
                [&old],
            )?;
            tx.execute("DELETE FROM audit", [])?;
            crate::sync::forget_enrollment(tx)?;
            Ok(old)
        })
    }

    /// Signs attestations, audit entries and requests.
    pub fn key(&self) -> &Ed25519KeyPair {
        &self.key
    }

    /// The signing key, shared with the parts that audit or attest on their own.
    pub fn signer(&self) -> Arc<Ed25519KeyPair> {
        self.key.clone()
    }

    /// Seals the phone's shared reference data (recipient lists).
    pub fn reference_cipher(&self) -> Arc<Cipher> {
        self.reference.clone()
    }

    pub fn public_key(&self) -> &[u8] {
        self.key.public_key().as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{self, Action};

    fn outbox(store: &Store) -> Vec<(String, Option<String>)> {
        store
            .read(|conn| {
                let mut stmt =
                    conn.prepare("SELECT kind, handover_from FROM outbox ORDER BY id")?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok(rows.collect::<rusqlite::Result<_>>()?)
            })
            .unwrap()
    }

    #[test]
    fn a_phone_whose_keystore_lost_its_key_takes_a_new_identity_and_keeps_its_queue() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("device.db")).unwrap();
        let old = Device::open_or_create(&store, b"keystore-1").unwrap();
        store
            .write(|tx| audit::append(tx, old.key(), "agen-01", Action::Unlock, None, 5).map(drop))
            .unwrap();
        // The Keystore's secret is gone: the old key no longer opens.
        assert!(Device::open_or_create(&store, b"keystore-2").is_err());

        let replaced = Device::replace(&store, b"keystore-2").unwrap();
        assert_eq!(replaced, old.id);
        let new = Device::open_or_create(&store, b"keystore-2").unwrap();
        assert_ne!(new.id, old.id);
        assert_ne!(new.public_key(), old.public_key());
        // The queued audit entry waits to be handed over for the old device, as it was sealed.
        assert_eq!(
            outbox(&store),
            vec![("audit.appended".to_owned(), Some(old.id.clone()))]
        );
        // The old trail is retired; the new identity starts its own chain at 1.
        let retired: i64 = store
            .read(|c| Ok(c.query_row("SELECT count(*) FROM audit_retired", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(retired, 1);
        let entry = store
            .write(|tx| audit::append(tx, new.key(), "agen-01", Action::Unlock, None, 6))
            .unwrap();
        assert_eq!(entry.seq, 1);
        let chain = store
            .read(|c| audit::verify_chain(c, new.public_key()))
            .unwrap();
        assert_eq!(chain, Ok(1));
        assert_eq!(outbox(&store).len(), 2);
        assert_eq!(outbox(&store)[1].1, None);
        // Not enrolled any more: the phone enrolls with the replacement code.
        assert_eq!(crate::sync::enrollment(&store).unwrap(), None);
        assert_eq!(crate::sync::revoked(&store).unwrap(), None);
    }
}
