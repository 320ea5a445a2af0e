//! The uniffi facade: newtypes that convert and delegate, nothing that decides: the phone and
//! its agents' PINs, registration, PMT preview, evidence, sanggahan, resident mode and sync.
mod changes;
mod evidence;
mod phone;
mod pmt;
mod registration;
mod resident;
mod sanggahan;
mod sync;
#[cfg(feature = "test-hooks")]
mod test_hooks;
mod worklist;

use perlinsos_core::identity;
use perlinsos_core::{Date, ErrorCode};

pub use changes::{ChangeHandle, ChangeListener, ChangeTopic};
pub use evidence::EvidenceInfo;
pub use phone::{AgentSession, Phone};
pub use pmt::{pmt_preview, pmt_questions, PmtAnswer, PmtPreview, PmtQuestion};
pub use registration::{registration_choices, DraftView, HouseholdForm, MemberForm, VisitForm};
pub use resident::ResidentSession;
pub use sanggahan::{RecipientView, SanggahanFiling, SanggahanPhoto, SanggahanView};
pub use sync::{Enrollment, OutboxView, SyncListener, SyncReport};
pub use worklist::{FamilyDetail, FamilyView, ReceiptView, ResultView, VisitDraftView};

uniffi::setup_scaffolding!();

/// The one error Kotlin sees: a stable code and a message in Bahasa Indonesia, never personal
/// data. Core errors are mapped here, in one place.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum ApiError {
    /// `reason` is the Indonesian text (Kotlin reserves `message` on exceptions); `field` is
    /// the input it concerns. A refusal listing several problems gives the first here and every
    /// one in `problems` (a form shows each on its field at once).
    #[error("{code}: {reason}")]
    Invalid {
        code: String,
        reason: String,
        field: String,
        problems: Vec<FieldProblem>,
    },
    /// A wrong PIN or a locked profile: when to try again and how many tries are left.
    #[error("{code}: {reason}")]
    Unlock {
        code: String,
        reason: String,
        attempts_left: u32,
        retry_at_ms: Option<i64>,
    },
    /// The server could not be reached (or answered "try later"): try again after a while.
    #[error("OFFLINE")]
    Offline { retry_after_ms: i64 },
    /// Storage, cryptography or a corrupt file: not the user's input.
    #[error("{code}")]
    Internal { code: String },
}

/// One problem of a refused input: the field it concerns, its stable code, its Indonesian text.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FieldProblem {
    pub field: String,
    pub code: String,
    pub reason: String,
}

impl ApiError {
    /// A refusal with one problem.
    fn invalid(
        code: impl Into<String>,
        reason: impl Into<String>,
        field: impl Into<String>,
    ) -> ApiError {
        let (code, reason, field) = (code.into(), reason.into(), field.into());
        ApiError::Invalid {
            problems: vec![FieldProblem {
                field: field.clone(),
                code: code.clone(),
                reason: reason.clone(),
            }],
            code,
            reason,
            field,
        }
    }
}

impl From<perlinsos_core::Error> for ApiError {
    fn from(e: perlinsos_core::Error) -> ApiError {
        use perlinsos_core::Error;
        match &e {
            Error::Invalid(errors) => match errors.first() {
                Some(first) => ApiError::Invalid {
                    code: first.code.as_str().to_owned(),
                    reason: first.message.clone(),
                    field: first.field.clone(),
                    problems: errors
                        .iter()
                        .map(|e| FieldProblem {
                            field: e.field.clone(),
                            code: e.code.as_str().to_owned(),
                            reason: e.message.clone(),
                        })
                        .collect(),
                },
                None => ApiError::Internal {
                    code: "INVALID".into(),
                },
            },
            Error::Crypto => ApiError::Internal {
                code: "CRYPTO".into(),
            },
            Error::SchemaTooNew { .. } => ApiError::Internal {
                code: "SCHEMA_TOO_NEW".into(),
            },
            _ => ApiError::Internal {
                code: "STORAGE".into(),
            },
        }
    }
}

/// A refused unlock (wrong PIN, locked profile) with the attempts left and when to retry.
fn unlock_error(
    error: perlinsos_core::Error,
    refusal: perlinsos_core::session::Refusal,
) -> ApiError {
    match error.field_errors().first() {
        Some(first) => ApiError::Unlock {
            code: refusal.code.as_str().to_owned(),
            reason: first.message.clone(),
            attempts_left: refusal.attempts_left,
            retry_at_ms: refusal.retry_at,
        },
        None => ApiError::from(error),
    }
}

impl ApiError {
    /// An answer that is not one of the offered choices (the UI offers only valid ones).
    fn choice(field: &str) -> ApiError {
        ApiError::from(perlinsos_core::Error::invalid(
            field,
            perlinsos_core::ErrorCode::ChoiceUnknown,
        ))
    }
}

/// A choice from its id (the core's snake_case name).
fn choice<T: serde::de::DeserializeOwned>(field: &str, id: &str) -> Result<T, ApiError> {
    serde_json::from_value(serde_json::Value::String(id.to_owned()))
        .map_err(|_| ApiError::choice(field))
}

/// The id of a choice, as [`choice`] reads it.
fn choice_id<T: serde::Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(id)) => id,
        _ => String::new(),
    }
}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> ApiError {
        ApiError::invalid(code.as_str(), code.message(), "")
    }
}

#[derive(Debug, uniffi::Record)]
pub struct NikCheck {
    /// "L" or "P"
    pub sex: String,
    /// YYYY-MM-DD
    pub birth_date: String,
    /// PP.KK.CC
    pub kecamatan: String,
    /// Codes of warnings, such as NIK_KECAMATAN_UNKNOWN.
    pub warnings: Vec<String>,
}

#[uniffi::export]
pub fn check_nik(nik: String) -> Result<NikCheck, ApiError> {
    let info = identity::parse_nik(&nik, Date::today())?;
    Ok(NikCheck {
        sex: format!("{:?}", info.sex),
        birth_date: info.birth_date.to_string(),
        kecamatan: info.kecamatan,
        warnings: info
            .warnings
            .iter()
            .map(|w| w.as_str().to_owned())
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facade_converts_results_and_errors() {
        let ok = check_nik("5271015705900002".into()).unwrap();
        assert_eq!(
            (ok.sex.as_str(), ok.birth_date.as_str()),
            ("P", "1990-05-17")
        );
        match check_nik("123".into()) {
            Err(ApiError::Invalid { code, .. }) => assert_eq!(code, "NIK_LENGTH"),
            other => panic!("{other:?}"),
        }
    }
}
