//! Shared pieces of the end-to-end tests and their helper processes.
use perlinsos_core::registration::Draft;

pub mod field;

/// The data key of every fault-test device (test data only).
pub const TEST_KEY: [u8; 32] = [9; 32];

/// A short fingerprint of a draft's whole content, to compare what the worker saved with what
/// the database holds after a kill.
pub fn draft_digest(draft: &Draft) -> String {
    let json = serde_json::to_vec(draft).expect("draft serializes");
    let digest = ring::digest::digest(&ring::digest::SHA256, &json);
    digest.as_ref()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A server's state in `dir`: SQLite there, or, when `PERLINSOS_TEST_DATABASE_URL` names a
/// PostgreSQL server (`./build.sh test` starts a throw-away cluster), a fresh database on it.
pub fn server_state(dir: &std::path::Path) -> perlinsos_server::AppState {
    let clock = std::sync::Arc::new(perlinsos_server::now_millis);
    match std::env::var("PERLINSOS_TEST_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
            let mut suffix = [0u8; 8];
            perlinsos_core::crypt::random_bytes(&mut suffix).expect("random");
            let name = format!("perlinsos_test_{}", perlinsos_core::hex::encode(&suffix));
            let url = perlinsos_server::db::Db::create_postgres_database(&admin, &name)
                .expect("create test database");
            perlinsos_server::AppState::open_with(dir, Some(&url), clock).expect("server state")
        }
        _ => perlinsos_server::AppState::open(dir, clock).expect("server state"),
    }
}

/// The server binary as an operator runs it: `PERLINSOS_SERVER_BIN`, else the one cargo built
/// beside the test (target/debug/deps/<test> -> target/debug/perlinsos-server, built by
/// `cargo test --workspace` or `cargo build -p perlinsos-server`).
pub fn server_bin() -> std::path::PathBuf {
    if let Some(path) = std::env::var_os("PERLINSOS_SERVER_BIN") {
        return path.into();
    }
    let exe = std::env::current_exe().expect("test binary");
    let bin = exe
        .parent()
        .and_then(std::path::Path::parent)
        .expect("target folder")
        .join("perlinsos-server");
    assert!(
        bin.exists(),
        "{} missing: cargo build -p perlinsos-server, or set PERLINSOS_SERVER_BIN",
        bin.display()
    );
    bin
}

/// A sample photo normalized with its long side at `long_side`: each size is another blob.
pub fn photo_sized(source: &[u8], long_side: u32) -> Vec<u8> {
    let options = perlinsos_core::evidence::Options {
        long_side,
        quality: 75,
        keep_gps: false,
    };
    perlinsos_core::evidence::ingest(source, &options)
        .expect("sample photo")
        .jpeg
}

/// Attaches `photo` to household `id` as agent agen-01 of `device`, taken at `now`.
pub fn attach_household_photo(
    book: &perlinsos_core::evidence::book::EvidenceBook,
    device: &perlinsos_core::session::device::Device,
    id: &str,
    photo: &[u8],
    now: i64,
) -> perlinsos_core::evidence::book::EvidenceRecord {
    book.capture(
        photo,
        &perlinsos_core::evidence::Options::default(),
        perlinsos_core::evidence::book::Capture {
            record_kind: "household",
            record_id: id,
            captured_at: now,
            gps: None,
            device_id: &device.id,
            device_key: device.key(),
            agent_id: "agen-01",
        },
    )
    .expect("capture")
}

/// An outbox entry with its record in clear, as the server sees it once opened: what the
/// attack tests change before sealing it again for the server's record key, the way a hostile
/// phone holding a genuine device key would.
#[derive(Debug, Clone, PartialEq)]
pub struct PlainEntry {
    pub id: String,
    pub kind: String,
    pub entity_id: String,
    /// The record's own JSON (the `record` of `{"kind", "version", "record"}`).
    pub body: serde_json::Value,
    pub kelurahan_code: Option<String>,
    pub blobs: Vec<String>,
    pub created_at: i64,
}

fn server_key(
    state: &perlinsos_server::AppState,
    key_id: Option<&str>,
) -> (String, Vec<u8>, [u8; 32]) {
    let district = state.district_key.clone();
    let keys = state.keys.clone();
    let key_id = key_id.map(str::to_owned);
    state
        .db
        .read(move |tx| {
            let id = match key_id {
                Some(id) => id,
                None => perlinsos_server::record_keys::current(tx, &district)?.key_id,
            };
            let private = perlinsos_server::record_keys::private(tx, &keys, &id)?
                .expect("the server's record key");
            let public = perlinsos_protocol::seal::public_key(&private).expect("public key");
            Ok((id, public.to_vec(), *private))
        })
        .expect("record key")
}

