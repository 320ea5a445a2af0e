//! Every record that crosses the wire, typed and versioned, defined once: the phone serializes
//! and seals one of these when a domain change commits, the server opens and decodes the same
//! type. A record travels as `{"kind": ..., "version": N, "record": {...}}`; a kind or version
//! this build does not know is refused with a stable code, never guessed.
//!
//! Adding a version: add a variant (`HouseholdRegisteredV2`), keep the old one decoding (its
//! frozen example stays in `tests/fixtures/records/`), and have the server convert old to new.
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use perlinsos_rules::evidence::attest::Attestation;
use perlinsos_rules::registration::RegisteredHousehold;
use perlinsos_rules::sanggahan::{PhotoRole, Reason, Reporter};

use crate::outbox_kind;
use crate::seal::{self, SealError, SealGroup};

/// Version written by this build for each kind.
pub const VERSION: u32 = 1;
/// Bound into every seal, so a record sealed for another purpose does not open as one.
const SEAL_INFO: &[u8] = b"perlinsos record v1";
/// Largest plaintext record: a household of 30 members with its PMT preview is ~40 kB.
pub const MAX_RECORD_BYTES: usize = 512 * 1024;

/// A photo a record names: the SHA-256 of the normalized JPEG and the phone's attestation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceRef {
    pub sha256: String,
    pub attestation: Attestation,
}

/// `household.registered` v1: the household as registered, with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseholdRegistered {
    #[serde(flatten)]
    pub household: RegisteredHousehold,
    #[serde(default)]
    pub evidence: Vec<EvidenceRef>,
    /// The device's signature over the resident's receipt of this registration
    /// (`signing::resident_receipt_text`, at `registered_at`); absent from records queued
    /// before receipts and from bulk entry without a device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<String>,
}

/// A photo of a filing that looks like evidence of another sanggahan on the same phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReusedPhoto {
    pub evidence_id: String,
    pub other_sanggahan_id: String,
    pub distance: u32,
}

/// `sanggahan.filed` v1: the objection as the resident made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SanggahanFiled {
    pub id: String,
    pub recipient_id: String,
    pub kelurahan_code: String,
    pub reporter: Reporter,
    pub reason: Reason,
    pub statement: String,
    /// (evidence id, role) per photo, in the order taken.
    pub photos: Vec<(String, PhotoRole)>,
    #[serde(default)]
    pub reused_photos: Vec<ReusedPhoto>,
    pub filed_at: i64,
    #[serde(default)]
    pub evidence: Vec<EvidenceRef>,
}

/// `sanggahan.withdrawn` v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SanggahanWithdrawn {
    pub sanggahan_id: String,
    pub at: i64,
}

/// `audit.appended` v1: one link of the device's hash-chained trail (hashes and signature hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditAppended {
    pub seq: i64,
    pub at: i64,
    pub agent_id: String,
    pub action: String,
    pub record_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
    pub signature: String,
}

/// `evidence.attached` v1: a photo added to a household after it was registered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceAttached {
    /// Always "household" in v1 (a sanggahan's photos travel with its filing).
    pub record_kind: String,
    pub record_id: String,
    pub evidence: EvidenceRef,
}

/// `visit.recorded` v1: a verification visit of a listed family, with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitRecorded {
    #[serde(flatten)]
    pub visit: perlinsos_rules::dtsen::visit::VerificationVisit,
    #[serde(default)]
    pub evidence: Vec<EvidenceRef>,
    /// The device's Ed25519 signature (hex) over
    /// [`crate::signing::resident_receipt_text`]: the receipt the resident keeps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<String>,
}

/// `objection.filed` v1: a *sanggahan hasil*, with its evidence and the resident's receipt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectionFiled {
    #[serde(flatten)]
    pub objection: perlinsos_rules::dtsen::objection::ResultObjection,
    #[serde(default)]
    pub evidence: Vec<EvidenceRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<String>,
}

