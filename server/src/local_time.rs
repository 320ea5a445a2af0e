//! Indonesia's three time zones, chosen by a kelurahan's province, and the one conversion of a
//! Unix time into a local date and time (jiff with the bundled IANA database). Indonesia keeps
//! no daylight saving, but hand-added hours went wrong once (the console showed tomorrow's date
//! from 15:00 WITA); the library keeps that from happening again.
use jiff::tz::TimeZone;
use jiff::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// Waktu Indonesia Barat (UTC+7): Sumatra, Java, West and Central Kalimantan.
    Wib,
    /// Waktu Indonesia Tengah (UTC+8): Bali, Nusa Tenggara, South, East and North Kalimantan,
    /// Sulawesi.
    Wita,
    /// Waktu Indonesia Timur (UTC+9): Maluku and Papua.
    Wit,
}

impl Zone {
    /// The zone of a region code (`52.71.01.1004`, or just its province `52`); WITA when the
    /// province is unknown (the pilot's districts are in NTB).
    pub fn of_region(code: &str) -> Zone {
        match code.get(..2).and_then(|p| p.parse::<u8>().ok()) {
            Some(11..=36 | 61 | 62) => Zone::Wib,
            Some(81..=99) => Zone::Wit,
            _ => Zone::Wita,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Zone::Wib => "WIB",
            Zone::Wita => "WITA",
            Zone::Wit => "WIT",
        }
    }

    fn iana(self) -> &'static str {
        match self {
            Zone::Wib => "Asia/Jakarta",
            Zone::Wita => "Asia/Makassar",
            Zone::Wit => "Asia/Jayapura",
        }
    }

    fn time_zone(self) -> TimeZone {
        // The bundled database always has these three.
        TimeZone::get(self.iana()).unwrap_or(TimeZone::UTC)
    }
}

/// A Unix time in milliseconds as `2026-11-29 10:05 WITA`; `-` for a time no calendar holds
/// (a stored time from a phone may be any number).
pub fn date_time(millis: i64, zone: Zone) -> String {
    match Timestamp::from_millisecond(millis) {
        Ok(t) => format!(
            "{} {}",
            t.to_zoned(zone.time_zone()).strftime("%Y-%m-%d %H:%M"),
            zone.label()
        ),
        Err(_) => "-".to_owned(),
    }
}

/// The UTC calendar date of a Unix time in milliseconds (`YYYY-MM-DD`), as the export's
/// documentation promises; empty for a time no calendar holds.
pub fn utc_date(millis: i64) -> String {
    match Timestamp::from_millisecond(millis) {
        Ok(t) => t.strftime("%Y-%m-%d").to_string(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-29 16:00:00 UTC: midnight in WITA.
    const UTC_16: i64 = 1_795_968_000_000;

    #[test]
    fn each_zone_turns_the_day_at_its_own_midnight() {
        // 16:59 UTC is 23:59 WIB, 00:59 the next day WITA, 01:59 WIT.
        let t = UTC_16 + 59 * 60_000;
        assert_eq!(date_time(t, Zone::Wib), "2026-11-29 23:59 WIB");
        assert_eq!(date_time(t, Zone::Wita), "2026-11-30 00:59 WITA");
        assert_eq!(date_time(t, Zone::Wit), "2026-11-30 01:59 WIT");
        // 15:59 UTC is 23:59 WITA, still the 29th (the old console said the 30th from 15:00).
        assert_eq!(
            date_time(UTC_16 - 60_000, Zone::Wita),
            "2026-11-29 23:59 WITA"
        );
        assert_eq!(date_time(UTC_16, Zone::Wita), "2026-11-30 00:00 WITA");
        assert_eq!(
            date_time(UTC_16 - 7 * 3_600_000, Zone::Wita),
            "2026-11-29 17:00 WITA"
        );
        assert_eq!(
            date_time(UTC_16 + 3_600_000 - 1, Zone::Wib),
            "2026-11-29 23:59 WIB"
        );
        assert_eq!(
            date_time(UTC_16 + 3_600_000, Zone::Wib),
            "2026-11-30 00:00 WIB"
        );
        assert_eq!(
            date_time(UTC_16 - 3_600_000, Zone::Wit),
            "2026-11-30 00:00 WIT"
        );
    }

    #[test]
    fn the_export_date_is_the_utc_date_and_absurd_times_do_not_panic() {
        assert_eq!(utc_date(UTC_16 + 8 * 3_600_000 - 1), "2026-11-29");
        assert_eq!(utc_date(UTC_16 + 8 * 3_600_000), "2026-11-30");
        for absurd in [i64::MIN, i64::MAX, -1] {
            let _ = date_time(absurd, Zone::Wit);
            let _ = utc_date(absurd);
        }
        assert_eq!(date_time(i64::MAX, Zone::Wita), "-");
    }

    #[test]
    fn provinces_map_to_their_zones() {
        assert_eq!(Zone::of_region("52.71.01.1004"), Zone::Wita); // Kota Mataram, NTB
        assert_eq!(Zone::of_region("52.03"), Zone::Wita); // Lombok Timur
        assert_eq!(Zone::of_region("35.10"), Zone::Wib); // Banyuwangi, Jawa Timur
        assert_eq!(Zone::of_region("61.71"), Zone::Wib); // Pontianak
        assert_eq!(Zone::of_region("64.72"), Zone::Wita); // Samarinda
        assert_eq!(Zone::of_region("91.71"), Zone::Wit); // Jayapura
        assert_eq!(Zone::of_region("81"), Zone::Wit); // Maluku
        assert_eq!(Zone::of_region("51"), Zone::Wita); // Bali
        assert_eq!(Zone::of_region(""), Zone::Wita);
    }
}
