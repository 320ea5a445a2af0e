//! The near-duplicate photo search through B-tree indexes (multi-index hashing): a 64-bit
//! perceptual hash is stored with its four 16-bit bands, each indexed. Two hashes at most
//! `NEAR_DUPLICATE_MAX_DISTANCE` bits apart differ in some band by at most a quarter of that
//! (pigeonhole), so looking up every value within that radius of each band finds every near
//! duplicate; the exact distance then decides among the few candidates. No photo is missed
//! and no table is scanned.
use perlinsos_rules::evidence::phash::NEAR_DUPLICATE_MAX_DISTANCE;

pub const BANDS: usize = 4;
const BAND_BITS: u32 = 16;
/// Within this many bits in one band when within the threshold in all 64.
const RADIUS: u32 = NEAR_DUPLICATE_MAX_DISTANCE / BANDS as u32;

/// The hash's bands, most significant first, as the `band0`..`band3` columns hold them.
pub fn bands(phash: u64) -> [i64; BANDS] {
    std::array::from_fn(|i| {
        let shift = BAND_BITS * (BANDS - 1 - i) as u32;
        ((phash >> shift) & 0xffff) as i64
    })
}

/// Every 16-bit value at most `RADIUS` bits from `value` (itself included).
fn neighbours(value: i64) -> Vec<i64> {
    let mut out = vec![value];
    let mut frontier = vec![(value, 0u32)];
    for _ in 0..RADIUS {
        let mut next = Vec::new();
        for (v, lowest) in frontier {
            // Flip only bits above the last flipped one: each set of bits is made once.
            for bit in lowest..BAND_BITS {
                let flipped = v ^ (1 << bit);
                out.push(flipped);
                next.push((flipped, bit + 1));
            }
        }
        frontier = next;
    }
    out
}

/// The WHERE condition that finds every near duplicate of any of `hashes`: integers this
/// function made, written as literals (no parameter limit, nothing from outside).
pub fn candidates_condition(hashes: &[u64]) -> Option<String> {
    if hashes.is_empty() {
        return None;
    }
    let mut per_band: [std::collections::BTreeSet<i64>; BANDS] = Default::default();
    for &hash in hashes {
        for (set, band) in per_band.iter_mut().zip(bands(hash)) {
            set.extend(neighbours(band));
        }
    }
    let terms: Vec<String> = per_band
        .iter()
        .enumerate()
        .map(|(i, values)| {
            let list: Vec<String> = values.iter().map(i64::to_string).collect();
            format!("band{i} IN ({})", list.join(","))
        })
        .collect();
    Some(terms.join(" OR "))
}

/// PostgreSQL counts bits itself: a condition that keeps only the rows within the distance of
/// one of `hashes`, so a few thousand band candidates are not all sent to the server process
/// (SQLite has no bit count: there the caller's exact check does it alone).
pub fn within_distance_postgres(hashes: &[u64]) -> String {
    let terms: Vec<String> = hashes
        .iter()
        .map(|h| {
            format!(
                "bit_count((phash # ({})::bigint)::bit(64)) <= {NEAR_DUPLICATE_MAX_DISTANCE}",
                *h as i64
            )
        })
        .collect();
    format!("({})", terms.join(" OR "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use perlinsos_rules::evidence::phash::is_near_duplicate;
    use proptest::prelude::*;

    #[test]
    fn a_band_has_every_value_within_the_radius_once() {
        let n = neighbours(0x0f0f);
        let unique: std::collections::BTreeSet<_> = n.iter().collect();
        assert_eq!(n.len(), 1 + 16 + 120);
        assert_eq!(unique.len(), n.len());
        assert!(n
            .iter()
            .all(|v| ((v ^ 0x0f0f) as u64).count_ones() <= RADIUS));
    }

    fn found(a: u64, b: u64) -> bool {
        bands(a)
            .iter()
            .zip(bands(b))
            .any(|(x, y)| neighbours(*x).contains(&y))
    }

    proptest! {
        #[test]
        fn every_near_duplicate_shares_a_band_neighbourhood(
            a in any::<u64>(),
            flips in proptest::collection::vec(0u32..64, 0..=NEAR_DUPLICATE_MAX_DISTANCE as usize),
        ) {
            let b = flips.iter().fold(a, |h, bit| h ^ (1 << bit));
            prop_assert!(is_near_duplicate(a, b));
            prop_assert!(found(a, b));
        }
    }
}
