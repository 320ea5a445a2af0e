//! Evidence photos on the phone: the shared intake, identity and attestation
//! (`perlinsos_rules::evidence`), plus the phone's book of photos and its sealed blob store.
pub use perlinsos_rules::evidence::*;
pub mod book;
pub mod store;

#[cfg(test)]
mod tests;
