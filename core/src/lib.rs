//! perlinsos-core: every rule and all storage of the Perlinsos field app. No FFI, no UI.
pub mod date;
pub mod error;
pub mod identity;

pub use date::Date;
pub use error::{Error, ErrorCode, FieldError, Result};
