//! The district's result for a family (Layak / Tidak Layak, desil, programmes, reasons), with
//! its announcement date and the deadline for the family to object; and what it means, in
//! plain Indonesian, for the resident.
use serde::{Deserialize, Serialize};

use crate::date::{Date, Millis, DAY_MS};
use crate::error::{ErrorCode, FieldError};
use crate::sanggahan::recipients::Programme;

use super::family_id_is_valid;

pub const DEFAULT_OBJECTION_DAYS: i64 = 30;
pub const MAX_OBJECTION_DAYS: i64 = 120;
const MAX_REASONS: usize = 5;
const MAX_REASON_CHARS: usize = 300;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyResult {
    pub family_id: String,
    /// Layak (true) or Tidak Layak.
    pub eligible: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desil: Option<u8>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub programmes: Vec<Programme>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    pub announced_at: Millis,
    /// The family may object to this result until then (exclusive).
    pub objection_deadline: Millis,
}

pub fn check_result(result: &FamilyResult) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if !family_id_is_valid(&result.family_id) {
        errors.push(FieldError::new("family_id", ErrorCode::FamilyIdInvalid));
    }
    if result.desil.is_some_and(|d| !(1..=10).contains(&d)) {
        errors.push(FieldError::new("desil", ErrorCode::DesilInvalid));
    }
    let window = result.objection_deadline.checked_sub(result.announced_at);
    if !window.is_some_and(|w| w > 0 && w <= MAX_OBJECTION_DAYS * DAY_MS) {
        errors.push(FieldError::new(
            "objection_deadline",
            ErrorCode::TimeInvalid,
        ));
    }
    if result.reasons.len() > MAX_REASONS
        || result.reasons.iter().any(|r| {
            r.trim().is_empty()
                || r.chars().count() > MAX_REASON_CHARS
                || r.chars().any(char::is_control)
        })
    {
        errors.push(FieldError::new("reasons", ErrorCode::TextTooLong));
    }
    errors
}

impl FamilyResult {
    pub fn objection_open(&self, now: Millis) -> bool {
        now >= self.announced_at && now < self.objection_deadline
    }

    /// What the resident reads (and hears, "Bacakan"): the result, what it means, what they
    /// can do, and until when. `deadline_day` is the last day to object, in local time.
    pub fn explain(&self, now: Millis, deadline_day: Date) -> Vec<String> {
        let mut lines = Vec::new();
        let programmes: Vec<&str> = self
            .programmes
            .iter()
            .map(|p| match p {
                Programme::Pkh => "PKH (Program Keluarga Harapan)",
                Programme::Bpnt => "BPNT / Program Sembako",
                Programme::PbiJk => "PBI-JK (iuran BPJS Kesehatan dibayar pemerintah)",
                Programme::BltDd => "BLT Dana Desa",
                Programme::Pip => "PIP (Program Indonesia Pintar)",
            })
            .collect();
        if self.eligible {
            lines.push("Hasil: LAYAK menerima bantuan sosial.".to_owned());
            if !programmes.is_empty() {
                lines.push(format!("Program: {}.", programmes.join(", ")));
            }
            lines.push(
                "Artinya: keluarga Anda termasuk yang berhak. Penyaluran mengikuti jadwal program; \
                 pastikan rekening dan KTP/IKD anggota dewasa aktif."
                    .to_owned(),
            );
        } else {
            lines.push("Hasil: TIDAK LAYAK menerima bantuan sosial saat ini.".to_owned());
            lines.push(
                "Artinya: menurut data yang ada, kondisi keluarga Anda belum termasuk kelompok \
                 yang diprioritaskan."
                    .to_owned(),
            );
        }
        if let Some(desil) = self.desil {
            lines.push(format!(
                "Desil {desil} dari 10 (desil 1 adalah 10% keluarga dengan kondisi ekonomi paling rendah)."
            ));
        }
        for reason in &self.reasons {
            lines.push(format!("Alasan: {reason}"));
        }
        let day = format!(
            "{} {} {}",
            deadline_day.day(),
            MONTHS[usize::from(deadline_day.month().clamp(1, 12)) - 1],
            deadline_day.year()
        );
        if self.objection_open(now) {
            lines.push(format!(
                "Bila Anda tidak setuju, anggota keluarga dapat mengajukan sanggahan sampai \
                 {day}: lewat agen ini, di kantor desa/kelurahan, atau di portal."
            ));
        } else {
            lines.push(format!("Masa sanggahan sudah berakhir pada {day}."));
        }
        lines
    }
}

const MONTHS: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];
