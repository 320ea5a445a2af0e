//! The PMT (proxy mean test) preview: what a household's answers suggest about its
//! consumption and desil, from a model the district publishes. A preview, never the official
//! ranking (that is BPS's); every explanation says so.
pub mod answers;
pub mod model;
mod normal;
pub mod signed;

use serde::{Deserialize, Serialize};

pub use answers::{Answer, Answers};
use model::{Derived, Kind, LogLinear, Model, QuestionType, Scorecard, Transform};

use crate::error::{Error, ErrorCode, Result};

const DISCLAIMER: &str = "Ini hanya pratinjau; peringkat resmi ditetapkan oleh BPS.";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    pub question: String,
    pub label: String,
    /// The answer as the resident would read it.
    pub answer: String,
    /// Log-linear: effect on ln(expenditure) against the reference household.
    /// Scorecard: the points this answer earned.
    pub effect: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Preview {
    LogLinear {
        model_id: String,
        model_version: u32,
        illustrative: bool,
        /// Rp per capita per month.
        estimate: f64,
        reference_estimate: f64,
        desil: u8,
        /// Probability of each desil 1..10 under the model's normal error; they sum to 1.
        desil_probabilities: Vec<f64>,
        probability_desil_1_4: f64,
        /// Largest effect first.
        contributions: Vec<Contribution>,
        explanation: String,
    },
    Scorecard {
        model_id: String,
        model_version: u32,
        illustrative: bool,
        line: String,
        score: u32,
        likelihood: f64,
        contributions: Vec<Contribution>,
        explanation: String,
    },
}

/// Fills answers the phone already knows (province from the region code, household size from
/// the members), where the model marks a question as derived and no answer was given.
pub fn fill_derived(model: &Model, answers: &mut Answers, region_code: &str, household_size: u32) {
    for q in &model.questions {
        if answers.contains_key(&q.id) {
            continue;
        }
        let answer = match (q.derived, q.kind) {
            (Some(Derived::Province), QuestionType::Choice) => q
                .options
                .iter()
                .find(|o| region_code.get(..2) == Some(o.id.as_str()))
                .map(|o| Answer::Choice(o.id.clone())),
            (Some(Derived::HouseholdSize), QuestionType::Choice) => q
                .options
                .iter()
                .find(|o| {
                    o.band
                        .is_some_and(|(lo, hi)| (lo..=hi).contains(&household_size))
                })
                .map(|o| Answer::Choice(o.id.clone())),
            (Some(Derived::HouseholdSize), QuestionType::Count | QuestionType::Number) => {
                Some(Answer::Number(f64::from(household_size)))
            }
            _ => None,
        };
        if let Some(answer) = answer {
            answers.insert(q.id.clone(), answer);
        }
    }
}

/// Scores validated answers. Invalid answers are refused with one error per problem.
pub fn preview(model: &Model, answers: &Answers) -> Result<Preview> {
    answers::check(model, answers)?;
    match &model.kind {
        Kind::LogLinear(ll) => Ok(log_linear(model, ll, answers)),
        Kind::Scorecard(sc) => scorecard(model, sc, answers, None),
    }
}

/// A scorecard preview against a named poverty line instead of the model's default.
pub fn preview_for_line(model: &Model, answers: &Answers, line: &str) -> Result<Preview> {
    answers::check(model, answers)?;
    match &model.kind {
        Kind::Scorecard(sc) => scorecard(model, sc, answers, Some(line)),
        Kind::LogLinear(_) => Err(Error::invalid("line", ErrorCode::PmtModelInvalid)),
    }
}

fn answer_label(model: &Model, question: &str, answer: Option<&Answer>) -> String {
    match answer {
        Some(Answer::Choice(id)) => model
            .question(question)
            .and_then(|q| q.options.iter().find(|o| &o.id == id))
            .map(|o| o.label.clone())
            .unwrap_or_else(|| id.clone()),
        Some(Answer::YesNo(true)) => "Ya".into(),
        Some(Answer::YesNo(false)) => "Tidak".into(),
        Some(Answer::Number(n)) => format_number(*n),
        None => "-".into(),
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{n:.0}")
    } else {
        format!("{n:.2}").replace('.', ",")
    }
}

/// Rupiah rounded to the nearest thousand, Indonesian style: "Rp 612.000".
pub fn format_rupiah(amount: f64) -> String {
    let rounded = ((amount / 1000.0).round() * 1000.0).max(0.0) as u64;
    let digits = rounded.to_string();
    let mut out = String::with_capacity(digits.len() + 8);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    format!("Rp {out}")
}

fn percent(p: f64) -> String {
    format!("{:.0}%", p * 100.0)
}

/// One term's value in log points for a set of answers (missing optional answers take the
/// reference household's answer, so they contribute nothing).
fn term_value(ll: &LogLinear, term: &model::Term, answers: &Answers) -> f64 {
    let answer = answers
        .get(&term.question)
        .or_else(|| ll.reference.get(&term.question));
    match answer {
        Some(Answer::Choice(option)) => term.options.get(option).copied().unwrap_or(0.0),
        Some(Answer::YesNo(true)) => term.coefficient,
        Some(Answer::YesNo(false)) => 0.0,
        Some(Answer::Number(x)) => {
            let x = match term.transform {
                Transform::Identity => *x,
                Transform::Log1p => x.ln_1p(),
                Transform::PerCapita => {
                    let size = ll
                        .household_size_question
                        .as_ref()
                        .and_then(|id| answers.get(id).or_else(|| ll.reference.get(id)));
                    match size {
                        Some(Answer::Number(size)) if *size >= 1.0 => x / size,
                        _ => *x,
                    }
                }
            };
            term.coefficient * x
        }
        None => 0.0,
    }
}

