//! Records sealed on the phone for the district's encryption key. A device keeps only the
//! district's public key, so a lost or seized phone holds nothing that opens what it has sealed;
//! the server, which keeps the private key, opens it. HPKE exactly as RFC 9180 defines it, base
//! mode, suite DHKEM(X25519, HKDF-SHA256) (KEM 0x0020), HKDF-SHA256 (KDF 0x0001), AES-256-GCM
//! (AEAD 0x0002), one message per encapsulation (sequence number 0). The sealed bytes are `enc`
//! (the 32-byte encapsulated key) followed by the AEAD ciphertext and its 16-byte tag.
//!
//! A [`SealGroup`] seals many messages under one encapsulation (a registration queues a record
//! and its audit entries; a batch carries dozens): the X25519 exchange, the costliest step on
//! both sides, is paid once per group instead of once per message. See [`SealGroup`].

use hpke::aead::{Aead, AesGcm256};
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
// The traits hpke's functions are bound by, from hpke itself so the versions cannot differ.
use hpke::rand_core::{CryptoRng, RngCore};
use hpke::{Deserializable, Kem, OpModeR, OpModeS, Serializable};
use rand_core::{OsRng, TryRngCore};
use zeroize::Zeroizing;

pub const SUITE: &str = "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM";
pub const PUBLIC_KEY_LEN: usize = 32;
pub const ENC_LEN: usize = 32;

type Dhkem = X25519HkdfSha256;
type PrivateKey = <Dhkem as Kem>::PrivateKey;
type PublicKey = <Dhkem as Kem>::PublicKey;
type EncappedKey = <Dhkem as Kem>::EncappedKey;

/// Marks a message sealed in a group (the first bytes of a single-shot seal are a random key).
pub const GROUP_MAGIC: &[u8; 4] = b"PSG1";
const NONCE_LEN: usize = 12;
const GROUP_HEADER_LEN: usize = GROUP_MAGIC.len() + ENC_LEN + NONCE_LEN;
/// Exporter label of a message key; the message's associated data follows it.
const MESSAGE_KEY_LABEL: &[u8] = b"perlinsos message key\0";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealError {
    /// key bytes not a valid X25519 key
    KeyInvalid,
    /// sealed bytes too short, tampered, wrong key or wrong associated data
    OpenFailed,
    /// the system RNG failed
    Random,
}

impl std::fmt::Display for SealError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SealError::KeyInvalid => "the key is not a valid X25519 key",
            SealError::OpenFailed => "the sealed record could not be opened",
            SealError::Random => "the system random number generator failed",
        })
    }
}

impl std::error::Error for SealError {}

/// A fresh key pair: (private key bytes, public key bytes). The private bytes are what the server
/// stores sealed.
pub fn generate_keypair() -> Result<(Zeroizing<[u8; 32]>, [u8; 32]), SealError> {
    // What hpke's gen_keypair does (DeriveKeyPair over Nsk random bytes), but with the OS
    // generator's failure reported instead of hidden.
    let mut ikm = Zeroizing::new([0u8; 32]);
    OsRng
        .try_fill_bytes(&mut ikm[..])
        .map_err(|_| SealError::Random)?;
    let (sk, pk) = Dhkem::derive_keypair(&ikm[..]);
    let mut private = Zeroizing::new([0u8; 32]);
    sk.write_exact(&mut private[..]);
    Ok((private, public_bytes(&pk)))
}

/// Public key of a private key.
pub fn public_key(private: &[u8; 32]) -> Result<[u8; 32], SealError> {
    let sk =
        <PrivateKey as Deserializable>::from_bytes(private).map_err(|_| SealError::KeyInvalid)?;
    Ok(public_bytes(&Dhkem::sk_to_pk(&sk)))
}

