// The agent's worklist (issue 20): the families the district assigned, searched offline by NIK
// or KK (blind index) or by the start of a member's name, filtered by RT/RW and visit status;
// opening a family reads its members. The search is the core's; this only decides which search
// a query is (digits: a number; anything else: a name) and applies the chosen filters.
// It reads again after each change the core reports of the worklist or a status (a sync brings
// deltas, a submitted visit marks its family), whoever made it.
package id.perlinsos.viewmodels

import id.perlinsos.viewmodels.repository.PhoneRepository
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.drop
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.ChangeTopic
import uniffi.perlinsos_ffi.FamilyDetail
import uniffi.perlinsos_ffi.FamilyView
import uniffi.perlinsos_ffi.VisitView
import uniffi.perlinsos_ffi.WorklistFilter

/** One RT/RW of the worklist. */
data class RtRw(val rt: Int, val rw: Int)

data class WorklistUiState(
    val query: String = "",
    val families: List<FamilyView> = emptyList(),
    /** Every family assigned (null: not read yet). */
    val total: Int? = null,
    /** The RT/RW present in the first page of the unfiltered list. */
    val rtRwOptions: List<RtRw> = emptyList(),
    val rtRw: RtRw? = null,
    /** belum_dikunjungi, dikunjungi or kunjungi_ulang; null: all. */
    val status: String? = null,
    /** The family opened with one tap, and its last submitted visit. */
    val opened: FamilyDetail? = null,
    val openedVisit: VisitView? = null,
    val loading: Boolean = false,
    val problem: Problem? = null,
)

class WorklistViewModel(
    private val repo: PhoneRepository,
    private val session: AgentSession,
    private val scope: CoroutineScope,
    private val pageSize: Int = 200,
    /** Re-read after each change of the worklist or a status (off for tests that count reads). */
    observeChanges: Boolean = true,
) {
    private val _state = MutableStateFlow(WorklistUiState())
    val state: StateFlow<WorklistUiState> = _state.asStateFlow()
    @Volatile private var running: Job? = null

    init {
        if (observeChanges) scope.launch { repo.changes(ChangeTopic.WORKLIST, ChangeTopic.STATUSES).drop(1).collect { reload().join() } }
    }

    fun refresh(): Job = reload()

    fun search(query: String): Job {
        _state.update { it.copy(query = query) }
        return reload()
    }

    fun filterRtRw(rtRw: RtRw?): Job {
        _state.update { it.copy(rtRw = rtRw) }
        return reload()
    }

    fun filterStatus(status: String?): Job {
        _state.update { it.copy(status = status) }
        return reload()
    }

    fun open(familyId: String): Job = call {
        val detail = repo.worklistFamily(session, familyId)
        val visit = repo.visits(session).lastOrNull { it.familyId == familyId }
        _state.update { it.copy(opened = detail, openedVisit = visit) }
    }

    fun close() = _state.update { it.copy(opened = null, openedVisit = null) }

    private fun reload(): Job {
        running?.cancel()
        val job = call {
            val s = _state.value
            val total = repo.worklistCount(session)
            val all = repo.worklistPage(session, WorklistFilter(null, null, null, null), 0, pageSize)
            val options = all.map { RtRw(it.rt.toInt(), it.rw.toInt()) }.distinct().sortedWith(compareBy({ it.rw }, { it.rt }))
            val query = s.query.trim()
            val found = when {
                query.isEmpty() -> repo.worklistPage(
                    session,
                    WorklistFilter(null, s.rtRw?.rw?.toUShort(), s.rtRw?.rt?.toUShort(), s.status),
                    0,
                    pageSize,
                )
                query.all { it.isDigit() || it == ' ' } -> repo.worklistFindNumber(session, query.replace(" ", "")).filtered(s)
                else -> repo.worklistFindName(session, query, pageSize).filtered(s)
            }
            val opened = s.opened?.let { repo.worklistFamily(session, it.family.familyId) }
            _state.update { it.copy(families = found, total = total, rtRwOptions = options, opened = opened ?: it.opened) }
        }
        running = job
        return job
    }

    /** A search's hits with the chosen filters (a search returns few families). */
    private fun List<FamilyView>.filtered(s: WorklistUiState) = filter { f ->
        (s.rtRw == null || (f.rt.toInt() == s.rtRw.rt && f.rw.toInt() == s.rtRw.rw)) && (s.status == null || f.status == s.status)
    }

    private fun call(work: suspend () -> Unit): Job {
        _state.update { it.copy(loading = true, problem = null) }
        return scope.coreCall(
            onProblem = { p -> _state.update { it.copy(problem = p) } },
            onDone = { _state.update { it.copy(loading = false) } },
            work = work,
        )
    }
}
