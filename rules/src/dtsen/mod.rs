//! A family as the district's DTSEN extract has it, and as the phone receives it in a worklist:
//! the same type and the same checks on the server (import) and the phone (every delta).
use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::error::{ErrorCode, FieldError};
use crate::identity::{self, wilayah, Sex};
use crate::pmt::answers::{self, Answers};
use crate::registration::validate::{check_name, MAX_MEMBERS};
use crate::registration::Relation;
use crate::sanggahan::recipients::Programme;

/// A closed list of choices: wire name, Indonesian label, parse.
macro_rules! choice {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $wire:literal => $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $wire)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// As the wire and the database write it.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
            /// What the form shows.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
            pub fn parse(text: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }
    };
}

pub mod extract;
mod latin_fold;
pub mod objection;
pub mod result;
pub mod search;
pub mod visit;

/// The longest family id the district may use (DTSEN ids are shorter).
pub const MAX_FAMILY_ID_CHARS: usize = 40;
const MAX_ADDRESS_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyMember {
    pub nik: String,
    pub name: String,
    pub relation: Relation,
    pub sex: Sex,
    pub birth_date: Date,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Family {
    /// The DTSEN family id: the key a newer extract updates by.
    pub id: String,
    /// The DTSEN extract's version of the family: a newer extract replaces an older one, and a
    /// visit is judged (conflicts) against the version it started from.
    pub version: u32,
    /// The district's own updates within one extract version (an accepted visit's PMT answers
    /// flowing back): 0 as imported, grows by one per update, back to 0 with a newer version.
    /// Absent on the wire when 0, so older phones and servers read the family as before.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub revision: u32,
    pub kk: String,
    pub kelurahan_code: String,
    pub rt: u16,
    pub rw: u16,
    pub address: String,
    /// The family's current desil (1 poorest .. 10), when DTSEN has ranked it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desil: Option<u8>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub programmes: Vec<Programme>,
    pub members: Vec<FamilyMember>,
    /// The household-characteristics answers DTSEN last holds for the family (question id to
    /// answer): the visit's PMT questionnaire opens with them (`pmt::answers::prefill`).
    #[serde(default, skip_serializing_if = "Answers::is_empty")]
    pub pmt_answers: Answers,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Family {
    /// Whether this copy is newer than one held at (`version`, `revision`): a newer extract
    /// version wins whatever the revisions, within one version the higher revision wins.
    pub fn is_newer_than(&self, version: u32, revision: u32) -> bool {
        (self.version, self.revision) > (version, revision)
    }
}

/// Family ids are plain: letters, digits, `-` and `_` (they name rows, files and changes).
pub fn family_id_is_valid(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_FAMILY_ID_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn push(errors: &mut Vec<FieldError>, field: String, code: ErrorCode) {
    errors.push(FieldError::new(field, code));
}

/// Every problem of one family; `prefix` names it in the fields (`family`, `baris 12`).
pub fn check_family(prefix: &str, family: &Family, today: Date) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if !family_id_is_valid(&family.id) {
        push(
            &mut errors,
            format!("{prefix}.id"),
            ErrorCode::FamilyIdInvalid,
        );
    }
    if family.version == 0 {
        push(
            &mut errors,
            format!("{prefix}.version"),
            ErrorCode::FamilyVersionInvalid,
        );
    }
    if let Err(code) = identity::parse_kk(&family.kk, today) {
        push(&mut errors, format!("{prefix}.kk"), code);
    }
    if !wilayah::kelurahan_exists(&family.kelurahan_code) {
        push(
            &mut errors,
            format!("{prefix}.kelurahan_code"),
            ErrorCode::KelurahanUnknown,
        );
    }
    if !(1..=999).contains(&family.rt) || !(1..=999).contains(&family.rw) {
        push(
            &mut errors,
            format!("{prefix}.rt_rw"),
            ErrorCode::RtRwInvalid,
        );
    }
    if family.address.chars().count() > MAX_ADDRESS_CHARS
        || family.address.chars().any(char::is_control)
    {
        push(
            &mut errors,
            format!("{prefix}.address"),
            ErrorCode::TextTooLong,
        );
    }
    if family.desil.is_some_and(|d| !(1..=10).contains(&d)) {
        push(
            &mut errors,
            format!("{prefix}.desil"),
            ErrorCode::DesilInvalid,
        );
    }
    if let Some((id, code)) = answers::check_shape(&family.pmt_answers) {
        let field = match id.is_empty() {
            true => format!("{prefix}.pmt_answers"),
            false => format!("{prefix}.pmt_answers.{id}"),
        };
        push(&mut errors, field, code);
    }
    if family.members.is_empty() {
        push(
            &mut errors,
            format!("{prefix}.members"),
            ErrorCode::NoMembers,
        );
    }
    if family.members.len() > MAX_MEMBERS {
        push(
            &mut errors,
            format!("{prefix}.members"),
            ErrorCode::TooManyMembers,
        );
    }
    let heads = family
        .members
        .iter()
        .filter(|m| m.relation == Relation::KepalaKeluarga)
        .count();
    match heads {
        0 if !family.members.is_empty() => push(
            &mut errors,
            format!("{prefix}.members"),
            ErrorCode::HeadMissing,
        ),
        0 | 1 => {}
        _ => push(
            &mut errors,
            format!("{prefix}.members"),
            ErrorCode::HeadMultiple,
        ),
    }
    let mut seen = HashSet::new();
    for (i, member) in family.members.iter().enumerate() {
        let field = format!("{prefix}.members[{i}]");
        check_member_of(&mut errors, &field, member, today);
        if !seen.insert(identity::canonical(&member.nik)) {
            push(
                &mut errors,
                format!("{field}.nik"),
                ErrorCode::NikDuplicateInHousehold,
            );
        }
    }
    errors
}

pub(crate) fn check_member_of(
    errors: &mut Vec<FieldError>,
    field: &str,
    member: &FamilyMember,
    today: Date,
) {
    match identity::parse_nik(&member.nik, today) {
        Err(code) => push(errors, format!("{field}.nik"), code),
        Ok(info) => {
            if info.sex != member.sex {
                push(errors, format!("{field}.sex"), ErrorCode::SexMismatchNik);
            }
            if info.birth_date != member.birth_date {
                push(
                    errors,
                    format!("{field}.birth_date"),
                    ErrorCode::BirthDateMismatchNik,
                );
            }
        }
    }
    if member.birth_date > today {
        push(
            errors,
            format!("{field}.birth_date"),
            ErrorCode::BirthDateInvalid,
        );
    }
    check_name(errors, &format!("{field}.name"), &member.name);
}

#[cfg(test)]
mod tests;
