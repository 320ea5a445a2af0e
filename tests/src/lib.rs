//! Shared pieces of the end-to-end tests and their helper processes.
use perlinsos_core::registration::Draft;

pub mod proxy;

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
