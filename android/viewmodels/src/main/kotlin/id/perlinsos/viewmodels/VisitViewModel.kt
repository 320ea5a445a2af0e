// A verification visit of a listed family (issue 20): its open draft or a new one pre-filled
// from the worklist, edited step by step and saved by the core at every edit (kill-safe), with
// every problem the core finds shown on its field (visitCheck's whole list, not the first),
// then submitted as one record with the resident's receipt. A stale copy (DRAFT_STALE: the
// draft changed elsewhere) is read again, never overwritten. A found family also answers the PMT
// questionnaire of the model the core chooses for its kelurahan, opened with the family's last
// answers from DTSEN (marked until the agent touches them) or the agent's own once saved.
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
import uniffi.perlinsos_ffi.ApiException
import uniffi.perlinsos_ffi.FamilyDetail
import uniffi.perlinsos_ffi.PmtAnswer
import uniffi.perlinsos_ffi.ReceiptView
import uniffi.perlinsos_ffi.VisitChoices
import uniffi.perlinsos_ffi.VisitDraftView

/** The wizard's steps; only a found family (outcome "ditemukan") goes past the first. */
enum class VisitStep { Outcome, Members, Identity, Account, Pmt, Consent }

/** The visit's PMT questionnaire as the agent is answering it. */
data class PmtQuestionnaire(
    val model: ModelItem,
    val questions: List<QuestionItem>,
    val answers: Map<String, PmtAnswer> = emptyMap(),
    /** Questions still showing the family's last answer from the DTSEN extract: the agent checks
     *  each with the resident; an answer given (even the same one) takes its id out. */
    val fromDtsen: Set<String> = emptySet(),
    /** Answers changed since the core last saved them. */
    val edited: Boolean = false,
    /** The preview of the answers as saved with the draft. */
    val preview: PreviewSummary? = null,
)

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
    val pmt: PmtQuestionnaire? = null,
    /** Why there is no questionnaire (PMT_NO_ACTIVE_MODEL: no model holds for the kelurahan today). */
    val pmtUnavailable: Problem? = null,
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
        loadPmt()
    }

    /** The questionnaire again (after a sync brought a model). */
    fun reloadPmt(): Job = call { loadPmt() }

    private suspend fun loadPmt() {
        val s = _state.value
        val draft = s.draft ?: return
        val kelurahan = s.family?.family?.kelurahanCode ?: return
        try {
            val model = repo.pmtModelFor(kelurahan)
            val answers = repo.visitPmtPrefill(session, draft.id, model.id)
            // The core opens with the agent's own answers once the draft has them for this model.
            val own = draft.pmt?.takeIf { it.modelId == model.id }
            val questionnaire = PmtQuestionnaire(
                model = ModelItem(model.id, model.version.toInt(), model.title, model.source),
                questions = questionsToAsk(model),
                answers = answers,
                fromDtsen = if (own != null) emptySet() else answers.keys,
                preview = own?.let(PreviewSummary::of),
            )
            _state.update { it.copy(pmt = questionnaire, pmtUnavailable = null) }
        } catch (e: ApiException.Invalid) {
            // No usable model is not a failed visit: the step says why and the agent goes on.
            _state.update { it.copy(pmt = null, pmtUnavailable = e.toProblem()) }
        }
    }

    /** One answer (null: none), kept here until [computePmt] or [next] saves them. */
    fun answerPmt(questionId: String, answer: PmtAnswer?) = _state.update { s ->
        val q = s.pmt ?: return@update s
        s.copy(
            pmt = q.copy(
                answers = if (answer == null) q.answers - questionId else q.answers + (questionId to answer),
                fromDtsen = q.fromDtsen - questionId,
                edited = true,
            ),
        )
    }

    /** Saves the answers with the draft and shows the core's preview; a refused answer shows on
     *  its question ("answers.<id>") and nothing is saved. */
    fun computePmt(): Job = call { saving.withLock { savePmt() } }

    private suspend fun savePmt() {
        val s = _state.value
        val draft = s.draft ?: return
        val q = s.pmt ?: return
        val preview = repo.visitSetPmt(session, draft.id, q.model.id, q.answers)
        val summary = PreviewSummary.of(preview)
        _state.update {
            it.copy(
                // The core keeps the revision: the copy here stays current.
                draft = it.draft?.copy(pmt = preview),
                pmt = it.pmt?.let { p -> p.copy(preview = summary, edited = p.answers != q.answers) },
                fieldErrors = FieldErrors.ofAll(it.fieldErrors.problems.filter { p -> !p.field.startsWith("answers.") && p.field != "pmt" }),
            )
        }
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
        saving.withLock {
            // Answers the agent gave are saved on the way out; refused ones keep the agent here.
            // Untouched answers from DTSEN are not: the agent has not checked them with the resident.
            if (_state.value.step == VisitStep.Pmt && _state.value.pmt?.edited == true) savePmt()
            check()
        }
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
