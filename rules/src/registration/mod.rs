//! A household as registered, and the checks on it that the phone applies as the agent types
//! and the server applies again to what arrives.
pub mod model;
pub mod validate;
pub use model::*;
