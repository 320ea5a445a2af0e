//! Validation rules of a registration, as pure functions returning every problem at once.
use std::collections::HashSet;

use crate::date::Date;
use crate::error::{ErrorCode, FieldError};
use crate::identity::{self, wilayah};

use super::model::*;

pub const MAX_MEMBERS: usize = 30;
const MAX_NAME_CHARS: usize = 100;
const MAX_STREET_CHARS: usize = 200;
const MAX_SHORT_TEXT_CHARS: usize = 60;
/// 2020-01-01T00:00:00Z: nothing in this pilot happened earlier.
const EARLIEST_TIME: Millis = 1_577_836_800_000;
/// Phone clocks drift; a few minutes ahead is not an error.
const CLOCK_SKEW: Millis = 10 * 60 * 1000;
/// Kartu Tanda Penduduk age: an adult is 17 or older, or has been married.
const ADULT_AGE: i32 = 17;

type Errors = Vec<FieldError>;

fn push(errors: &mut Errors, field: impl Into<String>, code: ErrorCode) {
    errors.push(FieldError::new(field, code));
}

pub fn check_time(errors: &mut Errors, field: &str, time: Millis, now: Millis) {
    if time < EARLIEST_TIME || time > now + CLOCK_SKEW {
        push(errors, field, ErrorCode::TimeInvalid);
    }
}

pub(crate) fn check_rt_rw(errors: &mut Errors, prefix: &str, rt: u16, rw: u16) {
    for (name, value) in [("rt", rt), ("rw", rw)] {
        if !(1..=999).contains(&value) {
            push(errors, format!("{prefix}.{name}"), ErrorCode::RtRwInvalid);
        }
    }
}

pub(crate) fn check_kelurahan(errors: &mut Errors, field: &str, code: &str) {
    if !wilayah::kelurahan_exists(code) {
        push(errors, field, ErrorCode::KelurahanUnknown);
    }
}

/// Free text: bounded length, no control characters.
pub(crate) fn check_text(errors: &mut Errors, field: &str, text: &str, max_chars: usize) {
    if text.chars().count() > max_chars || text.chars().any(char::is_control) {
        push(errors, field, ErrorCode::TextTooLong);
    }
}

pub fn check_visit(visit: &Visit, now: Millis) -> Errors {
    let mut errors = Vec::new();
    if visit.agent_id.trim().is_empty() {
        push(&mut errors, "visit.agent_id", ErrorCode::AgentMissing);
    }
    check_text(
        &mut errors,
        "visit.agent_id",
        &visit.agent_id,
        MAX_SHORT_TEXT_CHARS,
    );
    check_kelurahan(&mut errors, "visit.kelurahan_code", &visit.kelurahan_code);
    check_rt_rw(&mut errors, "visit", visit.rt, visit.rw);
    check_time(&mut errors, "visit.started_at", visit.started_at, now);
    if let Some(gps) = visit.gps {
        let ok = gps.latitude.is_finite()
            && gps.longitude.is_finite()
            && gps.accuracy_m.is_finite()
            && (-90.0..=90.0).contains(&gps.latitude)
            && (-180.0..=180.0).contains(&gps.longitude)
            && gps.accuracy_m >= 0.0;
        if !ok {
            push(&mut errors, "visit.gps", ErrorCode::GpsInvalid);
        }
    }
    errors
}

pub fn check_household(info: &HouseholdInfo, today: Date) -> Errors {
    let mut errors = Vec::new();
    if let Err(code) = identity::parse_kk(&info.kk, today) {
        push(&mut errors, "household.kk", code);
    }
    check_kelurahan(
        &mut errors,
        "household.address.kelurahan_code",
        &info.address.kelurahan_code,
    );
    check_rt_rw(
        &mut errors,
        "household.address",
        info.address.rt,
        info.address.rw,
    );
    check_text(
        &mut errors,
        "household.address.street",
        &info.address.street,
        MAX_STREET_CHARS,
    );
    errors
}

/// Names: a single name is normal; letters of any script, spaces, apostrophes, hyphens,
/// dots and commas (for titles such as "H." or "S.Pd.").
pub fn check_name(errors: &mut Errors, field: &str, name: &str) {
    let name = name.trim();
    if name.is_empty() {
        push(errors, field, ErrorCode::NameEmpty);
    } else if name.chars().count() > MAX_NAME_CHARS {
        push(errors, field, ErrorCode::NameTooLong);
    } else if !name.chars().any(char::is_alphabetic)
        || !name.chars().all(|c| {
            c.is_alphabetic()
                || matches!(c, ' ' | '\'' | '\u{2019}' | '-' | '.' | ',')
                || ('\u{0300}'..='\u{036f}').contains(&c)
        })
    {
        push(errors, field, ErrorCode::NameInvalidCharacter);
    }
}

/// Checks one member on its own, including agreement of sex and birth date with the NIK.
pub fn check_member(prefix: &str, member: &MemberInput, today: Date) -> Errors {
    let mut errors = Vec::new();
    match identity::parse_nik(&member.nik, today) {
        Err(code) => push(&mut errors, format!("{prefix}.nik"), code),
        Ok(info) => {
            if info.sex != member.sex {
                push(
                    &mut errors,
                    format!("{prefix}.sex"),
                    ErrorCode::SexMismatchNik,
                );
            }
            if info.birth_date != member.birth_date {
                push(
                    &mut errors,
                    format!("{prefix}.birth_date"),
                    ErrorCode::BirthDateMismatchNik,
                );
            }
        }
    }
    if member.birth_date > today {
        push(
            &mut errors,
            format!("{prefix}.birth_date"),
            ErrorCode::BirthDateInvalid,
        );
    }
    check_name(
        &mut errors,
        &format!("{prefix}.full_name"),
        &member.full_name,
    );
    check_text(
        &mut errors,
        &format!("{prefix}.occupation"),
        &member.occupation,
        MAX_SHORT_TEXT_CHARS,
    );
    errors
}

