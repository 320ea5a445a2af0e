//! Exponential backoff with full jitter: after the n-th failure in a row, wait a random time
//! between 0 and min(cap, base · 2ⁿ), so phones that lost signal together do not come back
//! together. A server's Retry-After is a floor.

pub const BASE_MS: i64 = 1_000;
pub const CAP_MS: i64 = 5 * 60 * 1_000;

/// The wait after `failures` failures in a row, for backoff `(base, cap)` in ms; `random` is
/// uniform in [0, 1).
pub fn delay_ms(
    (base, cap): (i64, i64),
    failures: u32,
    random: f64,
    retry_after_ms: Option<i64>,
) -> i64 {
    let ceiling = base.saturating_mul(1_i64 << failures.min(20)).min(cap);
    let jittered = (ceiling as f64 * random.clamp(0.0, 1.0)) as i64;
    jittered.max(retry_after_ms.unwrap_or(0))
}

/// A uniform random number in [0, 1) from the system's generator.
pub fn unit_random() -> f64 {
    let mut bytes = [0u8; 8];
    if crate::crypt::random_bytes(&mut bytes).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_to_the_cap_and_honour_retry_after() {
        let default = (BASE_MS, CAP_MS);
        assert_eq!(delay_ms(default, 0, 0.999_999, None), 999);
        assert_eq!(delay_ms(default, 3, 0.5, None), 4_000);
        assert_eq!(delay_ms(default, 40, 0.999_999, None), CAP_MS - 1);
        assert_eq!(delay_ms(default, 2, 0.0, Some(30_000)), 30_000);
        let r = unit_random();
        assert!((0.0..1.0).contains(&r));
    }
}