/// The receipt a record gives the resident: the device's signature over
/// [`crate::signing::resident_receipt_text`] of the record's kind, id and `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResidentReceipt<'a> {
    pub record_id: &'a str,
    /// The moment the receipt names: registered, recorded or filed.
    pub at: i64,
    pub signature: Option<&'a str>,
    /// Visits and objections always carry one; registrations queued before receipts do not.
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    VisitRecorded(Box<VisitRecorded>),
    ObjectionFiled(Box<ObjectionFiled>),
    HouseholdRegistered(Box<HouseholdRegistered>),
    SanggahanFiled(Box<SanggahanFiled>),
    SanggahanWithdrawn(SanggahanWithdrawn),
    AuditAppended(AuditAppended),
    EvidenceAttached(Box<EvidenceAttached>),
}

/// Why bytes are not a record this build can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordError {
    /// Not a kind this build knows.
    KindUnknown,
    /// A known kind in a version this build does not know.
    VersionUnknown,
    /// Not well-formed, or not of the shape its kind and version declare.
    Malformed,
    /// The seal does not open (wrong key, tampered, or bound to another entry).
    Sealed(SealError),
}

#[derive(Serialize)]
struct Out<'a, T> {
    kind: &'a str,
    version: u32,
    record: &'a T,
}

#[derive(Deserialize)]
struct In<'a> {
    kind: String,
    version: u32,
    #[serde(borrow)]
    record: &'a serde_json::value::RawValue,
}

fn body<T: DeserializeOwned>(raw: &serde_json::value::RawValue) -> Result<T, RecordError> {
    serde_json::from_str(raw.get()).map_err(|_| RecordError::Malformed)
}

