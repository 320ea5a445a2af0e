// A verification visit of a listed family (issue 20): its open draft or a new one pre-filled
// from the worklist, edited step by step and saved by the core at every edit (kill-safe), with
// every problem the core finds shown on its field (visitCheck's whole list, not the first),
// then submitted as one record with the resident's receipt. A stale copy (DRAFT_STALE: the
// draft changed elsewhere) is read again, never overwritten.
package id.perlinsos.viewmodels

import id.perlinsos.viewmodels.repository.PhoneRepository
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.CorrectionView
import uniffi.perlinsos_ffi.FamilyDetail
import uniffi.perlinsos_ffi.ReceiptView
import uniffi.perlinsos_ffi.VisitChoices
import uniffi.perlinsos_ffi.VisitDraftView

/** The wizard's steps; only a found family (outcome "ditemukan") goes past the first. */
enum class VisitStep { Outcome, Members, Identity, Account, Consent }

data class VisitUiState(
    val familyId: String? = null,
    val family: FamilyDetail? = null,
    val draft: VisitDraftView? = null,
    val step: VisitStep = VisitStep.Outcome,
    val choices: VisitChoices? = null,
    /** Every problem of the last check, each on its field (the core's names). */
    val fieldErrors: FieldErrors = FieldErrors(),
    /** The problem for the top card: a refused call, or check problems with no field. */
    val problem: Problem? = null,
    /** Set once the visit went in: what the resident keeps. */
    val receipt: ReceiptView? = null,
    val busy: Boolean = false,
) {
    val found: Boolean get() = draft?.outcome == null || draft.outcome == "ditemukan"
    val steps: List<VisitStep> get() = if (found) VisitStep.entries else listOf(VisitStep.Outcome)
}

class VisitViewModel(
    private val repo: PhoneRepository,
    private val session: AgentSession,
    private val scope: CoroutineScope,
    /** The privacy notice version the app reads to the resident before consent. */
    private val noticeVersion: String = "PDP-2026.1",
    private val clock: () -> Long = System::currentTimeMillis,
) {
    private val _state = MutableStateFlow(VisitUiState())
    val state: StateFlow<VisitUiState> = _state.asStateFlow()
    /** Edits are saved one after another: each save needs the revision the one before returned. */
    private val saving = Mutex()
    /** Calls still running: edits overlap (a tap while a save is in flight), and the wizard is
     *  busy until the last of them ends, not the first. */
    private val inFlight = AtomicInteger(0)

    /** Starts the visit of a listed family, or resumes its open draft. */
    fun open(familyId: String): Job = call {
        val draft = repo.visitStart(session, familyId)
        val family = repo.worklistFamily(session, familyId)
        val choices = _state.value.choices ?: repo.visitChoices()
        _state.value = VisitUiState(familyId = familyId, family = family, draft = draft, choices = choices)
    }

    /** Reads the draft as the core has it (after a stale copy, or a change made elsewhere). */
    fun reload(): Job = call { reread() }

    private suspend fun reread() {
        val id = _state.value.draft?.id ?: return
        val draft = repo.visitDrafts(session).firstOrNull { it.id == id } ?: return
        _state.update { it.copy(draft = draft) }
    }

    /** Any edit of the draft: applied, saved by the core at once, its revision kept. */
    fun edit(change: (VisitDraftView) -> VisitDraftView): Job = call {
        saving.withLock {
            val current = _state.value.draft ?: return@withLock
            val edited = change(current)
            try {
                val revision = repo.visitSave(session, edited)
                _state.update { it.copy(draft = edited.copy(revision = revision)) }
            } catch (e: uniffi.perlinsos_ffi.ApiException.Invalid) {
                if (ErrorCode.of(e.code) == ErrorCode.DraftStale) reread()
                throw e
            }
        }
    }

    fun chooseOutcome(outcome: String) = edit { d ->
        if (outcome == "ditemukan") d.copy(outcome = outcome)
        // Any other outcome carries no members, account or PMT (the core refuses them).
        else d.copy(outcome = outcome, members = emptyList(), bank = null, accountNumber = null, consentBy = null, consentAtMs = null)
    }

    fun confirmNik(memberIndex: Int, confirmed: Boolean) = edit { d ->
        d.copy(members = d.members.mapIndexed { i, m -> if (i == memberIndex) m.copy(nikConfirmed = confirmed) else m })
    }

    fun chooseIkd(memberIndex: Int, ikd: String?) = edit { d ->
        d.copy(members = d.members.mapIndexed { i, m -> if (i == memberIndex) m.copy(ikd = ikd) else m })
    }

    /** A member's change (lahir, meninggal, pindah_masuk, pindah_keluar, data_salah) with its reason. */
    fun correct(nik: String, change: String?, reason: String) = edit { d ->
        val others = d.corrections.filter { it.nik != nik }
        d.copy(corrections = if (change == null) others else others + CorrectionView(nik, change, reason))
    }

    fun setAccount(bank: String?, number: String?) = edit { d -> d.copy(bank = bank, accountNumber = number) }

    /** Consent given (or taken back) by an adult member, by NIK, with the notice read to them. */
    fun setConsent(byNik: String?) = edit { d ->
        if (byNik == null) d.copy(consentBy = null, consentAtMs = null)
        else d.copy(consentBy = byNik, consentAtMs = clock(), noticeVersion = noticeVersion)
    }

    /** The next step, after the core's check: its problems show, but the agent may go on. */
    fun next(): Job = call {
        saving.withLock { check() }
        _state.update { s -> s.copy(step = s.steps.getOrElse(s.steps.indexOf(s.step) + 1) { s.step }) }
    }

    fun back() = _state.update { s -> s.copy(step = s.steps.getOrElse(s.steps.indexOf(s.step) - 1) { s.step }) }

    fun goTo(step: VisitStep) = _state.update { it.copy(step = step) }

    /** Every problem the core finds, then the visit as one record and its receipt when none. */
    fun submit(): Job = call {
        saving.withLock {
            val draft = _state.value.draft ?: return@withLock
            if (check().isNotEmpty()) return@withLock
            val receipt = repo.visitSubmit(session, draft.id)
            _state.update { it.copy(receipt = receipt) }
        }
    }

    /** The core's check of the saved draft; every problem goes to the state. */
    private suspend fun check(): List<Problem> {
        val draft = _state.value.draft ?: return emptyList()
        val problems = repo.visitCheck(session, draft.id).map { Problem(it.code, it.reason, it.field) }
        _state.update {
            it.copy(
                fieldErrors = FieldErrors.ofAll(problems),
                problem = problems.firstOrNull { p -> p.field.isEmpty() },
            )
        }
        return problems
    }

    private fun call(work: suspend () -> Unit): Job {
        inFlight.incrementAndGet()
        _state.update { it.copy(busy = true, problem = null) }
        return scope.coreCall(
            onProblem = { p ->
                _state.update {
                    val onField = p.field.isNotEmpty()
                    it.copy(problem = p, fieldErrors = if (onField) FieldErrors.of(p) else it.fieldErrors)
                }
            },
            onDone = { if (inFlight.decrementAndGet() == 0) _state.update { it.copy(busy = false) } },
            work = work,
        )
    }
}
