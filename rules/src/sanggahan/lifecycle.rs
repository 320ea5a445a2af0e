//! The statuses of a sanggahan and the moves between them.
//!
//! The form a resident fills in on the phone is the draft; filing stores it as `diajukan`
//! (queued for the server). The server reports `diterima`, then `diverifikasi` or `ditolak`;
//! an objection not verified within 14 days of filing lapses (`kedaluwarsa`); the reporter may
//! withdraw (`ditarik`) until it is verified.
use serde::{Deserialize, Serialize};

use crate::date::DAY_MS;

/// An objection not verified within this time after filing lapses.
pub const VERIFY_WITHIN_MS: i64 = 14 * DAY_MS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Diajukan,
    Diterima,
    Diverifikasi,
    Ditolak,
    Kedaluwarsa,
    Ditarik,
}

/// Where a status came from: decided on the phone (filing, withdrawal, lapse by the phone's
/// clock) or reported by the district server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Phone,
    Server,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Diajukan,
        Status::Diterima,
        Status::Diverifikasi,
        Status::Ditolak,
        Status::Kedaluwarsa,
        Status::Ditarik,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Diajukan => "diajukan",
            Status::Diterima => "diterima",
            Status::Diverifikasi => "diverifikasi",
            Status::Ditolak => "ditolak",
            Status::Kedaluwarsa => "kedaluwarsa",
            Status::Ditarik => "ditarik",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Still waiting for the district: counts as the reporter's open objection.
    pub fn is_open(self) -> bool {
        matches!(self, Status::Diajukan | Status::Diterima)
    }

    /// What a resident reads.
    pub fn label(self) -> &'static str {
        match self {
            Status::Diajukan => "Diajukan, menunggu dikirim ke dinas",
            Status::Diterima => "Diterima dinas, sedang diperiksa",
            Status::Diverifikasi => "Terverifikasi oleh dinas",
            Status::Ditolak => "Ditolak oleh dinas",
            Status::Kedaluwarsa => "Kedaluwarsa: tidak diverifikasi dalam 14 hari",
            Status::Ditarik => "Ditarik oleh pelapor",
        }
    }
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Phone => "phone",
            Source::Server => "server",
        }
    }

    pub fn parse(text: &str) -> Option<Source> {
        match text {
            "phone" => Some(Source::Phone),
            "server" => Some(Source::Server),
            _ => None,
        }
    }
}

/// Whether `to` may follow `from` (set by `from_source`), reported by `by`.
///
/// Only the server verifies, refuses or receives; only the phone withdraws. A lapse the phone
/// computed from its own clock gives way to the server's word, which has the authoritative
/// clock and may have verified the objection in time.
pub fn allowed(from: Status, from_source: Source, to: Status, by: Source) -> bool {
    use Status::*;
    match (by, to) {
        (Source::Phone, Ditarik) => from.is_open(),
        (Source::Phone, Kedaluwarsa) => from.is_open(),
        (Source::Phone, _) => false,
        (Source::Server, Ditarik) => false,
        (Source::Server, Diajukan) => false,
        (Source::Server, _) if from == Kedaluwarsa && from_source == Source::Phone => true,
        (Source::Server, Diterima) => from == Diajukan,
        (Source::Server, Diverifikasi | Ditolak | Kedaluwarsa) => from.is_open(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_open_objections_move_and_each_side_makes_its_own_moves() {
        use Status::*;
        assert!(allowed(Diajukan, Source::Phone, Ditarik, Source::Phone));
        assert!(allowed(Diterima, Source::Server, Ditarik, Source::Phone));
        assert!(!allowed(
            Diverifikasi,
            Source::Server,
            Ditarik,
            Source::Phone
        ));
        assert!(!allowed(
            Diajukan,
            Source::Phone,
            Diverifikasi,
            Source::Phone
        ));
        assert!(allowed(Diajukan, Source::Phone, Diterima, Source::Server));
        assert!(allowed(Diterima, Source::Server, Ditolak, Source::Server));
        assert!(!allowed(
            Ditolak,
            Source::Server,
            Diverifikasi,
            Source::Server
        ));
        assert!(!allowed(
            Ditarik,
            Source::Phone,
            Diverifikasi,
            Source::Server
        ));
        // The server overrules a lapse the phone computed, not one it decided itself.
        assert!(allowed(
            Kedaluwarsa,
            Source::Phone,
            Diverifikasi,
            Source::Server
        ));
        assert!(!allowed(
            Kedaluwarsa,
            Source::Server,
            Diverifikasi,
            Source::Server
        ));
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
    }
}