pub fn is_adult(member: &MemberInput, on: Date) -> bool {
    member.birth_date.years_until(on) >= ADULT_AGE || member.marital != Marital::BelumKawin
}

pub fn check_consent(consent: &Consent, draft: &Draft, now: Millis) -> Errors {
    let mut errors = Vec::new();
    let visit_day = Date::of_unix_millis(draft.visit.started_at);
    let giver_is_adult = draft
        .members
        .iter()
        .find(|m| m.id == consent.given_by)
        .is_some_and(|m| is_adult(&m.input, visit_day));
    if !giver_is_adult {
        push(
            &mut errors,
            "consent.given_by",
            ErrorCode::ConsentGiverInvalid,
        );
    }
    if consent.notice_version.trim().is_empty() {
        push(
            &mut errors,
            "consent.notice_version",
            ErrorCode::NoticeVersionMissing,
        );
    }
    check_text(
        &mut errors,
        "consent.notice_version",
        &consent.notice_version,
        MAX_SHORT_TEXT_CHARS,
    );
    check_time(&mut errors, "consent.given_at", consent.given_at, now);
    errors
}

/// Everything a submission needs, except what only the database can tell (duplicates on
/// this phone).
pub fn check_complete(draft: &Draft, today: Date, now: Millis) -> Errors {
    let mut errors = check_visit(&draft.visit, now);
    match &draft.household {
        None => push(&mut errors, "household", ErrorCode::StepMissing),
        Some(info) => errors.extend(check_household(info, today)),
    }
    if draft.members.is_empty() {
        push(&mut errors, "members", ErrorCode::NoMembers);
    }
    if draft.members.len() > MAX_MEMBERS {
        push(&mut errors, "members", ErrorCode::TooManyMembers);
    }
    let heads = draft
        .members
        .iter()
        .filter(|m| m.input.relation == Relation::KepalaKeluarga)
        .count();
    if heads == 0 && !draft.members.is_empty() {
        push(&mut errors, "members", ErrorCode::HeadMissing);
    } else if heads > 1 {
        push(&mut errors, "members", ErrorCode::HeadMultiple);
    }
    let mut seen = HashSet::new();
    let visit_day = Date::of_unix_millis(draft.visit.started_at);
    for (i, member) in draft.members.iter().enumerate() {
        let prefix = format!("members[{i}]");
        errors.extend(check_member(&prefix, &member.input, today));
        if !seen.insert(identity::canonical(&member.input.nik)) {
            push(
                &mut errors,
                format!("{prefix}.nik"),
                ErrorCode::NikDuplicateInHousehold,
            );
        }
        if is_adult(&member.input, visit_day) && !draft.ikd.contains_key(&member.id) {
            push(
                &mut errors,
                format!("{prefix}.ikd"),
                ErrorCode::IkdStatusMissing,
            );
        }
    }
    match &draft.consent {
        None => push(&mut errors, "consent", ErrorCode::ConsentMissing),
        Some(consent) => errors.extend(check_consent(consent, draft, now)),
    }
    if let (Some(pmt), Some(info)) = (&draft.pmt, &draft.household) {
        let size = draft.members.len() as u32;
        if pmt.household_size != size || pmt.region_code != info.address.kelurahan_code {
            push(&mut errors, "pmt", ErrorCode::PmtStale);
        }
    }
    errors
}

/// A registered household as the district server receives it: the rules of submission, on the
/// day it was registered, plus what ties the record together (its head, its member ids, its
/// agent), so a server refuses exactly what a phone would have.
pub fn check_registered(household: &RegisteredHousehold, now: Millis) -> Errors {
    let draft = Draft {
        id: household.draft_id.clone(),
        step: Step::Pmt,
        revision: 0,
        visit: household.visit.clone(),
        household: Some(HouseholdInfo {
            kk: household.kk.clone(),
            address: household.address.clone(),
        }),
        members: household
            .members
            .iter()
            .map(|m| Member {
                id: m.id.clone(),
                input: m.input.clone(),
            })
            .collect(),
        consent: Some(household.consent.clone()),
        ikd: household
            .members
            .iter()
            .filter_map(|m| Some((m.id.clone(), m.ikd?)))
            .collect(),
        pmt: household.pmt.clone(),
    };
    let mut errors = Vec::new();
    check_time(&mut errors, "registered_at", household.registered_at, now);
    if !errors.is_empty() {
        return errors;
    }
    errors.extend(check_complete(
        &draft,
        Date::of_unix_millis(household.registered_at),
        now,
    ));
    let mut ids = HashSet::new();
    for (i, member) in household.members.iter().enumerate() {
        if member.id.is_empty() || member.id.len() > 64 || !ids.insert(member.id.as_str()) {
            push(
                &mut errors,
                format!("members[{i}].id"),
                ErrorCode::MemberNotFound,
            );
        }
    }
    let head_ok = household
        .members
        .iter()
        .any(|m| m.id == household.head_member_id && m.input.relation == Relation::KepalaKeluarga);
    if !head_ok {
        push(&mut errors, "head_member_id", ErrorCode::HeadMissing);
    }
    if household.visit.agent_id != household.agent_id {
        push(&mut errors, "agent_id", ErrorCode::AgentMissing);
    }
    check_text(&mut errors, "id", &household.id, MAX_SHORT_TEXT_CHARS);
    errors
}
