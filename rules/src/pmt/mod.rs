//! The PMT (proxy mean test) preview: what a household's answers suggest about its
//! consumption and desil, from a model the district publishes. A preview, never the official
//! ranking (that is BPS's); every explanation says so.
pub mod answers;
pub mod model;
mod normal;
mod scorer;
pub mod signed;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use answers::{Answer, Answers};
use model::{Derived, Model, QuestionType};
pub use scorer::Scorer;

use crate::error::Result;

const DISCLAIMER: &str = "Ini hanya pratinjau; peringkat resmi ditetapkan oleh BPS.";

/// A question and its answer as the resident reads them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerText {
    pub question: String,
    pub label: String,
    pub answer: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// Shared with the prepared model: a preview copies no text.
    #[serde(flatten)]
    pub text: Arc<AnswerText>,
    /// Log-linear: effect on ln(expenditure) against the reference household.
    /// Scorecard: the points this answer earned.
    pub effect: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Preview {
    LogLinear {
        model_id: Arc<str>,
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
        model_id: Arc<str>,
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
/// For many households, keep a [`Scorer`] instead: it prepares the model once.
pub fn preview(model: &Model, answers: &Answers) -> Result<Preview> {
    Scorer::new(Arc::new(model.clone()))?.preview(answers)
}

/// A scorecard preview against a named poverty line instead of the model's default.
pub fn preview_for_line(model: &Model, answers: &Answers, line: &str) -> Result<Preview> {
    Scorer::new(Arc::new(model.clone()))?.preview_for_line(answers, line)
}

pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{n:.0}")
    } else {
        format!("{n:.2}").replace('.', ",")
    }
}

/// Rupiah rounded to the nearest thousand, Indonesian style: "Rp 612.000".
pub fn format_rupiah(amount: f64) -> String {
    let mut out = String::with_capacity(16);
    push_rupiah(&mut out, amount);
    out
}

fn push_rupiah(out: &mut String, amount: f64) {
    let rounded = ((amount / 1000.0).round() * 1000.0).max(0.0) as u64;
    let mut digits = itoa_buffer();
    let digits = format_u64(&mut digits, rounded);
    out.push_str("Rp ");
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
}

fn itoa_buffer() -> [u8; 20] {
    [0; 20]
}

/// Decimal digits of `n` without going through the formatting machinery (previews are
/// written hundreds of thousands of times a second in bulk scoring).
fn format_u64(buffer: &mut [u8; 20], mut n: u64) -> &str {
    let mut i = buffer.len();
    loop {
        i -= 1;
        buffer[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buffer[i..]).unwrap_or("0")
}

/// A whole percentage, with a sign when asked: "37%", "+12%", "-8%".
fn push_percent(out: &mut String, p: f64, signed: bool) {
    let value = (p * 100.0).round();
    let value = if value.is_finite() { value } else { 0.0 };
    if value < 0.0 {
        out.push('-');
    } else if signed {
        out.push('+');
    }
    let mut buffer = itoa_buffer();
    out.push_str(format_u64(&mut buffer, value.abs().min(1e15) as u64));
    out.push('%');
}

fn push_effects<'a>(
    out: &mut String,
    heading: &str,
    effects: impl Iterator<Item = &'a Contribution>,
) {
    let mut written = 0;
    for c in effects.take(2) {
        out.push_str(if written == 0 { heading } else { "; " });
        written += 1;
        out.push_str(&c.text.label);
        out.push_str(" (");
        out.push_str(&c.text.answer);
        out.push_str("): ");
        push_percent(out, c.effect.exp() - 1.0, true);
    }
    if written > 0 {
        out.push('.');
    }
}

fn explain_log_linear(
    model: &Model,
    estimate: f64,
    desil: u8,
    p_desil: f64,
    p_1_4: f64,
    contributions: &[Contribution],
) -> String {
    let mut text = String::with_capacity(512);
    text.push_str("Perkiraan pengeluaran per kapita ");
    push_rupiah(&mut text, estimate);
    text.push_str(" per bulan, masuk desil ");
    let mut buffer = itoa_buffer();
    text.push_str(format_u64(&mut buffer, u64::from(desil)));
    text.push_str(" (peluang ");
    push_percent(&mut text, p_desil, false);
    text.push_str("). Peluang berada di desil 1-4: ");
    push_percent(&mut text, p_1_4, false);
    text.push('.');
    push_effects(
        &mut text,
        " Paling menaikkan perkiraan: ",
        contributions.iter().filter(|c| c.effect > 0.005),
    );
    push_effects(
        &mut text,
        " Paling menurunkan perkiraan: ",
        contributions.iter().filter(|c| c.effect < -0.005),
    );
    if model.illustrative {
        text.push_str(" Model ini ilustratif, bukan koefisien resmi.");
    }
    text.push(' ');
    text.push_str(DISCLAIMER);
    text
}

fn explain_scorecard(model: &Model, score: u32, line: &str, likelihood: f64) -> String {
    let mut explanation = String::with_capacity(256);
    explanation.push_str("Skor ");
    let mut buffer = itoa_buffer();
    explanation.push_str(format_u64(&mut buffer, u64::from(score)));
    explanation.push_str(". Kemungkinan rumah tangga ini berada di bawah garis '");
    explanation.push_str(line);
    explanation.push_str("': ");
    push_percent(&mut explanation, likelihood, false);
    explanation.push_str(". Skor lebih tinggi berarti lebih kecil kemungkinan miskin.");
    if model.illustrative {
        explanation.push_str(" Model ini ilustratif.");
    }
    explanation.push(' ');
    explanation.push_str(DISCLAIMER);
    explanation
}

#[cfg(test)]
mod tests;
