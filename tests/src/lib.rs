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
