//! Change listeners: the core tells Kotlin, after each commit, that the outbox, drafts, the
//! worklist or statuses changed; Kotlin turns that into Flows (callbackFlow, awaitClose that
//! cancels the handle). Converts only: the registry is the core's (perlinsos_core::changes).
use std::sync::Arc;

use perlinsos_core::changes::{Observation, Topic, Topics};

use crate::phone::Phone;

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ChangeTopic {
    /// The queue waiting to go up (its count, parked items).
    Outbox,
    /// Registration and visit drafts.
    Drafts,
    /// The assigned families, their visit marks and results.
    Worklist,
    /// The statuses of what was filed (visits, objections, sanggahan, registrations).
    Statuses,
}

impl From<ChangeTopic> for Topic {
    fn from(t: ChangeTopic) -> Topic {
        match t {
            ChangeTopic::Outbox => Topic::Outbox,
            ChangeTopic::Drafts => Topic::Drafts,
            ChangeTopic::Worklist => Topic::Worklist,
            ChangeTopic::Statuses => Topic::Statuses,
        }
    }
}

impl From<Topic> for ChangeTopic {
    fn from(t: Topic) -> ChangeTopic {
        match t {
            Topic::Outbox => ChangeTopic::Outbox,
            Topic::Drafts => ChangeTopic::Drafts,
            Topic::Worklist => ChangeTopic::Worklist,
            Topic::Statuses => ChangeTopic::Statuses,
        }
    }
}

/// Told after each commit that changed one of the observed topics, on the writer's thread:
/// return quickly (a Flow's `trySend`), read on another thread.
#[uniffi::export(with_foreign)]
pub trait ChangeListener: Send + Sync {
    fn on_change(&self, topics: Vec<ChangeTopic>);
}

/// One registered listener: `cancel()` (or closing the object) unregisters it; once `cancel`
/// returns, the listener is not called again.
#[derive(uniffi::Object)]
pub struct ChangeHandle(Observation);

#[uniffi::export]
impl ChangeHandle {
    pub fn cancel(&self) {
        self.0.cancel();
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
}

#[uniffi::export]
impl Phone {
    /// Calls `listener` after each commit that changed one of `topics` (none: every topic).
    pub fn observe_changes(
        &self,
        topics: Vec<ChangeTopic>,
        listener: Arc<dyn ChangeListener>,
    ) -> Arc<ChangeHandle> {
        let wanted: Vec<Topic> = topics.into_iter().map(Topic::from).collect();
        let wanted = if wanted.is_empty() {
            Topics::all()
        } else {
            Topics::of(&wanted)
        };
        Arc::new(ChangeHandle(self.core.observe(wanted, move |changed| {
            listener.on_change(changed.iter().map(ChangeTopic::from).collect())
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    struct Recorder(Mutex<Vec<Vec<ChangeTopic>>>);

    impl ChangeListener for Recorder {
        fn on_change(&self, topics: Vec<ChangeTopic>) {
            self.0.lock().unwrap().push(topics);
        }
    }

    #[test]
    fn a_listener_hears_the_outbox_after_an_unlock_until_cancelled() {
        let dir = std::env::temp_dir().join(format!("perlinsos-changes-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let phone = Phone::open(dir.display().to_string(), b"ks".to_vec()).unwrap();
        let session = phone
            .enroll_agent("agen-01".into(), "482913".into(), vec![7; 32])
            .unwrap();
        session.lock();
        let heard = Arc::new(Recorder(Mutex::new(Vec::new())));
        let handle = phone.observe_changes(vec![ChangeTopic::Outbox], heard.clone());
        // An unlock goes into the audit trail, which is queued for the district.
        let _ = phone.unlock("agen-01".into(), "482913".into()).unwrap();
        let told = heard.0.lock().unwrap().clone();
        assert!(!told.is_empty());
        assert!(
            told.iter().all(|t| t == &vec![ChangeTopic::Outbox]),
            "{told:?}"
        );
        handle.cancel();
        assert!(handle.is_cancelled());
        let _ = phone.unlock("agen-01".into(), "482913".into()).unwrap();
        assert_eq!(
            heard.0.lock().unwrap().len(),
            told.len(),
            "nothing after cancel"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
