//! A *sanggahan hasil*: a member of a family objects to the family's own result, through the
//! agent, before the deadline — with a reason from a list, a statement and photo evidence.
use serde::{Deserialize, Serialize};

use crate::date::Millis;
use crate::error::{ErrorCode, FieldError};
use crate::identity;
use crate::registration::validate::check_time;

use super::result::FamilyResult;
use super::{family_id_is_valid, Family};

pub const MIN_STATEMENT_CHARS: usize = 20;
pub const MAX_STATEMENT_CHARS: usize = 2_000;
pub const MAX_PHOTOS: usize = 5;

choice!(
    /// Why the family disagrees with its result.
    ObjectionReason {
        DesilTidakSesuai = "desil_tidak_sesuai" => "Desil tidak sesuai kondisi keluarga",
        KondisiBerubah = "kondisi_berubah" => "Kondisi ekonomi keluarga sudah berubah",
        DataAnggotaSalah = "data_anggota_salah" => "Data anggota keluarga salah",
        TidakPernahDidata = "tidak_pernah_didata" => "Keluarga tidak pernah didata/dikunjungi",
        Lainnya = "lainnya" => "Alasan lain",
    }
);

choice!(
    /// What an evidence photo of an objection shows.
    ObjectionPhoto {
        Rumah = "rumah" => "Rumah (depan/dalam)",
        Dokumen = "dokumen" => "Dokumen (KK, surat keterangan, tagihan)",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultObjection {
    pub id: String,
    pub family_id: String,
    pub kelurahan_code: String,
    pub agent_id: String,
    /// The member who objects (their NIK must be the family's).
    pub objector_nik: String,
    pub reason: ObjectionReason,
    pub statement: String,
    /// (evidence id, what it shows), in the order taken.
    pub photos: Vec<(String, ObjectionPhoto)>,
    pub filed_at: Millis,
}

fn push(errors: &mut Vec<FieldError>, field: &str, code: ErrorCode) {
    errors.push(FieldError::new(field, code));
}

/// Every problem of an objection's form (`now` the checking clock).
pub fn check_form(objection: &ResultObjection, now: Millis) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if objection.id.is_empty() || objection.id.len() > 64 {
        push(&mut errors, "id", ErrorCode::VisitIdInvalid);
    }
    if !family_id_is_valid(&objection.family_id) {
        push(&mut errors, "family_id", ErrorCode::FamilyIdInvalid);
    }
    check_time(&mut errors, "filed_at", objection.filed_at, now);
    let chars = objection.statement.trim().chars().count();
    if chars < MIN_STATEMENT_CHARS {
        push(
            &mut errors,
            "statement",
            ErrorCode::SanggahanStatementTooShort,
        );
    } else if chars > MAX_STATEMENT_CHARS
        || objection
            .statement
            .chars()
            .any(|c| c.is_control() && c != '\n')
    {
        push(
            &mut errors,
            "statement",
            ErrorCode::SanggahanStatementTooLong,
        );
    }
    if objection.photos.is_empty() {
        push(&mut errors, "photos", ErrorCode::SanggahanPhotoMissing);
    } else if objection.photos.len() > MAX_PHOTOS {
        push(&mut errors, "photos", ErrorCode::SanggahanTooManyPhotos);
    }
    errors
}

/// Every problem of an objection: its form, and, against the family and its result as the
/// checker holds them, membership, place and the deadline.
pub fn check_objection(
    objection: &ResultObjection,
    family: Option<&Family>,
    result: Option<&FamilyResult>,
    now: Millis,
) -> Vec<FieldError> {
    let mut errors = check_form(objection, now);
    match family {
        None => push(&mut errors, "family_id", ErrorCode::FamilyNotAssigned),
        Some(family) => {
            let member = family.members.iter().any(|m| {
                identity::canonical(&m.nik) == identity::canonical(&objection.objector_nik)
            });
            if !member {
                push(&mut errors, "objector_nik", ErrorCode::ObjectionNotMember);
            }
            if family.kelurahan_code != objection.kelurahan_code {
                push(
                    &mut errors,
                    "kelurahan_code",
                    ErrorCode::SanggahanOtherKelurahan,
                );
            }
        }
    }
    match result {
        None => push(&mut errors, "family_id", ErrorCode::ObjectionNoResult),
        Some(r) if !r.objection_open(objection.filed_at) => {
            push(&mut errors, "filed_at", ErrorCode::ObjectionWindowClosed)
        }
        Some(_) => {}
    }
    errors
}
