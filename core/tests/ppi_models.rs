//! The shipped PPI 2022 and 2012 models score households exactly as the official CSVs say, recomputed
//! here straight from `core/data/pmt` without the engine.
use perlinsos_core::pmt::model::Model;
use perlinsos_core::pmt::{self, Answer, Answers, Preview};

const MODEL: &str = include_str!("../models/ppi-indonesia-2022.json");
const SCORECARD: &str = include_str!("../data/pmt/ppi-indonesia-2022-scorecard.csv");
const LOOKUP: &str = include_str!("../data/pmt/ppi-indonesia-2022-lookup.csv");

/// Splits one CSV line, honouring double quotes.
fn fields(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(String::new()),
            _ => out.last_mut().unwrap().push(c),
        }
    }
    out
}

/// Points of (indicator number, response letter) for each line, from the CSV.
fn csv_points(indicator: &str, letter: &str) -> Vec<u32> {
    SCORECARD
        .lines()
        .skip(1)
        .map(fields)
        .find(|f| f[0] == indicator && f[2].split(". ").next() == Some(letter))
        .map(|f| f[3..].iter().map(|p| p.parse().unwrap()).collect())
        .unwrap_or_else(|| panic!("no row {indicator} {letter}"))
}

fn csv_likelihood(score: u32, line: usize) -> f64 {
    let row = LOOKUP
        .lines()
        .skip(1)
        .map(fields)
        .find(|f| f[0] == score.to_string())
        .unwrap();
    row[1 + line].parse().unwrap()
}

/// Households as (province letter, province code, letters for indicators 2..=10).
const HOUSEHOLDS: &[(&str, &str, [&str; 9])] = &[
    ("R", "52", ["E", "B", "C", "B", "B", "B", "A", "B", "B"]),
    ("R", "52", ["B", "A", "A", "A", "A", "A", "A", "A", "B"]),
    ("K", "31", ["A", "A", "A", "A", "A", "A", "A", "A", "A"]),
    ("AH", "94", ["E", "B", "C", "B", "B", "B", "B", "B", "B"]),
    ("S", "53", ["C", "B", "B", "A", "B", "A", "A", "B", "B"]),
];

const IDS: [&str; 9] = [
    "jumlah_anggota",
    "tabungan",
    "lantai",
    "daging",
    "nasi_jadi",
    "perawatan_pakaian",
    "bensin",
    "kulkas",
    "mobil",
];

#[test]
fn shipped_ppi_2022_agrees_with_the_official_tables_on_every_line() {
    let model: Model = serde_json::from_str(MODEL).unwrap();
    model.check().unwrap();
    let pmt::model::Kind::Scorecard(card) = &model.kind else {
        panic!("scorecard expected");
    };
    assert_eq!(card.lines.len(), 9);
    for (letter, code, answers_2_10) in HOUSEHOLDS {
        let mut answers = Answers::new();
        answers.insert("provinsi".into(), Answer::Choice((*code).into()));
        for (id, answer) in IDS.iter().zip(answers_2_10) {
            answers.insert((*id).into(), Answer::Choice((*answer).into()));
        }
        for (line_index, line) in card.lines.iter().enumerate() {
            let mut expected = csv_points("1", letter)[line_index];
            for (n, answer) in answers_2_10.iter().enumerate() {
                expected += csv_points(&(n + 2).to_string(), answer)[line_index];
            }
            let Preview::Scorecard {
                score, likelihood, ..
            } = pmt::preview_for_line(&model, &answers, line).unwrap()
            else {
                panic!("kind");
            };
            assert_eq!(score, expected, "{letter} {line}");
            assert_eq!(
                likelihood,
                csv_likelihood(expected, line_index),
                "{letter} {line}"
            );
        }
    }
}

#[test]
fn province_and_household_size_come_from_the_registration() {
    let model: Model = serde_json::from_str(MODEL).unwrap();
    let mut answers = Answers::new();
    pmt::fill_derived(&model, &mut answers, "52.71.01.1004", 5);
    assert_eq!(answers["provinsi"], Answer::Choice("52".into()));
    assert_eq!(answers["jumlah_anggota"], Answer::Choice("E".into()));
    for (size, option) in [(1, "A"), (2, "B"), (3, "B"), (4, "C"), (12, "E")] {
        let mut answers = Answers::new();
        pmt::fill_derived(&model, &mut answers, "52.03.01.2001", size);
        assert_eq!(answers["jumlah_anggota"], Answer::Choice(option.into()));
    }
}

