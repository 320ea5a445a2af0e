// One AndroidX ViewModel per screen, holding the pure view-model with viewModelScope: it
// survives rotation, and its work is cancelled when the screen is gone for good. The older
// view-models (PIN, sync, sanggahan list) call the core synchronously, so their wrappers move
// those calls to Dispatchers.IO: the main thread never waits on the core.
package id.perlinsos.app

import androidx.compose.runtime.Composable
import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import androidx.lifecycle.viewmodel.compose.viewModel
import androidx.lifecycle.viewmodel.initializer
import androidx.lifecycle.viewmodel.viewModelFactory
import id.perlinsos.viewmodels.EnrollmentViewModel
import id.perlinsos.viewmodels.HouseholdWizardViewModel
import id.perlinsos.viewmodels.PmtPreviewViewModel
import id.perlinsos.viewmodels.Problem
import id.perlinsos.viewmodels.ResidentModeViewModel
import id.perlinsos.viewmodels.SanggahanListViewModel
import id.perlinsos.viewmodels.SyncViewModel
import id.perlinsos.viewmodels.UnlockViewModel
import id.perlinsos.viewmodels.VisitsViewModel
import id.perlinsos.viewmodels.toProblem
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.ApiException
import uniffi.perlinsos_ffi.Phone

/** A screen model created once per key (a new agent session gives new screen models). */
@Composable
inline fun <reified M : ViewModel> screenModel(key: String, crossinline create: () -> M): M =
    viewModel(key = "${M::class.java.name}:$key", factory = viewModelFactory { initializer { create() } })

/** Keys a screen model to one session object: after resident mode the old one stays locked. */
fun AgentSession.key(): String = System.identityHashCode(this).toString()

class UnlockScreenModel(phone: Phone, agentId: String) : ViewModel() {
    val unlock = UnlockViewModel(phone, agentId)

    // The PIN's key derivation is slow on purpose.
    fun submit(pin: String) {
        viewModelScope.launch(Dispatchers.IO) { unlock.submit(pin) }
    }
}

/** First run (`enrolledAgentId` null), or an enrolled agent's phone still to be enrolled with the district. */
class EnrollScreenModel(phone: Phone, enrolledAgentId: String?) : ViewModel() {
    val enrollment = EnrollmentViewModel(phone, viewModelScope, enrolledAgentId = enrolledAgentId)
}

class VisitsScreenModel(phone: Phone, session: AgentSession) : ViewModel() {
    val visits = VisitsViewModel(phone, session, viewModelScope)
}

class WizardScreenModel(phone: Phone, session: AgentSession, noticeVersion: String) : ViewModel() {
    val wizard = HouseholdWizardViewModel(phone, session, viewModelScope, noticeVersion)
}

class PreviewScreenModel(phone: Phone, session: AgentSession) : ViewModel() {
    val preview = PmtPreviewViewModel(phone, session, viewModelScope)
}

class ResidentScreenModel(phone: Phone, session: AgentSession) : ViewModel() {
    val resident = ResidentModeViewModel(phone, session, viewModelScope)
}

class SanggahanListScreenModel(phone: Phone, session: AgentSession) : ViewModel() {
    val list = SanggahanListViewModel(phone, session)
    private val _problem = MutableStateFlow<Problem?>(null)
    val problem: StateFlow<Problem?> = _problem.asStateFlow()

    fun refresh() {
        viewModelScope.launch(Dispatchers.IO) {
            _problem.value = try {
                list.refresh()
                null
            } catch (e: ApiException) {
                e.toProblem()
            }
        }
    }
}

class SyncScreenModel(phone: Phone, session: AgentSession) : ViewModel() {
    // SyncViewModel reads the outbox as it is created: create it off the main thread.
    private val _sync = MutableStateFlow<SyncViewModel?>(null)
    val sync: StateFlow<SyncViewModel?> = _sync.asStateFlow()
    private val _problem = MutableStateFlow<Problem?>(null)
    val problem: StateFlow<Problem?> = _problem.asStateFlow()

    init {
        io { _sync.value = SyncViewModel(phone, session, viewModelScope) }
    }

    fun start() {
        _sync.value?.start()
    }

    fun cancel() = io { _sync.value?.cancel() }

    fun retryParked() = io { _sync.value?.retryParked() }

    private fun io(work: () -> Unit) {
        viewModelScope.launch(Dispatchers.IO) {
            try {
                work()
                _problem.value = null
            } catch (e: ApiException) {
                _problem.value = e.toProblem()
            }
        }
    }
}
