//! Field encryption and blind indexes.
//!
//! One random 256-bit data key per device store. Two subkeys are derived from it with HKDF:
//! one for AES-256-GCM on personal fields, one for the HMAC blind index. Every sealed value
//! carries a fresh random nonce and is bound (as associated data) to its table, column and row,
//! so a ciphertext copied into another row or column fails to open.
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::hkdf;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};

const FORMAT_VERSION: u8 = 1;

/// Fills `out` from the operating system's CSPRNG through a small per-thread buffer: a
/// registration needs some thirty nonces and ids, and one system call per 4 kB instead of one
/// each is measurable. Bytes are handed out once and the buffer is zeroed as it is used.
pub fn random_bytes(out: &mut [u8]) -> Result<()> {
    use std::cell::RefCell;
    const POOL: usize = 4096;
    thread_local! {
        static BUFFER: RefCell<(Zeroizing<Vec<u8>>, usize)> =
            RefCell::new((Zeroizing::new(vec![0; POOL]), POOL));
    }
    if out.len() > POOL {
        return SystemRandom::new().fill(out).map_err(|_| Error::Crypto);
    }
    BUFFER.with(|cell| {
        let mut guard = cell.borrow_mut();
        let (buffer, used) = &mut *guard;
        if POOL - *used < out.len() {
            SystemRandom::new()
                .fill(buffer.as_mut_slice())
                .map_err(|_| Error::Crypto)?;
            *used = 0;
        }
        let taken = &mut buffer[*used..*used + out.len()];
        out.copy_from_slice(taken);
        taken.zeroize();
        *used += out.len();
        Ok(())
    })
}
const TAG_LEN: usize = 16;
pub const BLIND_INDEX_LEN: usize = 16;

/// The device's data key. Zeroed on drop; never leaves Rust.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    pub fn generate() -> Result<DataKey> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        SystemRandom::new()
            .fill(bytes.as_mut())
            .map_err(|_| Error::Crypto)?;
        Ok(DataKey(bytes))
    }

    pub fn from_bytes(mut bytes: [u8; 32]) -> DataKey {
        let key = DataKey(Zeroizing::new(bytes));
        bytes.zeroize();
        key
    }

    /// For wrapping the key under an agent's PIN (agents issue); nothing else should need it.
    pub fn expose_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Which cell a sealed value belongs to: its table, column and row id.
#[derive(Debug, Clone, Copy)]
pub struct Cell<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub row: &'a str,
}

impl<'a> Cell<'a> {
    pub fn new(table: &'a str, column: &'a str, row: &'a str) -> Cell<'a> {
        Cell { table, column, row }
    }

    fn associated_data(&self) -> Vec<u8> {
        let mut aad =
            Vec::with_capacity(16 + self.table.len() + self.column.len() + self.row.len());
        aad.extend_from_slice(b"perlinsos/field/v1\0");
        for part in [self.table, self.column, self.row] {
            aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
            aad.extend_from_slice(part.as_bytes());
        }
        aad
    }
}

/// Seals and opens personal fields; computes blind indexes.
pub struct Cipher {
    aead: LessSafeKey,
    index: hmac::Key,
}

struct Len(usize);
impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn derive(key: &DataKey, label: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"perlinsos/data-key/v1").extract(&key.0[..]);
    let mut out = Zeroizing::new([0u8; 32]);
    prk.expand(&[label], Len(32))
        .and_then(|okm| okm.fill(out.as_mut()))
        .map_err(|_| Error::Crypto)?;
    Ok(out)
}

impl Cipher {
    pub fn new(key: &DataKey) -> Result<Cipher> {
        let aead_key = derive(key, b"field-aead")?;
        let index_key = derive(key, b"blind-index")?;
        let unbound = UnboundKey::new(&AES_256_GCM, &aead_key[..]).map_err(|_| Error::Crypto)?;
        Ok(Cipher {
            aead: LessSafeKey::new(unbound),
            index: hmac::Key::new(hmac::HMAC_SHA256, &index_key[..]),
        })
    }

