//! Sanggahan for Kotlin: the kelurahan's recipient list, filing with photos, the agent's list
//! and withdrawal. Every rule is the core's; a refusal arrives with its code and Indonesian text.
use std::sync::Arc;

use perlinsos_core::evidence::Gps;
use perlinsos_core::registration::Address;
use perlinsos_core::sanggahan::{Filing, FilingPhoto, PhotoRole, Reporter, SanggahanBook};

use crate::phone::{AgentSession, Phone};
use crate::{choice, choice_id, ApiError};

#[derive(Debug, uniffi::Record)]
pub struct RecipientView {
    pub id: String,
    pub programme: String,
    pub name: String,
    pub masked_nik: String,
    pub rt: u16,
    pub rw: u16,
}

/// What the resident reports, as the agent records it.
#[derive(Debug, uniffi::Record)]
pub struct SanggahanFiling {
    pub recipient_id: String,
    pub reporter_nik: String,
    pub reporter_name: String,
    pub kelurahan_code: String,
    pub rt: u16,
    pub rw: u16,
    pub street: String,
    /// mampu, pindah, meninggal, data_ganda, tidak_dikenal or lainnya.
    pub reason: String,
    pub statement: String,
}

#[derive(Debug, uniffi::Record)]
pub struct SanggahanPhoto {
    pub bytes: Vec<u8>,
    /// A photo of the recipient's house (needs its location).
    pub house: bool,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Debug, uniffi::Record)]
pub struct StatusChange {
    pub status: String,
    pub label: String,
    pub at_ms: i64,
    /// phone or server.
    pub source: String,
    pub reason: Option<String>,
}

#[derive(Debug, uniffi::Record)]
pub struct SanggahanView {
    pub id: String,
    pub recipient_id: String,
    /// diajukan, diterima, diverifikasi, ditolak, kedaluwarsa or ditarik.
    pub status: String,
    /// The status in Bahasa Indonesia.
    pub status_label: String,
    pub created_at_ms: i64,
    /// Photos that look like evidence of another sanggahan on this phone.
    pub reused_photos: u32,
}

impl Phone {
    pub(crate) fn sanggahan_book(&self, session: &AgentSession) -> Result<SanggahanBook, ApiError> {
        session.with(|s| self.core.sanggahan(s))
    }
}

pub(crate) fn core_filing(agent_id: String, filing: SanggahanFiling) -> Result<Filing, ApiError> {
    Ok(Filing {
        id: None,
        agent_id,
        recipient_id: filing.recipient_id,
        reporter: Reporter {
            nik: filing.reporter_nik,
            full_name: filing.reporter_name,
            address: Address {
                kelurahan_code: filing.kelurahan_code,
                rt: filing.rt,
                rw: filing.rw,
                street: filing.street,
            },
        },
        reason: choice("reason", &filing.reason)?,
        statement: filing.statement,
    })
}

/// The photos as taken now, with their roles and locations.
pub(crate) fn filing_photos(photos: &[SanggahanPhoto], now: i64) -> Vec<FilingPhoto<'_>> {
    photos
        .iter()
        .map(|p| FilingPhoto {
            bytes: &p.bytes,
            role: if p.house {
                PhotoRole::RumahPenerima
            } else {
                PhotoRole::Lainnya
            },
            captured_at: now,
            gps: match (p.latitude, p.longitude) {
                (Some(latitude), Some(longitude)) => Some(Gps {
                    latitude,
                    longitude,
                }),
                _ => None,
            },
        })
        .collect()
}

pub(crate) fn view(s: perlinsos_core::sanggahan::Summary) -> SanggahanView {
    SanggahanView {
        id: s.id,
        recipient_id: s.recipient_id,
        status: s.status.as_str().to_owned(),
        status_label: s.status.label().to_owned(),
        created_at_ms: s.created_at,
        reused_photos: s.reused_photos.len() as u32,
    }
}

#[uniffi::export]
impl Phone {
    /// Imports a recipient list (the district's JSON or CSV) until sync brings it.
    pub fn import_recipients(
        &self,
        session: Arc<AgentSession>,
        file: Vec<u8>,
    ) -> Result<u32, ApiError> {
        Ok(self.sanggahan_book(&session)?.import_recipients(&file)? as u32)
    }

    /// The recipients a resident may pick from in a kelurahan.
    pub fn recipients(
        &self,
        session: Arc<AgentSession>,
        kelurahan_code: String,
    ) -> Result<Vec<RecipientView>, ApiError> {
        Ok(self
            .sanggahan_book(&session)?
            .recipients(&kelurahan_code)?
            .into_iter()
            .map(|r| RecipientView {
                programme: choice_id(r.programme),
                id: r.id,
                name: r.name,
                masked_nik: r.masked_nik,
                rt: r.rt,
                rw: r.rw,
            })
            .collect())
    }

    /// Files a sanggahan; every rule is checked before anything is written.
    pub fn file_sanggahan(
        &self,
        session: Arc<AgentSession>,
        filing: SanggahanFiling,
        photos: Vec<SanggahanPhoto>,
    ) -> Result<SanggahanView, ApiError> {
        let filing = core_filing(session.agent_id(), filing)?;
        Ok(view(
            self.sanggahan_book(&session)?
                .file(&filing, &filing_photos(&photos, self.now()))?,
        ))
    }

    /// Every status the sanggahan has had, oldest first, with the district's reason for a
    /// refusal.
    pub fn sanggahan_history(
        &self,
        session: Arc<AgentSession>,
        sanggahan_id: String,
    ) -> Result<Vec<StatusChange>, ApiError> {
        Ok(self
            .sanggahan_book(&session)?
            .history(&sanggahan_id)?
            .into_iter()
            .map(|t| StatusChange {
                status: t.status.as_str().to_owned(),
                label: t.status.label().to_owned(),
                at_ms: t.at,
                source: t.source.as_str().to_owned(),
                reason: t.reason,
            })
            .collect())
    }

    /// The agent's sanggahan, newest first (never the reporter).
    pub fn sanggahan_list(
        &self,
        session: Arc<AgentSession>,
    ) -> Result<Vec<SanggahanView>, ApiError> {
        Ok(self
            .sanggahan_book(&session)?
            .list()?
            .into_iter()
            .map(view)
            .collect())
    }

    /// The reporter withdraws (until the district has verified it).
    pub fn withdraw_sanggahan(
        &self,
        session: Arc<AgentSession>,
        sanggahan_id: String,
    ) -> Result<(), ApiError> {
        Ok(self.sanggahan_book(&session)?.withdraw(&sanggahan_id)?)
    }
}
