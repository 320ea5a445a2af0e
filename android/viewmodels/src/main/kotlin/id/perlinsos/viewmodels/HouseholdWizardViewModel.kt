// The household wizard: each page saves to the core's draft at once (a killed app resumes where
// it was), and the state always shows the draft as the core saved it. Every check is the
// core's: a refusal lands on the field it names.
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
import uniffi.perlinsos_ffi.HouseholdForm
import uniffi.perlinsos_ffi.MemberForm
import uniffi.perlinsos_ffi.Phone
import uniffi.perlinsos_ffi.PmtAnswer
import uniffi.perlinsos_ffi.VisitForm
import uniffi.perlinsos_ffi.registrationChoices

enum class WizardPage { VISIT, HOUSEHOLD, MEMBERS, CONSENT, IKD, PMT, SUBMIT }

/** Where the visit takes place, as saved; the household page starts from it. */
data class VisitFields(val kelurahanCode: String, val rt: Int, val rw: Int, val hasLocation: Boolean)

data class WizardState(
    val page: WizardPage = WizardPage.VISIT,
    val draftId: String? = null,
    /** The step the core last saved (visit, household, members, consent, ikd, pmt). */
    val savedStep: String? = null,
    val visit: VisitFields? = null,
    val household: HouseholdFields? = null,
    val members: List<MemberItem> = emptyList(),
    val consentBy: String? = null,
    val models: List<ModelItem> = emptyList(),
    val modelId: String? = null,
    val questions: List<QuestionItem> = emptyList(),
    /** Answers on this screen, saved to the draft with the preview. */
    val answers: Map<String, PmtAnswer> = emptyMap(),
    val preview: PreviewSummary? = null,
    val submittedHouseholdId: String? = null,
    val fieldErrors: FieldErrors = FieldErrors(),
    val problem: Problem? = null,
    val busy: Boolean = false,
)

