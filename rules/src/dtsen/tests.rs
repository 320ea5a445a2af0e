use super::extract::{self, LineError};
use super::search;
use super::*;
use crate::error::ErrorCode;

fn today() -> Date {
    Date::new(2026, 12, 1).unwrap()
}

fn family(id: &str) -> Family {
    Family {
        id: id.to_owned(),
        version: 1,
        kk: "5271010101200001".to_owned(),
        kelurahan_code: "52.71.01.1004".to_owned(),
        rt: 3,
        rw: 2,
        address: "Gg. Melati No. 4".to_owned(),
        desil: Some(2),
        programmes: vec![Programme::Pkh],
        members: vec![
            FamilyMember {
                nik: "5271011203800001".to_owned(),
                name: "Lalu Muhammad Rahman".to_owned(),
                relation: Relation::KepalaKeluarga,
                sex: Sex::L,
                birth_date: Date::new(1980, 3, 12).unwrap(),
            },
            FamilyMember {
                nik: "5271015507850002".to_owned(),
                name: "Baiq Siti Nur'aini".to_owned(),
                relation: Relation::Istri,
                sex: Sex::P,
                birth_date: Date::new(1985, 7, 15).unwrap(),
            },
        ],
        pmt_answers: Answers::new(),
        revision: 0,
    }
}

fn last_answers() -> Answers {
    use crate::pmt::Answer;
    [
        ("lantai", Answer::Choice("semen".to_owned())),
        ("kulkas", Answer::YesNo(false)),
        ("sepeda_motor", Answer::Number(2.0)),
    ]
    .into_iter()
    .map(|(id, a)| (id.to_owned(), a))
    .collect()
}

fn codes(errors: &[LineError]) -> Vec<(u64, &str, ErrorCode)> {
    errors
        .iter()
        .map(|e| (e.line, e.column.as_str(), e.code))
        .collect()
}

#[test]
fn a_written_extract_reads_back_the_same() {
    let families = vec![family("F-1"), {
        let mut f = family("F-2");
        f.kk = "5271010101200002".to_owned();
        f.members.truncate(1);
        f.members[0].nik = "5271011203800003".to_owned();
        f.desil = None;
        f.programmes.clear();
        f
    }];
    assert!(check_family("family", &families[0], today()).is_empty());
    let text = extract::write(&families);
    let read = extract::parse(text.as_bytes(), today()).unwrap();
    assert_eq!(read, families);
}

#[test]
fn last_answers_travel_in_pmt_columns_and_read_back() {
    let mut with = family("F-1");
    with.pmt_answers = last_answers();
    let mut without = family("F-2");
    without.kk = "5271010101200002".to_owned();
    without.members.truncate(1);
    without.members[0].nik = "5271011203800003".to_owned();
    let families = vec![with, without];
    let text = extract::write(&families);
    assert!(text
        .lines()
        .next()
        .unwrap()
        .ends_with(",pmt_kulkas,pmt_lantai,pmt_sepeda_motor"));
    assert_eq!(extract::parse(text.as_bytes(), today()).unwrap(), families);
}

#[test]
fn an_answer_column_must_agree_across_a_familys_rows_and_be_well_formed() {
    let mut f = family("F-1");
    f.pmt_answers = last_answers();
    let text = extract::write(&[f]);
    // The second member's row says another floor.
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[2] = lines[2].replace(",semen,", ",tanah,");
    let errors = extract::parse(lines.join("\n").as_bytes(), today()).unwrap_err();
    assert_eq!(
        codes(&errors),
        vec![(3, "family_id", ErrorCode::FamilyRowsDisagree)]
    );

    let bad = text.replace(",semen,", ",sem\u{7}en,");
    let errors = extract::parse(bad.as_bytes(), today()).unwrap_err();
    assert_eq!(
        codes(&errors),
        vec![(2, "pmt_lantai", ErrorCode::PmtAnswerType)]
    );
}

