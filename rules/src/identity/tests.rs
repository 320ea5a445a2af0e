use super::*;
use proptest::prelude::*;

fn today() -> Date {
    Date::new(2026, 11, 28).unwrap()
}

fn date(y: i32, m: u8, d: u8) -> Date {
    Date::new(y, m, d).unwrap()
}

#[test]
fn man_from_mataram_is_valid() {
    let info = parse_nik("5271011705850001", today()).unwrap();
    assert_eq!(info.sex, Sex::L);
    assert_eq!(info.birth_date, date(1985, 5, 17));
    assert_eq!(info.kecamatan, "52.71.01");
    assert_eq!(info.kecamatan_status, KecamatanStatus::Current);
    assert!(info.warnings.is_empty());
}

#[test]
fn woman_has_forty_added_to_the_day() {
    let info = parse_nik("5203055705900002", today()).unwrap();
    assert_eq!(info.sex, Sex::P);
    assert_eq!(info.birth_date, date(1990, 5, 17));
    let info = parse_nik("5271014101000001", today()).unwrap();
    assert_eq!((info.sex, info.birth_date), (Sex::P, date(2000, 1, 1)));
    let info = parse_nik("5271017112990001", today()).unwrap();
    assert_eq!((info.sex, info.birth_date), (Sex::P, date(1999, 12, 31)));
}

#[test]
fn day_outside_both_ranges_is_invalid() {
    for day in ["00", "32", "39", "40", "72", "99"] {
        let nik = format!("527101{day}05850001");
        assert_eq!(
            parse_nik(&nik, today()),
            Err(ErrorCode::NikBirthDateInvalid),
            "{day}"
        );
    }
}

#[test]
fn twenty_ninth_of_february_only_in_leap_years() {
    // 2000 is a leap year (divisible by 400), 2004 too; 2001 is not.
    assert_eq!(
        parse_nik("5271012902000001", today()).unwrap().birth_date,
        date(2000, 2, 29)
    );
    assert_eq!(
        parse_nik("5271016902040001", today()).unwrap().birth_date,
        date(2004, 2, 29)
    );
    assert_eq!(
        parse_nik("5271012902010001", today()),
        Err(ErrorCode::NikBirthDateInvalid)
    );
    // 28 resolves to 1928 (2028 is in the future); 1928 was a leap year.
    assert_eq!(
        parse_nik("5271012902280001", today()).unwrap().birth_date,
        date(1928, 2, 29)
    );
    assert_eq!(
        parse_nik("5271013102850001", today()),
        Err(ErrorCode::NikBirthDateInvalid)
    );
    assert_eq!(
        parse_nik("5271011013850001", today()),
        Err(ErrorCode::NikBirthDateInvalid)
    );
}

#[test]
fn two_digit_year_is_the_most_recent_date_not_in_the_future() {
    assert_eq!(
        parse_nik("5271012811260001", today()).unwrap().birth_date,
        date(2026, 11, 28)
    );
    // 29 November 2026 has not happened yet on 28 November 2026.
    assert_eq!(
        parse_nik("5271012911260001", today()).unwrap().birth_date,
        date(1926, 11, 29)
    );
    assert_eq!(
        parse_nik("5271010101270001", today()).unwrap().birth_date,
        date(1927, 1, 1)
    );
    assert_eq!(
        parse_nik("5271010101250001", today()).unwrap().birth_date,
        date(2025, 1, 1)
    );
}

#[test]
fn retired_kecamatan_is_valid_without_warning() {
    // 91.01.01 was in the 2016-2022 lists and is no longer current.
    let info = parse_nik("9101011705850001", today()).unwrap();
    assert_eq!(info.kecamatan_status, KecamatanStatus::Retired);
    assert!(info.warnings.is_empty());
}

#[test]
fn unknown_kecamatan_is_valid_with_a_warning() {
    let info = parse_nik("5271991705850001", today()).unwrap();
    assert_eq!(info.kecamatan_status, KecamatanStatus::Unknown);
    assert_eq!(info.warnings, vec![ErrorCode::NikKecamatanUnknown]);
}

#[test]
fn unknown_province_is_rejected() {
    assert_eq!(
        parse_nik("9901011705850001", today()),
        Err(ErrorCode::NikProvinceUnknown)
    );
    assert_eq!(
        parse_nik("0001011705850001", today()),
        Err(ErrorCode::NikProvinceUnknown)
    );
}

