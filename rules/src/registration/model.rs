//! What an agent records during a visit. Enumerations follow the Dukcapil KK and the DTSEN
//! questionnaire; `label()` is the Indonesian text the UI shows.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::identity::Sex;
use crate::pmt::{Answers, Preview};

pub use crate::date::Millis;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Gps {
    pub latitude: f64,
    pub longitude: f64,
    pub accuracy_m: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub agent_id: String,
    /// `PP.KK.CC.DDDD`
    pub kelurahan_code: String,
    pub rt: u16,
    pub rw: u16,
    pub started_at: Millis,
    pub gps: Option<Gps>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub kelurahan_code: String,
    pub rt: u16,
    pub rw: u16,
    pub street: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdInfo {
    pub kk: String,
    pub address: Address,
}

macro_rules! labelled_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
        }
    };
}

labelled_enum!(
    /// Hubungan dengan kepala keluarga.
    Relation {
        KepalaKeluarga => "Kepala keluarga",
        Suami => "Suami",
        Istri => "Istri",
        Anak => "Anak",
        Menantu => "Menantu",
        Cucu => "Cucu",
        OrangTua => "Orang tua",
        Mertua => "Mertua",
        FamiliLain => "Famili lain",
        Lainnya => "Lainnya",
    }
);

labelled_enum!(
    /// Status perkawinan.
    Marital {
        BelumKawin => "Belum kawin",
        Kawin => "Kawin",
        CeraiHidup => "Cerai hidup",
        CeraiMati => "Cerai mati",
    }
);

labelled_enum!(
    /// Pendidikan terakhir.
    Education {
        TidakBelumSekolah => "Tidak/belum sekolah",
        BelumTamatSd => "Belum tamat SD/sederajat",
        TamatSd => "Tamat SD/sederajat",
        Sltp => "SLTP/sederajat",
        Slta => "SLTA/sederajat",
        Diploma => "Diploma I-III",
        Sarjana => "Diploma IV/Strata I",
        Pascasarjana => "Strata II/III",
    }
);

labelled_enum!(
    /// Jenis disabilitas (UU 8/2016).
    Disability {
        Tidak => "Tidak ada",
        Fisik => "Disabilitas fisik",
        Intelektual => "Disabilitas intelektual",
        Mental => "Disabilitas mental",
        Sensorik => "Disabilitas sensorik",
        Ganda => "Disabilitas ganda/multi",
    }
);

labelled_enum!(
    /// Status aktivasi Identitas Kependudukan Digital.
    IkdStatus {
        SudahAktif => "Sudah aktif",
        DibantuAktivasi => "Dibantu aktivasi saat kunjungan",
        PerluKeDukcapil => "Perlu ke Dukcapil",
        TidakPunyaHp => "Tidak punya HP",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberInput {
    pub nik: String,
    pub full_name: String,
    pub relation: Relation,
    pub sex: Sex,
    pub birth_date: Date,
    pub marital: Marital,
    pub education: Education,
    pub occupation: String,
    pub disability: Disability,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: String,
    #[serde(flatten)]
    pub input: MemberInput,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// The member who gave consent (an adult of the household).
    pub given_by: String,
    pub given_at: Millis,
    /// Version of the privacy notice read to the resident.
    pub notice_version: String,
}

/// The step a draft was last saved at; the UI resumes there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Visit,
    Household,
    Members,
    Consent,
    Ikd,
    Pmt,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Visit => "visit",
            Step::Household => "household",
            Step::Members => "members",
            Step::Consent => "consent",
            Step::Ikd => "ikd",
            Step::Pmt => "pmt",
        }
    }

    pub fn parse(text: &str) -> Option<Step> {
        [
            Step::Visit,
            Step::Household,
            Step::Members,
            Step::Consent,
            Step::Ikd,
            Step::Pmt,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// A registration in progress, saved whole at every step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub id: String,
    pub step: Step,
    /// Increases by one at every save.
    pub revision: u64,
    pub visit: Visit,
    pub household: Option<HouseholdInfo>,
    pub members: Vec<Member>,
    pub consent: Option<Consent>,
    pub ikd: BTreeMap<String, IkdStatus>,
    /// Drafts saved before the PMT step existed have none.
    #[serde(default)]
    pub pmt: Option<PmtRecord>,
}

/// The PMT questionnaire as answered at the door, with the model that scored it and the
/// preview shown to the resident: the household's record of what it was told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PmtRecord {
    pub model_id: String,
    pub model_version: u32,
    /// The answers given plus those derived from the registration (province, household size).
    pub answers: Answers,
    /// What the derived answers came from: if the members or the address change afterwards,
    /// the preview is stale and must be computed again before submitting.
    pub region_code: String,
    pub household_size: u32,
    pub preview: Preview,
    pub computed_at: Millis,
}

impl PmtRecord {
    /// The questionnaire answered with `model` for a household of `household_size` in
    /// `region_code` at `now`: the model must hold there on that day (whoever passes it), the
    /// answers it derives are filled in, and the preview is the one the resident is shown.
    /// Invalid answers are refused.
    pub fn compute(
        model: &crate::pmt::model::Model,
        mut answers: Answers,
        region_code: &str,
        household_size: u32,
        now: Millis,
    ) -> crate::error::Result<PmtRecord> {
        crate::pmt::signed::usable(model, region_code, Date::of_unix_millis(now))?;
        crate::pmt::fill_derived(model, &mut answers, region_code, household_size);
        let preview = crate::pmt::preview(model, &answers)?;
        Ok(PmtRecord {
            model_id: model.id.clone(),
            model_version: model.version,
            answers,
            region_code: region_code.to_owned(),
            household_size,
            preview,
            computed_at: now,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DraftSummary {
    pub id: String,
    pub agent_id: String,
    pub step: Step,
    pub revision: u64,
    pub member_count: usize,
    /// Shown to the agent so they can pick the right draft.
    pub head_name: Option<String>,
    pub updated_at: Millis,
}

/// A member as registered: the IKD status is kept with the member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredMember {
    pub id: String,
    #[serde(flatten)]
    pub input: MemberInput,
    pub ikd: Option<IkdStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisteredHousehold {
    pub id: String,
    /// The draft it was registered from; today always equal to `id`.
    pub draft_id: String,
    pub agent_id: String,
    pub kk: String,
    pub address: Address,
    pub visit: Visit,
    pub consent: Consent,
    pub head_member_id: String,
    pub members: Vec<RegisteredMember>,
    pub pmt: Option<PmtRecord>,
    pub registered_at: Millis,
}
