//! Key wrapping: an agent's data key sealed (AES-256-GCM) under a key derived from the PIN with
//! PBKDF2-HMAC-SHA256 and the platform secret, and a second copy under the district's recovery
//! secret, so a forgotten PIN never costs data that has not reached the server.
use std::num::NonZeroU32;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::{hkdf, pbkdf2};
use zeroize::Zeroizing;

use crate::crypt::{random_bytes, DataKey};
use crate::error::{Error, Result};

/// OWASP's 2023 floor for PBKDF2-HMAC-SHA256.
pub const PIN_ITERATIONS: u32 = 310_000;

struct Len32;
impl hkdf::KeyType for Len32 {
    fn len(&self) -> usize {
        32
    }
}

/// A 256-bit key-encryption key from `secret`, bound to a purpose and mixed with the platform
/// secret (empty when the platform has none).
fn kek(secret: &[u8], platform_secret: &[u8], purpose: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, platform_secret).extract(secret);
    let mut out = Zeroizing::new([0u8; 32]);
    prk.expand(&[b"perlinsos/kek/v1\n", purpose], Len32)
        .and_then(|okm| okm.fill(out.as_mut()))
        .map_err(|_| Error::Crypto)?;
    Ok(out)
}

/// The PIN's key: PBKDF2 over the PIN and the profile's salt, then mixed with the platform
/// secret. This is the slow step of unlocking, on purpose.
pub fn pin_kek(
    pin: &str,
    salt: &[u8],
    iterations: u32,
    platform_secret: &[u8],
) -> Result<Zeroizing<[u8; 32]>> {
    let iterations = NonZeroU32::new(iterations).ok_or(Error::Crypto)?;
    let mut stretched = Zeroizing::new([0u8; 32]);
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        salt,
        pin.as_bytes(),
        stretched.as_mut(),
    );
    kek(&stretched[..], platform_secret, b"pin")
}

/// The device key's sealing key: from the platform secret and the device's salt.
pub fn device_kek(platform_secret: &[u8], salt: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
    kek(salt, platform_secret, b"device")
}

/// The key of reference data the whole phone shares (recipient lists): any agent on the
/// phone reads them, and the database file alone does not.
pub fn reference_key(platform_secret: &[u8], salt: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
    kek(salt, platform_secret, b"reference-data")
}

/// The recovery secret's key (the district holds the secret; the phone does not keep it).
pub fn recovery_kek(secret: &[u8], platform_secret: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
    kek(secret, platform_secret, b"recovery")
}

fn aead(kek: &[u8; 32]) -> Result<LessSafeKey> {
    Ok(LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, kek).map_err(|_| Error::Crypto)?,
    ))
}

/// `nonce || sealed key || tag`, bound to `context` (the agent id).
pub fn wrap(key: &DataKey, kek: &[u8; 32], context: &str) -> Result<Vec<u8>> {
    seal(key.expose_bytes(), kek, context)
}

/// `nonce || sealed bytes || tag`, bound to `context`.
pub fn seal(plain: &[u8], kek: &[u8; 32], context: &str) -> Result<Vec<u8>> {
    let mut nonce = [0u8; NONCE_LEN];
    random_bytes(&mut nonce)?;
    let mut sealed = plain.to_vec();
    aead(kek)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(context.as_bytes()),
            &mut sealed,
        )
        .map_err(|_| Error::Crypto)?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// The data key, or None when the KEK is wrong (a wrong PIN) or the bytes were changed.
pub fn unwrap(wrapped: &[u8], kek: &[u8; 32], context: &str) -> Result<Option<DataKey>> {
    if wrapped.len() != NONCE_LEN + 32 + 16 {
        return Err(Error::Corrupt("wrapped key"));
    }
    Ok(open(wrapped, kek, context)?.map(|plain| {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&plain);
        DataKey::from_bytes(bytes)
    }))
}

/// The sealed bytes, or None when the KEK is wrong or the bytes were changed.
pub fn open(sealed: &[u8], kek: &[u8; 32], context: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
    if sealed.len() < NONCE_LEN + 16 {
        return Err(Error::Corrupt("sealed key"));
    }
    let (nonce, sealed) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| Error::Crypto)?;
    let mut buffer = Zeroizing::new(sealed.to_vec());
    let Ok(plain) = aead(kek)?.open_in_place(nonce, Aad::from(context.as_bytes()), &mut buffer)
    else {
        return Ok(None);
    };
    Ok(Some(Zeroizing::new(plain.to_vec())))
}
