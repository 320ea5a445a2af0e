//! Signed model files. The district server signs the exact bytes of the model JSON with its
//! Ed25519 key; the phone accepts a model only under a key it trusts, and only where and when
//! the model says it applies.
use ring::signature::{Ed25519KeyPair, UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};

use super::model::Model;
use crate::date::Date;
use crate::error::{Error, ErrorCode, Result};

/// Signatures cover this prefix and the payload, so they cannot be replayed for other kinds
/// of signed data.
const CONTEXT: &[u8] = b"perlinsos/pmt-model/v1\n";
/// No real model comes near this; a bigger file is refused before parsing.
pub const MAX_FILE_BYTES: usize = 1 << 20;

/// The file a district publishes: the model as JSON text, and its signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedModel {
    pub key_id: String,
    /// The model's JSON, exactly as signed.
    pub payload: String,
    /// Ed25519 signature, hex.
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    pub key_id: String,
    pub public_key: Vec<u8>,
}

fn refuse(code: ErrorCode) -> Error {
    Error::invalid("model", code)
}

pub use crate::hex::{decode as from_hex, encode as to_hex};

/// Signs a model (district server and operator tools). The payload is checked first, so a
/// district never publishes a model the phones would refuse.
pub fn sign(model_json: &str, key_id: &str, key: &Ed25519KeyPair) -> Result<SignedModel> {
    Model::parse(model_json.as_bytes())?;
    let mut message = CONTEXT.to_vec();
    message.extend_from_slice(model_json.as_bytes());
    Ok(SignedModel {
        key_id: key_id.to_owned(),
        payload: model_json.to_owned(),
        signature: to_hex(key.sign(&message).as_ref()),
    })
}

/// Parses and verifies a published model file; nothing in it is trusted before the signature.
pub fn verify(file: &[u8], trusted: &[TrustedKey]) -> Result<Model> {
    if file.len() > MAX_FILE_BYTES {
        return Err(refuse(ErrorCode::PmtModelInvalid));
    }
    let signed: SignedModel =
        serde_json::from_slice(file).map_err(|_| refuse(ErrorCode::PmtModelUnsigned))?;
    let key = trusted
        .iter()
        .find(|k| k.key_id == signed.key_id)
        .ok_or_else(|| refuse(ErrorCode::PmtModelUnsigned))?;
    let signature =
        from_hex(&signed.signature).ok_or_else(|| refuse(ErrorCode::PmtSignatureInvalid))?;
    let mut message = CONTEXT.to_vec();
    message.extend_from_slice(signed.payload.as_bytes());
    UnparsedPublicKey::new(&ED25519, &key.public_key)
        .verify(&message, &signature)
        .map_err(|_| refuse(ErrorCode::PmtSignatureInvalid))?;
    Model::parse(signed.payload.as_bytes())
}

/// Whether `model` may score a household in `region_code` on `date`.
pub fn usable(model: &Model, region_code: &str, date: Date) -> Result<()> {
    if date < model.effective_from || model.effective_until.is_some_and(|until| date > until) {
        return Err(refuse(ErrorCode::PmtModelExpired));
    }
    if !model.region.contains(region_code) {
        return Err(refuse(ErrorCode::PmtModelOutOfRegion));
    }
    Ok(())
}

/// The model to use for a household: among those usable there and then, the most specific
/// region (kabupaten/kota, then province, then national), then the latest effective date, then
/// the highest version.
pub fn select_active<'a>(models: &'a [Model], region_code: &str, date: Date) -> Result<&'a Model> {
    let specificity = |m: &Model| {
        let by = |codes: &[String]| codes.iter().any(|c| region_code.starts_with(c.as_str()));
        if by(&m.region.kabupaten) {
            2
        } else if by(&m.region.provinces) {
            1
        } else {
            0
        }
    };
    models
        .iter()
        .filter(|m| usable(m, region_code, date).is_ok())
        .max_by_key(|m| (specificity(m), m.effective_from, m.version))
        .ok_or_else(|| refuse(ErrorCode::PmtNoActiveModel))
}