#[test]
fn a_questionnaire_opens_with_the_last_answers_its_model_accepts() {
    use crate::pmt::{answers::prefill, model::Model, Answer};
    let model: Model = serde_json::from_str(include_str!(
        "../../../core/models/ilustratif-kota-mataram.json"
    ))
    .unwrap();
    let mut last = last_answers();
    // Unknown to this model, an option it lacks, a derived question: all left out.
    last.insert("luas_lantai".to_owned(), Answer::Number(36.0));
    last.insert("atap".to_owned(), Answer::Choice("asbes".to_owned()));
    last.insert("jumlah_anggota".to_owned(), Answer::Number(9.0));
    let opened = prefill(&model, &last);
    assert_eq!(opened, last_answers());
}

#[test]
fn the_revision_is_absent_at_zero_and_orders_updates_within_a_version() {
    let mut f = family("F-1");
    let wire = serde_json::to_value(&f).unwrap();
    // A family as imported reads as it always did; one from an older server decodes at 0.
    assert!(wire.get("revision").is_none());
    let older: Family = serde_json::from_value(wire).unwrap();
    assert_eq!(older.revision, 0);
    f.revision = 3;
    let back: Family = serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
    assert_eq!(back.revision, 3);
    // (version, revision): a newer version wins even at revision 0.
    assert!(f.is_newer_than(1, 2));
    assert!(!f.is_newer_than(1, 3));
    assert!(!f.is_newer_than(1, 4));
    assert!(!f.is_newer_than(2, 0));
    f.version = 2;
    f.revision = 0;
    assert!(f.is_newer_than(1, 9));
}

#[test]
fn every_problem_comes_with_its_line_and_column() {
    let mut text = extract::write(&[family("F-1")]);
    // Line 4: the same family with another address; line 5: a bad NIK in a new family.
    text.push_str("F-1,1,5271010101200001,52.71.01.1004,3,2,Jl. Lain,2,PKH,5271011203800009,Ahmad,anak,L,1980-03-12\n");
    text.push_str("F-9,1,5271010101200005,52.71.01.1004,3,2,Jl. X,,,12345,Ahmad,Kepala keluarga,L,1980-03-12\n");
    text.push_str("F-10,0,5271010101200006,52.71.01.1004,3,2,Jl. X,11,KIP,5271011203800001,Ahmad,kepala_keluarga,X,1980-13-12\n");
    let errors = extract::parse(text.as_bytes(), today()).unwrap_err();
    let found = codes(&errors);
    assert!(
        found.contains(&(4, "family_id", ErrorCode::FamilyRowsDisagree)),
        "{found:?}"
    );
    assert!(
        found.contains(&(5, "nik", ErrorCode::NikLength)),
        "{found:?}"
    );
    assert!(
        found.contains(&(6, "version", ErrorCode::FamilyVersionInvalid)),
        "{found:?}"
    );
    assert!(
        found.contains(&(6, "desil", ErrorCode::DesilInvalid)),
        "{found:?}"
    );
    assert!(
        found.contains(&(6, "programmes", ErrorCode::RecipientProgrammeUnknown)),
        "{found:?}"
    );
    assert!(
        found.contains(&(6, "sex", ErrorCode::ChoiceUnknown)),
        "{found:?}"
    );
    assert!(
        found.contains(&(6, "birth_date", ErrorCode::DateFormat)),
        "{found:?}"
    );
    // The message names the line and the rule, never the value.
    let shown = errors[0].to_string();
    assert!(shown.starts_with("baris "), "{shown}");
    assert!(!errors.iter().any(|e| e.to_string().contains("12345")));
}

#[test]
fn family_rules_apply_per_member_line() {
    let mut f = family("F-1");
    f.members[1].relation = Relation::KepalaKeluarga;
    f.members[1].birth_date = Date::new(1985, 7, 16).unwrap();
    let errors = extract::parse(extract::write(&[f]).as_bytes(), today()).unwrap_err();
    let found = codes(&errors);
    assert!(
        found.contains(&(2, "members", ErrorCode::HeadMultiple)),
        "{found:?}"
    );
    assert!(
        found.contains(&(3, "birth_date", ErrorCode::BirthDateMismatchNik)),
        "{found:?}"
    );
}

