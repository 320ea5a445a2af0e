//! An agent's phone as the app runs it: its own encrypted store and evidence folder, a device
//! key, the agent's profile behind a PIN, enrollment with the district, and sync.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use perlinsos_core::crypt::Cipher;
use perlinsos_core::date::now_millis;
use perlinsos_core::evidence::book::EvidenceBook;
use perlinsos_core::registration::Registry;
use perlinsos_core::sanggahan::SanggahanBook;
use perlinsos_core::session::device::Device;
use perlinsos_core::session::Agents;
use perlinsos_core::store::Store;
use perlinsos_core::sync::{self, Interrupted, Syncer};

use super::{DemoResult, Stop};

/// The agent's PIN on the demo phones (entered once, at enrollment).
const PIN: &str = "482913";

pub struct Phone {
    pub agent_id: String,
    pub kelurahan: String,
    dir: PathBuf,
    pub store: Arc<Store>,
    pub device: Arc<Device>,
    cipher: Arc<Cipher>,
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
        std::fs::create_dir_all(dir)?;
        let store = Arc::new(Store::open(dir.join("perangkat.db"))?);
        // On Android the Keystore holds this secret; here each phone has its own.
        let platform_secret = format!("keystore-demo-{agent_id}");
        let device = Arc::new(Device::open_or_create(&store, platform_secret.as_bytes())?);
        let mut recovery = [0u8; 32];
        perlinsos_core::crypt::random_bytes(&mut recovery)?;
        let session = Agents::new(
            store.clone(),
            platform_secret.as_bytes(),
            Arc::new(now_millis),
        )
        .with_audit(device.clone())
        .enroll(agent_id, PIN, &recovery)?;
        Ok(Phone {
            agent_id: agent_id.to_owned(),
            kelurahan: kelurahan.to_owned(),
            dir: dir.to_path_buf(),
            cipher: session.cipher()?,
            store,
            device,
        })
    }

    pub fn short_device_id(&self) -> &str {
        super::district::short(&self.device.id)
    }

    /// The database and its write-ahead log, as they lie on the phone's storage.
    pub fn database_files(&self) -> [PathBuf; 2] {
        [
            self.dir.join("perangkat.db"),
            self.dir.join("perangkat.db-wal"),
        ]
    }

    fn blob_dir(&self) -> PathBuf {
        self.dir.join("bukti")
    }

    pub async fn enroll(&self, url: &str, code: &str) -> DemoResult<()> {
        sync::enroll(&self.store, &self.device, url, code)
            .await
            .map_err(interrupted)?;
        Ok(())
    }

    /// The first sync, on the office's Wi-Fi: the models and the recipient list. Returns the
    /// number of models that verified against the district key.
    pub async fn first_sync(&self, url: &str) -> DemoResult<usize> {
        self.syncer(url)?.sync().await.map_err(interrupted)?;
        Ok(sync::received_models(&self.store)?.len())
    }

    pub fn recipient_count(&self) -> DemoResult<usize> {
        Ok(self.sanggahan()?.recipients(&self.kelurahan)?.len())
    }

    pub fn registry(&self) -> Registry {
        Registry::new(self.store.clone(), self.cipher.clone())
            .for_agent(&self.agent_id)
            .with_audit(self.device.signer())
    }

    /// The agent's registrations read as sync reads them: without a "viewed" audit entry.
    pub fn reader(&self) -> Registry {
        Registry::new(self.store.clone(), self.cipher.clone()).for_agent(&self.agent_id)
    }

    pub fn evidence(&self) -> DemoResult<EvidenceBook> {
        Ok(
            EvidenceBook::open(self.store.clone(), self.cipher.clone(), self.blob_dir())?
                .for_agent(&self.agent_id)
                .with_audit(self.device.signer()),
        )
    }

    pub fn sanggahan(&self) -> DemoResult<SanggahanBook> {
        Ok(SanggahanBook::new(
            self.store.clone(),
            self.cipher.clone(),
            EvidenceBook::open(self.store.clone(), self.cipher.clone(), self.blob_dir())?,
            Arc::new(now_millis),
            &self.device,
        )
        .for_agent(&self.agent_id))
    }

    pub fn syncer(&self, url: &str) -> DemoResult<Syncer> {
        Ok(Syncer::new(
            self.store.clone(),
            self.device.clone(),
            self.cipher.clone(),
            self.blob_dir(),
            url,
            Arc::new(now_millis),
        )?)
    }
}
