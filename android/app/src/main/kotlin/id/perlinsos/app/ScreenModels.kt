// One AndroidX ViewModel per screen, holding the pure view-model with viewModelScope: it
// survives rotation, and its work is cancelled when the screen is gone for good. Every
// view-model runs its core calls on Dispatchers.IO (a PhoneRepository, or its io parameter):
// the main thread never waits on the core, and a core failure or panic is a state, not a crash.
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
import id.perlinsos.viewmodels.ResidentModeViewModel
import id.perlinsos.viewmodels.SanggahanListViewModel
import id.perlinsos.viewmodels.SyncViewModel
import id.perlinsos.viewmodels.UnlockViewModel
import id.perlinsos.viewmodels.VisitsViewModel
import id.perlinsos.viewmodels.repository.PhoneRepository
import kotlinx.coroutines.Dispatchers
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.Phone

/** A screen model created once per key (a new agent session gives new screen models). */
@Composable
inline fun <reified M : ViewModel> screenModel(key: String, crossinline create: () -> M): M =
    viewModel(key = "${M::class.java.name}:$key", factory = viewModelFactory { initializer { create() } })

/** Keys a screen model to one session object: after resident mode the old one stays locked. */
fun AgentSession.key(): String = System.identityHashCode(this).toString()

/**
 * The PIN screen: the PIN model hands its session out once (take) and then asks for the PIN
 * again, so an idle lock or a hand-back from resident mode can no longer send an old session
 * back (the lock loop of issue 21). The shared shell (screens/src/app) keeps its session in a
 * SessionGate; this older navigation keeps it in AppGraph.session.
 */
class UnlockScreenModel(phone: Phone, agentId: String) : ViewModel() {
    val unlock = UnlockViewModel(PhoneRepository(phone, Dispatchers.IO), agentId, viewModelScope)

    // The PIN's key derivation is slow on purpose: it runs on Dispatchers.IO.
    fun submit(pin: String) {
        unlock.submit(pin)
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
    val list = SanggahanListViewModel(PhoneRepository(phone, Dispatchers.IO), session, viewModelScope)
    val problem = list.problem

    fun refresh() {
        list.refresh()
    }
}

/** The sync screen: every core call (the outbox read too) on Dispatchers.IO, never the main thread. */
class SyncScreenModel(phone: Phone, session: AgentSession) : ViewModel() {
    val sync = SyncViewModel(PhoneRepository(phone, Dispatchers.IO), session, viewModelScope)

    fun start() {
        sync.start()
    }

    fun cancel() {
        sync.cancel()
    }

    fun retryParked() {
        sync.retryParked()
    }
}
