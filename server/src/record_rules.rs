//! Checks of a record's content that need no database. Its times lie within a sane window of
//! the server's clock, so no later sum (a 14-day deadline, a local-time conversion) can
//! overflow and no record is dated in the year 292 million; its body decodes into its type and
//! passes the rules the phone applied (the phone's own functions, from core).
use perlinsos_protocol::record::Record;
use perlinsos_protocol::wire::ErrorCode;

use crate::opened::Entry;
use perlinsos_rules::date::Date;
use perlinsos_rules::date::DAY_MS;
use perlinsos_rules::error::{ErrorCode as CoreCode, FieldError};
use perlinsos_rules::registration::model::RegisteredHousehold;
use perlinsos_rules::registration::validate;
use perlinsos_rules::sanggahan::{rules, Filing, PhotoRole};

/// 2020-01-01T00:00:00Z: nothing in this pilot happened earlier.
pub const EARLIEST_TIME: i64 = 1_577_836_800_000;
/// Phone clocks drift; a few minutes ahead of the server is not an error.
pub const CLOCK_SKEW_MS: i64 = 10 * 60 * 1000;

/// Whether `time` (Unix milliseconds) is one the server accepts from a phone at `now`.
pub fn time_is_sane(time: i64, now: i64) -> bool {
    time >= EARLIEST_TIME && time <= now.saturating_add(CLOCK_SKEW_MS)
}

/// Every time a record carries.
fn record_times(record: &Record) -> Vec<i64> {
    match record {
        Record::HouseholdRegistered(h) => vec![
            h.household.registered_at,
            h.household.visit.started_at,
            h.household.consent.given_at,
        ],
        Record::SanggahanFiled(s) => vec![s.filed_at],
        Record::SanggahanWithdrawn(w) => vec![w.at],
        Record::AuditAppended(a) => vec![a.at],
        Record::EvidenceAttached(e) => vec![e.evidence.attestation.captured_at],
        Record::VisitRecorded(v) => {
            let mut times = vec![v.visit.recorded_at, v.visit.visit.started_at];
            times.extend(v.visit.consent.as_ref().map(|c| c.given_at));
            times.extend(v.evidence.iter().map(|e| e.attestation.captured_at));
            times
        }
        Record::ObjectionFiled(o) => {
            let mut times = vec![o.objection.filed_at];
            times.extend(o.evidence.iter().map(|e| e.attestation.captured_at));
            times
        }
    }
}

