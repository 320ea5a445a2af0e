//! The server's data key: 32 random bytes kept outside the database, in the environment
//! (`PERLINSOS_DATA_KEY`, 64 hex digits) or in `data.key` in the data folder (created mode
//! 0600 on first start). Blind indexes for NIK and KK are keyed HMACs derived from it, so the
//! database alone does not tell whose NIK a row holds, nor can its indexes be rebuilt from a
//! list of NIKs without the key.
use std::io::Write;
use std::path::Path;

use ring::hkdf::{Salt, HKDF_SHA256};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

pub const KEY_FILE: &str = "data.key";
pub const KEY_ENV: &str = "PERLINSOS_DATA_KEY";

pub struct ServerKeys {
    blind: hmac::Key,
}

/// Blind-index domains: a KK number and a NIK of the same digits index differently.
#[derive(Debug, Clone, Copy)]
pub enum Blind {
    Nik,
    Kk,
}

impl Blind {
    fn label(self) -> &'static [u8] {
        match self {
            Blind::Nik => b"nik\n",
            Blind::Kk => b"kk\n",
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
        let mut blind = [0u8; 32];
        let filled = prk
            .expand(&[b"blind-index"], Len32)
            .and_then(|okm| okm.fill(&mut blind));
        // HKDF-SHA256 always yields 32 bytes; expand only fails for lengths over 8160.
        debug_assert!(filled.is_ok());
        ServerKeys {
            blind: hmac::Key::new(hmac::HMAC_SHA256, &blind),
        }
    }

    /// The environment's key, else the data folder's key file (made on first start).
    pub fn load(data_dir: &Path) -> std::io::Result<ServerKeys> {
        if let Ok(hex) = std::env::var(KEY_ENV) {
            let bytes = perlinsos_core::hex::decode(hex.trim())
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
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(&path)?;
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

    /// The blind index of a NIK or KK (canonical digits), for look-ups by equality.
    pub fn blind(&self, domain: Blind, value: &str) -> Vec<u8> {
        let canonical = perlinsos_core::identity::canonical(value);
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
