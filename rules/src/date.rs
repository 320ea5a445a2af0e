//! A small civil (proleptic Gregorian) date: NIK and KK rules need only day arithmetic,
//! not time zones, so a dependency would be more surface than help.
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

/// Indonesia's easternmost zone (WIT, UTC+9): a date that has begun anywhere in the country
/// is not "in the future" for validation.
const LATEST_OFFSET_SECONDS: i64 = 9 * 3600;

impl Date {
    /// A real calendar date, or `None`.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    pub fn year(self) -> i32 {
        self.year
    }
    pub fn month(self) -> u8 {
        self.month
    }
    pub fn day(self) -> u8 {
        self.day
    }

    /// Today's date in WIT; see [`LATEST_OFFSET_SECONDS`].
    pub fn today() -> Date {
        Date::of_unix_millis(now_millis())
    }

    /// The WIT date at a Unix time in milliseconds.
    pub fn of_unix_millis(millis: i64) -> Date {
        let seconds = millis.div_euclid(1000);
        Date::from_days_since_epoch((seconds + LATEST_OFFSET_SECONDS).div_euclid(86_400))
    }

    /// Days since 1970-01-01 (Howard Hinnant's civil-from-days algorithm).
    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    pub fn days_since_epoch(self) -> i64 {
        let year = i64::from(self.year) - i64::from(self.month <= 2);
        let era = year.div_euclid(400);
        let yoe = year - era * 400;
        let month = i64::from(self.month);
        let mp = if month > 2 { month - 3 } else { month + 9 };
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Whole years from `self` to `on` (age on a date).
    pub fn years_until(self, on: Date) -> i32 {
        let mut years = on.year - self.year;
        if (on.month, on.day) < (self.month, self.day) {
            years -= 1;
        }
        years
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse_iso(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let year = parse_digits(&bytes[0..4])?;
        let month = parse_digits(&bytes[5..7])?;
        let day = parse_digits(&bytes[8..10])?;
        Date::new(year as i32, month as u8, day as u8)
    }
}

/// Unix time in milliseconds from the system clock.
/// Unix time in milliseconds.
pub type Millis = i64;
/// The clock every rule and record reads: injected, so tests and replays decide "now".
pub type Clock = std::sync::Arc<dyn Fn() -> Millis + Send + Sync>;
pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The system clock, as a [`Clock`].
pub fn system_clock() -> Clock {
    std::sync::Arc::new(now_millis)
}

pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Parses ASCII digits only (no sign, no Unicode digits).
pub(crate) fn parse_digits(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || bytes.len() > 9 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        bytes
            .iter()
            .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0')),
    )
}

pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Date::parse_iso(&text).ok_or_else(|| serde::de::Error::custom("invalid date"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn leap_days_exist_only_in_leap_years() {
        assert!(Date::new(2000, 2, 29).is_some());
        assert!(Date::new(2024, 2, 29).is_some());
        assert!(Date::new(1900, 2, 29).is_none());
        assert!(Date::new(2023, 2, 29).is_none());
        assert!(Date::new(2023, 4, 31).is_none());
        assert!(Date::new(2023, 13, 1).is_none());
    }

    #[test]
    fn age_counts_whole_years() {
        let birth = Date::new(2008, 11, 29).unwrap();
        assert_eq!(birth.years_until(Date::new(2025, 11, 28).unwrap()), 16);
        assert_eq!(birth.years_until(Date::new(2025, 11, 29).unwrap()), 17);
    }

    #[test]
    fn iso_parse_rejects_non_ascii_and_bad_shapes() {
        assert_eq!(Date::parse_iso("1990-01-31"), Date::new(1990, 1, 31));
        assert!(Date::parse_iso("1990-1-31").is_none());
        assert!(Date::parse_iso("１990-01-31").is_none());
        assert!(Date::parse_iso("1990-02-30").is_none());
    }

    proptest! {
        #[test]
        fn epoch_days_round_trip(days in -1_000_000i64..1_000_000) {
            let date = Date::from_days_since_epoch(days);
            prop_assert_eq!(date.days_since_epoch(), days);
            prop_assert!(Date::new(date.year(), date.month(), date.day()).is_some());
        }
    }
}
