//! A household's answers to a model's questions, and their validation against the model.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model::{Model, Question, QuestionType};
use crate::error::{Error, ErrorCode, FieldError, Result};

/// A number (count or amount), an option id, or yes/no.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    YesNo(bool),
    Number(f64),
    Choice(String),
}

pub type Answers = BTreeMap<String, Answer>;

/// A finite value within the question's range; a whole number for a count.
pub(super) fn number_fits(q: &Question, value: f64) -> bool {
    let whole = q.kind == QuestionType::Number || value.fract() == 0.0;
    value.is_finite()
        && whole
        && q.min.is_none_or(|min| value >= min)
        && q.max.is_none_or(|max| value <= max)
}

/// Every problem at once; an empty answer set for a model with required questions fails.
pub fn check(model: &Model, answers: &Answers) -> Result<()> {
    let mut errors = Vec::new();
    let field = |id: &str| format!("answers.{id}");
    for id in answers.keys() {
        if model.question(id).is_none() {
            errors.push(FieldError::new(field(id), ErrorCode::PmtQuestionUnknown));
        }
    }
    for q in &model.questions {
        let Some(answer) = answers.get(&q.id) else {
            if q.required {
                errors.push(FieldError::new(field(&q.id), ErrorCode::PmtAnswerMissing));
            }
            continue;
        };
        let code = match (q.kind, answer) {
            (QuestionType::Choice, Answer::Choice(option)) => {
                (!q.options.iter().any(|o| &o.id == option)).then_some(ErrorCode::PmtOptionUnknown)
            }
            (QuestionType::YesNo, Answer::YesNo(_)) => None,
            (QuestionType::Count | QuestionType::Number, Answer::Number(value)) => {
                (!number_fits(q, *value)).then_some(ErrorCode::PmtValueOutOfRange)
            }
            _ => Some(ErrorCode::PmtAnswerType),
        };
        if let Some(code) = code {
            errors.push(FieldError::new(field(&q.id), code));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}