#[test]
fn illustrative_mataram_model_is_labelled_and_sane() {
    let model: Model =
        serde_json::from_str(include_str!("../models/ilustratif-kota-mataram.json")).unwrap();
    model.check().unwrap();
    assert!(model.illustrative);
    assert!(model.title.contains("ILUSTRATIF"));
    let pmt::model::Kind::LogLinear(ll) = &model.kind else {
        panic!("log_linear expected");
    };
    assert!((0.35..=0.45).contains(&ll.sigma));
    // The reference household lands near Rp 800,000 and in desil 5.
    let Preview::LogLinear {
        estimate,
        desil,
        explanation,
        ..
    } = pmt::preview(&model, &ll.reference).unwrap()
    else {
        panic!("kind");
    };
    assert!((estimate - 800_000.0).abs() < 1_000.0, "{estimate}");
    assert_eq!(desil, 5);
    assert!(explanation.contains("ilustratif"));
    // A poor household (dirt floor, firewood, no electricity, six members) lands in desil 1.
    let poor: Answers = serde_json::from_str(
        r#"{"jumlah_anggota": 6, "lantai": "tanah", "dinding": "bambu", "atap": "ijuk",
            "air_minum": "tak_terlindung", "jamban": "tidak_ada", "bahan_bakar": "kayu",
            "listrik": "tidak_ada", "kulkas": false, "sepeda_motor": 0, "gas_12kg": false,
            "lahan": false, "pendidikan_kepala": "sd", "pekerjaan_kepala": "pertanian"}"#,
    )
    .unwrap();
    let Preview::LogLinear {
        desil,
        probability_desil_1_4,
        ..
    } = pmt::preview(&model, &poor).unwrap()
    else {
        panic!("kind");
    };
    assert_eq!(desil, 1);
    assert!(probability_desil_1_4 > 0.9);
}

const MODEL_2012: &str = include_str!("../models/ppi-indonesia-2012.json");
const SCORECARD_2012: &str = include_str!("../data/pmt/ppi-indonesia-2012-scorecard.csv");
const LOOKUP_2012: &str = include_str!("../data/pmt/ppi-indonesia-2012-lookup.csv");

/// Points of (indicator, letter) in the 2012 CSV: one column for every line.
fn csv_points_2012(indicator: usize, letter: &str) -> u32 {
    SCORECARD_2012
        .lines()
        .skip(1)
        .map(fields)
        .find(|f| f[0] == indicator.to_string() && f[2].split(". ").next() == Some(letter))
        .map(|f| f[3].parse().unwrap())
        .unwrap_or_else(|| panic!("no row {indicator} {letter}"))
}

/// Likelihood (as a fraction) of a score below line `line`, from the 5-point bands in percent.
fn csv_likelihood_2012(score: u32, line: usize) -> f64 {
    let row = LOOKUP_2012
        .lines()
        .skip(1)
        .map(fields)
        .find(|f| (f[0].parse().unwrap()..=f[1].parse().unwrap()).contains(&score))
        .unwrap();
    row[2 + line].parse::<f64>().unwrap() / 100.0
}

const IDS_2012: [&str; 10] = [
    "jumlah_anggota",
    "sekolah_6_18",
    "pendidikan_ibu",
    "pekerjaan_bapak",
    "lantai",
    "jamban",
    "bahan_bakar_masak",
    "gas_12kg",
    "kulkas",
    "sepeda_motor",
];

#[test]
fn shipped_ppi_2012_agrees_with_the_official_tables_on_every_line() {
    let model: Model = serde_json::from_str(MODEL_2012).unwrap();
    model.check().unwrap();
    let pmt::model::Kind::Scorecard(card) = &model.kind else {
        panic!("scorecard expected");
    };
    assert_eq!(card.lines.len(), 9);
    let households: [[&str; 10]; 5] = [
        ["A", "B", "A", "B", "A", "A", "A", "A", "A", "A"], // 0 points: the poorest
        ["F", "C", "G", "F", "B", "C", "B", "B", "B", "B"], // 100 points: the richest
        ["B", "C", "B", "C", "B", "B", "B", "A", "A", "B"],
        ["D", "A", "D", "E", "B", "C", "B", "A", "B", "B"],
        ["C", "B", "F", "A", "A", "A", "A", "A", "A", "B"],
    ];
    let mut scores = Vec::new();
    for letters in households {
        let answers: Answers = IDS_2012
            .iter()
            .zip(letters)
            .map(|(id, l)| ((*id).to_string(), Answer::Choice(l.into())))
            .collect();
        let expected: u32 = letters
            .iter()
            .enumerate()
            .map(|(n, l)| csv_points_2012(n + 1, l))
            .sum();
        scores.push(expected);
        for (line_index, line) in card.lines.iter().enumerate() {
            let Preview::Scorecard {
                score, likelihood, ..
            } = pmt::preview_for_line(&model, &answers, line).unwrap()
            else {
                panic!("kind");
            };
            assert_eq!(score, expected, "{letters:?} {line}");
            let want = csv_likelihood_2012(expected, line_index);
            assert!((likelihood - want).abs() < 1e-9, "{letters:?} {line}");
        }
    }
    assert_eq!(scores[..2], [0, 100]);
}

#[test]
fn household_size_of_2012_comes_from_the_members() {
    let model: Model = serde_json::from_str(MODEL_2012).unwrap();
    for (size, option) in [
        (1, "F"),
        (2, "E"),
        (3, "D"),
        (4, "C"),
        (5, "B"),
        (6, "A"),
        (11, "A"),
    ] {
        let mut answers = Answers::new();
        pmt::fill_derived(&model, &mut answers, "52.03.01.2001", size);
        assert_eq!(answers["jumlah_anggota"], Answer::Choice(option.into()));
    }
}
