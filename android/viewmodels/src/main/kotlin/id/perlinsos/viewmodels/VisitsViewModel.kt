// The visits screen: the agent's unfinished registrations with the step the core last saved,
// and the registered households still waiting on the phone for sync. Opening a household is
// audited by the core, so this list shows their ids and opens none of them.
package id.perlinsos.viewmodels

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.Phone

data class DraftItem(
    val id: String,
    /** The step last saved: visit, household, members, consent, ikd or pmt (the core's names). */
    val step: String,
    val memberCount: Int,
    val headName: String?,
    val updatedAtMs: Long,
)

data class VisitsState(
    val drafts: List<DraftItem> = emptyList(),
    val householdIds: List<String> = emptyList(),
    val loading: Boolean = false,
    val problem: Problem? = null,
)

class VisitsViewModel(
    private val phone: Phone,
    private val session: AgentSession,
    scope: CoroutineScope,
    io: CoroutineDispatcher = Dispatchers.IO,
) {
    private val _state = MutableStateFlow(VisitsState())
    val state: StateFlow<VisitsState> = _state.asStateFlow()
    private val calls = CoreCalls(scope, io)

    fun refresh(): Job = call { load() }

    fun discard(draftId: String): Job = call {
        phone.discardDraft(session, draftId)
        load()
    }

    private fun load() {
        val drafts = phone.drafts(session).map {
            DraftItem(it.id, it.step, it.memberCount.toInt(), it.headName, it.updatedAtMs)
        }
        val households = phone.householdIds(session)
        _state.update { it.copy(drafts = drafts, householdIds = households) }
    }

    private fun call(work: suspend () -> Unit): Job {
        _state.update { it.copy(loading = true, problem = null) }
        return calls.launch(
            onProblem = { p -> _state.update { it.copy(problem = p) } },
            onDone = { _state.update { it.copy(loading = false) } },
            work = work,
        )
    }
}
