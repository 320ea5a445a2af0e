//! The server's data key: 32 random bytes kept outside the database, in the environment
//! (`PERLINSOS_DATA_KEY`, 64 hex digits) or in `data.key` in the data folder (created mode
//! 0600 on first start). Blind indexes for NIK and KK are keyed HMACs derived from it, so the
//! database alone does not tell whose NIK a row holds, nor can its indexes be rebuilt from a
//! list of NIKs without the key. Records, changes, recipient lists, photos and the district's
//! signing key are sealed at rest with AES-256-GCM under another key derived from it.
//!
//! Rotation: a sealed value starts with its key version (1 today). To rotate, a later version
//! of the server derives keys from a new secret under version 2, keeps the old secret to open
//! version-1 values, and reseals them in a migration; blind indexes are rebuilt the same way.
use std::io::Write;
use std::path::Path;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::hkdf::{Salt, HKDF_SHA256};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroize;

pub const KEY_FILE: &str = "data.key";
pub const KEY_ENV: &str = "PERLINSOS_DATA_KEY";

pub struct ServerKeys {
    blind: hmac::Key,
    seal: LessSafeKey,
}

/// The version byte that starts every sealed value.
const SEAL_VERSION: u8 = 1;

/// Blind-index domains: a KK number and a NIK of the same digits index differently.
#[derive(Debug, Clone, Copy)]
pub enum Blind {
    Nik,
    Kk,
    /// A user name or client address in the login throttle: kept only as this index, so a
    /// password typed into the name box is not stored.
    Login,
}

impl Blind {
    fn label(self) -> &'static [u8] {
        match self {
            Blind::Nik => b"nik\n",
            Blind::Kk => b"kk\n",
            Blind::Login => b"login\n",
        }
    }
}

struct Len32;

impl ring::hkdf::KeyType for Len32 {
    fn len(&self) -> usize {
        32
    }
}

impl ServerKeys {
    pub fn from_secret(secret: &[u8; 32]) -> ServerKeys {
        let prk = Salt::new(HKDF_SHA256, b"perlinsos/server/v1").extract(secret);
        let derive = |info: &[u8]| {
            let mut key = [0u8; 32];
            let filled = prk
                .expand(&[info], Len32)
                .and_then(|okm| okm.fill(&mut key));
            // HKDF-SHA256 always yields 32 bytes; expand only fails for lengths over 8160.
            debug_assert!(filled.is_ok());
            key
        };
        let mut seal = derive(b"sealed-at-rest");
        let unbound = UnboundKey::new(&AES_256_GCM, &seal);
        seal.zeroize();
        ServerKeys {
            blind: hmac::Key::new(hmac::HMAC_SHA256, &derive(b"blind-index")),
            // A 32-byte key always fits AES-256-GCM.
            seal: LessSafeKey::new(unbound.unwrap_or_else(|_| unreachable!("32-byte key"))),
        }
    }

    /// The environment's key, else the data folder's key file (made on first start).
    pub fn load(data_dir: &Path) -> std::io::Result<ServerKeys> {
        if let Ok(hex) = std::env::var(KEY_ENV) {
            let bytes = perlinsos_rules::hex::decode(hex.trim())
                .filter(|b| b.len() == 32)
                .ok_or_else(|| std::io::Error::other(format!("{KEY_ENV} must be 64 hex digits")))?;
            let mut secret = [0u8; 32];
            secret.copy_from_slice(&bytes);
            return Ok(ServerKeys::from_secret(&secret));
        }
        let path = data_dir.join(KEY_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut secret = [0u8; 32];
                SystemRandom::new()
                    .fill(&mut secret)
                    .map_err(|_| std::io::Error::other("no randomness"))?;
                let mut file = crate::private_file::options()
                    .create_new(true)
                    .open(&path)?;
                file.write_all(&secret)?;
                file.sync_all()?;
                secret.to_vec()
            }
            Err(e) => return Err(e),
        };
        let secret: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| std::io::Error::other("data.key must hold 32 bytes"))?;
        Ok(ServerKeys::from_secret(&secret))
    }

    /// `plaintext` sealed with a fresh random nonce; `context` (what the value is, and whose)
    /// is bound as associated data, so a sealed value moved to another row does not open.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| std::io::Error::other("no randomness"))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + 16);
        out.push(SEAL_VERSION);
        out.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        self.seal
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut body,
            )
            .map_err(|_| std::io::Error::other("seal failed"))?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// The plaintext of a value sealed for `context`, or None if it is not one.
    pub fn open(&self, context: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        let (&version, rest) = sealed.split_first()?;
        if version != SEAL_VERSION || rest.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut body = body.to_vec();
        let plain = self
            .seal
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut body)
            .ok()?;
        Some(plain.to_vec())
    }

    /// The blind index of a NIK or KK (canonical digits), for look-ups by equality.
    pub fn blind(&self, domain: Blind, value: &str) -> Vec<u8> {
        let canonical = perlinsos_rules::identity::canonical(value);
        let mut context = hmac::Context::with_key(&self.blind);
        context.update(domain.label());
        context.update(canonical.as_bytes());
        context.sign().as_ref()[..16].to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blind_indexes_depend_on_key_domain_and_digits_only() {
        let a = ServerKeys::from_secret(&[1; 32]);
        let b = ServerKeys::from_secret(&[2; 32]);
        let nik = "5271014101900001";
        assert_eq!(a.blind(Blind::Nik, nik), a.blind(Blind::Nik, nik));
        assert_ne!(a.blind(Blind::Nik, nik), b.blind(Blind::Nik, nik));
        assert_ne!(a.blind(Blind::Nik, nik), a.blind(Blind::Kk, nik));
        assert_ne!(
            a.blind(Blind::Nik, nik),
            a.blind(Blind::Nik, "5271014101900002")
        );
    }

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let a = ServerKeys::from_secret(&[1; 32]);
        let b = ServerKeys::from_secret(&[2; 32]);
        let sealed = a.seal("entry\ne1", b"Baiq Nurul").unwrap();
        assert!(!sealed.windows(4).any(|w| w == b"Baiq"));
        assert_eq!(a.open("entry\ne1", &sealed).unwrap(), b"Baiq Nurul");
        assert!(
            a.open("entry\ne2", &sealed).is_none(),
            "moved to another row"
        );
        assert!(b.open("entry\ne1", &sealed).is_none(), "another key");
        assert_ne!(
            sealed,
            a.seal("entry\ne1", b"Baiq Nurul").unwrap(),
            "fresh nonce"
        );
        for cut in 0..sealed.len() {
            assert!(a.open("entry\ne1", &sealed[..cut]).is_none());
        }
    }

    #[test]
    fn the_key_file_is_made_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = ServerKeys::load(dir.path()).unwrap();
        let again = ServerKeys::load(dir.path()).unwrap();
        assert_eq!(first.blind(Blind::Kk, "1"), again.blind(Blind::Kk, "1"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
