use proptest::prelude::*;

use super::model::Model;
use super::*;
use crate::error::ErrorCode;

/// A small log-linear model; the expected numbers below were computed by hand (Python's
/// math.erf), not by this engine.
const LOG_LINEAR: &str = r#"{
  "id": "uji-log-linear", "version": 1, "title": "Model uji", "source": "uji", "illustrative": true,
  "region": {"kabupaten": ["52.71"]}, "effective_from": "2026-01-01", "effective_until": "2027-12-31",
  "questions": [
    {"id": "size", "label": "Jumlah anggota rumah tangga", "type": "count", "min": 1, "max": 20},
    {"id": "floor", "label": "Jenis lantai terluas", "type": "choice",
     "options": [{"id": "tanah", "label": "Tanah"}, {"id": "semen", "label": "Semen"},
                 {"id": "keramik", "label": "Keramik"}]},
    {"id": "fridge", "label": "Memiliki kulkas", "type": "yes_no"},
    {"id": "land", "label": "Luas lahan (m2)", "type": "number", "min": 0, "max": 100000, "required": false}
  ],
  "kind": "log_linear",
  "parameters": {
    "intercept": 13.0, "sigma": 0.4,
    "desil_cutoffs": [300000, 400000, 500000, 600000, 700000, 850000, 1000000, 1300000, 1800000],
    "household_size_question": "size",
    "terms": [
      {"question": "size", "coefficient": -0.1},
      {"question": "floor", "options": {"tanah": -0.2, "semen": 0.0, "keramik": 0.15}},
      {"question": "fridge", "coefficient": 0.2},
      {"question": "land", "coefficient": 0.01, "transform": "log1p"}
    ],
    "reference": {"size": 4, "floor": "semen", "fridge": false, "land": 0}
  }
}"#;

const SCORECARD: &str = r#"{
  "id": "uji-scorecard", "version": 3, "title": "Kartu skor uji", "source": "uji",
  "region": {}, "effective_from": "2026-01-01",
  "questions": [
    {"id": "province", "label": "Provinsi", "type": "choice", "derived": "province",
     "options": [{"id": "52", "label": "NTB"}, {"id": "31", "label": "DKI Jakarta"}]},
    {"id": "size", "label": "Jumlah anggota", "type": "choice", "derived": "household_size",
     "options": [{"id": "A", "label": "6 atau lebih", "band": [6, 99]},
                 {"id": "B", "label": "3-5", "band": [3, 5]},
                 {"id": "C", "label": "1-2", "band": [1, 2]}]}
  ],
  "kind": "scorecard",
  "parameters": {
    "lines": ["nasional", "ekstrem"], "default_line": "nasional",
    "points": {"province": {"52": [0, 0], "31": [10, 8]},
               "size": {"A": [0, 0], "B": [7, 6], "C": [15, 12]}},
    "lookup": [
      {"score_min": 0, "score_max": 9, "likelihood": [0.6, 0.3]},
      {"score_min": 10, "score_max": 19, "likelihood": [0.4, 0.2]},
      {"score_min": 20, "score_max": 25, "likelihood": [0.1, 0.05]}
    ]
  }
}"#;

fn model(json: &str) -> Model {
    let model: Model = serde_json::from_str(json).unwrap();
    model.check().unwrap();
    model
}

fn answers(json: &str) -> Answers {
    serde_json::from_str(json).unwrap()
}