impl Record {
    pub fn kind(&self) -> &'static str {
        match self {
            Record::HouseholdRegistered(_) => outbox_kind::HOUSEHOLD_REGISTERED,
            Record::SanggahanFiled(_) => outbox_kind::SANGGAHAN_FILED,
            Record::SanggahanWithdrawn(_) => outbox_kind::SANGGAHAN_WITHDRAWN,
            Record::AuditAppended(_) => outbox_kind::AUDIT_APPENDED,
            Record::EvidenceAttached(_) => outbox_kind::EVIDENCE_ATTACHED,
            Record::VisitRecorded(_) => outbox_kind::VISIT_RECORDED,
            Record::ObjectionFiled(_) => outbox_kind::OBJECTION_FILED,
        }
    }

    /// The id of what the record is about (household, sanggahan, audit sequence number).
    pub fn entity_id(&self) -> String {
        match self {
            Record::HouseholdRegistered(h) => h.household.id.clone(),
            Record::SanggahanFiled(s) => s.id.clone(),
            Record::SanggahanWithdrawn(w) => w.sanggahan_id.clone(),
            Record::AuditAppended(a) => a.seq.to_string(),
            Record::EvidenceAttached(e) => e.evidence.attestation.record_id.clone(),
            Record::VisitRecorded(v) => v.visit.id.clone(),
            Record::ObjectionFiled(o) => o.objection.id.clone(),
        }
    }

    /// The resident's receipt the record carries, for the kinds that give one.
    pub fn resident_receipt(&self) -> Option<ResidentReceipt<'_>> {
        let (record_id, at, signature, required) = match self {
            Record::HouseholdRegistered(h) => (
                h.household.id.as_str(),
                h.household.registered_at,
                &h.receipt,
                false,
            ),
            Record::VisitRecorded(v) => {
                (v.visit.id.as_str(), v.visit.recorded_at, &v.receipt, true)
            }
            Record::ObjectionFiled(o) => (
                o.objection.id.as_str(),
                o.objection.filed_at,
                &o.receipt,
                true,
            ),
            _ => return None,
        };
        Some(ResidentReceipt {
            record_id,
            at,
            signature: signature.as_deref(),
            required,
        })
    }

    /// The photos it names, by hash.
    pub fn evidence(&self) -> &[EvidenceRef] {
        match self {
            Record::HouseholdRegistered(h) => &h.evidence,
            Record::SanggahanFiled(s) => &s.evidence,
            Record::EvidenceAttached(e) => std::slice::from_ref(&e.evidence),
            Record::VisitRecorded(v) => &v.evidence,
            Record::ObjectionFiled(o) => &o.evidence,
            _ => &[],
        }
    }

    /// The record's own JSON, without the kind and version (what the server stores).
    pub fn body_json(&self) -> String {
        let text = match self {
            Record::HouseholdRegistered(r) => serde_json::to_string(r),
            Record::SanggahanFiled(r) => serde_json::to_string(r),
            Record::SanggahanWithdrawn(r) => serde_json::to_string(r),
            Record::AuditAppended(r) => serde_json::to_string(r),
            Record::EvidenceAttached(r) => serde_json::to_string(r),
            Record::VisitRecorded(r) => serde_json::to_string(r),
            Record::ObjectionFiled(r) => serde_json::to_string(r),
        };
        // Serializing these plain structs into a String cannot fail.
        text.unwrap_or_default()
    }

    pub fn encode(&self) -> Vec<u8> {
        fn out<T: Serialize>(kind: &str, record: &T) -> Vec<u8> {
            serde_json::to_vec(&Out {
                kind,
                version: VERSION,
                record,
            })
            .unwrap_or_default()
        }
        match self {
            Record::HouseholdRegistered(r) => out(self.kind(), r),
            Record::SanggahanFiled(r) => out(self.kind(), r),
            Record::SanggahanWithdrawn(r) => out(self.kind(), r),
            Record::AuditAppended(r) => out(self.kind(), r),
            Record::EvidenceAttached(r) => out(self.kind(), r),
            Record::VisitRecorded(r) => out(self.kind(), r),
            Record::ObjectionFiled(r) => out(self.kind(), r),
        }
    }

    pub fn decode(bytes: &[u8]) -> Result<Record, RecordError> {
        if bytes.len() > MAX_RECORD_BYTES {
            return Err(RecordError::Malformed);
        }
        let input: In<'_> = serde_json::from_slice(bytes).map_err(|_| RecordError::Malformed)?;
        if !outbox_kind::ALL.contains(&input.kind.as_str()) {
            return Err(RecordError::KindUnknown);
        }
        if input.version != VERSION {
            return Err(RecordError::VersionUnknown);
        }
        let raw = input.record;
        Ok(match input.kind.as_str() {
            outbox_kind::HOUSEHOLD_REGISTERED => Record::HouseholdRegistered(Box::new(body(raw)?)),
            outbox_kind::SANGGAHAN_FILED => Record::SanggahanFiled(Box::new(body(raw)?)),
            outbox_kind::SANGGAHAN_WITHDRAWN => Record::SanggahanWithdrawn(body(raw)?),
            outbox_kind::EVIDENCE_ATTACHED => Record::EvidenceAttached(Box::new(body(raw)?)),
            outbox_kind::VISIT_RECORDED => Record::VisitRecorded(Box::new(body(raw)?)),
            outbox_kind::OBJECTION_FILED => Record::ObjectionFiled(Box::new(body(raw)?)),
            _ => Record::AuditAppended(body(raw)?),
        })
    }
}

/// What a seal is bound to besides the district's key: the outbox entry it travels in, its
/// kind and the key's id. A record moved into another entry, or relabelled, does not open.
pub fn associated_data(entry_id: &str, kind: &str, key_id: &str) -> Vec<u8> {
    format!("perlinsos/{entry_id}/{kind}/{key_id}").into_bytes()
}

/// Serializes and seals a record for the district key `public_key` (id `key_id`).
pub fn seal_record(
    record: &Record,
    entry_id: &str,
    key_id: &str,
    public_key: &[u8],
) -> Result<Vec<u8>, SealError> {
    seal_encoded(
        &record.encode(),
        entry_id,
        record.kind(),
        key_id,
        public_key,
    )
}

