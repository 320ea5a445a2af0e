//! The server's data key: 32 random bytes kept outside the database, in the environment
//! (`PERLINSOS_DATA_KEY`) or in `data.key` in the data folder (created mode 0600 on first
//! start). Blind indexes for NIK and KK are keyed HMACs derived from it, so the database alone
//! does not tell whose NIK a row holds, nor can its indexes be rebuilt from a list of NIKs
//! without the key. Records, changes, recipient lists, photos and the district's signing key
//! are sealed at rest with AES-256-GCM under another key derived from it.
//!
//! Every data key has a version (1 for the first): a sealed value starts with the version of
//! the key that sealed it. `rotate-data-key` (`data_key_rotation`) makes the next version and
//! reseals everything; while it runs, `ServerKeys` seals with the new key and still opens the
//! old one's values. Blind indexes carry no version: the rotation rebuilds them row by row.
use std::io::Write;
use std::path::Path;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::hkdf::{Salt, HKDF_SHA256};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::{Zeroize, Zeroizing};

pub const KEY_FILE: &str = "data.key";
pub const KEY_ENV: &str = "PERLINSOS_DATA_KEY";

/// The derived keys of one data key version.
struct Derived {
    version: u8,
    blind: hmac::Key,
    seal: LessSafeKey,
    /// A one-way value naming the key (to tell two keys apart without holding either).
    check: [u8; 16],
}

pub struct ServerKeys {
    current: Derived,
    /// While a rotation runs: the previous key, which opens what it sealed and seals nothing.
    older: Option<Derived>,
}

/// A data key and its version, zeroed on drop.
pub struct DataSecret {
    pub version: u8,
    pub bytes: Zeroizing<[u8; 32]>,
}

