//! Wire types and names shared by the device core and the district server, so the two cannot
//! drift: the JSON bodies of every endpoint, the canonical bytes a device signs, and the error
//! codes. Both sides depend on this crate; nothing here is defined twice.
pub mod enrollment;
pub mod record;
pub mod seal;
pub mod signing;
pub mod wire;

/// Version of the sync API the device speaks.
pub const API_VERSION: &str = "v1";

/// Kinds of outbox entries: each is one operation the server applies exactly once.
pub mod outbox_kind {
    /// A household registered during a visit, with its members, consent and IKD statuses.
    pub const HOUSEHOLD_REGISTERED: &str = "household.registered";
    /// One entry of a device's hash-chained audit trail, for the district's copy.
    pub const AUDIT_APPENDED: &str = "audit.appended";
    /// A resident's sanggahan, filed on the phone, with the hashes of its evidence photos.
    pub const SANGGAHAN_FILED: &str = "sanggahan.filed";
    /// The reporter withdrew a sanggahan.
    pub const SANGGAHAN_WITHDRAWN: &str = "sanggahan.withdrawn";
    /// A photo added to a household after it was registered.
    pub const EVIDENCE_ATTACHED: &str = "evidence.attached";
    /// A verification visit of a family on the agent's worklist.
    pub const VISIT_RECORDED: &str = "visit.recorded";
    /// A family's objection to its own result (*sanggahan hasil*), with photo evidence.
    pub const OBJECTION_FILED: &str = "objection.filed";

    pub const ALL: [&str; 7] = [
        VISIT_RECORDED,
        OBJECTION_FILED,
        HOUSEHOLD_REGISTERED,
        AUDIT_APPENDED,
        SANGGAHAN_FILED,
        SANGGAHAN_WITHDRAWN,
        EVIDENCE_ATTACHED,
    ];
}
