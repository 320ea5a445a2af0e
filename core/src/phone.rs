//! The phone in one object, in the manner of a client library's handle: it opens the store,
//! the device and the agents from the phone's folder, and hands out the registry, the books,
//! resident mode and sync wired the one way they are meant to be (scoped to the agent,
//! audited, on the injected clock). The app's bindings, the demo and the end-to-end tests all
//! go through it; nothing else decides a file name inside the folder.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::date::Clock;
use crate::error::Result;
use crate::evidence::book::EvidenceBook;
use crate::registration::Registry;
use crate::sanggahan::SanggahanBook;
use crate::session::device::Device;
use crate::session::resident::{ResidentSession, Scope};
use crate::session::{AgentSession, Agents};
use crate::store::Store;
use crate::sync::{self, Enrollment, Interrupted, Syncer};

/// The database file inside the phone's folder.
pub const DATABASE: &str = "device.db";
/// The folder of sealed evidence photos inside the phone's folder.
pub const EVIDENCE: &str = "evidence";

pub struct Phone {
    dir: PathBuf,
    store: Arc<Store>,
    device: Arc<Device>,
    agents: Agents,
    clock: Clock,
}

impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Phone").field("dir", &self.dir).finish()
    }
}

impl Phone {
    /// Opens (creating) the phone in `dir`. `platform_secret` is the Keystore's secret: it
    /// opens the device key and is mixed into every agent's key.
    pub fn open(dir: impl Into<PathBuf>, platform_secret: &[u8], clock: Clock) -> Result<Phone> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        let store = Arc::new(Store::open(dir.join(DATABASE))?);
        let device = Arc::new(Device::open_or_create(&store, platform_secret)?);
        let agents =
            Agents::new(store.clone(), platform_secret, clock.clone()).with_audit(device.clone());
        Ok(Phone {
            dir,
            store,
            device,
            agents,
            clock,
        })
    }

    /// Re-enrollment: opens the phone in `dir` under a new device identity
    /// (`Device::replace`), also when `platform_secret` can no longer open the old key (the
    /// Keystore lost it). The old identity's queue waits to be handed over; enroll the phone
    /// with the operator's replacement ticket (`enroll-code --replaces`), then sync: the hand-
    /// over goes with it (`Syncer::hand_over`). Returns the phone and the old device id.
    pub fn open_with_new_identity(
        dir: impl Into<PathBuf>,
        platform_secret: &[u8],
        clock: Clock,
    ) -> Result<(Phone, String)> {
        let dir = dir.into();
        let old = {
            let store = Store::open(dir.join(DATABASE))?;
            Device::replace(&store, platform_secret)?
        };
        Ok((Phone::open(dir, platform_secret, clock)?, old))
    }

    /// Agents lock after this long without use (the app's setting).
    pub fn with_idle_timeout(mut self, idle_ms: i64) -> Phone {
        self.agents = self.agents.with_idle_timeout(idle_ms);
        self
    }

    /// Calls `callback` after each commit that changed one of `topics` (the outbox, drafts, the
    /// worklist, statuses), until the observation is cancelled or dropped (crate::changes).
    pub fn observe(
        &self,
        topics: crate::changes::Topics,
        callback: impl Fn(crate::changes::Topics) + Send + Sync + 'static,
    ) -> crate::changes::Observation {
        self.store.observe(topics, callback)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn device(&self) -> &Arc<Device> {
        &self.device
    }

    pub fn agents(&self) -> &Agents {
        &self.agents
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The database and its write-ahead log, as they lie on the phone's storage.
    pub fn database_files(&self) -> [PathBuf; 2] {
        [
            self.dir.join(DATABASE),
            self.dir.join(format!("{DATABASE}-wal")),
        ]
    }

    pub fn evidence_dir(&self) -> PathBuf {
        self.dir.join(EVIDENCE)
    }

    /// The agent's registry: their drafts and households only, every step audited.
    pub fn registry(&self, session: &AgentSession) -> Result<Registry> {
        Ok(
            Registry::with_clock(self.store.clone(), session.cipher()?, self.clock.clone())
                .for_agent(&session.agent_id)
                .with_audit(self.device.signer())
                .with_receipts(&self.device.id),
        )
    }

    /// The agent's evidence photos, captures audited.
    pub fn evidence(&self, session: &AgentSession) -> Result<EvidenceBook> {
        Ok(
            EvidenceBook::open(self.store.clone(), session.cipher()?, self.evidence_dir())?
                .for_agent(&session.agent_id)
                .with_audit(self.device.signer()),
        )
    }

    /// The agent's sanggahan book.
    pub fn sanggahan(&self, session: &AgentSession) -> Result<SanggahanBook> {
        let cipher = session.cipher()?;
        let evidence = EvidenceBook::open(self.store.clone(), cipher.clone(), self.evidence_dir())?;
        Ok(SanggahanBook::new(
            self.store.clone(),
            cipher,
            evidence,
            self.clock.clone(),
            &self.device,
        )
        .for_agent(&session.agent_id))
    }

    /// The agent's worklist of DTSEN families (delivered by sync, searched offline).
    pub fn worklist(&self, session: &AgentSession) -> Result<crate::worklist::Worklist> {
        session.cipher()?;
        Ok(crate::worklist::Worklist::new(
            self.store.clone(),
            self.device.reference_cipher(),
            &session.agent_id,
        ))
    }

    /// Objections of listed families to their own result, filed through this agent.
    pub fn objections(&self, session: &AgentSession) -> Result<crate::objections::ObjectionBook> {
        let cipher = session.cipher()?;
        let evidence = EvidenceBook::open(self.store.clone(), cipher.clone(), self.evidence_dir())?
            .for_agent(&session.agent_id)
            .with_audit(self.device.signer());
        Ok(crate::objections::ObjectionBook::new(
            self.store.clone(),
            cipher,
            evidence,
            self.device.clone(),
            self.clock.clone(),
            &session.agent_id,
        ))
    }

    /// The agent's verification visits of worklist families.
    pub fn visits(&self, session: &AgentSession) -> Result<crate::visits::VisitBook> {
        Ok(crate::visits::VisitBook::new(
            self.store.clone(),
            session.cipher()?,
            self.device.clone(),
            self.clock.clone(),
            &session.agent_id,
        ))
    }

    /// Rebuilds what an older app queued without sealing (see `legacy_queue`), with this
    /// agent's key; the app runs it after every unlock. Returns how many rows it sealed.
    pub fn upgrade_queue(&self, session: &AgentSession) -> Result<usize> {
        if crate::legacy_queue::waiting(&self.store)? == 0 {
            return Ok(0);
        }
        let cipher = session.cipher()?;
        let registry = Registry::with_clock(self.store.clone(), cipher, self.clock.clone())
            .for_agent(&session.agent_id);
        let evidence = self.evidence(session)?;
        let sanggahan = self.sanggahan(session)?;
        crate::legacy_queue::upgrade(&crate::legacy_queue::Books {
            store: &self.store,
            registry: &registry,
            evidence: &evidence,
            sanggahan: &sanggahan,
        })
    }

    /// Hands the phone to a resident for one record; the agent's session is consumed.
    pub fn resident_mode(
        &self,
        session: AgentSession,
        scope: Scope,
    ) -> std::result::Result<ResidentSession, Box<crate::session::resident::EnterRefused>> {
        session.enter_resident_mode(self.store.clone(), &self.device, scope)
    }

    /// Enrolls the phone with the district: the ticket (QR payload) an operator printed.
    pub async fn enroll(&self, ticket: &str) -> std::result::Result<Enrollment, Interrupted> {
        sync::enroll(&self.store, &self.device, ticket).await
    }

    /// Sync with an unlocked agent: everything, including what must be sealed for them.
    pub fn syncer(&self, session: &AgentSession) -> Result<Syncer> {
        Syncer::new(
            self.store.clone(),
            self.device.clone(),
            session.cipher()?,
            self.evidence_dir(),
            self.clock.clone(),
        )
    }

    /// Sync with every agent locked (the background worker): the sealed queue goes up, and
    /// what needs an agent's key waits for the next unlocked sync.
    pub fn background_syncer(&self) -> Result<Syncer> {
        Syncer::locked(self.store.clone(), self.device.clone(), self.clock.clone())
    }
}
