//! An agent's phone as the app runs it: the core's phone object (its own encrypted store and
//! evidence folder, a device key), the agent's profile behind a PIN, enrollment with the
//! district, and sync.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use perlinsos_core::date::now_millis;
use perlinsos_core::evidence::book::EvidenceBook;
use perlinsos_core::registration::Registry;
use perlinsos_core::sanggahan::SanggahanBook;
use perlinsos_core::session::device::Device;
use perlinsos_core::session::AgentSession;
use perlinsos_core::store::Store;
use perlinsos_core::sync::{self, Interrupted, Syncer};

use super::{DemoResult, Stop};

/// The agent's PIN on the demo phones (entered once, at enrollment).
const PIN: &str = "482913";

pub struct Phone {
    pub agent_id: String,
    pub kelurahan: String,
    core: perlinsos_core::phone::Phone,
    session: AgentSession,
    pub store: Arc<Store>,
    pub device: Arc<Device>,
}

pub fn interrupted(e: Interrupted) -> Stop {
    match e {
        Interrupted::Transient { .. } => Stop("server tidak terjangkau".into()),
        Interrupted::Stopped(e) => Stop::from(e),
    }
}

impl Phone {
    /// A new phone in `dir` with `agent_id` enrolled on it.
    pub fn create(dir: &Path, agent_id: &str, kelurahan: &str) -> DemoResult<Phone> {
        // On Android the Keystore holds this secret; here each phone has its own.
        let platform_secret = format!("keystore-demo-{agent_id}");
        let core = perlinsos_core::phone::Phone::open(
            dir,
            platform_secret.as_bytes(),
            Arc::new(now_millis),
        )?;
        let mut recovery = [0u8; 32];
        perlinsos_core::crypt::random_bytes(&mut recovery)?;
        let session = core.agents().enroll(agent_id, PIN, &recovery)?;
        Ok(Phone {
            agent_id: agent_id.to_owned(),
            kelurahan: kelurahan.to_owned(),
            store: core.store().clone(),
            device: core.device().clone(),
            core,
            session,
        })
    }

    pub fn short_device_id(&self) -> &str {
        super::district::short(&self.device.id)
    }

    /// The database and its write-ahead log, as they lie on the phone's storage.
    pub fn database_files(&self) -> [PathBuf; 2] {
        self.core.database_files()
    }

    /// Enrolls with the ticket's QR payload: the server and the district key come with it.
    pub async fn enroll(&self, ticket: &str) -> DemoResult<()> {
        self.core.enroll(ticket).await.map_err(interrupted)?;
        Ok(())
    }

    /// The first sync, on the office's Wi-Fi: the models and the recipient list. Returns the
    /// number of models that verified against the district key.
    pub async fn first_sync(&self) -> DemoResult<usize> {
        self.syncer()?.sync().await.map_err(interrupted)?;
        Ok(sync::received_models(&self.store)?.len())
    }

    pub fn recipient_count(&self) -> DemoResult<usize> {
        Ok(self.sanggahan()?.recipients(&self.kelurahan)?.len())
    }

    pub fn registry(&self) -> DemoResult<Registry> {
        Ok(self.core.registry(&self.session)?)
    }

    /// The agent's registrations read as sync reads them: without a "viewed" audit entry.
    pub fn reader(&self) -> DemoResult<Registry> {
        Ok(Registry::new(self.store.clone(), self.session.cipher()?).for_agent(&self.agent_id))
    }

    pub fn evidence(&self) -> DemoResult<EvidenceBook> {
        Ok(self.core.evidence(&self.session)?)
    }

    pub fn sanggahan(&self) -> DemoResult<SanggahanBook> {
        Ok(self.core.sanggahan(&self.session)?)
    }

    pub fn worklist(&self) -> DemoResult<perlinsos_core::worklist::Worklist> {
        Ok(self.core.worklist(&self.session)?)
    }

    pub fn visits(&self) -> DemoResult<perlinsos_core::visits::VisitBook> {
        Ok(self.core.visits(&self.session)?)
    }

    pub fn objections(&self) -> DemoResult<perlinsos_core::objections::ObjectionBook> {
        Ok(self.core.objections(&self.session)?)
    }

    pub fn syncer(&self) -> DemoResult<Syncer> {
        Ok(self.core.syncer(&self.session)?)
    }
}
