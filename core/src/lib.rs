//! perlinsos-core: every rule and all storage of the Perlinsos field app. No FFI, no UI.
pub mod audit;
pub mod crypt;
pub mod date;
pub mod error;
pub mod evidence;
pub mod hex;
pub mod identity;
pub mod ids;
pub mod outbox;
pub mod pmt;
pub mod purge;
pub mod registration;
pub mod sample;
pub mod sanggahan;
pub mod session;
pub mod store;
pub mod sync;

pub use date::Date;
pub use error::{Error, ErrorCode, FieldError, Result};
