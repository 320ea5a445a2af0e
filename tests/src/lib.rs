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