/// Seals bytes as a record of `kind` (what [`seal_record`] does after encoding; tests use it
/// to send the server records no honest phone would make).
pub fn seal_encoded(
    encoded: &[u8],
    entry_id: &str,
    kind: &str,
    key_id: &str,
    public_key: &[u8],
) -> Result<Vec<u8>, SealError> {
    let aad = associated_data(entry_id, kind, key_id);
    seal::seal(public_key, SEAL_INFO, &aad, &deflate(encoded))
}

/// A group that seals records for the district key `public_key` (one X25519 exchange for all
/// of them; see [`seal::SealGroup`]).
pub fn record_group(public_key: &[u8]) -> Result<SealGroup, SealError> {
    SealGroup::new(public_key, SEAL_INFO)
}

/// Whether `group` seals records for `public_key`.
pub fn group_is_for(group: &SealGroup, public_key: &[u8]) -> bool {
    group.is_for(public_key, SEAL_INFO)
}

/// [`seal_encoded`] in a group made by [`record_group`] for the key `key_id`.
pub fn seal_encoded_in(
    group: &SealGroup,
    encoded: &[u8],
    entry_id: &str,
    kind: &str,
    key_id: &str,
) -> Result<Vec<u8>, SealError> {
    group.seal(&associated_data(entry_id, kind, key_id), &deflate(encoded))
}

/// [`seal_record`] in a group made by [`record_group`] for the key `key_id`.
pub fn seal_record_in(
    group: &SealGroup,
    record: &Record,
    entry_id: &str,
    key_id: &str,
) -> Result<Vec<u8>, SealError> {
    seal_encoded_in(group, &record.encode(), entry_id, record.kind(), key_id)
}

/// Opens many records for one private key: a group's X25519 exchange is done once for all
/// its records (a push batch).
pub struct RecordOpener(seal::Opener);

impl RecordOpener {
    pub fn new(private_key: &[u8; 32]) -> RecordOpener {
        RecordOpener(seal::Opener::new(private_key, SEAL_INFO))
    }

