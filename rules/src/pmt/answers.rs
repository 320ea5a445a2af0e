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

/// What is wrong with one answer to one question, if anything.
fn problem(q: &Question, answer: &Answer) -> Option<ErrorCode> {
    match (q.kind, answer) {
        (QuestionType::Choice, Answer::Choice(option)) => {
            (!q.options.iter().any(|o| &o.id == option)).then_some(ErrorCode::PmtOptionUnknown)
        }
        (QuestionType::YesNo, Answer::YesNo(_)) => None,
        (QuestionType::Count | QuestionType::Number, Answer::Number(value)) => {
            (!number_fits(q, *value)).then_some(ErrorCode::PmtValueOutOfRange)
        }
        _ => Some(ErrorCode::PmtAnswerType),
    }
}

/// The answers a questionnaire opens with, from the household's last known ones (the DTSEN
/// extract's, or an earlier visit's): only those `model` asks the agent and would accept, so a
/// newer model with other questions or options starts those questions empty instead of
/// refusing the whole set. Derived questions are left out: the draft fills them.
pub fn prefill(model: &Model, last: &Answers) -> Answers {
    model
        .questions
        .iter()
        .filter(|q| q.derived.is_none())
        .filter_map(|q| {
            let answer = last.get(&q.id)?;
            problem(q, answer)
                .is_none()
                .then(|| (q.id.clone(), answer.clone()))
        })
        .collect()
}

/// Most answers a family may carry without a model to check them against.
pub const MAX_LAST_ANSWERS: usize = 100;
const MAX_ANSWER_ID_CHARS: usize = 64;
const MAX_CHOICE_CHARS: usize = 64;

/// Last-known answers arrive without their model (an extract, a worklist delta): their shape
/// is checked here, their meaning only against a model when a questionnaire opens (`prefill`).
/// The first problem, as (question id or "", code).
pub fn check_shape(answers: &Answers) -> Option<(String, ErrorCode)> {
    if answers.len() > MAX_LAST_ANSWERS {
        return Some((String::new(), ErrorCode::PmtAnswerType));
    }
    answers.iter().find_map(|(id, answer)| {
        let id_ok = !id.is_empty()
            && id.len() <= MAX_ANSWER_ID_CHARS
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        let answer_ok = match answer {
            Answer::YesNo(_) => true,
            Answer::Number(n) => n.is_finite(),
            Answer::Choice(text) => {
                !text.is_empty()
                    && text.chars().count() <= MAX_CHOICE_CHARS
                    && !text.chars().any(char::is_control)
            }
        };
        match (id_ok, answer_ok) {
            (false, _) => Some((String::new(), ErrorCode::PmtQuestionUnknown)),
            (true, false) => Some((id.clone(), ErrorCode::PmtAnswerType)),
            (true, true) => None,
        }
    })
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
        if let Some(code) = problem(q, answer) {
            errors.push(FieldError::new(field(&q.id), code));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}
