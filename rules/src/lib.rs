//! perlinsos-rules: what the phone and the district server both apply, so the two cannot drift:
//! NIK/KK and region codes, dates and the injected clock, photo intake, perceptual hash and
//! attestation, PMT models and scoring, and the checks on households and sanggahan. No
//! storage, no network.
pub mod date;
pub mod dtsen;
pub mod error;
pub mod evidence;
pub mod hex;
pub mod identity;
pub mod pmt;
pub mod registration;
pub mod sanggahan;

pub use date::Date;
pub use error::{Error, ErrorCode, FieldError, Result};
