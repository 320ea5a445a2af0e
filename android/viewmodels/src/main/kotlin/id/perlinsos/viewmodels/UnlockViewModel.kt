// The PIN screen's state: what the core said about the last try (attempts left, when to try
// again), never a rule of its own. Pure Kotlin: the Compose screen observes `state`.
//
// The lock loop (issue 21): a model that stayed `Unlocked(oldSession)` after an idle lock or a
// hand-back from resident mode gave the old, emptied session back every time the PIN screen
// showed, the visits screen got SESSION_IDLE_LOCKED again, and the two flipped for ever.
// Now the session is handed out once ([take]) and the model goes back to asking for the PIN;
// [locked] says why it asks; and [SessionGate] is the one place the app keeps its session.
package id.perlinsos.viewmodels

import id.perlinsos.viewmodels.repository.PhoneRepository
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.ApiException
import uniffi.perlinsos_ffi.Phone

/** Why the PIN is asked for. */
enum class LockCause { Start, Idle, HandBack, Manual }

sealed interface UnlockState {
    data class Waiting(val cause: LockCause = LockCause.Start) : UnlockState
    data object Checking : UnlockState
    data class Refused(val message: String, val attemptsLeft: Int, val retryAtMs: Long?) : UnlockState
    /** The PIN opened a session, not yet taken by the app ([UnlockViewModel.take]). */
    data class Unlocked(val session: AgentSession) : UnlockState
    /** Not about the PIN: storage, or a bug in the core. */
    data class Failed(val problem: Problem) : UnlockState
}

class UnlockViewModel(
    private val repo: PhoneRepository,
    private val agentId: String,
    private val scope: CoroutineScope,
) {
    /**
     * Runs the core on the caller's thread and returns when it is done (the JVM tests that
     * predate the repository). The app passes a [PhoneRepository] on Dispatchers.IO.
     */
    @Deprecated("Blocks the caller: use the PhoneRepository constructor")
    constructor(phone: Phone, agentId: String) :
        this(PhoneRepository(phone, Dispatchers.Unconfined), agentId, CoroutineScope(SupervisorJob() + Dispatchers.Unconfined))

    private val _state = MutableStateFlow<UnlockState>(UnlockState.Waiting())
    val state: StateFlow<UnlockState> = _state.asStateFlow()
    @Volatile private var cause: LockCause = LockCause.Start

    /** The PIN's key derivation is slow on purpose: it runs on the repository's dispatcher. */
    fun submit(pin: String): Job {
        _state.value = UnlockState.Checking
        return scope.launch(start = CoroutineStart.UNDISPATCHED) {
            _state.value = try {
                UnlockState.Unlocked(repo.unlock(agentId, pin))
            } catch (e: ApiException.Unlock) {
                UnlockState.Refused(e.reason, e.attemptsLeft.toInt(), e.retryAtMs)
            } catch (e: ApiException.Invalid) {
                UnlockState.Refused(e.reason, -1, null)
            } catch (e: Exception) {
                e.toProblemOrNull()?.let { UnlockState.Failed(it) } ?: throw e
            }
        }
    }

    /**
     * The app takes the session the PIN opened, once: the model goes back to asking for the PIN,
     * so the next time its screen shows it cannot hand out an old session.
     */
    fun take(): AgentSession? {
        val unlocked = _state.value as? UnlockState.Unlocked ?: return null
        _state.compareAndSet(unlocked, UnlockState.Waiting(cause))
        return unlocked.session
    }

    /** The session the app holds can no longer be used: ask for the PIN, saying why. */
    fun locked(why: LockCause) {
        cause = why
        _state.update { if (it is UnlockState.Checking) it else UnlockState.Waiting(why) }
    }
}

/**
 * The app's one agent session: null while the PIN is asked for. Every screen reports its core
 * problems here; one that says the session is locked ([Problem.locksSession]) sends the app to
 * the PIN, which then asks for the PIN (it does not hand back the old session: no loop).
 */
class SessionGate(val unlock: UnlockViewModel) {
    private val _session = MutableStateFlow<AgentSession?>(null)
    val session: StateFlow<AgentSession?> = _session.asStateFlow()

    /** How many times the app was sent to the PIN screen (tests count the flips). */
    @Volatile var lockCount: Int = 0
        private set

    /** Called when the unlock state is Unlocked: the session becomes the app's. */
    fun unlocked(): AgentSession? = unlock.take()?.also { _session.value = it }

    /** The app locked the session (idle timer, the agent's "Kunci"), or the core said it is locked. */
    fun lock(why: LockCause) {
        _session.value?.let { runCatching { it.lock() } }
        _session.value = null
        lockCount++
        unlock.locked(why)
    }

    /** A screen's problem: a locked session sends the app to the PIN. */
    fun report(problem: Problem?) {
        if (problem?.locksSession == true && _session.value != null) lock(LockCause.Idle)
    }

    /** Resident mode gave a new session back (the PIN was typed there): it replaces the old one. */
    fun handedBack(session: AgentSession) {
        unlock.take() // whatever the PIN screen still held (the session emptied by resident mode) is dropped
        _session.value = session
    }
}
