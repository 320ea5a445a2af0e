//! Checks of a record's content that need no database: its times lie within a sane window of
//! the server's clock, so no later sum (a 14-day deadline, a local-time conversion) can
//! overflow and no record is dated in the year 292 million.
use perlinsos_protocol::outbox_kind;
use perlinsos_protocol::wire::{ErrorCode, PushEntry};
use serde_json::Value;

/// 2020-01-01T00:00:00Z: nothing in this pilot happened earlier.
pub const EARLIEST_TIME: i64 = 1_577_836_800_000;
/// Phone clocks drift; a few minutes ahead of the server is not an error.
pub const CLOCK_SKEW_MS: i64 = 10 * 60 * 1000;

/// Whether `time` (Unix milliseconds) is one the server accepts from a phone at `now`.
pub fn time_is_sane(time: i64, now: i64) -> bool {
    time >= EARLIEST_TIME && time <= now.saturating_add(CLOCK_SKEW_MS)
}

/// The times each kind must carry (JSON pointers into its body).
fn required_times(kind: &str) -> &'static [&'static str] {
    match kind {
        outbox_kind::HOUSEHOLD_REGISTERED => &["/registered_at"],
        outbox_kind::SANGGAHAN_FILED => &["/filed_at"],
        outbox_kind::SANGGAHAN_WITHDRAWN => &["/at"],
        outbox_kind::AUDIT_APPENDED => &["/at"],
        _ => &[],
    }
}

/// Times a kind may carry.
fn optional_times(kind: &str) -> &'static [&'static str] {
    match kind {
        outbox_kind::HOUSEHOLD_REGISTERED => &["/visit/started_at", "/consent/given_at"],
        _ => &[],
    }
}

/// Every time of the entry and its body inside the window, or why not.
pub fn check_times(entry: &PushEntry, now: i64) -> Result<(), ErrorCode> {
    if !time_is_sane(entry.created_at, now) {
        return Err(ErrorCode::TimeInvalid);
    }
    let check = |pointer: &str, required: bool| match entry.body.pointer(pointer) {
        None | Some(Value::Null) if !required => Ok(()),
        Some(value) => match value.as_i64() {
            Some(time) if time_is_sane(time, now) => Ok(()),
            Some(_) => Err(ErrorCode::TimeInvalid),
            None => Err(ErrorCode::BodyInvalid),
        },
        None => Err(ErrorCode::BodyInvalid),
    };
    for pointer in required_times(&entry.kind) {
        check(pointer, true)?;
    }
    for pointer in optional_times(&entry.kind) {
        check(pointer, false)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: &str, created_at: i64, body: Value) -> PushEntry {
        PushEntry {
            id: "e".into(),
            kind: kind.into(),
            entity_id: "x".into(),
            body,
            kelurahan_code: None,
            blobs: vec![],
            created_at,
        }
    }

    const NOW: i64 = 1_795_000_000_000;

    #[test]
    fn extreme_times_are_refused_without_overflow() {
        for bad in [
            i64::MIN,
            -1,
            0,
            EARLIEST_TIME - 1,
            NOW + CLOCK_SKEW_MS + 1,
            i64::MAX,
        ] {
            let filed = entry(
                outbox_kind::SANGGAHAN_FILED,
                NOW,
                serde_json::json!({ "filed_at": bad }),
            );
            assert_eq!(
                check_times(&filed, NOW),
                Err(ErrorCode::TimeInvalid),
                "{bad}"
            );
            let created = entry(
                outbox_kind::SANGGAHAN_FILED,
                bad,
                serde_json::json!({ "filed_at": NOW }),
            );
            assert_eq!(check_times(&created, NOW), Err(ErrorCode::TimeInvalid));
        }
        assert!(time_is_sane(NOW, NOW) && time_is_sane(EARLIEST_TIME, i64::MAX));
    }

    #[test]
    fn a_missing_or_non_integer_time_is_a_malformed_body() {
        let cases = [
            serde_json::json!({}),
            serde_json::json!({ "filed_at": "kemarin" }),
            serde_json::json!({ "filed_at": 1.5e300 }),
            serde_json::json!({ "filed_at": u64::MAX }),
        ];
        for body in cases {
            let e = entry(outbox_kind::SANGGAHAN_FILED, NOW, body);
            assert_eq!(check_times(&e, NOW), Err(ErrorCode::BodyInvalid));
        }
        let household = entry(
            outbox_kind::HOUSEHOLD_REGISTERED,
            NOW,
            serde_json::json!({ "registered_at": NOW, "visit": { "started_at": i64::MAX } }),
        );
        assert_eq!(check_times(&household, NOW), Err(ErrorCode::TimeInvalid));
        let fine = entry(
            outbox_kind::HOUSEHOLD_REGISTERED,
            NOW,
            serde_json::json!({ "registered_at": NOW, "consent": { "given_at": NOW - 1 } }),
        );
        assert_eq!(check_times(&fine, NOW), Ok(()));
    }
}