#[test]
fn log_linear_matches_hand_computation() {
    let m = model(LOG_LINEAR);
    let a = answers(r#"{"size": 5, "floor": "keramik", "fridge": true, "land": 99}"#);
    let Preview::LogLinear {
        estimate,
        reference_estimate,
        desil,
        desil_probabilities,
        probability_desil_1_4,
        contributions,
        explanation,
        ..
    } = preview(&m, &a).unwrap()
    else {
        panic!("kind");
    };
    assert!((estimate - 398_734.755_6).abs() < 0.01, "{estimate}");
    assert!((reference_estimate - 296_558.565_3).abs() < 0.01);
    assert_eq!(desil, 2);
    let expected = [
        0.238454, 0.264706, 0.211068, 0.132283, 0.073769, 0.050497, 0.01846, 0.009197, 0.001483,
        0.000082,
    ];
    for (got, want) in desil_probabilities.iter().zip(expected) {
        assert!((got - want).abs() < 2e-6, "{got} vs {want}");
    }
    assert!((probability_desil_1_4 - 0.846_510_9).abs() < 1e-6);
    let order: Vec<&str> = contributions
        .iter()
        .map(|c| c.text.question.as_str())
        .collect();
    assert_eq!(order, ["fridge", "floor", "size", "land"]);
    assert!((contributions[3].effect - 0.01 * 100f64.ln()).abs() < 1e-12);
    assert!(explanation.contains("Rp 399.000"), "{explanation}");
    assert!(explanation.contains("desil 2"));
    assert!(explanation.contains("ilustratif"));
    assert!(explanation.contains("BPS"));
}

#[test]
fn scorecard_matches_hand_computation_and_derives_answers() {
    let m = model(SCORECARD);
    let mut a = Answers::new();
    fill_derived(&m, &mut a, "31.71.01.1001", 2);
    assert_eq!(a["province"], Answer::Choice("31".into()));
    assert_eq!(a["size"], Answer::Choice("C".into()));
    let Preview::Scorecard {
        score,
        likelihood,
        line,
        ..
    } = preview(&m, &a).unwrap()
    else {
        panic!("kind");
    };
    assert_eq!((score, likelihood, line.as_str()), (25, 0.1, "nasional"));
    let Preview::Scorecard {
        score, likelihood, ..
    } = preview_for_line(&m, &a, "ekstrem").unwrap()
    else {
        panic!("kind");
    };
    assert_eq!((score, likelihood), (20, 0.05));
    let mut a = Answers::new();
    fill_derived(&m, &mut a, "52.71.01.1004", 7);
    let Preview::Scorecard {
        score, likelihood, ..
    } = preview(&m, &a).unwrap()
    else {
        panic!("kind");
    };
    assert_eq!((score, likelihood), (0, 0.6));
    assert!(preview_for_line(&m, &a, "tidak-ada").is_err());
}

#[test]
fn answers_are_validated_against_the_model() {
    let m = model(LOG_LINEAR);
    let a = answers(r#"{"size": 0, "floor": "marmer", "fridge": 1, "hewan": 2}"#);
    let error = preview(&m, &a).unwrap_err();
    let codes: Vec<(&str, ErrorCode)> = error
        .field_errors()
        .iter()
        .map(|e| (e.field.as_str(), e.code))
        .collect();
    assert_eq!(
        codes,
        [
            ("answers.hewan", ErrorCode::PmtQuestionUnknown),
            ("answers.size", ErrorCode::PmtValueOutOfRange),
            ("answers.floor", ErrorCode::PmtOptionUnknown),
            ("answers.fridge", ErrorCode::PmtAnswerType),
        ]
    );
    let missing = preview(&m, &answers(r#"{"size": 2.5, "floor": "semen"}"#)).unwrap_err();
    let codes: Vec<ErrorCode> = missing.field_errors().iter().map(|e| e.code).collect();
    assert_eq!(
        codes,
        [ErrorCode::PmtValueOutOfRange, ErrorCode::PmtAnswerMissing]
    );
}

#[test]
fn malformed_models_are_refused() {
    for (from, to) in [
        ("\"sigma\": 0.4", "\"sigma\": 0"),
        ("1800000]", "1800000, 2000000]"),
        ("[300000, 400000", "[400000, 300000"),
        ("\"keramik\": 0.15", "\"lainnya\": 0.15"),
        ("{\"question\": \"fridge\"", "{\"question\": \"tv\""),
        ("\"fridge\": false", "\"fridge\": 3"),
    ] {
        let json = LOG_LINEAR.replace(from, to);
        assert_ne!(json, LOG_LINEAR, "{from}");
        let model: Model = serde_json::from_str(&json).unwrap();
        assert!(model.check().is_err(), "{from} -> {to}");
    }
    let json = SCORECARD.replace("\"score_min\": 10", "\"score_min\": 11");
    let model: Model = serde_json::from_str(&json).unwrap();
    assert!(model.check().is_err(), "a gap in the lookup table");
}

#[test]
fn rupiah_is_formatted_the_indonesian_way() {
    assert_eq!(format_rupiah(398_734.7), "Rp 399.000");
    assert_eq!(format_rupiah(1_234_567.0), "Rp 1.235.000");
    assert_eq!(format_rupiah(400.0), "Rp 0");
}

fn arbitrary_answers() -> impl Strategy<Value = (u32, usize, bool, f64)> {
    (1u32..=20, 0usize..3, any::<bool>(), 0.0f64..100_000.0)
}

fn to_answers((size, floor, fridge, land): (u32, usize, bool, f64)) -> Answers {
    let mut a = Answers::new();
    a.insert("size".into(), Answer::Number(f64::from(size)));
    a.insert(
        "floor".into(),
        Answer::Choice(["tanah", "semen", "keramik"][floor].into()),
    );
    a.insert("fridge".into(), Answer::YesNo(fridge));
    a.insert("land".into(), Answer::Number(land));
    a
}

fn log_linear_numbers(m: &Model, a: &Answers) -> (f64, f64, u8, Vec<f64>, Vec<Contribution>) {
    match preview(m, a).unwrap() {
        Preview::LogLinear {
            estimate,
            reference_estimate,
            desil,
            desil_probabilities,
            contributions,
            ..
        } => (
            estimate,
            reference_estimate,
            desil,
            desil_probabilities,
            contributions,
        ),
        _ => unreachable!(),
    }
}

proptest! {
    #[test]
    fn probabilities_sum_to_one_and_contributions_add_up(input in arbitrary_answers()) {
        let m = model(LOG_LINEAR);
        let (estimate, reference, _, probabilities, contributions) = log_linear_numbers(&m, &to_answers(input));
        let total: f64 = probabilities.iter().sum();
        prop_assert!((total - 1.0).abs() < 1e-9);
        prop_assert!(probabilities.iter().all(|p| *p >= 0.0));
        let sum: f64 = contributions.iter().map(|c| c.effect).sum();
        prop_assert!((sum - (estimate.ln() - reference.ln())).abs() < 1e-9);
    }

    #[test]
    fn owning_a_fridge_never_lowers_the_estimate(input in arbitrary_answers()) {
        let m = model(LOG_LINEAR);
        let (size, floor, _, land) = input;
        let (without, ..) = log_linear_numbers(&m, &to_answers((size, floor, false, land)));
        let (with, ..) = log_linear_numbers(&m, &to_answers((size, floor, true, land)));
        prop_assert!(with >= without);
    }

    #[test]
    fn desil_is_monotone_in_the_estimate(a in arbitrary_answers(), b in arbitrary_answers()) {
        let m = model(LOG_LINEAR);
        let (ea, _, da, ..) = log_linear_numbers(&m, &to_answers(a));
        let (eb, _, db, ..) = log_linear_numbers(&m, &to_answers(b));
        if ea <= eb {
            prop_assert!(da <= db);
        } else {
            prop_assert!(da >= db);
        }
    }

    #[test]
    fn model_parser_never_panics(text in "\\PC{0,300}") {
        if let Ok(model) = serde_json::from_str::<Model>(&text) {
            let _ = model.check();
        }
    }
}

mod signing {
    use ring::rand::SystemRandom;
    use ring::signature::{Ed25519KeyPair, KeyPair};

    use super::super::signed::*;
    use super::*;
    use crate::date::Date;

    fn key() -> (Ed25519KeyPair, TrustedKey) {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let trusted = TrustedKey {
            key_id: "dinsos-5271".into(),
            public_key: pair.public_key().as_ref().to_vec(),
        };
        (pair, trusted)
    }

    fn code(result: crate::error::Result<Model>) -> ErrorCode {
        result.unwrap_err().field_errors()[0].code
    }

    #[test]
    fn a_signed_model_verifies_and_a_tampered_one_does_not() {
        let (pair, trusted) = key();
        let signed = sign(LOG_LINEAR, "dinsos-5271", &pair).unwrap();
        let file = serde_json::to_vec(&signed).unwrap();
        let model = verify(&file, std::slice::from_ref(&trusted)).unwrap();
        assert_eq!(model.id, "uji-log-linear");

        let mut tampered = signed.clone();
        tampered.payload = tampered.payload.replace("\"sigma\": 0.4", "\"sigma\": 0.9");
        let file = serde_json::to_vec(&tampered).unwrap();
        assert_eq!(
            code(verify(&file, std::slice::from_ref(&trusted))),
            ErrorCode::PmtSignatureInvalid
        );

        let mut bad_hex = signed.clone();
        bad_hex.signature = "zz".into();
        let file = serde_json::to_vec(&bad_hex).unwrap();
        assert_eq!(
            code(verify(&file, std::slice::from_ref(&trusted))),
            ErrorCode::PmtSignatureInvalid
        );
    }

    #[test]
    fn unsigned_unknown_key_and_foreign_signatures_are_refused() {
        let (pair, trusted) = key();
        let (other_pair, _) = key();
        assert_eq!(
            code(verify(
                LOG_LINEAR.as_bytes(),
                std::slice::from_ref(&trusted)
            )),
            ErrorCode::PmtModelUnsigned
        );
        let signed = sign(LOG_LINEAR, "dinsos-lain", &pair).unwrap();
        let file = serde_json::to_vec(&signed).unwrap();
        assert_eq!(
            code(verify(&file, std::slice::from_ref(&trusted))),
            ErrorCode::PmtModelUnsigned
        );
        let forged = sign(LOG_LINEAR, "dinsos-5271", &other_pair).unwrap();
        let file = serde_json::to_vec(&forged).unwrap();
        assert_eq!(
            code(verify(&file, &[trusted])),
            ErrorCode::PmtSignatureInvalid
        );
        assert!(verify(&vec![b' '; MAX_FILE_BYTES + 1], &[]).is_err());
    }

    #[test]
    fn expiry_and_region_scope_are_enforced() {
        let m = model(LOG_LINEAR);
        let day = |y, mo, d| Date::new(y, mo, d).unwrap();
        usable(&m, "52.71.01.1004", day(2026, 11, 28)).unwrap();
        let code_of = |r: crate::error::Result<()>| r.unwrap_err().field_errors()[0].code;
        assert_eq!(
            code_of(usable(&m, "52.71.01.1004", day(2028, 1, 1))),
            ErrorCode::PmtModelExpired
        );
        assert_eq!(
            code_of(usable(&m, "52.71.01.1004", day(2025, 12, 31))),
            ErrorCode::PmtModelExpired
        );
        assert_eq!(
            code_of(usable(&m, "52.03.01.2001", day(2026, 11, 28))),
            ErrorCode::PmtModelOutOfRegion
        );
        // "52.7" is not a prefix match for "52.71".
        assert_eq!(
            code_of(usable(&m, "52.711", day(2026, 11, 28))),
            ErrorCode::PmtModelOutOfRegion
        );
    }

    #[test]
    fn the_most_specific_latest_model_is_active() {
        let day = Date::new(2026, 11, 28).unwrap();
        let national = model(SCORECARD);
        let mataram = model(LOG_LINEAR);
        let mut mataram_v2 = mataram.clone();
        mataram_v2.version = 2;
        let models = vec![national.clone(), mataram.clone(), mataram_v2];
        let active = select_active(&models, "52.71.01.1004", day).unwrap();
        assert_eq!((active.id.as_str(), active.version), ("uji-log-linear", 2));
        assert_eq!(
            select_active(&models, "52.03.01.2001", day).unwrap().id,
            "uji-scorecard"
        );
        let none = select_active(&models[1..2], "52.03.01.2001", day).unwrap_err();
        assert_eq!(none.field_errors()[0].code, ErrorCode::PmtNoActiveModel);
    }
}

#[test]
fn a_score_past_the_table_takes_its_last_row() {
    let json = SCORECARD.replace("\"score_max\": 25", "\"score_max\": 22");
    let m = model(&json);
    let mut a = Answers::new();
    fill_derived(&m, &mut a, "31.71.01.1001", 1);
    let Preview::Scorecard {
        score, likelihood, ..
    } = preview(&m, &a).unwrap()
    else {
        panic!("kind");
    };
    assert_eq!((score, likelihood), (25, 0.1));
}

/// Any answer map: known and unknown question ids, every kind of value.
fn messy_answers() -> impl Strategy<Value = Answers> {
    let key = prop::sample::select(vec![
        "size", "floor", "fridge", "land", "province", "zzz", "a", "flo", "sizes",
    ]);
    let value = prop_oneof![
        any::<bool>().prop_map(Answer::YesNo),
        prop::sample::select(vec![-1.0, 0.0, 1.0, 2.5, 4.0, 21.0, 1e9, f64::NAN])
            .prop_map(Answer::Number),
        prop::sample::select(vec!["tanah", "semen", "keramik", "52", "31", "B", "x", ""])
            .prop_map(|s| Answer::Choice(s.to_owned())),
    ];
    prop::collection::btree_map(key.prop_map(str::to_owned), value, 0..8)
}

proptest! {
    /// The scorer's one-pass validation accepts exactly what the full validation accepts, and
    /// reports the same problems.
    #[test]
    fn scorer_validation_agrees_with_answer_check(given in messy_answers()) {
        for json in [LOG_LINEAR, SCORECARD] {
            let m = model(json);
            let scorer = Scorer::new(std::sync::Arc::new(m.clone())).unwrap();
            let checked = answers::check(&m, &given);
            match (scorer.preview(&given), checked) {
                (Ok(_), Ok(())) => {}
                (Err(a), Err(b)) => prop_assert_eq!(a.field_errors(), b.field_errors()),
                (a, b) => prop_assert!(false, "scorer {:?} vs check {:?}", a.is_ok(), b.is_ok()),
            }
        }
    }
}
