// Auto-lock of the agent's session on a shared phone (issue 21, item 8): the unlocked session
// locks after [AutoLock.idleMs] without an interaction, and when the app goes to the background
// ([AutoLock.onStop]) — at once, or after a grace the shell chooses — unless the agent left it
// for an app they asked for (the camera: [AutoLock.expectReturn]); the idle timer runs on
// meanwhile. Plain Kotlin on the scope's dispatcher: the Android shell calls touch/onStop/
// onStart from its Activity, and tests drive it in virtual time. Locking goes through [onLock]
// (the app's SessionGate.lock), which sends the app to the PIN screen once: the gate asks for the
// PIN and hands out no old session (the lock loop of issue 21 stays fixed).
package id.perlinsos.viewmodels

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.launch
import uniffi.perlinsos_ffi.AgentSession

class AutoLock(
    private val scope: CoroutineScope,
    /** Without an interaction for this long, the session locks. */
    val idleMs: Long = DEFAULT_IDLE_MS,
    /** In the background for this long, the session locks (0: as the app stops). */
    val stopGraceMs: Long = 0,
    private val onLock: (LockCause) -> Unit,
) {
    private val lock = Any()
    private var idleTimer: Job? = null
    private var stopTimer: Job? = null
    private var expectingReturn = false

    /** Whether a session is held that this would lock. */
    @Volatile var armed: Boolean = false
        private set

    /** How many times this locked the session (tests). */
    @Volatile var locks: Int = 0
        private set

    /** A session was opened (or handed back): the idle timer runs from now. */
    fun arm() = synchronized(lock) {
        armed = true
        restartIdle()
    }

    /** No session any more (locked by the agent, or by the core): nothing to lock. */
    fun disarm() = synchronized(lock) {
        armed = false
        idleTimer?.cancel()
        stopTimer?.cancel()
        expectingReturn = false
    }

    /** Arms while [session] holds a session, disarms while it holds none. */
    fun follow(session: StateFlow<AgentSession?>): Job = scope.launch {
        session.collect { if (it != null) arm() else disarm() }
    }

    /** The agent touched the screen or typed: the idle timer starts again. */
    fun touch() = synchronized(lock) {
        if (armed) restartIdle()
    }

    /** The agent is sent to another app and comes back (the camera): the next stop does not lock. */
    fun expectReturn() = synchronized(lock) {
        if (armed) expectingReturn = true
    }

    /** The app went to the background. */
    fun onStop() {
        val now = synchronized(lock) {
            if (!armed || expectingReturn) return
            stopTimer?.cancel()
            if (stopGraceMs > 0) {
                stopTimer = scope.launch {
                    delay(stopGraceMs)
                    lockIfArmed()
                }
                return
            }
            disarmForLock()
        }
        if (now) onLock(LockCause.Idle)
    }

    /** The app is in front again: a pending background lock is called off. */
    fun onStart() = synchronized(lock) {
        expectingReturn = false
        stopTimer?.cancel()
        stopTimer = null
    }

    private fun restartIdle() {
        idleTimer?.cancel()
        idleTimer = scope.launch {
            delay(idleMs)
            lockIfArmed()
        }
    }

    private fun lockIfArmed() {
        if (synchronized(lock) { armed && disarmForLock() }) onLock(LockCause.Idle)
    }

    /** Under [lock]: disarms (a timer that runs this ends right after) and counts the lock. */
    private fun disarmForLock(): Boolean {
        armed = false
        expectingReturn = false
        stopTimer?.cancel()
        idleTimer?.cancel()
        locks++
        return true
    }

    companion object {
        /** Five minutes: a visit's pause (a resident fetching a document) keeps the session. */
        const val DEFAULT_IDLE_MS: Long = 5 * 60_000
    }
}
