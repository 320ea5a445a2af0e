//! A model prepared for scoring many households: questions, options, terms and points
//! resolved to positions once, so a preview does no string search. The phone keeps one per
//! active model; [`super::preview`] builds a throw-away one.
use std::cmp::Ordering;
use std::sync::Arc;

use super::answers::{self, Answer, Answers};
use super::model::{Kind, Model, QuestionType, Transform};
use super::{
    explain_log_linear, explain_scorecard, format_number, normal, AnswerText, Contribution, Preview,
};
use crate::error::{Error, ErrorCode, Result};

/// One validated answer, by position in its question.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Resolved {
    Missing,
    Choice(usize),
    YesNo(bool),
    Number(f64),
}

struct Term {
    question: usize,
    coefficient: f64,
    transform: Transform,
    /// Coefficient of each option of the question, in the question's option order.
    options: Vec<f64>,
    /// This term's value for the reference household.
    reference: f64,
}

struct LogLinear {
    terms: Vec<Term>,
    ln_reference: f64,
    size_question: Option<usize>,
    reference_size: Option<f64>,
    ln_cutoffs: Vec<f64>,
}

enum Prepared {
    LogLinear(LogLinear),
    /// Points by [question][option][line].
    Scorecard(Vec<Vec<Vec<u32>>>),
}

/// The texts a contribution shows, one shared copy per possible answer.
struct Texts {
    model_id: Arc<str>,
    /// Per question: one per option (choice), or [no, yes] (yes/no), or whole numbers
    /// 0..=100 (count); then the text of a missing answer last.
    answers: Vec<Vec<Arc<AnswerText>>>,
}

const COUNTS_PREPARED: usize = 101;

impl Texts {
    fn new(model: &Model) -> Texts {
        let answers = model
            .questions
            .iter()
            .map(|q| {
                let text = |answer: String| {
                    Arc::new(AnswerText {
                        question: q.id.clone(),
                        label: q.label.clone(),
                        answer,
                    })
                };
                let mut texts: Vec<Arc<AnswerText>> = match q.kind {
                    QuestionType::Choice => {
                        q.options.iter().map(|o| text(o.label.clone())).collect()
                    }
                    QuestionType::YesNo => vec![text("Tidak".into()), text("Ya".into())],
                    QuestionType::Count => {
                        (0..COUNTS_PREPARED).map(|n| text(n.to_string())).collect()
                    }
                    QuestionType::Number => Vec::new(),
                };
                texts.push(text("-".into()));
                texts
            })
            .collect();
        Texts {
            model_id: Arc::from(model.id.as_str()),
            answers,
        }
    }

    fn contribution(&self, q: usize, answer: Resolved, effect: f64) -> Contribution {
        let texts = &self.answers[q];
        let missing = || texts[texts.len() - 1].clone();
        let text = match answer {
            Resolved::Choice(i) => texts.get(i).cloned().unwrap_or_else(missing),
            Resolved::YesNo(yes) if texts.len() == 3 => texts[usize::from(yes)].clone(),
            Resolved::Number(n)
                if texts.len() == COUNTS_PREPARED + 1
                    && n.fract() == 0.0
                    && (0.0..=100.0).contains(&n) =>
            {
                texts[n as usize].clone()
            }
            Resolved::Missing => missing(),
            other => {
                let shown = &texts[texts.len() - 1];
                Arc::new(AnswerText {
                    question: shown.question.clone(),
                    label: shown.label.clone(),
                    answer: match other {
                        Resolved::Number(n) => format_number(n),
                        Resolved::YesNo(true) => "Ya".into(),
                        _ => "Tidak".into(),
                    },
                })
            }
        };
        Contribution { text, effect }
    }
}

pub struct Scorer {
    model: Arc<Model>,
    prepared: Prepared,
    texts: Texts,
    /// Question positions sorted by id, to walk them beside the (sorted) answers.
    by_id: Vec<usize>,
}

