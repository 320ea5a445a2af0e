//! Evidence photos from Kotlin: the camera's bytes go in; the core normalizes, attests with the
//! device key and stores them sealed, scoped to the agent.
use std::sync::Arc;

use perlinsos_core::evidence::book::{Capture, EvidenceBook};
use perlinsos_core::evidence::{Gps, Options};

use crate::phone::{AgentSession, Phone};
use crate::ApiError;

#[derive(Debug, uniffi::Record)]
pub struct EvidenceInfo {
    pub id: String,
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    /// The camera's own time (EXIF), when the photo had one.
    pub camera_time: Option<String>,
    pub has_location: bool,
}

impl Phone {
    fn evidence_book(&self, session: &AgentSession) -> Result<EvidenceBook, ApiError> {
        session.with(|s| self.core.evidence(s))
    }
}

#[uniffi::export]
impl Phone {
    /// Stores a photo for a record ("household" or "sanggahan"), taken now at the given
    /// location (None when the resident did not consent).
    pub fn capture_photo(
        &self,
        session: Arc<AgentSession>,
        record_kind: String,
        record_id: String,
        photo: Vec<u8>,
        latitude: Option<f64>,
        longitude: Option<f64>,
    ) -> Result<EvidenceInfo, ApiError> {
        let gps = match (latitude, longitude) {
            (Some(latitude), Some(longitude)) => Some(Gps {
                latitude,
                longitude,
            }),
            _ => None,
        };
        let agent_id = session.agent_id();
        let record = self.evidence_book(&session)?.capture(
            &photo,
            &Options::default(),
            Capture {
                record_kind: &record_kind,
                record_id: &record_id,
                captured_at: self.now(),
                gps,
                device_id: &self.device.id,
                device_key: self.device.key(),
                agent_id: &agent_id,
            },
        )?;
        Ok(EvidenceInfo {
            id: record.id,
            sha256: record.sha256,
            width: record.width,
            height: record.height,
            bytes: record.bytes,
            camera_time: record.camera_time,
            has_location: record.gps.is_some(),
        })
    }

    /// The stored (normalized) JPEG of a photo, decrypted, for display.
    pub fn photo(
        &self,
        session: Arc<AgentSession>,
        evidence_id: String,
    ) -> Result<Vec<u8>, ApiError> {
        Ok(self.evidence_book(&session)?.photo(&evidence_id)?.to_vec())
    }
}