class HouseholdWizardViewModel(
    private val phone: Phone,
    private val session: AgentSession,
    scope: CoroutineScope,
    /** The version of the privacy notice the app reads to the resident before consent. */
    private val noticeVersion: String,
    io: CoroutineDispatcher = Dispatchers.IO,
) {
    val choices: FormChoices = FormChoices.of(registrationChoices())
    private val _state = MutableStateFlow(WizardState())
    val state: StateFlow<WizardState> = _state.asStateFlow()
    private val calls = CoreCalls(scope, io)

    fun start(visit: VisitForm): Job = call {
        load(phone.startVisit(session, visit), WizardPage.HOUSEHOLD)
    }

    /** Resumes a draft on the page after the step the core last saved. */
    fun resume(draftId: String): Job = call {
        load(draftId, null)
    }

    fun saveHousehold(form: HouseholdForm): Job = onDraft { id ->
        phone.setHousehold(session, id, form)
        load(id, WizardPage.MEMBERS)
    }

    /** Adds a member (`memberId` null) or replaces one. */
    fun putMember(memberId: String?, form: MemberForm): Job = onDraft { id ->
        phone.putMember(session, id, memberId, form)
        load(id, WizardPage.MEMBERS)
    }

    fun removeMember(memberId: String): Job = onDraft { id ->
        phone.removeMember(session, id, memberId)
        load(id, WizardPage.MEMBERS)
    }

    fun giveConsent(memberId: String): Job = onDraft { id ->
        phone.setConsent(session, id, memberId, noticeVersion)
        load(id, WizardPage.IKD)
    }

    fun setIkd(memberId: String, status: String): Job = onDraft(
        // The core names the IKD field without the member; the page shows it on that member.
        field = { "members[${memberIndex(memberId)}].ikd" },
    ) { id ->
        phone.setIkd(session, id, memberId, status)
        load(id, WizardPage.IKD)
    }

    fun chooseModel(modelId: String): Job = call {
        val model = phone.pmtModels().filter { it.id == modelId }.maxByOrNull { it.version }
        // Another model asks other questions: the answers start over; the saved preview stays
        // until the core computes a new one.
        _state.update { s ->
            s.copy(
                modelId = modelId,
                questions = model?.let(::questionsToAsk).orEmpty(),
                answers = if (modelId == s.modelId) s.answers else emptyMap(),
            )
        }
    }

    fun answer(questionId: String, answer: PmtAnswer?) = _state.update { s ->
        s.copy(answers = if (answer == null) s.answers - questionId else s.answers + (questionId to answer))
    }

    /** Saves the answers with the draft; the core computes the preview. */
    fun computePreview(): Job = onDraft { id ->
        // Without a model (before the first sync) the core says what to do.
        phone.setPmt(session, id, _state.value.modelId.orEmpty(), _state.value.answers)
        load(id, WizardPage.PMT)
    }

    fun submit(): Job = onDraft { id ->
        val household = phone.submit(session, id)
        _state.update { it.copy(submittedHouseholdId = household) }
    }

    fun goTo(page: WizardPage) = _state.update { it.copy(page = page, problem = null, fieldErrors = FieldErrors()) }

    /** Clears the errors shown (the member dialog opens clean). */
    fun clearErrors() = _state.update { it.copy(problem = null, fieldErrors = FieldErrors()) }

    private fun memberIndex(memberId: String): Int =
        _state.value.members.firstOrNull { it.id == memberId }?.index ?: -1

    private fun load(draftId: String, page: WizardPage?) {
        val draft = phone.draft(session, draftId)
        val received = phone.pmtModels()
        _state.update { s ->
            val modelId = s.modelId ?: draft.pmt?.modelId ?: received.map { it.id }.distinct().singleOrNull()
            val questions = s.questions.ifEmpty {
                received.filter { it.id == modelId }.maxByOrNull { it.version }?.let(::questionsToAsk).orEmpty()
            }
            s.copy(
                page = page ?: pageAfter(draft.step),
                draftId = draft.id,
                savedStep = draft.step,
                visit = draft.visit.let { v ->
                    VisitFields(v.kelurahanCode, v.rt.toInt(), v.rw.toInt(), v.latitude != null && v.longitude != null)
                },
                household = draft.household?.let(HouseholdFields::of),
                members = draft.members.mapIndexed(MemberItem::of),
                consentBy = draft.consentBy,
                models = received.map { ModelItem(it.id, it.version.toInt(), it.title, it.source) },
                modelId = modelId,
                questions = questions,
                preview = draft.pmt?.let(PreviewSummary::of),
            )
        }
    }

    private fun pageAfter(step: String): WizardPage = when (step) {
        "visit" -> WizardPage.HOUSEHOLD
        "household", "members" -> WizardPage.MEMBERS
        "consent" -> WizardPage.IKD
        "ikd" -> WizardPage.PMT
        else -> WizardPage.SUBMIT
    }

    private fun onDraft(field: (() -> String)? = null, work: suspend (String) -> Unit): Job {
        // The pages after the visit are shown only once a draft exists; this guards a stale tap.
        val draftId = _state.value.draftId
            ?: return Job().also {
                _state.update { s -> s.copy(problem = Problem(ErrorCode.NoDraft.wire, "Mulai kunjungan terlebih dahulu.")) }
                it.complete()
            }
        val fieldName = field?.invoke()
        return call(fieldName) { work(draftId) }
    }

    private fun call(field: String? = null, work: suspend () -> Unit): Job {
        _state.update { it.copy(busy = true, problem = null, fieldErrors = FieldErrors()) }
        return calls.launch(
            onProblem = { p ->
                val shown = if (field != null) p.copy(field = field) else p
                _state.update { it.copy(problem = shown, fieldErrors = FieldErrors.of(shown)) }
            },
            onDone = { _state.update { it.copy(busy = false) } },
            work = work,
        )
    }
}