/// Every time of the entry and its record inside the window, or why not.
pub fn check_times(entry: &Entry, now: i64) -> Result<(), ErrorCode> {
    let sane = std::iter::once(entry.created_at)
        .chain(record_times(&entry.record))
        .all(|time| time_is_sane(time, now));
    if sane {
        Ok(())
    } else {
        Err(ErrorCode::TimeInvalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use perlinsos_protocol::record::{AuditAppended, SanggahanWithdrawn};

    fn entry(created_at: i64, record: Record) -> Entry {
        Entry {
            id: "e".into(),
            kind: record.kind().into(),
            entity_id: record.entity_id(),
            record,
            kelurahan_code: None,
            blobs: vec![],
            created_at,
        }
    }

    fn withdrawal(at: i64) -> Record {
        Record::SanggahanWithdrawn(SanggahanWithdrawn {
            sanggahan_id: "x".into(),
            at,
        })
    }

    fn audit(at: i64) -> Record {
        Record::AuditAppended(AuditAppended {
            seq: 1,
            at,
            agent_id: "agen-01".into(),
            action: "unlock".into(),
            record_id: None,
            prev_hash: String::new(),
            hash: String::new(),
            signature: String::new(),
        })
    }

    const NOW: i64 = 1_795_000_000_000;

    #[test]
    fn extreme_times_are_refused_without_overflow() {
        for bad in [
            i64::MIN,
            -1,
            0,
            EARLIEST_TIME - 1,
            NOW + CLOCK_SKEW_MS + 1,
            i64::MAX,
        ] {
            for record in [withdrawal(bad), audit(bad)] {
                assert_eq!(
                    check_times(&entry(NOW, record), NOW),
                    Err(ErrorCode::TimeInvalid),
                    "{bad}"
                );
            }
            assert_eq!(
                check_times(&entry(bad, withdrawal(NOW)), NOW),
                Err(ErrorCode::TimeInvalid),
                "entry {bad}"
            );
        }
        for fine in [EARLIEST_TIME, NOW, NOW + CLOCK_SKEW_MS] {
            assert_eq!(check_times(&entry(NOW, withdrawal(fine)), NOW), Ok(()));
        }
    }
}

/// Why a record was refused: a stable code and, for a rule broken, the fields and their codes
/// (never their values: no NIK or name reaches a log or the phone's park reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub reason: String,
}

impl From<ErrorCode> for Refusal {
    fn from(code: ErrorCode) -> Refusal {
        Refusal {
            code,
            reason: code.message().to_owned(),
        }
    }
}

fn broken(errors: &[FieldError]) -> Refusal {
    let fields: Vec<String> = errors
        .iter()
        .take(10)
        .map(|e| format!("{} ({})", e.field, e.code.as_str()))
        .collect();
    Refusal {
        code: ErrorCode::RecordInvalid,
        reason: format!(
            "{} Periksa: {}.",
            ErrorCode::RecordInvalid.message(),
            fields.join(", ")
        ),
    }
}

/// A record decoded into its type and checked with the phone's own rules.
pub enum Checked {
    Household(Box<RegisteredHousehold>),
    Sanggahan(Box<FiledSanggahan>),
    Visit(Box<perlinsos_rules::dtsen::visit::VerificationVisit>),
    Objection(Box<perlinsos_rules::dtsen::objection::ResultObjection>),
    /// Withdrawals and audit entries: their checks need the database or the chain.
    Other,
}

/// A `sanggahan.filed` record, the protocol's type.
pub type FiledSanggahan = perlinsos_protocol::record::SanggahanFiled;

/// A photo a record names: one definition, the protocol's.
pub use perlinsos_protocol::record::EvidenceRef;

const MAX_ID_CHARS: usize = 64;

fn plain_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_ID_CHARS
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// Decodes the entry's body into its type and applies the rules that need no database.
pub fn check_content(entry: &Entry, now: i64) -> Result<Checked, Refusal> {
    check_times(entry, now)?;
    if !plain_id(&entry.entity_id) {
        return Err(ErrorCode::BodyInvalid.into());
    }
    match &entry.record {
        Record::HouseholdRegistered(registered) => {
            let household = registered.household.clone();
            if household.id != entry.entity_id {
                return Err(ErrorCode::BodyInvalid.into());
            }
            let errors = validate::check_registered(&household, now);
            if !errors.is_empty() {
                return Err(broken(&errors));
            }
            Ok(Checked::Household(Box::new(household)))
        }
        Record::SanggahanFiled(filed) => {
            let filed = filed.as_ref().clone();
            if filed.id != entry.entity_id {
                return Err(ErrorCode::BodyInvalid.into());
            }
            let errors = check_filed(&filed);
            if !errors.is_empty() {
                return Err(broken(&errors));
            }
            Ok(Checked::Sanggahan(Box::new(filed)))
        }
        Record::AuditAppended(audit) => {
            let mut errors = Vec::new();
            for (field, text) in [
                ("agent_id", audit.agent_id.as_str()),
                ("action", audit.action.as_str()),
                ("record_id", audit.record_id.as_deref().unwrap_or("-")),
            ] {
                if text.is_empty()
                    || text.chars().count() > MAX_ID_CHARS
                    || text.chars().any(char::is_control)
                {
                    errors.push(FieldError::new(field, CoreCode::TextTooLong));
                }
            }
            if !errors.is_empty() {
                return Err(broken(&errors));
            }
            Ok(Checked::Other)
        }
        Record::VisitRecorded(recorded) => {
            let visit = recorded.visit.clone();
            if visit.id != entry.entity_id {
                return Err(ErrorCode::BodyInvalid.into());
            }
            let errors = perlinsos_rules::dtsen::visit::check_verification(&visit, now);
            if !errors.is_empty() {
                return Err(broken(&errors));
            }
            Ok(Checked::Visit(Box::new(visit)))
        }
        Record::ObjectionFiled(filed) => {
            let objection = filed.objection.clone();
            if objection.id != entry.entity_id {
                return Err(ErrorCode::BodyInvalid.into());
            }
            let mut errors = perlinsos_rules::dtsen::objection::check_form(&objection, now);
            if objection.photos.len() != filed.evidence.len() {
                errors.push(FieldError::new("photos", CoreCode::SanggahanPhotoMissing));
            }
            if !errors.is_empty() {
                return Err(broken(&errors));
            }
            Ok(Checked::Objection(Box::new(objection)))
        }
        _ => Ok(Checked::Other),
    }
}

/// The phone's rules of a filing, on the day it was filed, and its photos: as many as the
/// roles it lists, at least one of the recipient's house, one with its location, all taken
/// within the 30 days before filing.
fn check_filed(filed: &FiledSanggahan) -> Vec<FieldError> {
    let today = Date::of_unix_millis(filed.filed_at);
    let filing = Filing {
        id: Some(filed.id.clone()),
        agent_id: String::new(),
        recipient_id: filed.recipient_id.clone(),
        reporter: filed.reporter.clone(),
        reason: filed.reason,
        statement: filed.statement.clone(),
    };
    let mut errors = rules::check_form(&filing, filed.evidence.len(), today);
    if filed.reporter.address.kelurahan_code.trim() != filed.kelurahan_code {
        errors.push(FieldError::new(
            "reporter.address.kelurahan_code",
            CoreCode::SanggahanOtherKelurahan,
        ));
    }
    if !plain_id(&filed.recipient_id) {
        errors.push(FieldError::new(
            "recipient_id",
            CoreCode::SanggahanRecipientUnknown,
        ));
    }
    if filed.photos.len() != filed.evidence.len() {
        errors.push(FieldError::new("photos", CoreCode::SanggahanPhotoMissing));
    }
    let house = filed
        .photos
        .iter()
        .any(|(_, role)| *role == PhotoRole::RumahPenerima);
    let located = filed.evidence.iter().any(|e| e.attestation.gps.is_some());
    let house_located = house && located;
    if !filed.evidence.is_empty() && !house_located {
        errors.push(FieldError::new(
            "photos",
            CoreCode::SanggahanHousePhotoMissing,
        ));
    }
    let oldest = filed
        .filed_at
        .saturating_sub(rules::PHOTO_MAX_AGE_DAYS.saturating_mul(DAY_MS));
    for (i, e) in filed.evidence.iter().enumerate() {
        let at = e.attestation.captured_at;
        if at < oldest {
            errors.push(FieldError::new(
                format!("photos[{i}]"),
                CoreCode::SanggahanPhotoTooOld,
            ));
        } else if at > filed.filed_at.saturating_add(CLOCK_SKEW_MS) {
            errors.push(FieldError::new(
                format!("photos[{i}]"),
                CoreCode::SanggahanPhotoDateInvalid,
            ));
        }
    }
    errors
}
