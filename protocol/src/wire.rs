//! The JSON bodies of the sync API (v1).
//!
//! - `POST /v1/enroll` (unsigned: the one-time code is the credential) → [`EnrollResponse`]
//! - `HEAD /v1/blobs/{sha256}` → 200 with `x-perlinsos-blob-length` (complete) or 404 with
//!   `x-perlinsos-blob-received` (bytes of an interrupted upload kept so far)
//! - `PUT /v1/blobs/{sha256}` with `x-perlinsos-blob-offset` and `x-perlinsos-blob-length`:
//!   the bytes from that offset on; the server checks the hash once the blob is whole
//! - `POST /v1/outbox` ([`PushRequest`], gzip allowed; the signature covers the bytes as
//!   sent) → [`PushResponse`]
//! - `GET /v1/changes?since=CURSOR` → [`ChangesResponse`]
//!
//! Every request but enrollment is signed (see [`crate::signing`]).
use serde::{Deserialize, Serialize};

pub const HEADER_BLOB_OFFSET: &str = "x-perlinsos-blob-offset";
pub const HEADER_BLOB_LENGTH: &str = "x-perlinsos-blob-length";
pub const HEADER_BLOB_RECEIVED: &str = "x-perlinsos-blob-received";
/// The record key a blob upload is sealed for (the phone sends photos sealed, as records).
pub const HEADER_BLOB_KEY: &str = "x-perlinsos-blob-key";
/// The error code of a refusal, also on answers without a body (HEAD).
pub const HEADER_ERROR: &str = "x-perlinsos-error";
/// On a `DEVICE_REVOKED` refusal: `<revoked_at ms>.<Ed25519 hex>`, the district key's
/// signature over [`crate::signing::revocation_text`]. A phone locks only on a notice that
/// verifies, so a forged refusal on the path cannot lock it.
pub const HEADER_REVOCATION: &str = "x-perlinsos-revocation";
/// Largest outbox batch the server takes in one request.
pub const MAX_BATCH: usize = 200;
/// Largest blob as sent, sealed (a normalized photo is far smaller; this bounds what a device
/// may send).
pub const MAX_BLOB_BYTES: u64 = 8 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    pub code: String,
    pub device_id: String,
    /// Ed25519 public key, hex.
    pub device_public_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub agent_id: String,
    /// Kelurahan codes the device may write for.
    pub scope: Vec<String>,
    /// The district's Ed25519 public key (hex): it signs PMT models and record keys.
    pub district_public_key: String,
    /// The key the phone seals its records for.
    pub record_key: RecordKey,
    pub server_time: i64,
}

/// A district encryption key (X25519) for records, signed by the district key over
/// [`crate::record::record_key_text`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordKey {
    pub key_id: String,
    /// 32 bytes, hex.
    pub public_key: String,
    /// Ed25519 by the district key, hex.
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushEntry {
    /// The outbox entry's id, made on the phone: the idempotency key.
    pub id: String,
    pub kind: String,
    pub entity_id: String,
    /// The district record key the record is sealed for.
    pub key_id: String,
    /// The record ([`crate::record::Record`]) sealed for that key, hex: only the district
    /// opens it.
    pub sealed: String,
    /// Kelurahan the record belongs to, for the scope check (None for audit entries).
    pub kelurahan_code: Option<String>,
    /// SHA-256 (hex) of the evidence blobs the record refers to; each must be uploaded first.
    #[serde(default)]
    pub blobs: Vec<String>,
    /// Unix ms. Read as JSON Schema reads an integer (`5` or `5.0`; never `5.5`): phones send
    /// `5`, and a schema-driven client may send either.
    #[serde(deserialize_with = "json_integer")]
    pub created_at: i64,
}

/// 2^53: past it a JSON number read as f64 may not be the integer that was written
/// (`-9223372036854775809` reads as -2^63).
const EXACT_FLOAT_INTEGERS: f64 = 9_007_199_254_740_992.0;

