//! PMT model files: data, not code. A model names its questions (the UI renders the
//! questionnaire from them) and the parameters of one of two kinds.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::error::{Error, ErrorCode, FieldError, Result};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    pub id: String,
    pub version: u32,
    pub title: String,
    /// Where the numbers come from; shown with every preview.
    pub source: String,
    /// True for a model whose parameters are not an official estimate.
    #[serde(default)]
    pub illustrative: bool,
    pub region: RegionScope,
    pub effective_from: Date,
    #[serde(default)]
    pub effective_until: Option<Date>,
    pub questions: Vec<Question>,
    #[serde(flatten)]
    pub kind: Kind,
}

/// Province (`PP`) and kabupaten/kota (`PP.KK`) codes the model applies to; empty means all.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionScope {
    #[serde(default)]
    pub provinces: Vec<String>,
    #[serde(default)]
    pub kabupaten: Vec<String>,
}

impl RegionScope {
    /// Whether a kelurahan (`PP.KK.CC.DDDD`) or any longer/shorter code lies inside the scope.
    pub fn contains(&self, region_code: &str) -> bool {
        if self.provinces.is_empty() && self.kabupaten.is_empty() {
            return true;
        }
        let within = |prefix: &String| {
            region_code == prefix
                || region_code
                    .strip_prefix(prefix.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
        };
        self.provinces.iter().any(within) || self.kabupaten.iter().any(within)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    Count,
    Number,
    Choice,
    YesNo,
}

/// Answers the phone already knows need not be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Derived {
    /// The option whose id is the household's province code (`PP`).
    Province,
    /// The number of registered members.
    HouseholdSize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub id: String,
    pub label: String,
    /// For a choice derived from a count (household size bands): the inclusive band.
    #[serde(default)]
    pub band: Option<(u32, u32)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    /// In Bahasa Indonesia.
    pub label: String,
    #[serde(rename = "type")]
    pub kind: QuestionType,
    #[serde(default)]
    pub options: Vec<Choice>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default = "yes")]
    pub required: bool,
    #[serde(default)]
    pub help: Option<String>,
    #[serde(default)]
    pub derived: Option<Derived>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "parameters", rename_all = "snake_case")]
pub enum Kind {
    LogLinear(LogLinear),
    Scorecard(Scorecard),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transform {
    Identity,
    /// ln(1 + x): defined at zero.
    Log1p,
    /// x divided by the household size.
    PerCapita,
}

/// One term of a log-linear model: a coefficient on a numeric or yes/no answer, or one
/// coefficient per option of a choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub question: String,
    #[serde(default)]
    pub coefficient: f64,
    #[serde(default = "identity")]
    pub transform: Transform,
    #[serde(default)]
    pub options: BTreeMap<String, f64>,
}

fn identity() -> Transform {
    Transform::Identity
}