/// Seals `plaintext` to `recipient_public`: returns enc (32 bytes) followed by the AEAD
/// ciphertext+tag. `info` and `aad` are bound.
pub fn seal(
    recipient_public: &[u8],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, SealError> {
    let mut rng = OsRandom::default();
    let sealed = seal_with::<AesGcm256, _>(recipient_public, info, aad, plaintext, &mut rng);
    // Whatever was computed from a failed draw is thrown away, success or not.
    if rng.failed {
        return Err(SealError::Random);
    }
    sealed
}

/// Opens what [`seal`] or a [`SealGroup`] made for the public key of `recipient_private`, with
/// the same `info` and `aad`.
pub fn open(
    recipient_private: &[u8; 32],
    info: &[u8],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Vec<u8>, SealError> {
    Opener::new(recipient_private, info).open(aad, sealed)
}

// Generic over the AEAD and the generator so the tests can run the published vectors, including
// the AES-128-GCM one, through the very code that seals and opens records.
fn seal_with<A: Aead, R: CryptoRng + RngCore>(
    recipient_public: &[u8],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>, SealError> {
    if recipient_public.len() != PUBLIC_KEY_LEN {
        return Err(SealError::KeyInvalid);
    }
    let pk = <PublicKey as Deserializable>::from_bytes(recipient_public)
        .map_err(|_| SealError::KeyInvalid)?;
    // Encapsulation fails only on an all-zero DH result, i.e. a low-order public key. The AEAD
    // step could refuse only a plaintext past AES-GCM's limit of about 64 GiB, which no record
    // comes near.
    let (enc, ciphertext) = hpke::single_shot_seal::<A, HkdfSha256, Dhkem, R>(
        &OpModeS::<Dhkem>::Base,
        &pk,
        info,
        plaintext,
        aad,
        rng,
    )
    .map_err(|_| SealError::KeyInvalid)?;
    let mut sealed = Vec::with_capacity(ENC_LEN + ciphertext.len());
    sealed.extend_from_slice(&enc.to_bytes());
    sealed.extend_from_slice(&ciphertext);
    Ok(sealed)
}

fn open_with<A: Aead>(
    recipient_private: &[u8; 32],
    info: &[u8],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Vec<u8>, SealError> {
    let sk = <PrivateKey as Deserializable>::from_bytes(recipient_private)
        .map_err(|_| SealError::KeyInvalid)?;
    let (enc, ciphertext) = sealed
        .split_at_checked(ENC_LEN)
        .ok_or(SealError::OpenFailed)?;
    let enc =
        <EncappedKey as Deserializable>::from_bytes(enc).map_err(|_| SealError::OpenFailed)?;
    // One answer for a low-order enc, a short ciphertext and a bad tag: the caller learns only
    // that this record does not open.
    hpke::single_shot_open::<A, HkdfSha256, Dhkem>(
        &OpModeR::<Dhkem>::Base,
        &sk,
        &enc,
        info,
        ciphertext,
        aad,
    )
    .map_err(|_| SealError::OpenFailed)
}

type ExportCtxS = hpke::aead::AeadCtxS<hpke::aead::ExportOnlyAead, HkdfSha256, Dhkem>;
type ExportCtxR = hpke::aead::AeadCtxR<hpke::aead::ExportOnlyAead, HkdfSha256, Dhkem>;

/// Messages to one recipient under one HPKE encapsulation (RFC 9180 base mode, export-only
/// AEAD, section 5.3). Each message is sealed with AES-256-GCM under its own key, exported from
/// the group's context with the message's associated data as exporter context, and a random
/// nonce, so the messages open one by one and in any order. Layout: `PSG1`, enc (32 bytes),
/// nonce (12), ciphertext and tag.
///
/// Whoever holds the group can open its messages: it lives in memory only, as long as the
/// plaintexts it seals do, and is wiped when dropped.
pub struct SealGroup {
    recipient: [u8; PUBLIC_KEY_LEN],
    info: Vec<u8>,
    enc: [u8; ENC_LEN],
    ctx: ExportCtxS,
}

impl SealGroup {
    pub fn new(recipient_public: &[u8], info: &[u8]) -> Result<SealGroup, SealError> {
        let recipient: [u8; PUBLIC_KEY_LEN] = recipient_public
            .try_into()
            .map_err(|_| SealError::KeyInvalid)?;
        let pk = <PublicKey as Deserializable>::from_bytes(&recipient)
            .map_err(|_| SealError::KeyInvalid)?;
        let mut rng = OsRandom::default();
        let (enc, ctx) = hpke::setup_sender::<hpke::aead::ExportOnlyAead, HkdfSha256, Dhkem, _>(
            &OpModeS::<Dhkem>::Base,
            &pk,
            info,
            &mut rng,
        )
        .map_err(|_| SealError::KeyInvalid)?;
        if rng.failed {
            return Err(SealError::Random);
        }
        let mut enc_bytes = [0u8; ENC_LEN];
        enc.write_exact(&mut enc_bytes);
        Ok(SealGroup {
            recipient,
            info: info.to_vec(),
            enc: enc_bytes,
            ctx,
        })
    }

    /// Whether this group seals for `public_key` with `info`.
    pub fn is_for(&self, public_key: &[u8], info: &[u8]) -> bool {
        self.recipient.as_slice() == public_key && self.info == info
    }

    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let key = message_key(|label, out| self.ctx.export(label, out), aad)?;
        let mut nonce = [0u8; NONCE_LEN];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce)
            .map_err(|_| SealError::Random)?;
        let mut sealed = Vec::with_capacity(GROUP_HEADER_LEN + plaintext.len() + 16);
        sealed.extend_from_slice(GROUP_MAGIC);
        sealed.extend_from_slice(&self.enc);
        sealed.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        key.seal_in_place_append_tag(
            ring::aead::Nonce::assume_unique_for_key(nonce),
            ring::aead::Aad::from(aad),
            &mut body,
        )
        .map_err(|_| SealError::KeyInvalid)?;
        sealed.extend_from_slice(&body);
        Ok(sealed)
    }
}

/// The AES-256-GCM key of one message: exported under the label and the message's associated
/// data, so a message moved to other associated data meets another key.
fn message_key(
    export: impl FnOnce(&[u8], &mut [u8]) -> Result<(), hpke::HpkeError>,
    aad: &[u8],
) -> Result<ring::aead::LessSafeKey, SealError> {
    let mut label = Vec::with_capacity(MESSAGE_KEY_LABEL.len() + aad.len());
    label.extend_from_slice(MESSAGE_KEY_LABEL);
    label.extend_from_slice(aad);
    let mut key = Zeroizing::new([0u8; 32]);
    export(&label, key.as_mut_slice()).map_err(|_| SealError::OpenFailed)?;
    let unbound = ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, key.as_slice())
        .map_err(|_| SealError::OpenFailed)?;
    Ok(ring::aead::LessSafeKey::new(unbound))
}

/// Opens single-shot and grouped seals for one private key, setting up each group's context
/// once (the X25519 exchange) however many of its messages arrive.
pub struct Opener {
    private: Zeroizing<[u8; 32]>,
    info: Vec<u8>,
    groups: std::collections::HashMap<[u8; ENC_LEN], ExportCtxR>,
}

/// Contexts an opener keeps; past this many the cache starts over (a batch holds a few groups).
const OPENER_GROUPS: usize = 256;

impl Opener {
    pub fn new(recipient_private: &[u8; 32], info: &[u8]) -> Opener {
        Opener {
            private: Zeroizing::new(*recipient_private),
            info: info.to_vec(),
            groups: std::collections::HashMap::new(),
        }
    }

    pub fn open(&mut self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        if let Some(grouped) = sealed.strip_prefix(GROUP_MAGIC.as_slice()) {
            if let Ok(plain) = self.open_grouped(aad, grouped) {
                return Ok(plain);
            }
            // A single-shot seal whose random enc happens to begin with the marker.
        }
        open_with::<AesGcm256>(&self.private, &self.info, aad, sealed)
    }

    fn open_grouped(&mut self, aad: &[u8], grouped: &[u8]) -> Result<Vec<u8>, SealError> {
        let (enc, rest) = grouped
            .split_at_checked(ENC_LEN)
            .ok_or(SealError::OpenFailed)?;
        let (nonce, ciphertext) = rest
            .split_at_checked(NONCE_LEN)
            .ok_or(SealError::OpenFailed)?;
        let enc: [u8; ENC_LEN] = enc.try_into().map_err(|_| SealError::OpenFailed)?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::OpenFailed)?;
        if !self.groups.contains_key(&enc) {
            let sk = <PrivateKey as Deserializable>::from_bytes(self.private.as_ref())
                .map_err(|_| SealError::KeyInvalid)?;
            let encapped = <EncappedKey as Deserializable>::from_bytes(&enc)
                .map_err(|_| SealError::OpenFailed)?;
            let ctx = hpke::setup_receiver::<hpke::aead::ExportOnlyAead, HkdfSha256, Dhkem>(
                &OpModeR::<Dhkem>::Base,
                &sk,
                &encapped,
                &self.info,
            )
            .map_err(|_| SealError::OpenFailed)?;
            if self.groups.len() >= OPENER_GROUPS {
                self.groups.clear();
            }
            self.groups.insert(enc, ctx);
        }
        let ctx = self.groups.get(&enc).ok_or(SealError::OpenFailed)?;
        let key = message_key(|label, out| ctx.export(label, out), aad)?;
        let mut body = ciphertext.to_vec();
        let plain = key
            .open_in_place(
                ring::aead::Nonce::assume_unique_for_key(nonce),
                ring::aead::Aad::from(aad),
                &mut body,
            )
            .map_err(|_| SealError::OpenFailed)?;
        let n = plain.len();
        body.truncate(n);
        Ok(body)
    }
}

