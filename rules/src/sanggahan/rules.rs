//! The rules of a filing that need no database: the reporter, the statement, the photos.
use crate::date::Date;
use crate::error::{ErrorCode, FieldError};
use crate::evidence::EvidenceRecord;
use crate::identity;
use crate::registration::validate::{check_kelurahan, check_name, check_rt_rw, check_text};

use super::{Filing, PhotoRole};

pub const STATEMENT_MIN_CHARS: usize = 20;
pub const STATEMENT_MAX_CHARS: usize = 1_000;
pub const MIN_PHOTOS: usize = 1;
pub const MAX_PHOTOS: usize = 5;
/// Evidence photos must be this recent.
pub const PHOTO_MAX_AGE_DAYS: i64 = 30;
const MAX_STREET_CHARS: usize = 200;

fn push(errors: &mut Vec<FieldError>, field: impl Into<String>, code: ErrorCode) {
    errors.push(FieldError::new(field, code));
}

/// Everything wrong with the form itself, at once.
pub fn check_form(filing: &Filing, photo_count: usize, today: Date) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let reporter = &filing.reporter;
    if let Err(code) = identity::parse_nik(&reporter.nik, today) {
        push(&mut errors, "reporter.nik", code);
    }
    check_name(&mut errors, "reporter.full_name", &reporter.full_name);
    check_kelurahan(
        &mut errors,
        "reporter.address.kelurahan_code",
        &reporter.address.kelurahan_code,
    );
    check_rt_rw(
        &mut errors,
        "reporter.address",
        reporter.address.rt,
        reporter.address.rw,
    );
    check_text(
        &mut errors,
        "reporter.address.street",
        &reporter.address.street,
        MAX_STREET_CHARS,
    );
    let statement = filing.statement.trim().chars().count();
    if statement < STATEMENT_MIN_CHARS {
        push(
            &mut errors,
            "statement",
            ErrorCode::SanggahanStatementTooShort,
        );
    } else if statement > STATEMENT_MAX_CHARS {
        push(
            &mut errors,
            "statement",
            ErrorCode::SanggahanStatementTooLong,
        );
    }
    if photo_count < MIN_PHOTOS {
        push(&mut errors, "photos", ErrorCode::SanggahanPhotoMissing);
    } else if photo_count > MAX_PHOTOS {
        push(&mut errors, "photos", ErrorCode::SanggahanTooManyPhotos);
    }
    errors
}

/// The day a photo was taken: the camera's own time when it has one (a photo picked from the
/// gallery), otherwise the moment the app captured it.
fn taken_on(record: &EvidenceRecord) -> Date {
    record
        .camera_time
        .as_deref()
        .and_then(|t| Date::parse_iso(t.get(..10)?))
        .unwrap_or_else(|| Date::of_unix_millis(record.captured_at))
}

/// The rules on the normalized photos: recent, and at least one of the recipient's house with
/// the location where it was taken.
pub fn check_photos(photos: &[(PhotoRole, &EvidenceRecord)], today: Date) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, (_, record)) in photos.iter().enumerate() {
        let age = today.days_since_epoch() - taken_on(record).days_since_epoch();
        if age > PHOTO_MAX_AGE_DAYS {
            push(
                &mut errors,
                format!("photos[{i}]"),
                ErrorCode::SanggahanPhotoTooOld,
            );
        } else if age < -1 {
            push(
                &mut errors,
                format!("photos[{i}]"),
                ErrorCode::SanggahanPhotoDateInvalid,
            );
        }
    }
    let house_with_location = photos
        .iter()
        .any(|(role, r)| *role == PhotoRole::RumahPenerima && r.gps.is_some());
    if !photos.is_empty() && !house_with_location {
        push(&mut errors, "photos", ErrorCode::SanggahanHousePhotoMissing);
    }
    errors
}