impl Scorer {
    /// Checks the model (see [`Model::check`]) and prepares it.
    pub fn new(model: Arc<Model>) -> Result<Scorer> {
        model.check()?;
        let position = |id: &str| model.questions.iter().position(|q| q.id == id);
        let mut by_id: Vec<usize> = (0..model.questions.len()).collect();
        by_id.sort_by(|&a, &b| model.questions[a].id.cmp(&model.questions[b].id));
        let prepared = match &model.kind {
            Kind::LogLinear(ll) => {
                let size_question = ll.household_size_question.as_deref().and_then(position);
                let mut terms: Vec<Term> = ll
                    .terms
                    .iter()
                    .filter_map(|t| {
                        let question = position(&t.question)?;
                        Some(Term {
                            question,
                            coefficient: t.coefficient,
                            transform: t.transform,
                            options: model.questions[question]
                                .options
                                .iter()
                                .map(|o| t.options.get(&o.id).copied().unwrap_or(0.0))
                                .collect(),
                            reference: 0.0,
                        })
                    })
                    .collect();
                let reference = resolve(&model, &by_id, &ll.reference)?;
                let reference_size = size_question.and_then(|i| match reference[i] {
                    Resolved::Number(size) if size >= 1.0 => Some(size),
                    _ => None,
                });
                let mut ln_reference = ll.intercept;
                for term in &mut terms {
                    term.reference = term_value(term, &reference, size_question, reference_size);
                    ln_reference += term.reference;
                }
                Prepared::LogLinear(LogLinear {
                    terms,
                    ln_reference,
                    size_question,
                    reference_size,
                    ln_cutoffs: ll.desil_cutoffs.iter().map(|c| c.ln()).collect(),
                })
            }
            Kind::Scorecard(sc) => Prepared::Scorecard(
                model
                    .questions
                    .iter()
                    .map(|q| {
                        q.options
                            .iter()
                            .map(|o| {
                                sc.points
                                    .get(&q.id)
                                    .and_then(|p| p.get(&o.id))
                                    .cloned()
                                    .unwrap_or_default()
                            })
                            .collect()
                    })
                    .collect(),
            ),
        };
        Ok(Scorer {
            texts: Texts::new(&model),
            model,
            prepared,
            by_id,
        })
    }

