// The app's single graph: the phone (opened once, off the main thread), the agent's current
// session and the agent enrolled on this phone (kept in the app's preferences with whether the
// phone still has to be enrolled with the district). Screens take what they need from here.
package id.perlinsos.app

import android.app.Application
import android.content.Context
import java.io.File
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import id.perlinsos.viewmodels.AutoLock
import id.perlinsos.viewmodels.repository.PhoneRepository
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.ApiException
import uniffi.perlinsos_ffi.Phone

sealed interface PhoneState {
    data object Opening : PhoneState
    data class Ready(val phone: Phone) : PhoneState
    data class Failed(val code: String) : PhoneState
}

class AppGraph(private val app: Application) {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.IO)
    private val _phone = MutableStateFlow<PhoneState>(PhoneState.Opening)
    val phone: StateFlow<PhoneState> = _phone.asStateFlow()

    /** The unlocked agent's session; replaced when resident mode hands the phone back. */
    val session = MutableStateFlow<AgentSession?>(null)


    private val prefs = app.getSharedPreferences("perlinsos", Context.MODE_PRIVATE)
    private val _agentId = MutableStateFlow(prefs.getString(AGENT_ID, null))
    private val _districtPending = MutableStateFlow(prefs.getBoolean(DISTRICT_PENDING, false))

    /** The agent enrolled on this phone (written by the enrollment screen); null on a fresh install. */
    val agentId: StateFlow<String?> = _agentId.asStateFlow()

    /** The agent went on without the district server: the phone still has to be enrolled there. */
    val districtPending: StateFlow<Boolean> = _districtPending.asStateFlow()

    /** Keeps what the enrollment screen finished: the agent, and whether the district step is open. */
    fun enrolled(agentId: String, districtPending: Boolean) {
        prefs.edit().putString(AGENT_ID, agentId).putBoolean(DISTRICT_PENDING, districtPending).apply()
        _agentId.value = agentId
        _districtPending.value = districtPending
    }

    /** The phone once it is open, null when it could not be opened (the background worker asks). */
    suspend fun readyPhone(): Phone? =
        when (val state = phone.first { it !is PhoneState.Opening }) {
            is PhoneState.Ready -> state.phone
            else -> null
        }

    /**
     * Locks the agent's session after five minutes without a touch, and when the app goes to
     * the background (MainActivity calls touch/onStop/onStart; expectReturn before the camera).
     */
    val autoLock = AutoLock(CoroutineScope(SupervisorJob() + Dispatchers.Main)) {
        val locked = session.value
        session.value = null // the PIN screen shows
        scope.launch { locked?.lock() } // the core drops the keys, off the main thread
    }

    init {
        autoLock.follow(session)
        scope.launch {
            _phone.value = try {
                val dir = File(app.filesDir, "perlinsos").path
                PhoneState.Ready(Phone.open(dir, PlatformSecret.load(app)))
            } catch (e: ApiException.Internal) {
                PhoneState.Failed(e.code)
            } catch (e: Exception) {
                PhoneState.Failed(e.javaClass.simpleName)
            }
            // Whatever is queued goes up in the background, on a network, when the core says
            // the outbox changed (and once now).
            (phone.value as? PhoneState.Ready)?.let { ready ->
                PhoneRepository(ready.phone).outboxCount().collect { if (it > 0) SyncWorker.request(app) }
            }
        }
    }
}

private const val AGENT_ID = "agent_id"
private const val DISTRICT_PENDING = "district_pending"

class PerlinsosApp : Application() {
    lateinit var graph: AppGraph
        private set

    override fun onCreate() {
        super.onCreate()
        graph = AppGraph(this)
    }
}
