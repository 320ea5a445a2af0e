// The agent's sanggahan with their statuses in Bahasa Indonesia and, for a refusal, the
// district's reason. The core calls run on the repository's dispatcher; a failure (a locked
// session, a panic in the core) is the screen's problem, never a crash.
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
import kotlinx.coroutines.launch
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.Phone

data class SanggahanLine(
    val id: String,
    val status: String,
    val statusLabel: String,
    val reason: String?,
    val reusedPhotos: Int,
)

class SanggahanListViewModel(
    private val repo: PhoneRepository,
    private val session: AgentSession,
    private val scope: CoroutineScope,
) {
    /** Runs the core on the caller's thread (the JVM tests that predate the repository). */
    @Deprecated("Blocks the caller: use the PhoneRepository constructor")
    constructor(phone: Phone, session: AgentSession) :
        this(PhoneRepository(phone, Dispatchers.Unconfined), session, CoroutineScope(SupervisorJob() + Dispatchers.Unconfined))

    private val _lines = MutableStateFlow<List<SanggahanLine>>(emptyList())
    val lines: StateFlow<List<SanggahanLine>> = _lines.asStateFlow()
    private val _problem = MutableStateFlow<Problem?>(null)
    val problem: StateFlow<Problem?> = _problem.asStateFlow()

    fun refresh(): Job = scope.launch(start = CoroutineStart.UNDISPATCHED) {
        try {
            _lines.value = repo.sanggahanList(session).map { s ->
                SanggahanLine(
                    id = s.id,
                    status = s.status,
                    statusLabel = s.statusLabel,
                    reason = repo.sanggahanHistory(session, s.id).lastOrNull()?.reason,
                    reusedPhotos = s.reusedPhotos.toInt(),
                )
            }
            _problem.value = null
        } catch (e: Exception) {
            _problem.value = e.toProblemOrNull() ?: throw e
        }
    }
}
