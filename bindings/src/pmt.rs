//! The PMT questionnaire and preview for Kotlin: the UI renders the questions the model
//! carries and shows the preview the core computes. Nothing here scores.
use std::collections::HashMap;

use perlinsos_core::pmt::{self, model::Model, model::QuestionType, Answer, Preview};

use crate::ApiError;

#[derive(Debug, uniffi::Record)]
pub struct PmtOption {
    pub id: String,
    pub label: String,
}

#[derive(Debug, uniffi::Record)]
pub struct PmtQuestion {
    pub id: String,
    /// In Bahasa Indonesia.
    pub label: String,
    /// "count", "number", "choice" or "yes_no".
    pub kind: String,
    pub options: Vec<PmtOption>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub required: bool,
    pub help: Option<String>,
    /// The core fills this answer from the registration (household size, province): the
    /// questionnaire does not ask it.
    pub derived: bool,
}

#[derive(Debug, uniffi::Enum)]
pub enum PmtAnswer {
    YesNo { value: bool },
    Number { value: f64 },
    Choice { option: String },
}

#[derive(Debug, uniffi::Record)]
pub struct PmtContribution {
    pub question: String,
    pub label: String,
    pub answer: String,
    pub effect: f64,
}

/// A preview as the resident sees it. Log-linear models fill `estimate`, `desil` and the
/// probabilities; scorecards fill `line`, `score` and `likelihood`.
#[derive(Debug, uniffi::Record)]
pub struct PmtPreview {
    pub model_id: String,
    pub model_version: u32,
    pub illustrative: bool,
    pub estimate: Option<f64>,
    pub desil: Option<u8>,
    pub desil_probabilities: Vec<f64>,
    pub probability_desil_1_4: Option<f64>,
    pub line: Option<String>,
    pub score: Option<u32>,
    pub likelihood: Option<f64>,
    pub contributions: Vec<PmtContribution>,
    /// In Bahasa Indonesia, with the note that BPS decides.
    pub explanation: String,
}

fn kind_name(kind: QuestionType) -> &'static str {
    match kind {
        QuestionType::Count => "count",
        QuestionType::Number => "number",
        QuestionType::Choice => "choice",
        QuestionType::YesNo => "yes_no",
    }
}

fn contributions(list: &[pmt::Contribution]) -> Vec<PmtContribution> {
    list.iter()
        .map(|c| PmtContribution {
            question: c.text.question.clone(),
            label: c.text.label.clone(),
            answer: c.text.answer.clone(),
            effect: c.effect,
        })
        .collect()
}

/// The questions of a model file (JSON), in its order.
#[uniffi::export]
pub fn pmt_questions(model_json: String) -> Result<Vec<PmtQuestion>, ApiError> {
    let model = Model::parse(model_json.as_bytes())?;
    Ok(model
        .questions
        .iter()
        .map(|q| PmtQuestion {
            id: q.id.clone(),
            label: q.label.clone(),
            kind: kind_name(q.kind).to_owned(),
            options: q
                .options
                .iter()
                .map(|o| PmtOption {
                    id: o.id.clone(),
                    label: o.label.clone(),
                })
                .collect(),
            min: q.min,
            max: q.max,
            required: q.required,
            help: q.help.clone(),
            derived: q.derived.is_some(),
        })
        .collect())
}

/// The preview of a household's answers under a model file (JSON). Bad answers are refused
/// with the code of the first problem (`field` names the question).
#[uniffi::export]
pub fn pmt_preview(
    model_json: String,
    answers: HashMap<String, PmtAnswer>,
) -> Result<PmtPreview, ApiError> {
    let model = Model::parse(model_json.as_bytes())?;
    Ok(PmtPreview::from(pmt::preview(
        &model,
        &answers_of(answers),
    )?))
}

pub(crate) fn answers_of(answers: HashMap<String, PmtAnswer>) -> pmt::Answers {
    answers
        .into_iter()
        .map(|(id, a)| {
            let answer = match a {
                PmtAnswer::YesNo { value } => Answer::YesNo(value),
                PmtAnswer::Number { value } => Answer::Number(value),
                PmtAnswer::Choice { option } => Answer::Choice(option),
            };
            (id, answer)
        })
        .collect()
}

pub(crate) fn answers_view(answers: pmt::Answers) -> HashMap<String, PmtAnswer> {
    answers
        .into_iter()
        .map(|(id, a)| {
            let answer = match a {
                Answer::YesNo(value) => PmtAnswer::YesNo { value },
                Answer::Number(value) => PmtAnswer::Number { value },
                Answer::Choice(option) => PmtAnswer::Choice { option },
            };
            (id, answer)
        })
        .collect()
}

impl From<Preview> for PmtPreview {
    fn from(preview: Preview) -> PmtPreview {
        match preview {
            Preview::LogLinear {
                model_id,
                model_version,
                illustrative,
                estimate,
                desil,
                desil_probabilities,
                probability_desil_1_4,
                contributions: list,
                explanation,
                ..
            } => PmtPreview {
                model_id: model_id.to_string(),
                model_version,
                illustrative,
                estimate: Some(estimate),
                desil: Some(desil),
                desil_probabilities,
                probability_desil_1_4: Some(probability_desil_1_4),
                line: None,
                score: None,
                likelihood: None,
                contributions: contributions(&list),
                explanation,
            },
            Preview::Scorecard {
                model_id,
                model_version,
                illustrative,
                line,
                score,
                likelihood,
                contributions: list,
                explanation,
            } => PmtPreview {
                model_id: model_id.to_string(),
                model_version,
                illustrative,
                estimate: None,
                desil: None,
                desil_probabilities: Vec::new(),
                probability_desil_1_4: None,
                line: Some(line),
                score: Some(score),
                likelihood: Some(likelihood),
                contributions: contributions(&list),
                explanation,
            },
        }
    }
}
