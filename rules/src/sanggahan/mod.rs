//! A sanggahan as the resident files it, its lifecycle, and the rules on it, shared by the
//! phone that takes it and the server that checks it again.
pub mod lifecycle;
pub mod recipients;
pub mod rules;

use serde::{Deserialize, Serialize};

use crate::registration::Address;
pub use lifecycle::{Source, Status, VERIFY_WITHIN_MS};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The household is well off.
    Mampu,
    /// Moved away.
    Pindah,
    Meninggal,
    /// Listed twice.
    DataGanda,
    /// Nobody in the kelurahan knows the person.
    TidakDikenal,
    Lainnya,
}

impl Reason {
    /// What the resident chose and the district officer reads.
    pub fn label(self) -> &'static str {
        match self {
            Reason::Mampu => "Mampu, tidak layak menerima bantuan",
            Reason::Pindah => "Sudah pindah",
            Reason::Meninggal => "Sudah meninggal dunia",
            Reason::DataGanda => "Terdaftar ganda",
            Reason::TidakDikenal => "Tidak dikenal di kelurahan ini",
            Reason::Lainnya => "Lainnya",
        }
    }

    /// The wire name (`mampu`, `data_ganda`, ...), as the phone sends it.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Mampu => "mampu",
            Reason::Pindah => "pindah",
            Reason::Meninggal => "meninggal",
            Reason::DataGanda => "data_ganda",
            Reason::TidakDikenal => "tidak_dikenal",
            Reason::Lainnya => "lainnya",
        }
    }

    pub fn parse(text: &str) -> Option<Reason> {
        serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoRole {
    /// The recipient's house, with the location where it was taken.
    RumahPenerima,
    Lainnya,
}

/// The resident reporting; the agent records the address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reporter {
    pub nik: String,
    pub full_name: String,
    pub address: Address,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Filing {
    /// Chosen in advance when a resident session was opened for this sanggahan.
    pub id: Option<String>,
    pub agent_id: String,
    pub recipient_id: String,
    pub reporter: Reporter,
    pub reason: Reason,
    pub statement: String,
}