#[test]
fn serial_zero_is_rejected() {
    assert_eq!(
        parse_nik("5271011705850000", today()),
        Err(ErrorCode::NikSerialZero)
    );
}

#[test]
fn wrong_lengths_are_rejected() {
    for nik in ["", "527101170585000", "52710117058500011", "5"] {
        assert_eq!(
            parse_nik(nik, today()),
            Err(ErrorCode::NikLength),
            "{nik:?}"
        );
    }
}

#[test]
fn non_ascii_digits_are_rejected() {
    // Full-width, Arabic-Indic and Devanagari digits, a letter, an inner space, a sign.
    for nik in [
        "５２７１０１１７０５８５０００１",
        "٥٢٧١٠١١٧٠٥٨٥٠٠٠١",
        "५२७१०११७०५८५०००१",
        "527101170585000I",
        "5271 011705850001",
        "+271011705850001",
    ] {
        assert_eq!(
            parse_nik(nik, today()),
            Err(ErrorCode::NikNotDigits),
            "{nik}"
        );
    }
}

#[test]
fn surrounding_whitespace_is_forgiven() {
    assert!(parse_nik(" 5271011705850001\n", today()).is_ok());
}

#[test]
fn kk_follows_the_same_region_rules() {
    let info = parse_kk("5271010203150004", today()).unwrap();
    assert_eq!(info.issue_date, date(2015, 3, 2));
    assert_eq!(info.kecamatan, "52.71.01");
    assert!(info.warnings.is_empty());
    assert_eq!(
        parse_kk("9101010203150004", today())
            .unwrap()
            .kecamatan_status,
        KecamatanStatus::Retired
    );
    assert_eq!(
        parse_kk("5271990203150004", today()).unwrap().warnings,
        vec![ErrorCode::KkKecamatanUnknown]
    );
    assert_eq!(
        parse_kk("9901010203150004", today()),
        Err(ErrorCode::KkProvinceUnknown)
    );
}

#[test]
fn kk_date_has_no_plus_forty_and_must_be_real() {
    assert_eq!(
        parse_kk("5271014203150004", today()),
        Err(ErrorCode::KkIssueDateInvalid)
    );
    assert_eq!(
        parse_kk("5271012902150004", today()),
        Err(ErrorCode::KkIssueDateInvalid)
    );
    assert_eq!(
        parse_kk("5271012902160004", today()).unwrap().issue_date,
        date(2016, 2, 29)
    );
}

#[test]
fn kk_issue_date_is_never_in_the_future() {
    // 1 December 2026 would be in the future: the most recent past one is 1926.
    let info = parse_kk("5271010112260004", today()).unwrap();
    assert_eq!(info.issue_date, date(1926, 12, 1));
    assert!(info.issue_date <= today());
}

#[test]
fn kk_length_digits_and_serial() {
    assert_eq!(
        parse_kk("527101020315000", today()),
        Err(ErrorCode::KkLength)
    );
    assert_eq!(
        parse_kk("52710102031500O4", today()),
        Err(ErrorCode::KkNotDigits)
    );
    assert_eq!(
        parse_kk("5271010203150000", today()),
        Err(ErrorCode::KkSerialZero)
    );
}

proptest! {
    #[test]
    fn parsers_never_panic(input in "\\PC{0,40}") {
        let _ = parse_nik(&input, today());
        let _ = parse_kk(&input, today());
    }

    #[test]
    fn valid_nik_round_trips_sex_and_birth_date(
        days in 0i64..40_000, female in any::<bool>(), serial in 1u16..=9999,
    ) {
        let birth = Date::from_days_since_epoch(today().days_since_epoch() - days);
        let day = birth.day() + if female { 40 } else { 0 };
        let nik = format!(
            "527101{day:02}{:02}{:02}{serial:04}",
            birth.month(),
            birth.year().rem_euclid(100)
        );
        let info = parse_nik(&nik, today()).unwrap();
        prop_assert_eq!(info.sex, if female { Sex::P } else { Sex::L });
        // Within the last 100 years the two-digit year is unambiguous.
        if days < 36_500 {
            prop_assert_eq!(info.birth_date, birth);
        }
        prop_assert!(info.birth_date <= today());
    }
}