    pub fn open_encoded(
        &mut self,
        sealed: &[u8],
        entry_id: &str,
        kind: &str,
        key_id: &str,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, RecordError> {
        let aad = associated_data(entry_id, kind, key_id);
        let deflated =
            zeroize::Zeroizing::new(self.0.open(&aad, sealed).map_err(RecordError::Sealed)?);
        inflate(&deflated)
    }

    /// [`open_record`] with this opener's cached groups.
    pub fn open_record(
        &mut self,
        sealed: &[u8],
        entry_id: &str,
        kind: &str,
        key_id: &str,
    ) -> Result<Record, RecordError> {
        let record = Record::decode(&self.open_encoded(sealed, entry_id, kind, key_id)?)?;
        if record.kind() != kind {
            return Err(RecordError::Malformed);
        }
        Ok(record)
    }
}

/// Opens a sealed record to its encoded bytes, not decoding them.
pub fn open_encoded(
    sealed: &[u8],
    entry_id: &str,
    kind: &str,
    key_id: &str,
    private_key: &[u8; 32],
) -> Result<zeroize::Zeroizing<Vec<u8>>, RecordError> {
    RecordOpener::new(private_key).open_encoded(sealed, entry_id, kind, key_id)
}

thread_local! {
    /// One compressor per thread, reset for each record: a fresh one allocates and clears
    /// about 300 kB of tables, which cost more than compressing a household's record.
    static DEFLATE: std::cell::RefCell<flate2::Compress> =
        std::cell::RefCell::new(flate2::Compress::new(flate2::Compression::fast(), false));
}

/// Raw deflate (no zlib header), as `inflate` reads it.
fn deflate(bytes: &[u8]) -> Vec<u8> {
    DEFLATE.with(|compressor| {
        let mut compressor = compressor.borrow_mut();
        compressor.reset();
        let mut out = Vec::with_capacity(bytes.len() / 2 + 64);
        loop {
            let read = usize::try_from(compressor.total_in()).unwrap_or(usize::MAX);
            let input = bytes.get(read..).unwrap_or_default();
            match compressor.compress_vec(input, &mut out, flate2::FlushCompress::Finish) {
                Ok(flate2::Status::StreamEnd) => return out,
                // Out of room: grow and go on.
                Ok(_) => out.reserve(out.capacity().max(64)),
                // Compressing into a Vec has no failure mode; start over unshared if it did.
                Err(_) => return deflate_unshared(bytes),
            }
        }
    })
}

fn deflate_unshared(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

thread_local! {
    /// One decompressor per thread, reset for each record: a new one is about 43 kB of
    /// cleared state and a 32 kB buffer, which the server's ingest paid for every entry.
    static INFLATE: std::cell::RefCell<flate2::Decompress> =
        std::cell::RefCell::new(flate2::Decompress::new(false));
}

/// Inflates at most MAX_RECORD_BYTES: a small sealed bomb stays small. What follows the end
/// of the stream is ignored.
fn inflate(bytes: &[u8]) -> Result<zeroize::Zeroizing<Vec<u8>>, RecordError> {
    INFLATE.with(|decompress| {
        let mut decompress = decompress.borrow_mut();
        decompress.reset(false);
        inflate_with(&mut decompress, bytes)
    })
}

fn inflate_with(
    decompress: &mut flate2::Decompress,
    bytes: &[u8],
) -> Result<zeroize::Zeroizing<Vec<u8>>, RecordError> {
    use flate2::{FlushDecompress, Status};
    let limit = MAX_RECORD_BYTES + 1;
    let mut out = zeroize::Zeroizing::new(Vec::with_capacity(
        bytes.len().saturating_mul(4).clamp(256, limit),
    ));
    loop {
        let read = usize::try_from(decompress.total_in()).map_err(|_| RecordError::Malformed)?;
        let input = bytes.get(read..).ok_or(RecordError::Malformed)?;
        let before = (decompress.total_in(), decompress.total_out());
        let status = decompress
            .decompress_vec(input, &mut out, FlushDecompress::None)
            .map_err(|_| RecordError::Malformed)?;
        if status == Status::StreamEnd {
            break;
        }
        if out.len() < out.capacity() {
            // Room left and nothing more came out: the stream is cut short.
            if (decompress.total_in(), decompress.total_out()) == before {
                return Err(RecordError::Malformed);
            }
            continue;
        }
        if out.capacity() >= limit {
            return Err(RecordError::Malformed);
        }
        // Grown by copying into a new buffer, so the old one is cleared as it is dropped.
        let mut grown = zeroize::Zeroizing::new(Vec::with_capacity(
            out.capacity().saturating_mul(2).min(limit),
        ));
        grown.extend_from_slice(&out);
        out = grown;
    }
    if out.len() > MAX_RECORD_BYTES {
        return Err(RecordError::Malformed);
    }
    Ok(out)
}

/// Opens an entry's sealed record with the district's private key and decodes it; the record
/// must be of the kind the entry declares.
pub fn open_record(
    sealed: &[u8],
    entry_id: &str,
    kind: &str,
    key_id: &str,
    private_key: &[u8; 32],
) -> Result<Record, RecordError> {
    RecordOpener::new(private_key).open_record(sealed, entry_id, kind, key_id)
}

/// Seal for a photo blob on its way to the district: bound to its content hash and key id.
pub fn seal_blob(
    jpeg: &[u8],
    sha256: &str,
    key_id: &str,
    public_key: &[u8],
) -> Result<Vec<u8>, SealError> {
    seal::seal(
        public_key,
        b"perlinsos blob v1",
        &associated_data(sha256, "blob", key_id),
        jpeg,
    )
}

pub fn open_blob(
    sealed: &[u8],
    sha256: &str,
    key_id: &str,
    private_key: &[u8; 32],
) -> Result<Vec<u8>, SealError> {
    seal::open(
        private_key,
        b"perlinsos blob v1",
        &associated_data(sha256, "blob", key_id),
        sealed,
    )
}

/// The text the district key signs to publish a record key (at enrollment and in the change
/// feed), so a phone seals only to a key the district made.
pub fn record_key_text(key_id: &str, public_key_hex: &str) -> String {
    format!("perlinsos record key v1\n{key_id}\n{public_key_hex}\n")
}

#[cfg(test)]
mod deflate_tests {
    use super::{deflate, deflate_unshared, inflate};

    fn noise(len: usize, seed: u64) -> Vec<u8> {
        let mut state = seed | 1;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    }

    /// The reader-based inflate this replaced.
    fn inflate_by_reader(bytes: &[u8]) -> Option<Vec<u8>> {
        use std::io::Read;
        let mut out = Vec::new();
        flate2::read::DeflateDecoder::new(bytes)
            .take(super::MAX_RECORD_BYTES as u64 + 1)
            .read_to_end(&mut out)
            .ok()?;
        (out.len() <= super::MAX_RECORD_BYTES).then_some(out)
    }

    #[test]
    fn the_shared_decompressor_refuses_cut_streams_and_bombs_and_recovers() {
        let text = b"{\"nama\":\"Siti\"}".repeat(500);
        let packed = deflate(&text);
        for cut in [1, packed.len() / 2, packed.len() - 1] {
            assert!(inflate(&packed[..cut]).is_err(), "cut at {cut}");
            // A failed record leaves nothing behind for the next one.
            assert_eq!(inflate(&packed).unwrap().as_slice(), text.as_slice());
        }
        let mut trailing = packed.clone();
        trailing.extend_from_slice(b"trailing bytes");
        assert_eq!(inflate(&trailing).unwrap().as_slice(), text.as_slice());
        let bomb = deflate(&vec![0u8; super::MAX_RECORD_BYTES + 1]);
        assert!(inflate(&bomb).is_err());
        assert!(inflate_by_reader(&bomb).is_none());
        let full = deflate(&vec![0u8; super::MAX_RECORD_BYTES]);
        assert_eq!(inflate(&full).unwrap().len(), super::MAX_RECORD_BYTES);
        assert!(inflate(&[]).is_err());
        assert!(inflate(&[0xff; 40]).is_err());
    }

    proptest::proptest! {
        #[test]
        fn the_shared_decompressor_answers_as_a_reader_does(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
            text in proptest::collection::vec(0u8..4, 0..3000),
            cut in 0usize..2000,
        ) {
            // What it opens, a reader opens the same; it also refuses a stream cut short,
            // which a reader takes as ended.
            if let Ok(opened) = inflate(&bytes) {
                proptest::prop_assert_eq!(Some(opened.to_vec()), inflate_by_reader(&bytes));
            }
            let packed = deflate(&text);
            let opened = inflate(&packed).unwrap();
            proptest::prop_assert_eq!(opened.as_slice(), text.as_slice());
            if cut < packed.len() {
                proptest::prop_assert!(inflate(&packed[..cut]).is_err());
            }
        }
    }

    #[test]
    fn the_shared_compressor_round_trips_every_size_one_after_another() {
        // Incompressible input larger than the first guess of the output's size, text, and
        // nothing at all, in turn: each reset must leave nothing of the previous record.
        let inputs = [
            noise(200_000, 7),
            b"{\"kk\":\"5271010101010001\"}".repeat(300),
            Vec::new(),
            noise(10, 3),
            b"a".to_vec(),
        ];
        for input in inputs.iter().chain(inputs.iter()) {
            let packed = deflate(input);
            assert_eq!(inflate(&packed).unwrap().as_slice(), input.as_slice());
            assert_eq!(
                inflate(&deflate_unshared(input)).unwrap().as_slice(),
                input.as_slice()
            );
        }
    }
}