    /// `version || nonce || ciphertext || tag`
    pub fn seal(&self, cell: Cell<'_>, plaintext: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        random_bytes(&mut nonce)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + TAG_LEN);
        out.push(FORMAT_VERSION);
        out.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        self.aead
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(cell.associated_data()),
                &mut body,
            )
            .map_err(|_| Error::Crypto)?;
        out.extend_from_slice(&body);
        body.zeroize();
        Ok(out)
    }

    pub fn open(&self, cell: Cell<'_>, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != FORMAT_VERSION {
            return Err(Error::Crypto);
        }
        let nonce = Nonce::try_assume_unique_for_key(&sealed[1..1 + NONCE_LEN])
            .map_err(|_| Error::Crypto)?;
        let mut body = Zeroizing::new(sealed[1 + NONCE_LEN..].to_vec());
        let len = self
            .aead
            .open_in_place(nonce, Aad::from(cell.associated_data()), &mut body)
            .map_err(|_| Error::Crypto)?
            .len();
        body.truncate(len);
        Ok(body)
    }

    pub fn seal_str(&self, cell: Cell<'_>, text: &str) -> Result<Vec<u8>> {
        self.seal(cell, text.as_bytes())
    }

    pub fn open_string(&self, cell: Cell<'_>, sealed: &[u8]) -> Result<String> {
        let bytes = self.open(cell, sealed)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| Error::Corrupt("sealed text is not UTF-8"))
    }

    pub fn seal_json<T: serde::Serialize>(&self, cell: Cell<'_>, value: &T) -> Result<Vec<u8>> {
        let json = Zeroizing::new(
            serde_json::to_vec(value).map_err(|_| Error::Corrupt("unserializable value"))?,
        );
        self.seal(cell, &json)
    }

    pub fn open_json<T: serde::de::DeserializeOwned>(
        &self,
        cell: Cell<'_>,
        sealed: &[u8],
    ) -> Result<T> {
        let json = self.open(cell, sealed)?;
        serde_json::from_slice(&json).map_err(|_| Error::Corrupt("sealed JSON does not parse"))
    }

    /// Keyed HMAC of a canonical value, so equal values can be found without storing them.
    /// `domain` separates kinds of values (a NIK never matches a KK with the same digits).
    /// Truncated to 128 bits: collisions stay out of reach for any number of people, and the
    /// index is half the size.
    pub fn blind_index(&self, domain: &str, value: &str) -> Vec<u8> {
        let mut ctx = hmac::Context::with_key(&self.index);
        ctx.update(&(domain.len() as u32).to_be_bytes());
        ctx.update(domain.as_bytes());
        ctx.update(value.as_bytes());
        ctx.sign().as_ref()[..BLIND_INDEX_LEN].to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> Cipher {
        Cipher::new(&DataKey::from_bytes([7; 32])).unwrap()
    }

    #[test]
    fn sealed_field_opens_in_its_own_cell_only() {
        let c = cipher();
        let cell = Cell::new("members", "nik", "row-1");
        let sealed = c.seal_str(cell, "5271011705850001").unwrap();
        assert_eq!(c.open_string(cell, &sealed).unwrap(), "5271011705850001");
        for other in [
            Cell::new("members", "nik", "row-2"),
            Cell::new("members", "full_name", "row-1"),
            Cell::new("households", "nik", "row-1"),
        ] {
            assert!(matches!(c.open(other, &sealed), Err(Error::Crypto)));
        }
    }

    #[test]
    fn every_seal_uses_a_fresh_nonce() {
        let c = cipher();
        let cell = Cell::new("t", "c", "r");
        assert_ne!(
            c.seal_str(cell, "same").unwrap(),
            c.seal_str(cell, "same").unwrap()
        );
    }

    #[test]
    fn tampering_or_wrong_key_is_detected() {
        let c = cipher();
        let cell = Cell::new("t", "c", "r");
        let mut sealed = c.seal_str(cell, "Siti Aminah").unwrap();
        let other = Cipher::new(&DataKey::from_bytes([8; 32])).unwrap();
        assert!(other.open(cell, &sealed).is_err());
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(c.open(cell, &sealed).is_err());
        assert!(c.open(cell, &[1, 2, 3]).is_err());
        assert!(c.open(cell, &[]).is_err());
    }

    #[test]
    fn blind_index_is_keyed_and_domain_separated() {
        let c = cipher();
        let a = c.blind_index("nik", "5271011705850001");
        assert_eq!(a, c.blind_index("nik", "5271011705850001"));
        assert_ne!(a, c.blind_index("kk", "5271011705850001"));
        let other = Cipher::new(&DataKey::from_bytes([8; 32])).unwrap();
        assert_ne!(a, other.blind_index("nik", "5271011705850001"));
    }

    #[test]
    fn pooled_random_bytes_never_repeat() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2000 {
            let mut nonce = [0u8; NONCE_LEN];
            random_bytes(&mut nonce).unwrap();
            assert!(seen.insert(nonce));
        }
        let mut big = vec![0u8; 5000];
        random_bytes(&mut big).unwrap();
        assert!(big.iter().any(|&b| b != 0));
    }

    #[test]
    fn generated_keys_differ() {
        let a = DataKey::generate().unwrap();
        let b = DataKey::generate().unwrap();
        assert_ne!(a.expose_bytes(), b.expose_bytes());
    }
}
