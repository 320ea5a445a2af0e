//! Only in builds with the `test-hooks` feature (the JVM tests' library, never the app's): a
//! way to make the library panic where a real bug would, so the tests can prove a panic
//! reaches Kotlin as an exception, rolls back its write and leaves the phone usable.
use perlinsos_core::audit::{self, Action};

use crate::phone::Phone;
use crate::ApiError;

#[uniffi::export]
impl Phone {
    /// Appends an audit entry inside a write transaction, then panics before it commits.
    pub fn test_panic_during_write(&self) -> Result<(), ApiError> {
        self.store.write(|tx| {
            audit::append(
                tx,
                self.device.key(),
                "test",
                Action::Sync,
                None,
                self.now(),
            )?;
            panic!("test hook: panic inside a write transaction");
        })?;
        Ok(())
    }
}

/// A synthetic DTSEN extract (CSV) of `count` families in `kelurahan`, for the Kotlin tests to
/// hand to `perlinsos-server import-families`.
#[uniffi::export]
pub fn test_sample_extract(seed: u64, count: u32, kelurahan: String) -> String {
    let families = perlinsos_core::sample::families(
        seed,
        count as usize,
        &[kelurahan.as_str()],
        perlinsos_core::Date::today(),
    );
    perlinsos_rules::dtsen::extract::write(&families)
}

/// The sample answers of a visit that found the family (the demo's), laid on a draft.
#[uniffi::export]
impl Phone {
    pub fn test_answer_found(
        &self,
        session: std::sync::Arc<crate::AgentSession>,
        draft_id: String,
    ) -> Result<u64, ApiError> {
        let book = session.with(|s| self.core.visits(s))?;
        let mut draft = book.draft(&draft_id)?;
        perlinsos_core::sample::answer_found(&mut draft, perlinsos_core::date::now_millis());
        Ok(book.save(&draft)?)
    }
}