fn public_bytes(pk: &PublicKey) -> [u8; PUBLIC_KEY_LEN] {
    let mut out = [0u8; PUBLIC_KEY_LEN];
    pk.write_exact(&mut out);
    out
}

/// The OS generator behind the infallible interface hpke asks for: a failed draw is remembered
/// (and its bytes zeroed) so the caller can discard everything made from it.
#[derive(Default)]
struct OsRandom {
    failed: bool,
}

impl RngCore for OsRandom {
    fn next_u32(&mut self) -> u32 {
        let mut bytes = [0u8; 4];
        self.fill_bytes(&mut bytes);
        u32::from_le_bytes(bytes)
    }

    fn next_u64(&mut self) -> u64 {
        let mut bytes = [0u8; 8];
        self.fill_bytes(&mut bytes);
        u64::from_le_bytes(bytes)
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        if OsRng.try_fill_bytes(dst).is_err() {
            self.failed = true;
            dst.fill(0);
        }
    }
}

impl CryptoRng for OsRandom {}

#[cfg(test)]
mod tests {
    use super::*;
    use hpke::aead::AesGcm128;

    /// RFC 9180's published vectors for this KEM and KDF in base mode (see
    /// tests/vectors/SOURCE.md).
    const VECTORS: &str = include_str!("../tests/vectors/hpke-base-x25519-sha256.json");