/// An i64 as JSON Schema's `integer`: a number with no fractional part, in range.
fn json_integer<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    use serde::de::Error;
    match serde_json::Number::deserialize(deserializer)? {
        n if n.is_i64() => n.as_i64().ok_or_else(|| D::Error::custom("not an i64")),
        n => n
            .as_f64()
            // An integer written with a fraction or exponent, within the range a float holds
            // exactly; bigger ones are written as integers (`is_i64` above) or refused.
            .filter(|f| f.fract() == 0.0 && f.abs() <= EXACT_FLOAT_INTEGERS)
            .map(|f| f as i64)
            .ok_or_else(|| D::Error::custom("not an integer in the i64 range")),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    pub entries: Vec<PushEntry>,
}

/// `POST /v1/handover`: a re-enrolled phone hands over, as they are, the entries still
/// queued under the identity it replaces (`from_device_id`). The server keeps them as held
/// entries of that device for officers to decide on, and answers with a `PushResponse` whose
/// receipt is over [`crate::signing::handover_receipt_text`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandoverRequest {
    pub from_device_id: String,
    pub entries: Vec<PushEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    Accepted,
    /// The server already had this entry id: applied once, earlier.
    Duplicate,
    /// Permanent: the phone parks the entry with this code and reason for the agent.
    Rejected {
        code: ErrorCode,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryResult {
    pub id: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<EntryResult>,
    /// Ed25519 by the district key over [`crate::signing::push_receipt_text`] of these
    /// results, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// A PMT model file as the district signed it.
    Model {
        id: String,
        version: u32,
        signed: String,
    },
    /// A kelurahan's whole recipient list (JSON rows as `core::sanggahan` imports them).
    Recipients {
        kelurahan_code: String,
        rows: serde_json::Value,
    },
    /// A new district record key: records made from now on are sealed for it.
    RecordKey(RecordKey),
    /// The certificates the district's server may show from now on (SHA-256 of each DER,
    /// hex), announced before a certificate rollover: phones that pinned a certificate at
    /// enrollment trust these instead, if `issued_at` is newer than what they hold.
    ServerCertificates { pins: Vec<String>, issued_at: i64 },
    /// Part of an agent's worklist, as deltas: families added or changed (a higher version
    /// replaces a lower), and families withdrawn from the agent. Sent to the agent's devices
    /// per kelurahan of their scope.
    Worklist {
        agent_id: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        families: Vec<perlinsos_rules::dtsen::Family>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        withdrawn: Vec<String>,
    },
    /// Results the district published for families on an agent's list (Layak / Tidak Layak,
    /// with the objection deadline).
    Results {
        agent_id: String,
        results: Vec<perlinsos_rules::dtsen::result::FamilyResult>,
    },
    /// The district's decision on a record this device sent.
    Status {
        record_kind: String,
        record_id: String,
        status: String,
        at: i64,
        reason: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeItem {
    pub cursor: i64,
    #[serde(flatten)]
    pub change: Change,
    /// Ed25519 by the district key over [`crate::signing::change_text`] for the device that
    /// asked, hex. The phone applies no change without it. (Not `signature`: a record key's
    /// own signature is a field of the change.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_signature: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangesResponse {
    pub changes: Vec<ChangeItem>,
    /// Pass as `since` next time; equal to the last item's cursor, or the request's.
    pub cursor: i64,
    /// More changes wait beyond this page.
    pub more: bool,
}

/// The body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    /// Indonesian, for the agent; never personal data.
    pub message: String,
}

/// Stable codes: API. Add new ones; never rename or reuse one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    EnrollCodeInvalid,
    DeviceUnknown,
    SignatureInvalid,
    RequestStale,
    RequestReplayed,
    OutOfScope,
    BlobHashMismatch,
    BlobTooLarge,
    BlobOffsetInvalid,
    BlobMissing,
    AttestationInvalid,
    BatchTooLarge,
    BodyInvalid,
    KindUnknown,
    AuditChainBroken,
    Internal,
    /// Another record (of this kind) already has this id, or another device sent this entry id.
    RecordIdTaken,
    /// The record it acts on was filed by another device (or is not on the server).
    RecordNotOwned,
    /// A time in the record is before the pilot began or ahead of the server's clock.
    TimeInvalid,
    /// The record breaks a rule the phone applies (NIK, names, dates, RT/RW, statement, photos):
    /// the reason names the fields and their codes, never their values.
    RecordInvalid,
    /// The record is of a version this server does not know (a newer app): it stays queued.
    RecordVersionUnknown,
    /// The record does not open with the district key it names.
    SealInvalid,
    /// An operator revoked this device (lost or stolen): every request of it is refused, what
    /// it pushes is kept aside for officers.
    DeviceRevoked,
    /// A visit to a family that is not on the agent's worklist.
    FamilyNotAssigned,
    /// An objection to a result after its deadline (or before any result).
    ObjectionWindowClosed,
    /// An objection to a family's result by someone not in the family.
    ObjectionNotMember,
    /// A second objection of a family while its first waits for a decision.
    ObjectionAlreadyOpen,
    /// The device keeps more unfinished photo uploads on the server than it may: finish or
    /// wait for the old ones to be swept.
    QuotaExceeded,
    /// The request declares a body larger than any this server takes.
    BodyTooLarge,
    /// A hand-over of another device's queue by a device the operator did not enroll as its
    /// replacement, or of a device that is not revoked.
    HandoverNotAllowed,
}

impl ErrorCode {
    /// Whether the same request may succeed later (the phone retries with backoff) or never
    /// will (the phone parks the entry). A replay refusal of the phone's own request means an
    /// earlier copy got through and its answer was lost: sending again, freshly signed, is
    /// right (the server answers "duplicate" for what it already applied).
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorCode::RequestStale
                | ErrorCode::RequestReplayed
                | ErrorCode::BlobMissing
                | ErrorCode::QuotaExceeded
                | ErrorCode::Internal
        )
    }

    /// The code as it travels (`OUT_OF_SCOPE`): in bodies, headers, receipts and metrics.
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::EnrollCodeInvalid => "Kode pendaftaran tidak berlaku atau sudah dipakai.",
            ErrorCode::DeviceUnknown => "Ponsel ini belum terdaftar di dinas.",
            ErrorCode::BodyTooLarge => "Kiriman terlalu besar untuk server.",
            ErrorCode::HandoverNotAllowed => {
                "Ponsel ini tidak didaftarkan sebagai pengganti ponsel lama itu (atau ponsel lama \
                 belum dicabut); data antrean lama tidak dapat diserahkan dari sini."
            }
            ErrorCode::QuotaExceeded => {
                "Terlalu banyak unggahan foto yang belum selesai; ponsel akan mencoba lagi nanti."
            }
            ErrorCode::DeviceRevoked => {
                "Ponsel ini dicabut oleh dinas; hubungi operator dinas untuk mendaftar ulang."
            }
            ErrorCode::FamilyNotAssigned => {
                "Keluarga ini tidak ada dalam daftar tugas agen ini; kunjungan tidak diterima."
            }
            ErrorCode::ObjectionWindowClosed => {
                "Masa sanggahan hasil untuk keluarga ini sudah berakhir (atau hasilnya belum diumumkan)."
            }
            ErrorCode::ObjectionNotMember => {
                "Sanggahan hasil hanya dapat diajukan oleh anggota keluarga yang bersangkutan."
            }
            ErrorCode::ObjectionAlreadyOpen => {
                "Keluarga ini sudah punya sanggahan hasil yang sedang diperiksa dinas."
            }
            ErrorCode::SignatureInvalid => "Tanda tangan permintaan tidak sah.",
            ErrorCode::RequestStale => {
                "Jam ponsel terlalu jauh dari jam server; periksa jam ponsel."
            }
            ErrorCode::RequestReplayed => "Permintaan ini sudah pernah diterima.",
            ErrorCode::OutOfScope => "Data ini di luar wilayah tugas ponsel ini.",
            ErrorCode::BlobHashMismatch => "Isi foto tidak cocok dengan kodenya.",
            ErrorCode::BlobTooLarge => "Foto terlalu besar.",
            ErrorCode::BlobOffsetInvalid => {
                "Unggahan foto tidak menyambung; ulangi dari posisi yang benar."
            }
            ErrorCode::BlobMissing => "Foto bukti belum terunggah.",
            ErrorCode::AttestationInvalid => "Pengesahan foto tidak sah.",
            ErrorCode::BatchTooLarge => "Kiriman terlalu banyak sekaligus.",
            ErrorCode::BodyInvalid => "Isi kiriman tidak bisa dibaca.",
            ErrorCode::KindUnknown => "Jenis data tidak dikenal server.",
            ErrorCode::AuditChainBroken => "Catatan audit ponsel tidak bersambung.",
            ErrorCode::Internal => "Server sedang bermasalah; ponsel akan mencoba lagi.",
            ErrorCode::RecordIdTaken => "Kode data ini sudah dipakai data lain di server.",
            ErrorCode::RecordInvalid => "Data tidak lolos pemeriksaan server.",
            ErrorCode::TimeInvalid => {
                "Waktu pada data ini tidak masuk akal; periksa tanggal dan jam ponsel."
            }
            ErrorCode::RecordVersionUnknown => {
                "Versi data ini belum dikenal server; server dinas perlu diperbarui."
            }
            ErrorCode::SealInvalid => "Segel data tidak cocok dengan kunci dinas.",
            ErrorCode::RecordNotOwned => {
                "Data ini tidak dikirim dari ponsel ini, jadi tidak bisa diubah dari sini."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the schema-driven API fuzzer: `5.0` is an integer to JSON Schema (and so to the
    /// OpenAPI document), and was refused as BODY_INVALID.
    #[test]
    fn an_entry_time_is_a_json_schema_integer() {
        let entry = |at: &str| {
            serde_json::from_str::<PushEntry>(&format!(
                r#"{{"id":"e","kind":"k","entity_id":"x","key_id":"k","sealed":"",
                    "kelurahan_code":null,"created_at":{at}}}"#
            ))
            .map(|e| e.created_at)
            .ok()
        };
        assert_eq!(entry("1796132221200"), Some(1_796_132_221_200));
        assert_eq!(entry("-536870911.0"), Some(-536_870_911));
        assert_eq!(entry("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(entry("9223372036854775807"), Some(i64::MAX));
        assert_eq!(entry("1.7961322212e12"), Some(1_796_132_221_200));
        // Past the parser's exact fast path (17 digits with the fraction): exact only with
        // serde_json's float_roundtrip.
        assert_eq!(entry("2251799813685247.0"), Some(2_251_799_813_685_247));
        assert_eq!(entry("-9007199254740991.0"), Some(-9_007_199_254_740_991));
        // One past i64::MIN: read as a float it would round to i64::MIN.
        for refused in [
            "-9223372036854775809",
            "-9.223372036854775808e18",
            "5.5",
            "9223372036854775808",
            "9.3e18",
            "1e400",
            "\"5\"",
            "null",
        ] {
            assert_eq!(entry(refused), None, "{refused}");
        }
    }

    #[test]
    fn outcomes_and_changes_have_a_stable_json_form() {
        let r = EntryResult {
            id: "e1".into(),
            outcome: Outcome::Rejected {
                code: ErrorCode::OutOfScope,
                reason: "x".into(),
            },
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"id":"e1","result":"rejected","code":"OUT_OF_SCOPE","reason":"x"}"#
        );
        let c = ChangeItem {
            cursor: 7,
            change: Change::Status {
                record_kind: "sanggahan".into(),
                record_id: "s".into(),
                status: "diterima".into(),
                at: 1,
                reason: None,
            },
            change_signature: Some("ab".into()),
        };
        let text = serde_json::to_string(&c).unwrap();
        assert!(text.starts_with(r#"{"cursor":7,"type":"status""#), "{text}");
        assert!(text.ends_with(r#""change_signature":"ab"}"#), "{text}");
        assert_eq!(serde_json::from_str::<ChangeItem>(&text).unwrap(), c);
    }
}
