//! Receipts residents keep: each visit (and later objection or proposal) carries its device's
//! signature over the receipt text; the server checks it as the record arrives and keeps the
//! short code, so an officer can confirm a receipt a resident shows — by code or QR payload.
use perlinsos_protocol::signing;
use ring::signature::{UnparsedPublicKey, ED25519};

use crate::db::{self, DbResult, Tx};
use crate::AppState;

/// Whether `signature_hex` is the device's signature over the receipt of this record.
pub fn signature_holds(
    public_key: &[u8],
    kind: &str,
    record_id: &str,
    device_id: &str,
    at: i64,
    signature_hex: &str,
) -> bool {
    let Some(signature) = perlinsos_rules::hex::decode(signature_hex) else {
        return false;
    };
    let text = signing::resident_receipt_text(kind, record_id, device_id, at);
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(&text, &signature)
        .is_ok()
}

/// Keeps a checked receipt, in the record's transaction.
pub fn insert(
    tx: &mut dyn Tx,
    kind: &str,
    record_id: &str,
    device_id: &str,
    at: i64,
    signature_hex: &str,
) -> DbResult<()> {
    let signature = perlinsos_rules::hex::decode(signature_hex).unwrap_or_default();
    tx.execute(
        "INSERT INTO resident_receipts (code, record_kind, record_id, device_id, at, signature)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
        &[
            db::text(signing::receipt_code(&signature)),
            db::text(kind),
            db::text(record_id),
            db::text(device_id),
            db::int(at),
            db::text(signature_hex),
        ],
    )
    .map(drop)
}

/// What an officer learns about a receipt a resident shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub code: String,
    pub record_kind: String,
    pub record_id: String,
    pub device_id: String,
    pub at: i64,
    /// The record's status on the server (a visit's `diterima`, `konflik`, ...).
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckError {
    /// Neither a code nor a receipt payload.
    Unreadable,
    /// A payload whose signature is not its device's: forged or altered.
    Forged,
    /// Well formed, but no record of it has reached the server (yet).
    Unknown,
}

impl CheckError {
    pub fn message(&self) -> &'static str {
        match self {
            CheckError::Unreadable => "Kode tanda terima tidak terbaca (10 huruf/angka, atau isi QR).",
            CheckError::Forged => "Tanda terima ini TIDAK SAH: tanda tangannya bukan dari ponsel yang disebutnya.",
            CheckError::Unknown => "Belum ada data dengan tanda terima ini di server (mungkin belum dikirim dari ponsel).",
        }
    }
}

/// Checks a typed code or a scanned payload.
pub fn check(state: &AppState, shown: &str) -> Result<Vec<Checked>, CheckError> {
    let shown = shown.trim();
    let (code, payload) = if let Some(parts) = signing::parse_receipt_payload(shown) {
        let signature = perlinsos_rules::hex::decode(&parts.4).ok_or(CheckError::Unreadable)?;
        (signing::receipt_code(&signature), Some(parts))
    } else {
        (
            signing::normalize_receipt_code(shown).ok_or(CheckError::Unreadable)?,
            None,
        )
    };
    let found = state
        .db
        .read(|tx| {
            if let Some((kind, record, device, at, sig)) = &payload {
                let key = db::device(tx, device)?.map(|d| d.public_key);
                let holds =
                    key.is_some_and(|k| signature_holds(&k, kind, record, device, *at, sig));
                if !holds {
                    return Ok(Err(CheckError::Forged));
                }
            }
            let rows = tx.query(
                "SELECT r.code, r.record_kind, r.record_id, r.device_id, r.at,
                        COALESCE(v.status, o.status, h.status)
                 FROM resident_receipts r
                 LEFT JOIN visits v ON v.id = r.record_id
                 LEFT JOIN objections o ON o.id = r.record_id
                 LEFT JOIN households h ON h.id = r.record_id
                 WHERE r.code = ?1 ORDER BY r.at",
                &[db::text(code.as_str())],
            )?;
            Ok(Ok(rows
                .into_iter()
                .map(|r| Checked {
                    code: r[0].text().unwrap_or_default(),
                    record_kind: r[1].text().unwrap_or_default(),
                    record_id: r[2].text().unwrap_or_default(),
                    device_id: r[3].text().unwrap_or_default(),
                    at: r[4].int(),
                    status: r[5].text(),
                })
                .filter(|c| {
                    payload
                        .as_ref()
                        .is_none_or(|p| p.1 == c.record_id && p.2 == c.device_id)
                })
                .collect::<Vec<_>>()))
        })
        .map_err(|_| CheckError::Unknown)??;
    if found.is_empty() {
        return Err(CheckError::Unknown);
    }
    Ok(found)
}

#[cfg(test)]
mod fuzz {
    use perlinsos_protocol::signing;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_text_reads_as_a_code_a_payload_or_nothing(text in "\\PC{0,200}") {
            if let Some(code) = signing::normalize_receipt_code(&text) {
                prop_assert_eq!(code.len(), 11);
                prop_assert_eq!(signing::normalize_receipt_code(&code), Some(code.clone()));
            }
            let _ = signing::parse_receipt_payload(&text);
        }

        #[test]
        fn a_payload_reads_back_as_written(
            kind in "[a-z.]{1,30}",
            record in "[a-zA-Z0-9_-]{1,64}",
            device in "[a-zA-Z0-9_-]{1,64}",
            at in any::<i64>(),
            sig in "[0-9a-f]{128}",
        ) {
            let payload = signing::receipt_payload(&kind, &record, &device, at, &sig);
            prop_assert_eq!(
                signing::parse_receipt_payload(&payload),
                Some((kind, record, device, at, sig))
            );
        }
    }
}
