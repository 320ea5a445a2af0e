//! The attestation: a canonical, versioned byte encoding of what identifies a photo and where
//! it belongs, signed with the device's Ed25519 key. The server verifies it against the bytes
//! it received; changing one byte of either makes verification fail.
use ring::signature::{Ed25519KeyPair, UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};

use super::{hex, sha256, Gps, Normalized};
use crate::error::{Error, ErrorCode, Result};

/// Signatures cover this prefix, so they cannot be replayed as any other signed kind.
const CONTEXT: &str = "perlinsos/evidence-attestation/v1\n";
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    pub version: u32,
    /// Hex SHA-256 of the normalized JPEG.
    pub sha256: String,
    /// Hex of the 64-bit perceptual hash the phone computed.
    pub phash: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    /// Capture time on the phone's clock, Unix milliseconds.
    pub captured_at: i64,
    pub gps: Option<Gps>,
    pub device_id: String,
    pub record_id: String,
    /// Hex Ed25519 signature of [`Attestation::canonical_bytes`].
    pub signature: String,
}

fn invalid() -> Error {
    Error::invalid("attestation", ErrorCode::EvidenceAttestationInvalid)
}

/// Ids go into the canonical text as they are: printable ASCII, no separators.
fn check_id(id: &str) -> Result<()> {
    let ok =
        !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic() && b != b'=');
    if ok {
        Ok(())
    } else {
        Err(invalid())
    }
}

impl Attestation {
    /// One `name=value` line per field, in a fixed order, after the context line. Floats are
    /// written with seven decimals (about 1 cm), so the text is the same on every platform.
    pub fn canonical_bytes(&self) -> Result<Vec<u8>> {
        check_id(&self.device_id)?;
        check_id(&self.record_id)?;
        let gps = match self.gps {
            Some(g) if g.latitude.is_finite() && g.longitude.is_finite() => {
                format!("{:.7},{:.7}", g.latitude, g.longitude)
            }
            Some(_) => return Err(invalid()),
            None => "-".to_owned(),
        };
        let text = format!(
            "{CONTEXT}version={}\nsha256={}\nphash={}\nwidth={}\nheight={}\nbytes={}\n\
             captured_at={}\ngps={gps}\ndevice_id={}\nrecord_id={}\n",
            self.version,
            self.sha256,
            self.phash,
            self.width,
            self.height,
            self.bytes,
            self.captured_at,
            self.device_id,
            self.record_id
        );
        Ok(text.into_bytes())
    }
}

/// Signs the attestation of a normalized photo for a record.
pub fn attest(
    photo: &Normalized,
    captured_at: i64,
    gps: Option<Gps>,
    device_id: &str,
    record_id: &str,
    key: &Ed25519KeyPair,
) -> Result<Attestation> {
    let mut attestation = Attestation {
        version: VERSION,
        sha256: photo.sha256_hex(),
        phash: photo.phash_hex(),
        width: photo.width,
        height: photo.height,
        bytes: photo.jpeg.len() as u64,
        captured_at,
        gps,
        device_id: device_id.to_owned(),
        record_id: record_id.to_owned(),
        signature: String::new(),
    };
    attestation.signature = hex(key.sign(&attestation.canonical_bytes()?).as_ref());
    Ok(attestation)
}

/// What the server checks: the signature under the device's public key, and that the JPEG is
/// the one described (hash, length, and the size in its header).
pub fn verify(attestation: &Attestation, jpeg: &[u8], device_public_key: &[u8]) -> Result<()> {
    if attestation.version != VERSION
        || attestation.sha256 != hex(&sha256(jpeg))
        || attestation.bytes != jpeg.len() as u64
    {
        return Err(invalid());
    }
    if super::decode::jpeg_size(jpeg).map_err(|_| invalid())?
        != (attestation.width, attestation.height)
    {
        return Err(invalid());
    }
    let signature = crate::hex::decode(&attestation.signature).ok_or_else(invalid)?;
    UnparsedPublicKey::new(&ED25519, device_public_key)
        .verify(&attestation.canonical_bytes()?, &signature)
        .map_err(|_| invalid())
}
