// The Kotlin API an Android developer expects over the bindings: every blocking core call as a
// `suspend` function on an injected dispatcher (Dispatchers.IO in the app; the main thread never
// waits on SQLite or Argon2), and Flows for what screens observe.
//
// The Flows come from the core: a change listener registered with `Phone.observeChanges` is told
// after each commit that changed the outbox, drafts, the worklist or statuses (whoever wrote:
// this repository, a view-model holding the Phone, the sync, the background worker's call on
// the same Phone), and `callbackFlow` turns it into a Flow whose `awaitClose` cancels the
// listener's handle. Each Flow reads once when collected and again after each change of its
// topic; nothing polls.
//
// The class is open so that a test can wrap a call (to record its thread, or to make the real
// library panic inside one); the app uses it as is.
package id.perlinsos.viewmodels.repository

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.conflate
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.flowOn
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.withContext
import uniffi.perlinsos_ffi.ChangeHandle
import uniffi.perlinsos_ffi.ChangeListener
import uniffi.perlinsos_ffi.ChangeTopic
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.DraftLine
import uniffi.perlinsos_ffi.FamilyDetail
import uniffi.perlinsos_ffi.FamilyView
import uniffi.perlinsos_ffi.FieldProblem
import uniffi.perlinsos_ffi.ObjectionFormView
import uniffi.perlinsos_ffi.ObjectionPhotoView
import uniffi.perlinsos_ffi.ObjectionView
import uniffi.perlinsos_ffi.OutboxView
import uniffi.perlinsos_ffi.Phone
import uniffi.perlinsos_ffi.PmtAnswer
import uniffi.perlinsos_ffi.PmtModelInfo
import uniffi.perlinsos_ffi.PmtPreview
import uniffi.perlinsos_ffi.ReceiptView
import uniffi.perlinsos_ffi.ResultView
import uniffi.perlinsos_ffi.SanggahanView
import uniffi.perlinsos_ffi.StatusChange
import uniffi.perlinsos_ffi.SyncListener
import uniffi.perlinsos_ffi.SyncReport
import uniffi.perlinsos_ffi.VisitChoices
import uniffi.perlinsos_ffi.VisitDraftView
import uniffi.perlinsos_ffi.VisitView
import uniffi.perlinsos_ffi.WorklistFilter

