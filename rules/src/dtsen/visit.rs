//! A verification visit of a family on the worklist: what the agent found, the corrections to
//! its members with their reasons, each adult's NIK against the KK and IKD status, the savings
//! account for disbursement, consent and the PMT questionnaire. The phone checks it before it
//! seals it; the server checks it again as it arrives.
use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::date::{Date, Millis};
use crate::error::{ErrorCode, FieldError};
use crate::identity;
use crate::registration::validate::{check_text, check_time, check_visit};
use crate::registration::{Consent, IkdStatus, PmtRecord, Relation, Visit};

use super::{check_member_of, family_id_is_valid, FamilyMember};

/// A member of 17 or more has a KTP/IKD to check.
pub const ADULT_AGE: i32 = 17;
const MAX_REASON_CHARS: usize = 200;
const MAX_NOTE_CHARS: usize = 500;
const MAX_ID_CHARS: usize = 64;

choice!(
    /// What the agent found at the address.
    VisitOutcome {
        Ditemukan = "ditemukan" => "Keluarga ditemukan",
        Pindah = "pindah" => "Keluarga pindah alamat",
        Meninggal = "meninggal" => "Kepala/seluruh keluarga meninggal",
        TidakDitemukan = "tidak_ditemukan" => "Keluarga tidak ditemukan",
        Menolak = "menolak" => "Keluarga menolak didata",
    }
);

choice!(
    /// Why a member was added, removed or corrected.
    MemberChange {
        Lahir = "lahir" => "Lahir",
        Meninggal = "meninggal" => "Meninggal",
        PindahMasuk = "pindah_masuk" => "Pindah masuk",
        PindahKeluar = "pindah_keluar" => "Pindah keluar",
        DataSalah = "data_salah" => "Data salah (diperbaiki)",
    }
);

choice!(
    /// The state banks (Himbara) and BSI that pay social assistance into savings accounts.
    Bank {
        Bri = "bri" => "BRI",
        Bni = "bni" => "BNI",
        Mandiri = "mandiri" => "Bank Mandiri",
        Btn = "btn" => "BTN",
        Bsi = "bsi" => "BSI",
    }
);