impl DataSecret {
    /// A fresh random key of `version`.
    pub fn generate(version: u8) -> std::io::Result<DataSecret> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        SystemRandom::new()
            .fill(&mut bytes[..])
            .map_err(|_| std::io::Error::other("no randomness"))?;
        Ok(DataSecret { version, bytes })
    }

    /// A key file: 32 bytes (version 1, as first made), or its version byte then 32 bytes.
    pub fn from_file_bytes(raw: &[u8]) -> Option<DataSecret> {
        let (version, key) = match raw.len() {
            32 => (1, raw),
            33 if raw[0] >= 2 => (raw[0], &raw[1..]),
            _ => return None,
        };
        let mut bytes = Zeroizing::new([0u8; 32]);
        bytes.copy_from_slice(key);
        Some(DataSecret { version, bytes })
    }

    /// What `from_file_bytes` reads back (version 1 stays the bare 32 bytes older servers read).
    pub fn file_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(33));
        if self.version != 1 {
            out.push(self.version);
        }
        out.extend_from_slice(&self.bytes[..]);
        out
    }

    /// 64 hex digits (version `default_version`), or `<version>:<64 hex digits>`.
    pub fn from_text(text: &str, default_version: u8) -> Option<DataSecret> {
        let text = text.trim();
        let (version, hex) = match text.split_once(':') {
            Some((v, hex)) => (v.parse::<u8>().ok().filter(|v| *v >= 1)?, hex),
            None => (default_version, text),
        };
        let decoded = Zeroizing::new(perlinsos_rules::hex::decode(hex)?);
        let mut bytes = Zeroizing::new([0u8; 32]);
        if decoded.len() != 32 {
            return None;
        }
        bytes.copy_from_slice(&decoded);
        Some(DataSecret { version, bytes })
    }

    /// The environment's key (`PERLINSOS_DATA_KEY`), if it is set.
    pub fn from_env() -> std::io::Result<Option<DataSecret>> {
        match std::env::var(KEY_ENV) {
            Ok(text) => DataSecret::from_text(&text, 1).map(Some).ok_or_else(|| {
                std::io::Error::other(format!(
                    "{KEY_ENV} must be 64 hex digits, or <version>:<64 hex digits>"
                ))
            }),
            Err(_) => Ok(None),
        }
    }

    /// The data folder's key file, made (version 1) if there is none.
    pub fn from_folder(data_dir: &Path) -> std::io::Result<DataSecret> {
        let path = data_dir.join(KEY_FILE);
        match std::fs::read(&path) {
            Ok(raw) => {
                let raw = Zeroizing::new(raw);
                DataSecret::from_file_bytes(&raw).ok_or_else(|| {
                    std::io::Error::other(
                        "data.key must hold 32 bytes (or a version byte and 32 bytes)",
                    )
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secret = DataSecret::generate(1)?;
                let mut file = crate::private_file::options()
                    .create_new(true)
                    .open(&path)?;
                file.write_all(&secret.file_bytes())?;
                file.sync_all()?;
                Ok(secret)
            }
            Err(e) => Err(e),
        }
    }
}

/// The version byte that starts a sealed value (None for an empty one).
pub fn sealed_version(sealed: &[u8]) -> Option<u8> {
    sealed.first().copied()
}

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

impl Derived {
    fn new(version: u8, secret: &[u8; 32]) -> Derived {
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
        let mut blind = derive(b"blind-index");
        let blind_key = hmac::Key::new(hmac::HMAC_SHA256, &blind);
        blind.zeroize();
        let mut check = [0u8; 16];
        check.copy_from_slice(&derive(b"key-check")[..16]);
        Derived {
            version,
            blind: blind_key,
            // A 32-byte key always fits AES-256-GCM.
            seal: LessSafeKey::new(unbound.unwrap_or_else(|_| unreachable!("32-byte key"))),
            check,
        }
    }
}

impl ServerKeys {
    /// A version-1 key (the first a server makes).
    pub fn from_secret(secret: &[u8; 32]) -> ServerKeys {
        ServerKeys::of(&DataSecret {
            version: 1,
            bytes: Zeroizing::new(*secret),
        })
    }

    pub fn of(secret: &DataSecret) -> ServerKeys {
        ServerKeys {
            current: Derived::new(secret.version, &secret.bytes),
            older: None,
        }
    }

    /// These keys, also opening what `older` sealed (while a rotation runs).
    pub fn opening_also(mut self, older: &DataSecret) -> ServerKeys {
        self.older = Some(Derived::new(older.version, &older.bytes));
        self
    }

    /// The version of the key that seals.
    pub fn version(&self) -> u8 {
        self.current.version
    }

    /// A one-way value naming the sealing key.
    pub fn check(&self) -> [u8; 16] {
        self.current.check
    }

    /// The environment's key, else the data folder's key file (made on first start).
    pub fn load(data_dir: &Path) -> std::io::Result<ServerKeys> {
        let secret = match DataSecret::from_env()? {
            Some(secret) => secret,
            None => DataSecret::from_folder(data_dir)?,
        };
        Ok(ServerKeys::of(&secret))
    }

    /// `plaintext` sealed with a fresh random nonce; `context` (what the value is, and whose)
    /// is bound as associated data, so a sealed value moved to another row does not open.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| std::io::Error::other("no randomness"))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + 16);
        out.push(self.current.version);
        out.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        self.current
            .seal
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut body,
            )
            .map_err(|_| std::io::Error::other("seal failed"))?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// The plaintext of a value sealed for `context`, or None if it is not one (or its key
    /// version is not one these keys hold).
    pub fn open(&self, context: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        let (&version, rest) = sealed.split_first()?;
        let key = if version == self.current.version {
            &self.current
        } else {
            self.older.as_ref().filter(|o| o.version == version)?
        };
        if rest.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut body = body.to_vec();
        let plain = key
            .seal
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut body)
            .ok()?;
        Some(plain.to_vec())
    }

    /// The blind index of a NIK or KK (canonical digits), for look-ups by equality.
    pub fn blind(&self, domain: Blind, value: &str) -> Vec<u8> {
        let canonical = perlinsos_rules::identity::canonical(value);
        let mut context = hmac::Context::with_key(&self.current.blind);
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

    fn secret(version: u8, byte: u8) -> DataSecret {
        DataSecret {
            version,
            bytes: Zeroizing::new([byte; 32]),
        }
    }

    #[test]
    fn a_new_version_seals_under_its_own_byte_and_opens_the_older_only_while_told_to() {
        let old = ServerKeys::of(&secret(1, 1));
        let sealed_old = old.seal("entry\ne1", b"Baiq Nurul").unwrap();
        let rotating = ServerKeys::of(&secret(2, 2)).opening_also(&secret(1, 1));
        let sealed_new = rotating.seal("entry\ne1", b"Baiq Nurul").unwrap();
        assert_eq!((sealed_old[0], sealed_new[0]), (1, 2));
        assert_eq!(
            rotating.open("entry\ne1", &sealed_old).unwrap(),
            b"Baiq Nurul"
        );
        assert_eq!(
            rotating.open("entry\ne1", &sealed_new).unwrap(),
            b"Baiq Nurul"
        );
        let after = ServerKeys::of(&secret(2, 2));
        assert!(
            after.open("entry\ne1", &sealed_old).is_none(),
            "old key retired"
        );
        assert!(old.open("entry\ne1", &sealed_new).is_none());
        // The version byte only picks the key: the old secret labelled 2 opens nothing new.
        assert!(ServerKeys::of(&secret(2, 1))
            .open("entry\ne1", &sealed_new)
            .is_none());
        // Blind indexes and the key check follow the sealing key.
        assert_eq!(
            rotating.blind(Blind::Nik, "5271014101900001"),
            after.blind(Blind::Nik, "5271014101900001")
        );
        assert_ne!(
            rotating.blind(Blind::Nik, "5271014101900001"),
            old.blind(Blind::Nik, "5271014101900001")
        );
        assert_eq!(rotating.check(), after.check());
        assert_ne!(rotating.check(), old.check());
    }

    #[test]
    fn key_files_and_key_texts_carry_their_version() {
        let first = DataSecret::from_file_bytes(&[5; 32]).unwrap();
        assert_eq!(first.version, 1);
        assert_eq!(&first.file_bytes()[..], &[5; 32][..]);
        let second = secret(2, 6);
        let bytes = second.file_bytes();
        assert_eq!(bytes.len(), 33);
        let read = DataSecret::from_file_bytes(&bytes).unwrap();
        assert_eq!((read.version, *read.bytes), (2, [6; 32]));
        for bad in [
            &[1u8; 31][..],
            &[1u8; 33][..],
            &[0u8; 33][..],
            &[2u8; 34][..],
        ] {
            assert!(DataSecret::from_file_bytes(bad).is_none(), "{}", bad.len());
        }
        let hex = "07".repeat(32);
        let plain = DataSecret::from_text(&hex, 1).unwrap();
        assert_eq!((plain.version, *plain.bytes), (1, [7; 32]));
        let labelled = DataSecret::from_text(&format!("3:{hex}\n"), 1).unwrap();
        assert_eq!(labelled.version, 3);
        for bad in [
            format!("0:{hex}"),
            format!("256:{hex}"),
            format!("x:{hex}"),
            "07".repeat(31),
            format!("{hex}0"),
        ] {
            assert!(DataSecret::from_text(&bad, 1).is_none(), "{bad}");
        }
    }
}