open class PhoneRepository(
    val phone: Phone,
    /** Where every blocking core call runs. */
    val io: CoroutineDispatcher = Dispatchers.IO,
) {
    /**
     * A signal when collected and after each commit that changed one of [topics] (none: every
     * topic), from the core's change listener. Conflated: a burst of commits while the collector
     * reads gives one more signal, not one per commit. Cancelling the collection cancels the
     * listener's handle (no callback after that).
     */
    fun changes(vararg topics: ChangeTopic): Flow<Unit> = callbackFlow {
        val handle = observe(
            topics.toList(),
            object : ChangeListener {
                // On the writer's thread, after its commit: hand the news on, do not read here.
                override fun onChange(topics: List<ChangeTopic>) {
                    trySend(Unit)
                }
            },
        )
        // Registered first, then the first read: no commit falls between the two.
        trySend(Unit)
        awaitClose {
            handle.cancel()
            handle.close()
        }
    }.conflate()

    /** Registers a change listener with the core (open: a test counts what reaches it). */
    protected open fun observe(topics: List<ChangeTopic>, listener: ChangeListener): ChangeHandle =
        phone.observeChanges(topics, listener)

    /** Runs a blocking core call on [io]. */
    protected open suspend fun <T> core(call: () -> T): T = withContext(io) { call() }

    /** A write: runs on [io]; the core tells the Flows what it changed. */
    protected suspend fun <T> write(call: () -> T): T = core(call)

    /** A Flow of [read], again after each change of [topics], each distinct value once. */
    private fun <T> observing(vararg topics: ChangeTopic, read: () -> T): Flow<T> =
        changes(*topics).map { read() }.flowOn(io).distinctUntilChanged()

    // ---- The agent ----

    open suspend fun unlock(agentId: String, pin: String): AgentSession = write { phone.unlock(agentId, pin) }

    // ---- Sync and the outbox ----

    open suspend fun outbox(): OutboxView = core { phone.outbox() }

    open suspend fun retryParked(): ULong = write { phone.retryParked() }

    /**
     * The core's async sync: it waits on the network without blocking a thread, but uniffi polls
     * it on the calling coroutine's thread, where its SQLite writes between awaits run: so on [io].
     */
    open suspend fun sync(session: AgentSession, maxPasses: UInt, listener: SyncListener?): SyncReport =
        withContext(io) { phone.sync(session, maxPasses, listener) }

    /** The items waiting to go up, again after each change of the outbox. */
    fun outboxCount(): Flow<Long> = observing(ChangeTopic.OUTBOX) { phone.outbox().pending.toLong() }

    /** The outbox (pending count and parked items), again after each change of it. */
    fun outboxFlow(): Flow<OutboxView> = observing(ChangeTopic.OUTBOX) { phone.outbox() }

    // ---- Registrations (the older flow) ----

    open suspend fun drafts(session: AgentSession): List<DraftLine> = core { phone.drafts(session) }

    open suspend fun householdIds(session: AgentSession): List<String> = core { phone.householdIds(session) }

    open suspend fun discardDraft(session: AgentSession, draftId: String) = write { phone.discardDraft(session, draftId) }

    open suspend fun sanggahanList(session: AgentSession): List<SanggahanView> = core { phone.sanggahanList(session) }

    open suspend fun sanggahanHistory(session: AgentSession, id: String): List<StatusChange> =
        core { phone.sanggahanHistory(session, id) }

    // ---- The worklist ----

    open suspend fun worklistCount(session: AgentSession): Int = core { phone.worklistCount(session).toInt() }

    open suspend fun worklistPage(session: AgentSession, filter: WorklistFilter, offset: Int, limit: Int): List<FamilyView> =
        core { phone.worklistPage(session, filter, offset.toUInt(), limit.toUInt()) }

    open suspend fun worklistFindNumber(session: AgentSession, number: String): List<FamilyView> =
        core { phone.worklistFindNumber(session, number) }

    open suspend fun worklistFindName(session: AgentSession, query: String, limit: Int): List<FamilyView> =
        core { phone.worklistFindName(session, query, limit.toUInt()) }

    open suspend fun worklistFamily(session: AgentSession, familyId: String): FamilyDetail? =
        core { phone.worklistFamily(session, familyId) }

    open suspend fun worklistMark(session: AgentSession, familyId: String, status: String) =
        write { phone.worklistMark(session, familyId, status) }

    /** A page of the worklist, again after each change of it (a sync brings deltas, a visit marks a family). */
    fun worklist(session: AgentSession, filter: WorklistFilter, limit: Int = 200): Flow<List<FamilyView>> =
        observing(ChangeTopic.WORKLIST) { phone.worklistPage(session, filter, 0u, limit.toUInt()) }

    // ---- Visits ----

    /** The labelled choices (outcomes, member changes, banks, statuses, objection reasons). */
    open suspend fun visitChoices(): VisitChoices = core { uniffi.perlinsos_ffi.visitChoices() }

    open suspend fun visitStart(session: AgentSession, familyId: String): VisitDraftView =
        write { phone.visitStart(session, familyId) }

    open suspend fun visitSave(session: AgentSession, draft: VisitDraftView): ULong = write { phone.visitSave(session, draft) }

    /** Every problem that stops the draft, each on its field (the full list, not the first). */
    open suspend fun visitCheck(session: AgentSession, draftId: String): List<FieldProblem> =
        core { phone.visitCheck(session, draftId) }

    open suspend fun visitDrafts(session: AgentSession): List<VisitDraftView> = core { phone.visitDrafts(session) }

    open suspend fun visitSubmit(session: AgentSession, draftId: String): ReceiptView =
        write { phone.visitSubmit(session, draftId) }

    open suspend fun visitDiscard(session: AgentSession, draftId: String) = write { phone.visitDiscard(session, draftId) }

    open suspend fun visits(session: AgentSession): List<VisitView> = core { phone.visits(session) }

    /** The visit drafts, again after each change of a draft. */
    fun visitDraftsFlow(session: AgentSession): Flow<List<VisitDraftView>> =
        observing(ChangeTopic.DRAFTS) { phone.visitDrafts(session) }

    /** The registration drafts, again after each change of a draft. */
    fun draftsFlow(session: AgentSession): Flow<List<DraftLine>> = observing(ChangeTopic.DRAFTS) { phone.drafts(session) }

    /** The submitted visits with their statuses (diterima, konflik, ...), again after each status change. */
    fun visitStatuses(session: AgentSession): Flow<List<VisitView>> = observing(ChangeTopic.STATUSES) { phone.visits(session) }

    /** The objections with their statuses, again after each status change. */
    fun objectionStatuses(session: AgentSession): Flow<List<ObjectionView>> =
        observing(ChangeTopic.STATUSES) { phone.objections(session) }

    /** The sanggahan with their statuses, again after each status change. */
    fun sanggahanStatuses(session: AgentSession): Flow<List<SanggahanView>> =
        observing(ChangeTopic.STATUSES) { phone.sanggahanList(session) }

    // ---- The visit's PMT questionnaire ----

    /** The model the core chooses for a kelurahan today (PMT_NO_ACTIVE_MODEL when none holds). */
    open suspend fun pmtModelFor(kelurahanCode: String): PmtModelInfo = core { phone.pmtModelFor(kelurahanCode) }

    /** The answers the questionnaire opens with: the agent's own, else the family's last (DTSEN). */
    open suspend fun visitPmtPrefill(session: AgentSession, draftId: String, modelId: String): Map<String, PmtAnswer> =
        core { phone.visitPmtPrefill(session, draftId, modelId) }

    /** Saves the answers with the draft; the preview for the members as found. */
    open suspend fun visitSetPmt(session: AgentSession, draftId: String, modelId: String, answers: Map<String, PmtAnswer>): PmtPreview =
        write { phone.visitSetPmt(session, draftId, modelId, answers) }

    // ---- Results and objections ----

    open suspend fun familyResult(session: AgentSession, familyId: String): ResultView? =
        core { phone.familyResult(session, familyId) }

    open suspend fun objectionFile(session: AgentSession, form: ObjectionFormView, photos: List<ObjectionPhotoView>): ReceiptView =
        write { phone.objectionFile(session, form, photos) }

    open suspend fun objections(session: AgentSession): List<ObjectionView> = core { phone.objections(session) }
}