    #[derive(serde::Deserialize)]
    struct Vector {
        mode: u8,
        kem_id: u16,
        kdf_id: u16,
        aead_id: u16,
        info: String,
        #[serde(rename = "ikmR")]
        ikm_r: String,
        #[serde(rename = "ikmE")]
        ikm_e: String,
        #[serde(rename = "skRm")]
        sk_rm: String,
        #[serde(rename = "pkRm")]
        pk_rm: String,
        enc: String,
        encryptions: Vec<Encryption>,
    }

    #[derive(serde::Deserialize)]
    struct Encryption {
        aad: String,
        pt: String,
        ct: String,
    }

    fn unhex(text: &str) -> Vec<u8> {
        text.as_bytes()
            .chunks(2)
            .map(|pair| {
                assert_eq!(pair.len(), 2, "odd-length hex");
                let pair = std::str::from_utf8(pair).expect("hex is ASCII");
                u8::from_str_radix(pair, 16).expect("hex digit")
            })
            .collect()
    }

    fn vector(aead_id: u16) -> Vector {
        let vectors: Vec<Vector> = serde_json::from_str(VECTORS).expect("vector file parses");
        assert_eq!(vectors.len(), 2, "one vector per AEAD");
        vectors
            .into_iter()
            .find(|v| v.aead_id == aead_id)
            .expect("vector for this AEAD")
    }

    /// Replays a vector's ikmE, so encapsulation derives the published ephemeral key pair.
    struct Replay {
        bytes: Vec<u8>,
        taken: usize,
    }

    impl RngCore for Replay {
        fn next_u32(&mut self) -> u32 {
            let mut bytes = [0u8; 4];
            self.fill_bytes(&mut bytes);
            u32::from_le_bytes(bytes)
        }

        fn next_u64(&mut self) -> u64 {
            let mut bytes = [0u8; 8];
            self.fill_bytes(&mut bytes);
            u64::from_le_bytes(bytes)
        }

        fn fill_bytes(&mut self, dst: &mut [u8]) {
            let end = self.taken + dst.len();
            assert!(end <= self.bytes.len(), "drew more than ikmE holds");
            dst.copy_from_slice(&self.bytes[self.taken..end]);
            self.taken = end;
        }
    }

    impl CryptoRng for Replay {}

    /// A vector's inputs and its published `enc || ct`, decoded.
    struct Published {
        sk_rm: [u8; 32],
        info: Vec<u8>,
        aad: Vec<u8>,
        pt: Vec<u8>,
        sealed: Vec<u8>,
    }

