//! The device signatures on a batch's audit entries, checked together before the entries are
//! applied. A push carries about eleven audit entries per household, all signed by the one
//! device that sends it; checked one by one they were a fifth of the server's CPU at the
//! ingest peak.
//!
//! The rule is ZIP 215 (Ed25519 as the Zcash specification pins it down: S canonical, the
//! equation with the cofactor), because under it a batch and each signature alone always
//! agree, so the batch's answer is exactly the per-entry answer; RFC 8032's equation without
//! the cofactor, which ring checks, has no batch form that agrees with it. Every signature a
//! phone makes (ring, RFC 8032) is valid under both, and so is everything ring accepts; what
//! ZIP 215 accepts beyond that can only be made deliberately by the key's own holder.
//! When a batch fails, each signature is checked alone to find the ones that do not hold.
use ed25519_zebra::batch;
use ed25519_zebra::{Signature, VerificationKey, VerificationKeyBytes};

/// One audit entry's signature: the hash it signs (the entry's `hash`) and the signature.
pub struct Signed<'a> {
    pub hash: &'a [u8],
    pub signature: &'a [u8],
}

/// Whether each signature is `public_key`'s over its hash, in order.
pub fn verify_all(public_key: &[u8], signed: &[Signed<'_>]) -> Vec<bool> {
    let Some(key) = key_bytes(public_key) else {
        return vec![false; signed.len()];
    };
    let signatures: Vec<Option<Signature>> =
        signed.iter().map(|s| signature(s.signature)).collect();
    let mut verifier = batch::Verifier::new();
    let mut queued = 0;
    for (s, signature) in signed.iter().zip(&signatures) {
        if let Some(signature) = signature {
            verifier.queue((key, *signature, s.hash));
            queued += 1;
        }
    }
    // The batch's random coefficients are what makes a forged signature fail it.
    if queued == signed.len() && queued > 0 && verifier.verify(rand_core::OsRng).is_ok() {
        return vec![true; signed.len()];
    }
    let key = VerificationKey::try_from(key).ok();
    signed
        .iter()
        .zip(&signatures)
        .map(|(s, signature)| match (&key, signature) {
            (Some(key), Some(signature)) => key.verify(signature, s.hash).is_ok(),
            _ => false,
        })
        .collect()
}

fn key_bytes(public_key: &[u8]) -> Option<VerificationKeyBytes> {
    let bytes: [u8; 32] = public_key.try_into().ok()?;
    Some(VerificationKeyBytes::from(bytes))
}

fn signature(bytes: &[u8]) -> Option<Signature> {
    let bytes: [u8; 64] = bytes.try_into().ok()?;
    Some(Signature::from_bytes(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};

    fn device_key(seed: u8) -> Ed25519KeyPair {
        Ed25519KeyPair::from_seed_unchecked(&[seed; 32]).unwrap()
    }

    fn ring_accepts(key: &[u8], hash: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, key)
            .verify(hash, signature)
            .is_ok()
    }

    /// S + L: the same value, not canonically encoded.
    fn malleated(signature: &[u8]) -> Vec<u8> {
        const ORDER: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut out = signature.to_vec();
        let mut carry = 0u16;
        for (s, l) in out[32..].iter_mut().zip(ORDER) {
            let sum = u16::from(*s) + u16::from(l) + carry;
            *s = sum as u8;
            carry = sum >> 8;
        }
        out
    }

    #[test]
    fn a_phone_batch_verifies_and_each_bad_signature_is_found() {
        let pair = device_key(7);
        let key = pair.public_key().as_ref();
        let hashes: Vec<[u8; 32]> = (0..46u8).map(|i| [i; 32]).collect();
        let mut signatures: Vec<Vec<u8>> = hashes
            .iter()
            .map(|h| pair.sign(h).as_ref().to_vec())
            .collect();
        let signed = |signatures: &[Vec<u8>]| -> Vec<bool> {
            let list: Vec<Signed> = hashes
                .iter()
                .zip(signatures)
                .map(|(hash, signature)| Signed { hash, signature })
                .collect();
            verify_all(key, &list)
        };
        assert_eq!(signed(&signatures), vec![true; 46]);
        // Another key's signature, a changed bit, a non-canonical S, a short one.
        signatures[3] = device_key(8).sign(&hashes[3]).as_ref().to_vec();
        signatures[10][5] ^= 1;
        signatures[20] = malleated(&signatures[20]);
        signatures[30].truncate(63);
        let mut expected = vec![true; 46];
        for i in [3, 10, 20, 30] {
            expected[i] = false;
        }
        assert_eq!(signed(&signatures), expected);
        assert!(!ring_accepts(key, &hashes[20], &signatures[20]));
        // Not a key at all.
        let list = [Signed {
            hash: &hashes[0],
            signature: &signatures[0],
        }];
        assert_eq!(verify_all(&[0xff; 32], &list), vec![false]);
        assert_eq!(verify_all(&key[..31], &list), vec![false]);
        assert!(verify_all(key, &[]).is_empty());
    }

    proptest! {
        /// Whatever a phone sends (bits flipped in valid signatures, any bytes at all), each
        /// answer is the per-signature answer, and ring's answer wherever ring accepts.
        #[test]
        fn batch_answers_are_each_signatures_answer(
            flips in proptest::collection::vec(proptest::option::of(0usize..(64 * 8)), 1..12),
            junk in proptest::collection::vec(any::<u8>(), 64),
            key_bytes in proptest::collection::vec(any::<u8>(), 32),
        ) {
            let pair = device_key(5);
            let key = pair.public_key().as_ref();
            let hashes: Vec<[u8; 32]> = (0..flips.len()).map(|i| [i as u8; 32]).collect();
            let mut signatures: Vec<Vec<u8>> = hashes.iter().map(|h| pair.sign(h).as_ref().to_vec()).collect();
            for (signature, flip) in signatures.iter_mut().zip(&flips) {
                if let Some(bit) = flip {
                    signature[bit / 8] ^= 1 << (bit % 8);
                }
            }
            signatures.push(junk.clone());
            let mut all_hashes = hashes.clone();
            all_hashes.push([0xaa; 32]);
            let list: Vec<Signed> = all_hashes
                .iter()
                .zip(&signatures)
                .map(|(hash, signature)| Signed { hash, signature })
                .collect();
            let together = verify_all(key, &list);
            for (i, s) in list.iter().enumerate() {
                prop_assert_eq!(together[i], verify_all(key, std::slice::from_ref(s))[0]);
                prop_assert_eq!(together[i], ring_accepts(key, s.hash, s.signature));
            }
            let other = verify_all(&key_bytes, &list[..1]);
            prop_assert_eq!(other[0], ring_accepts(&key_bytes, list[0].hash, list[0].signature));
        }
    }
}
