// The core's stable error codes that the app branches on, as a Kotlin enum: a screen asks
// `problem.kind == ErrorCode.SessionIdleLocked`, never compares strings. Every other code (the
// core has many more; each already carries its Indonesian text) is `Unknown`, and the
// original string stays in `Problem.code` for the screen and the logs.
package id.perlinsos.viewmodels

enum class ErrorCode(val wire: String) {
    /** The agent's session is locked or empty (idle lock, resident mode): ask for the PIN. */
    SessionIdleLocked("SESSION_IDLE_LOCKED"),
    /** Too many wrong PINs: wait until the core's retry time. */
    SessionLocked("SESSION_LOCKED"),
    SessionPinWrong("SESSION_PIN_WRONG"),
    SessionPinFormat("SESSION_PIN_FORMAT"),
    SessionAgentExists("SESSION_AGENT_EXISTS"),
    SessionAgentUnknown("SESSION_AGENT_UNKNOWN"),
    /** The agent's key is gone (e.g. a lost Keystore key): enroll again with the district. */
    SessionReenrollRequired("SESSION_REENROLL_REQUIRED"),
    SessionOutOfScope("SESSION_OUT_OF_SCOPE"),
    SyncNotEnrolled("SYNC_NOT_ENROLLED"),
    DeviceRevoked("DEVICE_REVOKED"),
    /** The server's certificate is not the one the district pinned: maybe an intercepted network. */
    ServerCertMismatch("SERVER_CERT_MISMATCH"),
    /** The server's certificate is refused by the phone's trusted authorities (captive portal, proxy). */
    ServerCertUntrusted("SERVER_CERT_UNTRUSTED"),
    /** The draft changed since this copy was read: reload it. */
    DraftStale("DRAFT_STALE"),
    FamilyNotAssigned("FAMILY_NOT_ASSIGNED"),
    ObjectionWindowClosed("OBJECTION_WINDOW_CLOSED"),
    ObjectionNotMember("OBJECTION_NOT_MEMBER"),
    ObjectionNoResult("OBJECTION_NO_RESULT"),
    // The app's own (not the core's): the server out of reach, a core bug, local checks.
    Offline("OFFLINE"),
    Internal("INTERNAL"),
    PinMismatch("PIN_MISMATCH"),
    RecoveryHex("RECOVERY_HEX"),
    NoDraft("NO_DRAFT"),
    Unknown("");

    companion object {
        private val byWire = entries.filter { it != Unknown }.associateBy { it.wire }

        fun of(code: String): ErrorCode = byWire[code] ?: Unknown
    }
}