    /// One `Missing` slot per question, on the stack when the questionnaire is short.
    fn slots<'a>(
        &self,
        stack: &'a mut [Resolved; ON_STACK],
        heap: &'a mut Vec<Resolved>,
    ) -> &'a mut [Resolved] {
        let n = self.model.questions.len();
        if n <= ON_STACK {
            &mut stack[..n]
        } else {
            heap.resize(n, Resolved::Missing);
            heap
        }
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Validates the answers and scores them; a scorecard against its default line.
    pub fn preview(&self, answers: &Answers) -> Result<Preview> {
        let (mut stack, mut heap) = ([Resolved::Missing; ON_STACK], Vec::new());
        let resolved = self.slots(&mut stack, &mut heap);
        resolve_into(&self.model, &self.by_id, answers, resolved)?;
        let resolved = &*resolved;
        match (&self.prepared, &self.model.kind) {
            (Prepared::LogLinear(prepared), Kind::LogLinear(ll)) => {
                Ok(self.log_linear(prepared, ll.intercept, ll.sigma, resolved))
            }
            (Prepared::Scorecard(points), Kind::Scorecard(sc)) => {
                self.scorecard(points, &sc.default_line, resolved)
            }
            _ => Err(Error::invalid("model", ErrorCode::PmtModelInvalid)),
        }
    }

    /// A scorecard preview against a named poverty line instead of the model's default.
    pub fn preview_for_line(&self, answers: &Answers, line: &str) -> Result<Preview> {
        let (mut stack, mut heap) = ([Resolved::Missing; ON_STACK], Vec::new());
        let resolved = self.slots(&mut stack, &mut heap);
        resolve_into(&self.model, &self.by_id, answers, resolved)?;
        let resolved = &*resolved;
        match &self.prepared {
            Prepared::Scorecard(points) => self.scorecard(points, line, resolved),
            Prepared::LogLinear(_) => Err(Error::invalid("line", ErrorCode::PmtModelInvalid)),
        }
    }

    fn log_linear(
        &self,
        prepared: &LogLinear,
        intercept: f64,
        sigma: f64,
        resolved: &[Resolved],
    ) -> Preview {
        let model = &*self.model;
        let mut ln_estimate = intercept;
        let size = prepared
            .size_question
            .and_then(|i| match resolved[i] {
                Resolved::Number(size) if size >= 1.0 => Some(size),
                _ => None,
            })
            .or(prepared.reference_size);
        // Sort small (effect, term) pairs, then build the contributions in that order.
        let mut stack = [(0.0, 0); ON_STACK];
        let mut heap = Vec::new();
        let effects: &mut [(f64, usize)] = if prepared.terms.len() <= ON_STACK {
            &mut stack[..prepared.terms.len()]
        } else {
            heap.resize(prepared.terms.len(), (0.0, 0));
            &mut heap
        };
        for ((index, term), slot) in prepared.terms.iter().enumerate().zip(effects.iter_mut()) {
            let value = term_value(term, resolved, prepared.size_question, size);
            ln_estimate += value;
            *slot = (value - term.reference, index);
        }
        effects.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs()));
        let contributions: Vec<Contribution> = effects
            .iter()
            .map(|&(effect, index)| {
                let q = prepared.terms[index].question;
                self.texts.contribution(q, resolved[q], effect)
            })
            .collect();
        let estimate = ln_estimate.exp();
        let desil = 1 + prepared
            .ln_cutoffs
            .iter()
            .filter(|&&c| ln_estimate > c)
            .count() as u8;
        let mut below = [0.0; 11];
        for (slot, cutoff) in below[1..10].iter_mut().zip(&prepared.ln_cutoffs) {
            *slot = normal::cdf((cutoff - ln_estimate) / sigma);
        }
        below[10] = 1.0;
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
            model_id: self.texts.model_id.clone(),
            model_version: model.version,
            illustrative: model.illustrative,
            estimate,
            reference_estimate: prepared.ln_reference.exp(),
            desil,
            desil_probabilities,
            probability_desil_1_4,
            contributions,
            explanation,
        }
    }

    fn scorecard(
        &self,
        points: &[Vec<Vec<u32>>],
        line: &str,
        resolved: &[Resolved],
    ) -> Result<Preview> {
        let model = &*self.model;
        let Kind::Scorecard(sc) = &model.kind else {
            return Err(Error::invalid("model", ErrorCode::PmtModelInvalid));
        };
        let index = sc
            .lines
            .iter()
            .position(|l| l == line)
            .ok_or_else(|| Error::invalid("line", ErrorCode::PmtModelInvalid))?;
        let mut score = 0u32;
        let mut contributions = Vec::with_capacity(model.questions.len());
        for (q, (answer, options)) in resolved.iter().zip(points).enumerate() {
            let earned = match *answer {
                Resolved::Choice(option) => options
                    .get(option)
                    .and_then(|p| p.get(index))
                    .copied()
                    .unwrap_or(0),
                _ => 0,
            };
            score = score.saturating_add(earned);
            contributions.push(self.texts.contribution(q, *answer, f64::from(earned)));
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
        Ok(Preview::Scorecard {
            model_id: self.texts.model_id.clone(),
            model_version: model.version,
            illustrative: model.illustrative,
            line: line.to_owned(),
            score,
            likelihood,
            explanation: explain_scorecard(model, score, line, likelihood),
            contributions,
        })
    }
}

