//! The district server, embedded: the real `perlinsos-server` state and HTTP service on a
//! loopback port, with the operators' actions (enrollment codes, signed models, recipient
//! lists, a console account) called as the server's own CLI calls them.
use std::path::Path;
use std::sync::Arc;

use perlinsos_core::date::now_millis;
use perlinsos_core::sample::{Generator, Rng};
use perlinsos_core::Date;
use perlinsos_server::console::accounts::{self, Role};
use perlinsos_server::{operator, review, AppState};

use super::field_day::AgentDay;
use super::DemoResult;

/// The models the repository ships, published as the district would.
const MODEL_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/models");
/// Listed recipients per kelurahan.
const RECIPIENTS: usize = 6;
const PROGRAMMES: [&str; RECIPIENTS] = ["PKH", "BPNT", "PKH", "PBI-JK", "BPNT", "PIP"];
const ADMIN: &str = "admin.demo";

pub struct District {
    pub state: AppState,
    pub addr: std::net::SocketAddr,
    pub url: String,
    serving: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// A photo of one sanggahan that the server found among another phone's evidence.
pub struct CrossDuplicate {
    pub sanggahan_id: String,
    pub device_id: String,
    pub other_record: String,
    pub other_device: String,
    pub distance: u32,
}

impl District {
    /// Opens (creating) the data folder and serves on a free loopback port.
    pub async fn start(data: &Path) -> DemoResult<District> {
        let state = AppState::open(data, Arc::new(perlinsos_server::now_millis))?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let serving = tokio::spawn(perlinsos_server::serve(listener, state.clone()));
        Ok(District {
            state,
            addr,
            url: format!("http://{addr}"),
            serving,
        })
    }

    pub fn stop(&self) {
        self.serving.abort();
    }

    /// A ticket, valid for a day, enrolling one phone of `agent` for `kelurahan`: the
    /// one-time code, this server's address and the district key's fingerprint.
    pub fn enroll_ticket(
        &self,
        agent: &str,
        kelurahan: &str,
    ) -> DemoResult<perlinsos_protocol::enrollment::Ticket> {
        // Its own kelurahan, and the one both agents' worklists share.
        Ok(operator::enroll_ticket(
            &self.state,
            agent,
            &[kelurahan.to_owned(), super::worklist_day::SHARED.to_owned()],
            24 * 3_600_000,
            &self.url,
            None,
        )?)
    }

    /// Signs every shipped model (core/models/*.json) with the district key and publishes it.
    pub fn publish_models(&self) -> DemoResult<Vec<(String, u32)>> {
        let unreadable = |e: std::io::Error| format!("model PMT di {MODEL_DIR} tidak terbaca: {e}");
        let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(MODEL_DIR)
            .map_err(unreadable)?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        let mut published = Vec::new();
        for file in files {
            let model = std::fs::read_to_string(&file).map_err(unreadable)?;
            published.push(operator::publish_model(&self.state, &model)?);
        }
        Ok(published)
    }

    /// A synthetic recipient list for each kelurahan (people of that kelurahan with valid
    /// NIKs, which the import masks), imported as the district's CSV. Returns the count per
    /// kelurahan.
    pub fn import_recipients(
        &self,
        kelurahan: &[&str],
        seed: u64,
    ) -> DemoResult<Vec<(String, usize)>> {
        let today = Date::of_unix_millis(now_millis());
        let mut generator = Generator::new(seed ^ 0xD15_0505, today);
        let mut rng = Rng::new(seed ^ 0x11_57);
        let mut csv = String::from("recipient_id,kelurahan_code,programme,name,nik,rt,rw\n");
        for code in kelurahan {
            for (i, programme) in PROGRAMMES.iter().enumerate() {
                let person = generator
                    .household_in(code, "dinsos", 1, now_millis())
                    .members
                    .remove(0);
                csv += &format!(
                    "{},{code},{programme},{},{},{},{}\n",
                    recipient_id(code, i),
                    person.full_name,
                    person.nik,
                    1 + rng.below(12),
                    1 + rng.below(6)
                );
            }
        }
        operator::import_recipients(&self.state, csv.as_bytes())?;
        Ok(kelurahan
            .iter()
            .map(|k| (k.to_string(), RECIPIENTS))
            .collect())
    }

    /// An admin account for the console, with a fresh random password (shown once).
    pub fn add_admin(&self) -> DemoResult<(String, String)> {
        const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
        let mut random = [0u8; 18];
        perlinsos_core::crypt::random_bytes(&mut random)?;
        let password: String = random
            .iter()
            .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
            .collect();
        accounts::add(&self.state, ADMIN, Role::Admin, &password, &[])?;
        Ok((ADMIN.to_owned(), password))
    }

    /// The server's own near-duplicate search (its perceptual hash of every stored photo, as
    /// the review console shows it): photos of the demo's sanggahan that match evidence sent
    /// by another phone. One line per pair.
    pub fn near_duplicates(&self, days: &[AgentDay]) -> DemoResult<Vec<CrossDuplicate>> {
        let mut found: Vec<CrossDuplicate> = Vec::new();
        for filed in days.iter().flat_map(|d| &d.filed) {
            let detail = review::detail(&self.state, &filed.id)
                .map_err(|e| format!("server: {}", e.0))?
                .ok_or_else(|| format!("server tidak memegang sanggahan {}", short(&filed.id)))?;
            for photo in &detail.photos {
                for near in &photo.near_duplicates {
                    let seen = found
                        .iter()
                        .any(|f| f.sanggahan_id == near.record_id && f.other_record == filed.id);
                    if near.device_id != detail.device_id && !seen {
                        found.push(CrossDuplicate {
                            sanggahan_id: filed.id.clone(),
                            device_id: detail.device_id.clone(),
                            other_record: near.record_id.clone(),
                            other_device: near.device_id.clone(),
                            distance: near.distance,
                        });
                    }
                }
            }
        }
        Ok(found)
    }
}

/// The district's id of the `index`-th recipient listed in `kelurahan`.
pub fn recipient_id(kelurahan: &str, index: usize) -> String {
    format!("PM-{}-{:03}", kelurahan.replace('.', ""), index + 1)
}

/// The last characters of a record id (its random part: ids begin with their time), enough
/// to tell records apart on screen.
pub fn short(id: &str) -> &str {
    id.get(id.len().saturating_sub(8)..).unwrap_or(id)
}