/// ln(per-capita monthly expenditure) = intercept + sum of terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogLinear {
    pub intercept: f64,
    /// Residual standard deviation of the log estimate.
    pub sigma: f64,
    /// Nine ascending cut-offs, Rp per capita per month, between desil 1..10.
    pub desil_cutoffs: Vec<f64>,
    /// Question id of the household size, for per-capita transforms.
    pub household_size_question: Option<String>,
    pub terms: Vec<Term>,
    /// The household contributions are measured against.
    pub reference: BTreeMap<String, super::Answer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scorecard {
    /// Names of the poverty lines; every points and likelihood list follows this order.
    pub lines: Vec<String>,
    pub default_line: String,
    /// question id -> option id -> points per line.
    pub points: BTreeMap<String, BTreeMap<String, Vec<u32>>>,
    /// Ascending score bands from 0: each row covers `score_min..=score_max`. A score past the
    /// last row takes the last row (the 2022 PPI's points reach 101 on two lines while its
    /// table ends at 100).
    pub lookup: Vec<LookupRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupRow {
    pub score_min: u32,
    pub score_max: u32,
    /// Probability (0..1) of living below each line.
    pub likelihood: Vec<f64>,
}

fn invalid(field: String) -> FieldError {
    FieldError::new(field, ErrorCode::PmtModelInvalid)
}

impl Model {
    /// Parses model JSON and runs [`Model::check`]: what passes can be shown and scored.
    pub fn parse(json: &[u8]) -> Result<Model> {
        if json.len() > super::signed::MAX_FILE_BYTES {
            return Err(Error::invalid("model", ErrorCode::PmtModelInvalid));
        }
        let model: Model = serde_json::from_slice(json)
            .map_err(|_| Error::invalid("model", ErrorCode::PmtModelInvalid))?;
        model.check()?;
        Ok(model)
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// Structural checks: a model that passes can score any validated answers without panics.
    pub fn check(&self) -> Result<()> {
        let mut errors = Vec::new();
        let mut ids = std::collections::HashSet::new();
        for q in &self.questions {
            if !ids.insert(q.id.as_str()) || q.label.trim().is_empty() {
                errors.push(invalid(format!("questions.{}", q.id)));
            }
            let options_ok = match q.kind {
                QuestionType::Choice => !q.options.is_empty(),
                _ => q.options.is_empty(),
            };
            let range_ok = match (q.min, q.max) {
                (Some(lo), Some(hi)) => lo.is_finite() && hi.is_finite() && lo <= hi,
                (lo, hi) => lo.is_none_or(f64::is_finite) && hi.is_none_or(f64::is_finite),
            };
            if !options_ok || !range_ok {
                errors.push(invalid(format!("questions.{}", q.id)));
            }
        }
        match &self.kind {
            Kind::LogLinear(ll) => self.check_log_linear(ll, &mut errors),
            Kind::Scorecard(sc) => self.check_scorecard(sc, &mut errors),
        }
        if self
            .effective_until
            .is_some_and(|until| until < self.effective_from)
        {
            errors.push(invalid("effective_until".into()));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(errors))
        }
    }

    fn check_log_linear(&self, ll: &LogLinear, errors: &mut Vec<FieldError>) {
        let finite = ll.intercept.is_finite() && ll.sigma.is_finite() && ll.sigma > 0.0;
        let cutoffs = ll.desil_cutoffs.len() == 9
            && ll.desil_cutoffs.iter().all(|c| c.is_finite() && *c > 0.0)
            && ll.desil_cutoffs.windows(2).all(|w| w[0] < w[1]);
        if !finite || !cutoffs {
            errors.push(invalid("parameters".into()));
        }
        let size_question = ll
            .household_size_question
            .as_deref()
            .and_then(|id| self.question(id));
        for term in &ll.terms {
            let Some(q) = self.question(&term.question) else {
                errors.push(invalid(format!("terms.{}", term.question)));
                continue;
            };
            let ok = match q.kind {
                QuestionType::Choice => {
                    q.options
                        .iter()
                        .all(|o| term.options.get(&o.id).is_some_and(|c| c.is_finite()))
                        && term.options.len() == q.options.len()
                }
                QuestionType::YesNo => term.coefficient.is_finite() && term.options.is_empty(),
                QuestionType::Count | QuestionType::Number => {
                    term.coefficient.is_finite()
                        && term.options.is_empty()
                        && q.min
                            .is_some_and(|m| m >= 0.0 || term.transform == Transform::Identity)
                        && (term.transform != Transform::PerCapita
                            || size_question.is_some_and(|s| s.min.is_some_and(|m| m >= 1.0)))
                }
            };
            if !ok {
                errors.push(invalid(format!("terms.{}", term.question)));
            }
        }
        if let Err(Error::Invalid(reference_errors)) = super::answers::check(self, &ll.reference) {
            errors.extend(
                reference_errors
                    .into_iter()
                    .map(|e| invalid(format!("reference.{}", e.field))),
            );
        }
    }

    fn check_scorecard(&self, sc: &Scorecard, errors: &mut Vec<FieldError>) {
        let lines = sc.lines.len();
        if lines == 0 || !sc.lines.contains(&sc.default_line) {
            errors.push(invalid("parameters.lines".into()));
        }
        for q in &self.questions {
            let Some(points) = sc.points.get(&q.id) else {
                errors.push(invalid(format!("points.{}", q.id)));
                continue;
            };
            let covers = q.kind == QuestionType::Choice
                && q.options.len() == points.len()
                && q.options
                    .iter()
                    .all(|o| points.get(&o.id).is_some_and(|p| p.len() == lines));
            if !covers {
                errors.push(invalid(format!("points.{}", q.id)));
            }
        }
        if sc.points.len() != self.questions.len() {
            errors.push(invalid("points".into()));
        }
        let mut next = 0;
        for row in &sc.lookup {
            let ok = row.score_min == next
                && row.score_min <= row.score_max
                && row.likelihood.len() == lines
                && row.likelihood.iter().all(|p| (0.0..=1.0).contains(p));
            if !ok {
                errors.push(invalid(format!("lookup.{}", row.score_min)));
            }
            next = row.score_max.saturating_add(1);
        }
        if sc.lookup.is_empty() {
            errors.push(invalid("lookup".into()));
        }
    }
}