/// A term's value in log points. A missing (optional) answer takes the reference household's
/// value, so it contributes nothing.
fn term_value(
    term: &Term,
    resolved: &[Resolved],
    size_question: Option<usize>,
    size: Option<f64>,
) -> f64 {
    match resolved
        .get(term.question)
        .copied()
        .unwrap_or(Resolved::Missing)
    {
        Resolved::Missing => term.reference,
        Resolved::Choice(option) => term.options.get(option).copied().unwrap_or(0.0),
        Resolved::YesNo(yes) => {
            if yes {
                term.coefficient
            } else {
                0.0
            }
        }
        Resolved::Number(x) => {
            let x = match term.transform {
                Transform::Identity => x,
                Transform::Log1p => x.ln_1p(),
                Transform::PerCapita => match (size_question, size) {
                    (Some(_), Some(size)) => x / size,
                    _ => x,
                },
            };
            term.coefficient * x
        }
    }
}

/// Validates answers and resolves them to positions in one pass, walking the questions in id
/// order beside the answers (a BTreeMap, so sorted too). On any problem the full validation
/// runs again to report every problem at once.
fn resolve(model: &Model, by_id: &[usize], given: &Answers) -> Result<Vec<Resolved>> {
    let mut out = vec![Resolved::Missing; model.questions.len()];
    resolve_into(model, by_id, given, &mut out)?;
    Ok(out)
}

/// Questions a preview resolves on the stack; longer questionnaires use the heap.
const ON_STACK: usize = 48;

/// [`resolve`] into `out` (one slot per question, all `Missing`).
fn resolve_into(
    model: &Model,
    by_id: &[usize],
    given: &Answers,
    out: &mut [Resolved],
) -> Result<()> {
    let mut valid = true;
    let mut answers = given.iter().peekable();
    for &position in by_id {
        let q = &model.questions[position];
        let mut found = None;
        while let Some((key, answer)) = answers.peek() {
            match compare(key.as_bytes(), q.id.as_bytes()) {
                Ordering::Less => valid = false, // an answer to no question
                Ordering::Equal => found = Some(*answer),
                Ordering::Greater => break,
            }
            answers.next();
            if found.is_some() {
                break;
            }
        }
        out[position] = match (q.kind, found) {
            (_, None) => {
                valid &= !q.required;
                Resolved::Missing
            }
            (QuestionType::Choice, Some(Answer::Choice(id))) => {
                let id = id.as_bytes();
                match q
                    .options
                    .iter()
                    .position(|o| compare(o.id.as_bytes(), id).is_eq())
                {
                    Some(i) => Resolved::Choice(i),
                    None => {
                        valid = false;
                        Resolved::Missing
                    }
                }
            }
            (QuestionType::YesNo, Some(Answer::YesNo(yes))) => Resolved::YesNo(*yes),
            (QuestionType::Count | QuestionType::Number, Some(Answer::Number(value))) => {
                valid &= answers::number_fits(q, *value);
                Resolved::Number(*value)
            }
            _ => {
                valid = false;
                Resolved::Missing
            }
        };
    }
    if valid && answers.next().is_none() {
        return Ok(());
    }
    answers::check(model, given)?;
    Err(Error::invalid("answers", ErrorCode::PmtAnswerType))
}

/// Byte order of two ids. Almost always they are equal (an answer to the next question), so
/// equality is tested first, eight bytes at a time.
fn compare(a: &[u8], b: &[u8]) -> Ordering {
    if same(a, b) {
        Ordering::Equal
    } else {
        a.cmp(b)
    }
}

/// Equality of two short ids without a call into libc, which costs more than the comparison:
/// eight bytes at a time, the last word overlapping the one before it.
fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], i: usize| {
        s.get(i..i + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map_or(0, u64::from_ne_bytes)
    };
    if n >= 8 {
        (0..n / 8).all(|k| word(a, 8 * k) == word(b, 8 * k)) && word(a, n - 8) == word(b, n - 8)
    } else {
        let pack = |s: &[u8]| s.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
        pack(a) == pack(b)
    }
}
