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