fn log_linear(model: &Model, ll: &LogLinear, answers: &Answers) -> Preview {
    let mut contributions = Vec::with_capacity(ll.terms.len());
    let mut ln_estimate = ll.intercept;
    let mut ln_reference = ll.intercept;
    for term in &ll.terms {
        let value = term_value(ll, term, answers);
        let reference = term_value(ll, term, &ll.reference);
        ln_estimate += value;
        ln_reference += reference;
        let label = model
            .question(&term.question)
            .map(|q| q.label.clone())
            .unwrap_or_default();
        contributions.push(Contribution {
            answer: answer_label(model, &term.question, answers.get(&term.question)),
            question: term.question.clone(),
            label,
            effect: value - reference,
        });
    }
    contributions.sort_by(|a, b| b.effect.abs().total_cmp(&a.effect.abs()));
    let estimate = ln_estimate.exp();
    let desil = 1 + ll.desil_cutoffs.iter().filter(|&&c| estimate > c).count() as u8;
    let mut below = Vec::with_capacity(11);
    below.push(0.0);
    below.extend(
        ll.desil_cutoffs
            .iter()
            .map(|c| normal::cdf((c.ln() - ln_estimate) / ll.sigma)),
    );
    below.push(1.0);
    let desil_probabilities: Vec<f64> = below.windows(2).map(|w| w[1] - w[0]).collect();
    let probability_desil_1_4 = below[4];
    let explanation = explain_log_linear(
        model,
        estimate,
        desil,
        desil_probabilities[usize::from(desil) - 1],
        probability_desil_1_4,
        &contributions,
    );
    Preview::LogLinear {
        model_id: model.id.clone(),
        model_version: model.version,
        illustrative: model.illustrative,
        estimate,
        reference_estimate: ln_reference.exp(),
        desil,
        desil_probabilities,
        probability_desil_1_4,
        contributions,
        explanation,
    }
}

fn effect_text(c: &Contribution) -> String {
    let change = (c.effect.exp() - 1.0) * 100.0;
    format!("{} ({}): {:+.0}%", c.label, c.answer, change)
}

fn explain_log_linear(
    model: &Model,
    estimate: f64,
    desil: u8,
    p_desil: f64,
    p_1_4: f64,
    contributions: &[Contribution],
) -> String {
    let mut text = format!(
        "Perkiraan pengeluaran per kapita {} per bulan, masuk desil {desil} (peluang {}). \
         Peluang berada di desil 1-4: {}.",
        format_rupiah(estimate),
        percent(p_desil),
        percent(p_1_4)
    );
    let up: Vec<String> = contributions
        .iter()
        .filter(|c| c.effect > 0.005)
        .take(2)
        .map(effect_text)
        .collect();
    let down: Vec<String> = contributions
        .iter()
        .filter(|c| c.effect < -0.005)
        .take(2)
        .map(effect_text)
        .collect();
    if !up.is_empty() {
        text.push_str(&format!(" Paling menaikkan perkiraan: {}.", up.join("; ")));
    }
    if !down.is_empty() {
        text.push_str(&format!(
            " Paling menurunkan perkiraan: {}.",
            down.join("; ")
        ));
    }
    if model.illustrative {
        text.push_str(" Model ini ilustratif, bukan koefisien resmi.");
    }
    text.push(' ');
    text.push_str(DISCLAIMER);
    text
}

fn scorecard(
    model: &Model,
    sc: &Scorecard,
    answers: &Answers,
    line: Option<&str>,
) -> Result<Preview> {
    let line = line.unwrap_or(&sc.default_line);
    let index = sc
        .lines
        .iter()
        .position(|l| l == line)
        .ok_or_else(|| Error::invalid("line", ErrorCode::PmtModelInvalid))?;
    let mut score = 0u32;
    let mut contributions = Vec::with_capacity(model.questions.len());
    for q in &model.questions {
        let answer = answers.get(&q.id);
        let points = match answer {
            Some(Answer::Choice(option)) => sc
                .points
                .get(&q.id)
                .and_then(|options| options.get(option))
                .and_then(|p| p.get(index))
                .copied()
                .unwrap_or(0),
            _ => 0,
        };
        score += points;
        contributions.push(Contribution {
            question: q.id.clone(),
            label: q.label.clone(),
            answer: answer_label(model, &q.id, answer),
            effect: f64::from(points),
        });
    }
    contributions.sort_by(|a, b| b.effect.total_cmp(&a.effect));
    let likelihood = sc
        .lookup
        .iter()
        .find(|row| (row.score_min..=row.score_max).contains(&score))
        .or(sc.lookup.last())
        .and_then(|row| row.likelihood.get(index))
        .copied()
        .ok_or_else(|| Error::invalid("lookup", ErrorCode::PmtModelInvalid))?;
    let mut explanation = format!(
        "Skor {score}. Kemungkinan rumah tangga ini berada di bawah garis '{line}': {}. \
         Skor lebih tinggi berarti lebih kecil kemungkinan miskin.",
        percent(likelihood)
    );
    if model.illustrative {
        explanation.push_str(" Model ini ilustratif.");
    }
    explanation.push(' ');
    explanation.push_str(DISCLAIMER);
    Ok(Preview::Scorecard {
        model_id: model.id.clone(),
        model_version: model.version,
        illustrative: model.illustrative,
        line: line.to_owned(),
        score,
        likelihood,
        contributions,
        explanation,
    })
}

#[cfg(test)]
mod tests;