impl PlainEntry {
    /// Opens what a phone's sync would send.
    pub fn open(
        state: &perlinsos_server::AppState,
        entry: &perlinsos_protocol::wire::PushEntry,
    ) -> PlainEntry {
        let (_, _, private) = server_key(state, Some(&entry.key_id));
        let sealed = perlinsos_core::hex::decode(&entry.sealed).expect("hex");
        let encoded = perlinsos_protocol::record::open_encoded(
            &sealed,
            &entry.id,
            &entry.kind,
            &entry.key_id,
            &private,
        )
        .expect("the entry opens");
        let full: serde_json::Value = serde_json::from_slice(&encoded).expect("record json");
        PlainEntry {
            id: entry.id.clone(),
            kind: entry.kind.clone(),
            entity_id: entry.entity_id.clone(),
            body: full["record"].clone(),
            kelurahan_code: entry.kelurahan_code.clone(),
            blobs: entry.blobs.clone(),
            created_at: entry.created_at,
        }
    }

    /// Sealed for the server's current record key, as a phone sends it.
    pub fn seal(&self, state: &perlinsos_server::AppState) -> perlinsos_protocol::wire::PushEntry {
        self.seal_as_version(state, perlinsos_protocol::record::VERSION)
    }

    /// Sealed as a record of `version` (a newer app's, for the attack tests).
    pub fn seal_as_version(
        &self,
        state: &perlinsos_server::AppState,
        version: u32,
    ) -> perlinsos_protocol::wire::PushEntry {
        let (key_id, public, _) = server_key(state, None);
        let encoded = serde_json::to_vec(&serde_json::json!({
            "kind": self.kind,
            "version": version,
            "record": self.body,
        }))
        .unwrap();
        let sealed = perlinsos_protocol::record::seal_encoded(
            &encoded, &self.id, &self.kind, &key_id, &public,
        )
        .expect("seal");
        perlinsos_protocol::wire::PushEntry {
            id: self.id.clone(),
            kind: self.kind.clone(),
            entity_id: self.entity_id.clone(),
            key_id,
            sealed: perlinsos_core::hex::encode(&sealed),
            kelurahan_code: self.kelurahan_code.clone(),
            blobs: self.blobs.clone(),
            created_at: self.created_at,
        }
    }
}

/// A photo sealed for the server's current record key, as a phone uploads it:
/// (key id, sealed bytes).
pub fn sealed_photo(
    state: &perlinsos_server::AppState,
    sha256: &str,
    jpeg: &[u8],
) -> (String, Vec<u8>) {
    let (key_id, public, _) = server_key(state, None);
    let sealed = perlinsos_protocol::record::seal_blob(jpeg, sha256, &key_id, &public).unwrap();
    (key_id, sealed)
}

/// An enrollment ticket (the QR payload an operator prints) for the server of `state` at
/// `url`, valid an hour.
pub fn ticket(
    state: &perlinsos_server::AppState,
    agent_id: &str,
    scope: &[String],
    url: &str,
) -> String {
    perlinsos_server::operator::enroll_ticket(state, agent_id, scope, 3_600_000, url, None)
        .expect("enrollment ticket")
        .payload()
}

/// The headers that sign a request as `device` would (device id, time, a fresh nonce and the
/// Ed25519 signature over `perlinsos_protocol::signing::canonical_request`), for tests that
/// speak to the server with bodies no honest phone would send.
pub fn signed_headers(
    device: &perlinsos_core::session::device::Device,
    method: &str,
    path: &str,
    body: &[u8],
    at: i64,
) -> Vec<(&'static str, String)> {
    use perlinsos_protocol::signing;
    let mut nonce = [0u8; 16];
    perlinsos_core::crypt::random_bytes(&mut nonce).expect("randomness");
    let nonce = perlinsos_core::hex::encode(&nonce);
    let body_hash = ring::digest::digest(&ring::digest::SHA256, body);
    let text = signing::canonical_request(
        method,
        path,
        &device.id,
        at,
        &nonce,
        &perlinsos_core::hex::encode(body_hash.as_ref()),
    );
    vec![
        (signing::HEADER_DEVICE, device.id.clone()),
        (signing::HEADER_TIMESTAMP, at.to_string()),
        (signing::HEADER_NONCE, nonce),
        (
            signing::HEADER_SIGNATURE,
            perlinsos_core::hex::encode(device.key().sign(&text).as_ref()),
        ),
    ]
}
