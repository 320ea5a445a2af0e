// The agent's app without Android: which screen shows, the view-models behind it, and each
// screen event as a view-model call. Pure Kotlin (no Compose, no android.*): `AgentApp` renders
// it with the shared screens; the Android shell adds only what needs Android (the Keystore
// secret that opens the Phone, camera, TextToSpeech, WorkManager) through the lambdas.
//
// The session rule (the lock loop of issue 21): the app's session lives in one SessionGate;
// every view-model's problem is reported to it, and a locked session sends the app to the PIN,
// which asks for the PIN (the PIN model hands a session out once and forgets it).
package id.perlinsos.screens.app

import id.perlinsos.screens.EnrollmentEvent
import id.perlinsos.screens.FamilyEvent
import id.perlinsos.screens.MemberChange
import id.perlinsos.screens.ObjectionEvent
import id.perlinsos.screens.PmtPreviewEvent
import id.perlinsos.screens.PmtQuestionnaireEvent
import id.perlinsos.screens.ReceiptEvent
import id.perlinsos.screens.ResultEvent
import id.perlinsos.screens.SyncEvent
import id.perlinsos.screens.UnlockEvent
import id.perlinsos.screens.VisitWizardEvent
import id.perlinsos.screens.WorklistEvent
import id.perlinsos.viewmodels.EnrollmentForm
import id.perlinsos.viewmodels.EnrollmentStep
import id.perlinsos.viewmodels.EnrollmentViewModel
import id.perlinsos.viewmodels.LockCause
import id.perlinsos.viewmodels.ResultViewModel
import id.perlinsos.viewmodels.AutoLock
import id.perlinsos.viewmodels.SessionGate
import id.perlinsos.viewmodels.SyncViewModel
import id.perlinsos.viewmodels.UnlockState
import id.perlinsos.viewmodels.UnlockViewModel
import id.perlinsos.viewmodels.VisitViewModel
import id.perlinsos.viewmodels.WorklistViewModel
import id.perlinsos.viewmodels.repository.PhoneRepository
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.PmtAnswer
import uniffi.perlinsos_ffi.ReceiptView

sealed interface Route {
    data object Worklist : Route
    data class Family(val familyId: String) : Route
    data object Visit : Route
    /** The visit's PMT preview, shown to the resident; back to the wizard. */
    data object VisitPmtPreview : Route
    data class Receipt(val receipt: ReceiptView, val familyHead: String, val backTo: Route) : Route
    data class Result(val familyId: String) : Route
    data object Objection : Route
    data object Sync : Route
}

/** The view-models of one agent session; replaced (and their work cancelled) with the session. */
class SessionModels(val session: AgentSession, val scope: CoroutineScope, val worklist: WorklistViewModel, val sync: SyncViewModel)

