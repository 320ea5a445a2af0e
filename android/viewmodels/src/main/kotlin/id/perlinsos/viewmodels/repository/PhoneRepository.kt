// The Kotlin API an Android developer expects over the bindings: every blocking core call as a
// `suspend` function on an injected dispatcher (Dispatchers.IO in the app; the main thread never
// waits on SQLite or Argon2), and Flows for what screens observe.
//
// The Flows are refresh-on-change: the repository counts its own writes ([changes]: every
// unlock, sync, retry, worklist mark, visit save/submit/discard, draft discard, objection)
// and each Flow reads again after each one, and once when collected. The core has no change
// listener yet (a listener plus cancel handle from Rust is the later step), so a change made
// through another Phone object (the background worker's) shows at the next write or collection.
//
// The class is open so that a test can wrap a call (to record its thread, or to make the real
// library panic inside one); the app uses it as is.
package id.perlinsos.viewmodels.repository

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext
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
    private val _changes = MutableStateFlow(0L)

    /** Bumped after every write made through this repository (see the file's comment). */
    val changes: StateFlow<Long> = _changes.asStateFlow()

    /** Runs a blocking core call on [io]. */
    protected open suspend fun <T> core(call: () -> T): T = withContext(io) { call() }

    /** A write: runs on [io], then tells the Flows to read again. */
    protected suspend fun <T> write(call: () -> T): T = core(call).also { changed() }

    /** Tells the Flows that something changed outside this repository (a background sync). */
    fun changed() = _changes.update { it + 1 }

    // ---- The agent ----

    open suspend fun unlock(agentId: String, pin: String): AgentSession = write { phone.unlock(agentId, pin) }

    // ---- Sync and the outbox ----

    open suspend fun outbox(): OutboxView = core { phone.outbox() }

    open suspend fun retryParked(): ULong = write { phone.retryParked() }

    /** The core's own async sync; it does not block a thread, but is started from [io] too. */
    open suspend fun sync(session: AgentSession, maxPasses: UInt, listener: SyncListener?): SyncReport =
        try {
            withContext(io) { phone.sync(session, maxPasses, listener) }
        } finally {
            changed()
        }

    /** The items waiting to go up, again after every write. */
    fun outboxCount(): Flow<Long> = changes.map { outbox().pending.toLong() }.distinctUntilChanged()

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

    /** A page of the worklist, again after every write (a sync brings deltas, a visit marks a family). */
    fun worklist(session: AgentSession, filter: WorklistFilter, limit: Int = 200): Flow<List<FamilyView>> =
        changes.map { worklistPage(session, filter, 0, limit) }.distinctUntilChanged()

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

    /** The drafts, again after every write. */
    fun visitDraftsFlow(session: AgentSession): Flow<List<VisitDraftView>> =
        changes.map { visitDrafts(session) }.distinctUntilChanged()

    /** The submitted visits with their statuses (diterima, konflik, ...), again after every write. */
    fun visitStatuses(session: AgentSession): Flow<List<VisitView>> = changes.map { visits(session) }.distinctUntilChanged()

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