    fn check_vector<A: Aead>(v: &Vector) -> Published {
        assert_eq!(
            (v.mode, v.kem_id, v.kdf_id, v.aead_id),
            (
                0,
                <Dhkem as Kem>::KEM_ID,
                <HkdfSha256 as hpke::kdf::Kdf>::KDF_ID,
                A::AEAD_ID
            )
        );
        let sk_rm: [u8; 32] = unhex(&v.sk_rm).try_into().expect("skRm is 32 bytes");
        let pk_rm = unhex(&v.pk_rm);

        // (a) DeriveKeyPair(ikmR) gives skRm and pkRm.
        let (sk, pk) = Dhkem::derive_keypair(&unhex(&v.ikm_r));
        assert_eq!(sk.to_bytes().as_slice(), sk_rm.as_slice(), "skRm");
        assert_eq!(pk.to_bytes().as_slice(), pk_rm.as_slice(), "pkRm");
        assert_eq!(
            public_key(&sk_rm).expect("skRm loads").as_slice(),
            pk_rm.as_slice()
        );

        // (b) Encapsulating with ikmE gives enc; sealing pt at sequence 0 gives ct.
        let first = &v.encryptions[0];
        let (info, aad, pt, ct) = (
            unhex(&v.info),
            unhex(&first.aad),
            unhex(&first.pt),
            unhex(&first.ct),
        );
        let enc = unhex(&v.enc);
        let mut rng = Replay {
            bytes: unhex(&v.ikm_e),
            taken: 0,
        };
        let sealed = seal_with::<A, _>(&pk_rm, &info, &aad, &pt, &mut rng).expect("seal");
        assert_eq!(rng.taken, rng.bytes.len(), "all of ikmE used");
        assert_eq!(&sealed[..ENC_LEN], enc.as_slice(), "enc");
        assert_eq!(&sealed[ENC_LEN..], ct.as_slice(), "ct");

        // (c) The published enc || ct opens to pt.
        let published = [enc, ct].concat();
        assert_eq!(
            open_with::<A>(&sk_rm, &info, &aad, &published).expect("open"),
            pt
        );
        Published {
            sk_rm,
            info,
            aad,
            pt,
            sealed: published,
        }
    }

    #[test]
    fn rfc9180_vector_for_our_suite() {
        let v = check_vector::<AesGcm256>(&vector(AesGcm256::AEAD_ID));
        // The public entry point, not only the generic path under it.
        assert_eq!(open(&v.sk_rm, &v.info, &v.aad, &v.sealed), Ok(v.pt));
    }

    #[test]
    fn rfc9180_appendix_a1_vector_checks_kem_and_kdf() {
        check_vector::<AesGcm128>(&vector(AesGcm128::AEAD_ID));
    }

    #[test]
    fn round_trip() {
        let (sk, pk) = generate_keypair().unwrap();
        assert_eq!(public_key(&sk).unwrap(), pk);
        let sealed = seal(&pk, b"info", b"aad", b"record").unwrap();
        assert_eq!(sealed.len(), ENC_LEN + b"record".len() + 16);
        assert_eq!(open(&sk, b"info", b"aad", &sealed).unwrap(), b"record");

        let empty = seal(&pk, b"", b"", b"").unwrap();
        assert_eq!(open(&sk, b"", b"", &empty).unwrap(), b"");

        // A fresh ephemeral key each time: the same record never seals to the same bytes.
        assert_ne!(seal(&pk, b"info", b"aad", b"record").unwrap(), sealed);
    }

    #[test]
    fn anything_but_the_right_inputs_fails_to_open() {
        let (sk, pk) = generate_keypair().unwrap();
        let (other_sk, _) = generate_keypair().unwrap();
        let sealed = seal(&pk, b"info", b"aad", b"record").unwrap();
        let failed: Result<Vec<u8>, SealError> = Err(SealError::OpenFailed);

        assert_eq!(open(&sk, b"info", b"aaD", &sealed), failed);
        assert_eq!(open(&sk, b"infO", b"aad", &sealed), failed);
        assert_eq!(open(&other_sk, b"info", b"aad", &sealed), failed);
        assert_eq!(open(&sk, b"info", b"aad", &[]), failed);
        for len in 0..sealed.len() {
            assert_eq!(open(&sk, b"info", b"aad", &sealed[..len]), failed);
        }
        for at in 0..sealed.len() {
            let mut flipped = sealed.clone();
            flipped[at] ^= 0x01;
            assert_eq!(open(&sk, b"info", b"aad", &flipped), failed);
        }
        let mut longer = sealed.clone();
        longer.push(0);
        assert_eq!(open(&sk, b"info", b"aad", &longer), failed);
        // An all-zero enc is a low-order point: refused, not a panic.
        let mut zero_enc = sealed;
        zero_enc[..ENC_LEN].fill(0);
        assert_eq!(open(&sk, b"info", b"aad", &zero_enc), failed);
    }

