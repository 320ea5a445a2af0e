// The PIN screen's state: what the core said about the last try (attempts left, when to try
// again), never a rule of its own. Pure Kotlin: the Compose screen observes `state`.
package id.perlinsos.viewmodels

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.ApiException
import uniffi.perlinsos_ffi.Phone

sealed interface UnlockState {
    data object Waiting : UnlockState
    data class Refused(val message: String, val attemptsLeft: Int, val retryAtMs: Long?) : UnlockState
    data class Unlocked(val session: AgentSession) : UnlockState
}

class UnlockViewModel(private val phone: Phone, private val agentId: String) {
    private val _state = MutableStateFlow<UnlockState>(UnlockState.Waiting)
    val state: StateFlow<UnlockState> = _state.asStateFlow()

    fun submit(pin: String) {
        _state.value = try {
            UnlockState.Unlocked(phone.unlock(agentId, pin))
        } catch (e: ApiException.Unlock) {
            UnlockState.Refused(e.reason, e.attemptsLeft.toInt(), e.retryAtMs)
        } catch (e: ApiException.Invalid) {
            UnlockState.Refused(e.reason, -1, null)
        }
    }
}
