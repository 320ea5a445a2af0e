//! Seeded draws for the synthetic field day: household sizes, the IKD status of adults, and
//! answers to a PMT model's questionnaire.
use perlinsos_core::pmt::model::{Model, QuestionType};
use perlinsos_core::pmt::{Answer, Answers};
use perlinsos_core::registration::IkdStatus;
use perlinsos_core::sample::Rng;

/// Household sizes 1..=7, as weights: most visited families have 3 to 5 members.
const SIZE_WEIGHTS: [u64; 7] = [5, 12, 20, 25, 20, 12, 6];
/// IKD of an adult, as weights in the order of `IkdStatus::ALL`.
const IKD_WEIGHTS: [u64; 4] = [25, 35, 30, 10];

pub fn household_size(rng: &mut Rng) -> usize {
    1 + weighted(rng, &SIZE_WEIGHTS)
}

pub fn ikd(rng: &mut Rng) -> IkdStatus {
    IkdStatus::ALL[weighted(rng, &IKD_WEIGHTS)]
}

/// Uniform in [0, 1).
pub fn unit(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn weighted(rng: &mut Rng, weights: &[u64]) -> usize {
    let mut roll = rng.below(weights.iter().sum());
    for (i, w) in weights.iter().enumerate() {
        if roll < *w {
            return i;
        }
        roll -= w;
    }
    weights.len() - 1
}

/// Answers to every question the model asks (not those it derives), drawn around one hidden
/// level of means per household, so a tiled floor goes with a fridge more often than not, and
/// kept off the extremes: visited households spread over every desil, more of them in the
/// lower ones. Options are listed poorest first in the shipped models.
pub fn answers(model: &Model, rng: &mut Rng) -> Answers {
    let means = unit(rng).powf(1.2);
    let mut answers = Answers::new();
    for q in model.questions.iter().filter(|q| q.derived.is_none()) {
        let level = 0.1 + 0.8 * (0.6 * means + 0.4 * unit(rng));
        let answer = match q.kind {
            QuestionType::Choice if !q.options.is_empty() => {
                let i = ((level * q.options.len() as f64) as usize).min(q.options.len() - 1);
                Answer::Choice(q.options[i].id.clone())
            }
            QuestionType::Choice => continue,
            QuestionType::YesNo => Answer::YesNo(level > 0.6),
            QuestionType::Count | QuestionType::Number => {
                let min = q.min.unwrap_or(0.0);
                let max = q.max.unwrap_or(min + 2.0).min(min + 2.0);
                Answer::Number((min + level * (max - min + 1.0)).floor().min(max))
            }
        };
        answers.insert(q.id.clone(), answer);
    }
    answers
}

#[cfg(test)]
mod tests {
    use super::*;
    use perlinsos_core::pmt;

    const MODELS: [&str; 3] = [
        include_str!("../../../core/models/ilustratif-kota-mataram.json"),
        include_str!("../../../core/models/ppi-indonesia-2022.json"),
        include_str!("../../../core/models/ppi-indonesia-2012.json"),
    ];

    #[test]
    fn drawn_answers_are_valid_for_every_shipped_model() {
        let mut rng = Rng::new(7);
        for json in MODELS {
            let model = pmt::model::Model::parse(json.as_bytes()).unwrap();
            for _ in 0..200 {
                let size = household_size(&mut rng);
                assert!((1..=7).contains(&size));
                let mut answers = answers(&model, &mut rng);
                pmt::fill_derived(&model, &mut answers, "52.71.01.1004", size as u32);
                pmt::preview(&model, &answers).unwrap();
            }
        }
    }

    #[test]
    fn weights_reach_every_choice_and_only_those() {
        let mut rng = Rng::new(1);
        let mut seen = [0; 3];
        for _ in 0..600 {
            seen[weighted(&mut rng, &[1, 2, 3])] += 1;
        }
        assert!(seen.iter().all(|n| *n > 50), "{seen:?}");
        assert_eq!(weighted(&mut rng, &[0, 5, 0]), 1);
    }
}