class AgentAppController(
    val repo: PhoneRepository,
    /** The agent enrolled on this phone; null on the first run (enrollment shows). */
    enrolledAgentId: String?,
    private val scope: CoroutineScope,
    /** A photo from the camera app (null: none taken, or no camera app). */
    private val camera: suspend () -> ByteArray? = { null },
    /** Speaks a text (Android's TextToSpeech in Indonesian). */
    private val readAloud: (String) -> Unit = {},
    private val clock: () -> Long = System::currentTimeMillis,
    /** The agent's session locks after this long without an event (AutoLock). */
    private val autoLockMs: Long = AutoLock.DEFAULT_IDLE_MS,
) {
    /** Locks the session after [autoLockMs] without a screen event; the shell adds onStop/onStart. */
    @Volatile var autoLock: AutoLock? = null
        private set

    private val _gate = MutableStateFlow<SessionGate?>(null)
    /** Null until an agent is enrolled on this phone. */
    val gate: StateFlow<SessionGate?> = _gate.asStateFlow()

    val enrollment: EnrollmentViewModel? = if (enrolledAgentId == null) EnrollmentViewModel(repo.phone, scope, repo.io) else null
    private val _enrollForm = MutableStateFlow(EnrollmentForm())
    val enrollForm: StateFlow<EnrollmentForm> = _enrollForm.asStateFlow()

    private val _pin = MutableStateFlow("")
    val pin: StateFlow<String> = _pin.asStateFlow()

    private val _models = MutableStateFlow<SessionModels?>(null)
    val models: StateFlow<SessionModels?> = _models.asStateFlow()

    private val _route = MutableStateFlow<Route>(Route.Worklist)
    val route: StateFlow<Route> = _route.asStateFlow()

    private val _visit = MutableStateFlow<VisitViewModel?>(null)
    val visit: StateFlow<VisitViewModel?> = _visit.asStateFlow()
    private val _wizard = MutableStateFlow(WizardLocal())
    val wizard: StateFlow<WizardLocal> = _wizard.asStateFlow()

    private val _result = MutableStateFlow<ResultViewModel?>(null)
    val result: StateFlow<ResultViewModel?> = _result.asStateFlow()

    /** How many sessions the app has been given (tests: a loop would count up for ever). */
    @Volatile var sessionsOpened: Int = 0
        private set


    /** The agent of this phone's gate (null before enrollment). */
    @Volatile var agentId: String? = enrolledAgentId
        private set

    init {
        if (enrolledAgentId != null) openGate(enrolledAgentId)
    }

    private fun openGate(agentId: String): SessionGate {
        _gate.value?.let { return it }
        this.agentId = agentId
        val gate = SessionGate(UnlockViewModel(repo, agentId, scope))
        _gate.value = gate
        // Idle: the session locks and the PIN screen shows (once: the gate hands out no old session).
        autoLock = AutoLock(scope, autoLockMs) { gate.lock(it) }.also { it.follow(gate.session) }
        // The PIN opened a session: the app takes it, once.
        scope.launch { gate.unlock.state.collect { if (it is UnlockState.Unlocked) gate.unlocked() } }
        scope.launch { gate.session.collect { onSession(it) } }
        return gate
    }

    private fun onSession(session: AgentSession?) {
        val old = _models.value
        if (old?.session === session) return
        old?.scope?.cancel()
        _visit.value = null
        _result.value = null
        if (session == null) {
            _models.value = null
            return
        }
        sessionsOpened++
        val child = CoroutineScope(scope.coroutineContext + SupervisorJob(scope.coroutineContext[Job]))
        val models = SessionModels(session, child, WorklistViewModel(repo, session, child), SyncViewModel(repo, session, child, observeChanges = true))
        _models.value = models
        _route.value = Route.Worklist
        models.worklist.refresh()
        child.launch { models.worklist.state.collect { _gate.value?.report(it.problem) } }
        child.launch { models.sync.state.collect { _gate.value?.report(it.problem) } }
    }

    // ---- Navigation the shell's bar offers ----

    fun navigate(route: Route) {
        autoLock?.touch()
        _route.value = route
        if (route == Route.Worklist) _models.value?.worklist?.refresh()
        if (route == Route.Sync) _models.value?.sync?.refresh()
    }

    /** The idle timer or the agent's "Kunci". */
    fun lock(why: LockCause = LockCause.Manual) = _gate.value?.lock(why)

    /** Resident mode gave a session back (the PIN typed on the resident's screen). */
    fun handedBack(session: AgentSession) = _gate.value?.handedBack(session)

    // ---- Screen events ----

    fun onEnrollment(e: EnrollmentEvent) {
        val vm = enrollment ?: return
        when (e) {
            is EnrollmentEvent.AgentIdChanged -> _enrollForm.update { it.copy(agentId = e.value) }
            is EnrollmentEvent.PinChanged -> _enrollForm.update { it.copy(pin = e.value) }
            is EnrollmentEvent.PinRepeatChanged -> _enrollForm.update { it.copy(pinRepeat = e.value) }
            is EnrollmentEvent.RecoveryChanged -> _enrollForm.update { it.copy(recoveryHex = e.value) }
            is EnrollmentEvent.TicketChanged -> _enrollForm.update { it.copy(enrollCode = e.value) }
            EnrollmentEvent.PasteTicket, EnrollmentEvent.ScanTicket -> {} // the shell's clipboard and scanner
            EnrollmentEvent.Submit -> vm.enroll(_enrollForm.value)
            EnrollmentEvent.RetryDistrict -> vm.retryDistrict(_enrollForm.value.enrollCode)
            EnrollmentEvent.ConnectLater, EnrollmentEvent.Start -> {
                val s = vm.state.value
                val agent = s.agentId ?: return
                val gate = openGate(agent)
                s.session?.let { gate.handedBack(it) }
                _enrollForm.value = EnrollmentForm()
            }
        }
    }

    /** The enrollment is over once the gate exists (the PIN screen, or the session, follow). */
    val enrolled: Boolean get() = _gate.value != null

    fun onUnlock(e: UnlockEvent) {
        val gate = _gate.value ?: return
        when (e) {
            is UnlockEvent.PinChanged -> _pin.value = e.pin
            UnlockEvent.Submit -> {
                gate.unlock.submit(_pin.value)
                _pin.value = ""
            }
            UnlockEvent.SwitchAgent -> {} // several agents per phone: the switcher (not yet wired here)
        }
    }

    fun onWorklist(e: WorklistEvent) {
        autoLock?.touch()
        val m = _models.value ?: return
        when (e) {
            is WorklistEvent.QueryChanged -> m.worklist.search(e.query)
            is WorklistEvent.RtRwChosen -> m.worklist.filterRtRw(rtRwOf(e.rtRw))
            is WorklistEvent.StatusChosen -> m.worklist.filterStatus(e.status?.wire())
            is WorklistEvent.Open -> {
                m.worklist.open(e.familyId)
                _route.value = Route.Family(e.familyId)
            }
        }
    }

    fun onFamily(e: FamilyEvent) {
        autoLock?.touch()
        val m = _models.value ?: return
        when (e) {
            is FamilyEvent.StartVisit -> {
                val vm = VisitViewModel(repo, m.session, m.scope, clock = clock)
                _visit.value = vm
                _wizard.value = WizardLocal()
                m.scope.launch {
                    vm.state.collect { s ->
                        _gate.value?.report(s.problem)
                        val receipt = s.receipt
                        if (receipt != null && _route.value == Route.Visit) {
                            _route.value = Route.Receipt(receipt, s.family?.family?.headName.orEmpty(), Route.Worklist)
                        }
                    }
                }
                vm.open(e.familyId)
                _route.value = Route.Visit
            }
            FamilyEvent.Back -> navigate(Route.Worklist)
        }
    }

    fun openResult(familyId: String) {
        autoLock?.touch()
        val m = _models.value ?: return
        val vm = ResultViewModel(repo, m.session, m.scope)
        _result.value = vm
        m.scope.launch {
            vm.state.collect { s ->
                _gate.value?.report(s.problem)
                val receipt = s.receipt
                if (receipt != null && _route.value == Route.Objection) {
                    _route.value = Route.Receipt(receipt, s.family?.family?.headName.orEmpty(), Route.Result(familyId))
                }
            }
        }
        vm.load(familyId)
        _route.value = Route.Result(familyId)
    }

    fun onVisit(e: VisitWizardEvent) {
        autoLock?.touch()
        val vm = _visit.value ?: return
        val draft = vm.state.value.draft
        fun nikOf(id: String) = draft?.members?.getOrNull(id.toInt())?.member?.nik
        when (e) {
            is VisitWizardEvent.OutcomeChosen -> vm.chooseOutcome(e.outcome.wire())
            is VisitWizardEvent.MemberChangeChosen -> {
                val reason = _wizard.value.changes[e.memberId]?.second.orEmpty()
                _wizard.update { it.copy(changes = it.changes + (e.memberId to (e.change to reason))) }
                nikOf(e.memberId)?.let { vm.correct(it, e.change.wire(), reason) }
            }
            is VisitWizardEvent.MemberReasonChanged -> {
                val change = _wizard.value.changes[e.memberId]?.first ?: MemberChange.NONE
                _wizard.update { it.copy(changes = it.changes + (e.memberId to (change to e.reason))) }
                nikOf(e.memberId)?.let { vm.correct(it, change.wire(), e.reason) }
            }
            VisitWizardEvent.AddMember -> {} // a member born or moved in: the member form (not yet wired here)
            is VisitWizardEvent.NikChecked -> vm.confirmNik(e.memberId.toInt(), e.matchesKk)
            is VisitWizardEvent.IkdChosen -> vm.chooseIkd(e.memberId.toInt(), e.status.wire())
            is VisitWizardEvent.BankChosen -> vm.setAccount(e.bank?.wire(), draft?.accountNumber)
            is VisitWizardEvent.NoAccountChanged -> {
                _wizard.update { it.copy(noAccount = e.noAccount) }
                if (e.noAccount) vm.setAccount(null, null)
            }
            is VisitWizardEvent.AccountNumberChanged -> vm.setAccount(draft?.bank, e.number)
            is VisitWizardEvent.AccountHolderChanged -> _wizard.update { it.copy(accountHolder = e.name) }
            is VisitWizardEvent.ConsentByChosen -> {
                _wizard.update { it.copy(consentBy = e.memberId) }
                if (draft?.consentBy != null) nikOf(e.memberId)?.let { vm.setConsent(it) }
            }
            is VisitWizardEvent.ConsentGivenChanged -> {
                val by = _wizard.value.consentBy ?: draft?.consentBy?.let { nik -> draft.members.indexOfFirst { it.member.nik == nik }.toString() }
                vm.setConsent(if (e.given) by?.let(::nikOf) else null)
            }
            is VisitWizardEvent.Pmt -> onPmt(vm, e.event)
            is VisitWizardEvent.ReadAloud -> readAloud(e.text)
            VisitWizardEvent.Next -> vm.next()
            VisitWizardEvent.Back -> {
                val s = vm.state.value
                if (s.steps.indexOf(s.step) <= 0) vm.state.value.familyId?.let { navigate(Route.Family(it)) } else vm.back()
            }
            VisitWizardEvent.Submit -> vm.submit()
        }
    }

    private fun onPmt(vm: VisitViewModel, e: PmtQuestionnaireEvent) {
        when (e) {
            is PmtQuestionnaireEvent.ChoiceAnswered -> vm.answerPmt(e.questionId, PmtAnswer.Choice(e.optionId))
            is PmtQuestionnaireEvent.YesNoAnswered -> vm.answerPmt(e.questionId, PmtAnswer.YesNo(e.yes))
            is PmtQuestionnaireEvent.NumberChanged -> {
                _wizard.update { it.copy(pmtTexts = it.pmtTexts + (e.questionId to e.text)) }
                vm.answerPmt(e.questionId, numberOf(e.text)?.let { PmtAnswer.Number(it) })
            }
            PmtQuestionnaireEvent.Compute -> {
                val m = _models.value ?: return
                m.scope.launch {
                    vm.computePmt().join()
                    val s = vm.state.value
                    // The preview goes to the resident only when these answers were saved.
                    if (s.problem == null && s.pmt?.preview != null && s.pmt?.edited == false && _route.value == Route.Visit) {
                        _route.value = Route.VisitPmtPreview
                    }
                }
            }
            PmtQuestionnaireEvent.ShowPreview -> _route.value = Route.VisitPmtPreview
        }
    }

    fun onPmtPreview(e: PmtPreviewEvent) {
        autoLock?.touch()
        when (e) {
            is PmtPreviewEvent.ReadAloud -> readAloud(e.text)
            PmtPreviewEvent.Back -> _route.value = Route.Visit
        }
    }

    fun onReceipt(e: ReceiptEvent) {
        autoLock?.touch()
        when (e) {
            is ReceiptEvent.ReadAloud -> readAloud(e.text)
            ReceiptEvent.Done -> navigate((_route.value as? Route.Receipt)?.backTo ?: Route.Worklist)
        }
    }

    fun onResult(e: ResultEvent) {
        autoLock?.touch()
        val familyId = (_route.value as? Route.Result)?.familyId
        when (e) {
            is ResultEvent.ReadAloud -> readAloud(e.text)
            ResultEvent.Object -> _route.value = Route.Objection
            ResultEvent.Back -> navigate(familyId?.let { Route.Family(it) } ?: Route.Worklist)
        }
    }

    fun onObjection(e: ObjectionEvent) {
        autoLock?.touch()
        val vm = _result.value ?: return
        when (e) {
            is ObjectionEvent.ReasonChosen -> vm.chooseReason(e.reasonId)
            is ObjectionEvent.StatementChanged -> vm.setStatement(e.text)
            is ObjectionEvent.TakePhoto -> scope.launch {
                val bytes = camera() ?: return@launch
                val kinds = vm.state.value.photoKinds.map { it.id }
                val shows = if (e.house) "rumah" else kinds.firstOrNull { it != "rumah" } ?: "dokumen"
                vm.addPhoto(bytes, shows, clock(), null, null)
            }
            is ObjectionEvent.RemovePhoto -> vm.removePhoto(e.index)
            ObjectionEvent.Submit -> vm.file()
            ObjectionEvent.Back -> vm.state.value.familyId?.let { _route.value = Route.Result(it) }
        }
    }

    fun onSync(e: SyncEvent) {
        autoLock?.touch()
        val sync = _models.value?.sync ?: return
        when (e) {
            SyncEvent.Start -> sync.start()
            SyncEvent.Cancel -> sync.cancel()
            SyncEvent.RetryParked -> sync.retryParked()
        }
    }

    /** The enrollment screen's state is done: the agent is on the phone and (maybe) with the district. */
    val enrollmentDone: Boolean get() = enrollment?.state?.value?.step == EnrollmentStep.DONE
}