impl Bank {
    /// Digits of a savings account number at this bank.
    pub fn account_digits(self) -> usize {
        match self {
            Bank::Bri => 15,
            Bank::Bni => 10,
            Bank::Mandiri => 13,
            Bank::Btn => 16,
            Bank::Bsi => 10,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavingsAccount {
    pub bank: Bank,
    pub number: String,
}

/// A member as the agent found them: the KK's data (corrected where wrong), whether the NIK
/// was seen on the KK/KTP, and the IKD status of an adult.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedMember {
    #[serde(flatten)]
    pub member: FamilyMember,
    pub nik_confirmed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ikd: Option<IkdStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberCorrection {
    /// The member's NIK (a newborn's or newcomer's as on their KK).
    pub nik: String,
    pub change: MemberChange,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationVisit {
    pub id: String,
    pub family_id: String,
    /// The family's version the agent worked from (conflicts are judged against it).
    pub family_version: u32,
    pub agent_id: String,
    pub visit: Visit,
    pub outcome: VisitOutcome,
    /// The family as found (empty unless found).
    #[serde(default)]
    pub members: Vec<VerifiedMember>,
    #[serde(default)]
    pub corrections: Vec<MemberCorrection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<SavingsAccount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pmt: Option<PmtRecord>,
    #[serde(default)]
    pub note: String,
    pub recorded_at: Millis,
}

/// Whether a member is old enough for the KTP/IKD checks on the visit's day.
pub fn is_adult(member: &FamilyMember, day: Date) -> bool {
    member.birth_date.years_until(day) >= ADULT_AGE
}

fn push(errors: &mut Vec<FieldError>, field: impl Into<String>, code: ErrorCode) {
    errors.push(FieldError::new(field, code));
}

pub fn check_account(errors: &mut Vec<FieldError>, account: &SavingsAccount) {
    let digits = account.number.trim();
    if digits.len() != account.bank.account_digits() || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        push(errors, "account.number", ErrorCode::AccountNumberInvalid);
    }
}

/// Every problem of a visit about to be sealed (or just arrived), `now` the checking clock.
pub fn check_verification(visit: &VerificationVisit, now: Millis) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if visit.id.is_empty() || visit.id.len() > MAX_ID_CHARS {
        push(&mut errors, "id", ErrorCode::VisitIdInvalid);
    }
    if !family_id_is_valid(&visit.family_id) {
        push(&mut errors, "family_id", ErrorCode::FamilyIdInvalid);
    }
    if visit.family_version == 0 {
        push(
            &mut errors,
            "family_version",
            ErrorCode::FamilyVersionInvalid,
        );
    }
    errors.extend(check_visit(&visit.visit, now));
    check_time(&mut errors, "recorded_at", visit.recorded_at, now);
    check_text(&mut errors, "note", &visit.note, MAX_NOTE_CHARS);
    let day = Date::of_unix_millis(visit.visit.started_at);
    let found = visit.outcome == VisitOutcome::Ditemukan;
    if found && visit.members.is_empty() {
        push(&mut errors, "members", ErrorCode::NoMembers);
    }
    if !found && (!visit.members.is_empty() || visit.account.is_some() || visit.pmt.is_some()) {
        push(&mut errors, "outcome", ErrorCode::VisitOutcomeMismatch);
    }
    let heads = visit
        .members
        .iter()
        .filter(|m| m.member.relation == Relation::KepalaKeluarga)
        .count();
    if found && heads != 1 {
        push(
            &mut errors,
            "members",
            if heads == 0 {
                ErrorCode::HeadMissing
            } else {
                ErrorCode::HeadMultiple
            },
        );
    }
    let mut niks = HashSet::new();
    for (i, m) in visit.members.iter().enumerate() {
        let field = format!("members[{i}]");
        check_member_of(&mut errors, &field, &m.member, day);
        if !niks.insert(identity::canonical(&m.member.nik).to_owned()) {
            push(
                &mut errors,
                format!("{field}.nik"),
                ErrorCode::NikDuplicateInHousehold,
            );
        }
        let adult = is_adult(&m.member, day);
        if adult && m.ikd.is_none() {
            push(
                &mut errors,
                format!("{field}.ikd"),
                ErrorCode::IkdStatusMissing,
            );
        }
        if !adult && m.ikd.is_some() {
            push(&mut errors, format!("{field}.ikd"), ErrorCode::IkdNotAdult);
        }
    }
    let mut corrected = HashSet::new();
    for (i, c) in visit.corrections.iter().enumerate() {
        let field = format!("corrections[{i}]");
        let nik = identity::canonical(&c.nik);
        if identity::parse_nik(nik, day).is_err() || !corrected.insert(nik.to_owned()) {
            push(
                &mut errors,
                format!("{field}.nik"),
                ErrorCode::VisitCorrectionInvalid,
            );
        }
        if c.reason.trim().is_empty() {
            push(
                &mut errors,
                format!("{field}.reason"),
                ErrorCode::VisitCorrectionInvalid,
            );
        }
        check_text(
            &mut errors,
            &format!("{field}.reason"),
            &c.reason,
            MAX_REASON_CHARS,
        );
        let present = niks.contains(nik);
        let must_be_present = matches!(
            c.change,
            MemberChange::Lahir | MemberChange::PindahMasuk | MemberChange::DataSalah
        );
        if found && present != must_be_present {
            push(
                &mut errors,
                format!("{field}.change"),
                ErrorCode::VisitCorrectionInvalid,
            );
        }
    }
    if let Some(account) = &visit.account {
        check_account(&mut errors, account);
    }
    match (&visit.consent, found) {
        (None, true) => push(&mut errors, "consent", ErrorCode::ConsentMissing),
        (Some(consent), _) => {
            let giver = visit.members.iter().find(|m| {
                identity::canonical(&m.member.nik) == identity::canonical(&consent.given_by)
            });
            if giver.is_none_or(|m| !is_adult(&m.member, day)) {
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
            check_time(&mut errors, "consent.given_at", consent.given_at, now);
        }
        (None, false) => {}
    }
    if let Some(pmt) = &visit.pmt {
        if pmt.household_size as usize != visit.members.len()
            || pmt.region_code != visit.visit.kelurahan_code
        {
            push(&mut errors, "pmt", ErrorCode::PmtStale);
        }
    }
    errors
}