    #[test]
    fn bad_public_keys_are_refused() {
        let refused: Result<Vec<u8>, SealError> = Err(SealError::KeyInvalid);
        for bad in [&[0u8; 0][..], &[9u8; 31][..], &[9u8; 33][..]] {
            assert_eq!(seal(bad, b"info", b"aad", b"record"), refused);
        }
        // u = 0 and u = 1 are low-order points: the DH result would be all zeros.
        let mut one = [0u8; 32];
        one[0] = 1;
        for low_order in [[0u8; 32], one] {
            assert_eq!(seal(&low_order, b"info", b"aad", b"record"), refused);
        }
    }

    #[test]
    fn a_group_seals_many_messages_that_open_in_any_order() {
        let (sk, pk) = generate_keypair().unwrap();
        let group = SealGroup::new(&pk, b"info").unwrap();
        assert!(group.is_for(&pk, b"info"));
        assert!(!group.is_for(&pk, b"other"));
        let sealed: Vec<Vec<u8>> = (0..5)
            .map(|i| {
                group
                    .seal(format!("aad-{i}").as_bytes(), &[i as u8; 40])
                    .unwrap()
            })
            .collect();
        for s in &sealed {
            assert_eq!(s.len(), GROUP_HEADER_LEN + 40 + 16);
            assert_eq!(&s[..4], GROUP_MAGIC);
        }
        let mut opener = Opener::new(&sk, b"info");
        for i in [3usize, 0, 4, 1, 2] {
            let aad = format!("aad-{i}");
            assert_eq!(
                opener.open(aad.as_bytes(), &sealed[i]).unwrap(),
                vec![i as u8; 40]
            );
        }
        // One group, one context however many of its messages were opened.
        assert_eq!(opener.groups.len(), 1);
        // The free function opens grouped and single-shot seals alike.
        assert_eq!(
            open(&sk, b"info", b"aad-2", &sealed[2]).unwrap(),
            vec![2u8; 40]
        );
        let single = seal(&pk, b"info", b"aad", b"x").unwrap();
        assert_eq!(opener.open(b"aad", &single).unwrap(), b"x");
        // The same message sealed twice in a group: a fresh nonce, other bytes.
        assert_ne!(group.seal(b"aad-0", &[0; 40]).unwrap(), sealed[0]);
    }

    #[test]
    fn a_grouped_message_opens_only_with_its_own_inputs() {
        let (sk, pk) = generate_keypair().unwrap();
        let (other_sk, _) = generate_keypair().unwrap();
        let group = SealGroup::new(&pk, b"info").unwrap();
        let sealed = group.seal(b"aad", b"record").unwrap();
        let failed: Result<Vec<u8>, SealError> = Err(SealError::OpenFailed);
        let mut opener = Opener::new(&sk, b"info");
        // Another message's associated data meets another key: it does not open.
        assert_eq!(opener.open(b"aaD", &sealed), failed);
        assert_eq!(Opener::new(&sk, b"infO").open(b"aad", &sealed), failed);
        assert_eq!(
            Opener::new(&other_sk, b"info").open(b"aad", &sealed),
            failed
        );
        for len in 0..sealed.len() {
            assert_eq!(opener.open(b"aad", &sealed[..len]), failed);
        }
        for at in 0..sealed.len() {
            let mut flipped = sealed.clone();
            flipped[at] ^= 0x01;
            assert_eq!(opener.open(b"aad", &flipped), failed);
        }
        let mut zero_enc = sealed.clone();
        zero_enc[4..4 + ENC_LEN].fill(0);
        assert_eq!(opener.open(b"aad", &zero_enc), failed);
        assert_eq!(opener.open(b"aad", &sealed).unwrap(), b"record");
        assert!(SealGroup::new(&[0u8; 32], b"info").is_err());
        assert!(SealGroup::new(&[9u8; 31], b"info").is_err());
    }

    #[test]
    fn errors_read_as_english() {
        for error in [
            SealError::KeyInvalid,
            SealError::OpenFailed,
            SealError::Random,
        ] {
            assert!(!error.to_string().is_empty());
        }
    }
}