#[test]
fn one_nik_in_two_families_is_refused() {
    let mut other = family("F-2");
    other.kk = "5271010101200002".to_owned();
    other.members.truncate(1);
    let errors =
        extract::parse(extract::write(&[family("F-1"), other]).as_bytes(), today()).unwrap_err();
    assert_eq!(
        codes(&errors),
        vec![(4, "nik", ErrorCode::NikInTwoFamilies)]
    );
}

#[test]
fn a_file_without_the_columns_or_rows_is_refused() {
    let errors = extract::parse(&b"family_id,kk\nF-1,1\n"[..], today()).unwrap_err();
    assert!(errors
        .iter()
        .all(|e| e.code == ErrorCode::FamilyFileInvalid));
    let header = extract::COLUMNS.join(",") + "\n";
    let errors = extract::parse(header.as_bytes(), today()).unwrap_err();
    assert_eq!(errors[0].code, ErrorCode::FamilyFileInvalid);
}

#[test]
fn relations_are_read_by_name_or_label() {
    assert_eq!(
        extract::parse_relation("Kepala Keluarga"),
        Some(Relation::KepalaKeluarga)
    );
    assert_eq!(
        extract::parse_relation("orang_tua"),
        Some(Relation::OrangTua)
    );
    assert_eq!(
        extract::parse_relation("Orang tua"),
        Some(Relation::OrangTua)
    );
    assert_eq!(extract::parse_relation("paman"), None);
}

#[test]
fn names_fold_for_search() {
    assert_eq!(
        search::words("Baiq Siti Nur'aini"),
        ["baiq", "siti", "nuraini"]
    );
    assert_eq!(
        search::words("ZAHRĀ  Ṣāliḥ-Putra"),
        ["zahra", "salih", "putra"]
    );
    assert!(search::matches("Baiq Siti Nur'aini", "nura"));
    assert!(search::matches("Baiq Siti Nur'aini", "siti nur"));
    assert!(!search::matches("Baiq Siti Nur'aini", "aini"));
    assert_eq!(
        search::query_key("Nurainiyah binti"),
        Some("nurainiy".to_owned())
    );
    assert_eq!(search::query_key("n"), None);
    let prefixes = search::indexed_prefixes("Sri Sriani");
    assert_eq!(prefixes, ["sr", "sri", "sria", "srian", "sriani"]);
}

/// The fold as a full canonical decomposition would do it, the table's reference.
fn words_by_nfd(name: &str) -> Vec<String> {
    use unicode_normalization::UnicodeNormalization;
    let folded: String = name
        .nfd()
        .filter(|c| !('\u{0300}'..='\u{036f}').contains(c))
        .flat_map(char::to_lowercase)
        .filter(|c| !matches!(c, '\'' | '\u{2019}' | '`'))
        .collect();
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn latin_fold_agrees_with_nfd_on_every_latin_letter() {
    let latin = (0x20u32..0x0250)
        .chain(0x0300..0x0370)
        .chain(0x1e00..0x1f00);
    for c in latin.filter_map(char::from_u32) {
        let word = format!("a{c}b");
        assert_eq!(
            search::words(&word),
            words_by_nfd(&word),
            "U+{:04X}",
            c as u32
        );
    }
    // A name typed decomposed (e + combining acute) finds the precomposed one.
    assert_eq!(search::words("Re\u{0301}ni"), search::words("Réni"));
}

proptest::proptest! {
    #[test]
    fn latin_fold_agrees_with_nfd_on_names(
        name in "[a-zA-Z \u{00c0}-\u{024f}\u{1e00}-\u{1eff}\u{0300}-\u{036f}'.,-]{0,40}"
    ) {
        proptest::prop_assert_eq!(search::words(&name), words_by_nfd(&name));
    }
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_bytes_parse_or_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = extract::parse(&bytes[..], today());
        }

        #[test]
        fn any_row_after_a_good_header_parses_or_is_refused(row in "[ -~]{0,200}") {
            let text = format!("{}\n{row}\n", extract::COLUMNS.join(","));
            let _ = extract::parse(text.as_bytes(), today());
        }

        #[test]
        fn any_name_folds(name in ".{0,80}") {
            let _ = search::indexed_prefixes(&name);
            let _ = search::query_key(&name);
        }
    }
}
