//! perlinsos-core: the Perlinsos phone: its store, device and agent sessions, the books of
//! drafts, households, evidence and sanggahan, the outbox and sync. The rules it shares with
//! the server come from `perlinsos-rules`. No FFI, no UI.
pub use perlinsos_rules::{date, error, hex, identity, pmt};

pub mod audit;
pub mod changes;
pub mod crypt;
pub mod evidence;
pub mod ids;
pub mod legacy_queue;
pub mod objections;
pub mod outbox;
pub mod phone;
pub mod purge;
pub mod record_keys;
pub mod registration;
pub mod sample;
pub mod sanggahan;
pub mod session;
pub mod store;
pub mod sync;
pub mod visits;
pub mod worklist;

pub use date::Date;
pub use error::{Error, ErrorCode, FieldError, Result};
