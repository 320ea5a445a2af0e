// The sync screen's state: progress while a sync runs (items and bytes), what waits, and the
// parked items with the server's reasons. Cancelling the coroutine cancels the sync; the core
// keeps the outbox consistent. Every core call (the outbox read included, which the screen
// used to make on the main thread) runs on the repository's dispatcher; a core failure or a
// panic becomes the banner's message, never a crash. With observeChanges, the pending count
// and the parked items follow the core's outbox changes (a registration, a background sync).
package id.perlinsos.viewmodels

import id.perlinsos.viewmodels.repository.PhoneRepository
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.drop
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.ApiException
import uniffi.perlinsos_ffi.ChangeTopic
import uniffi.perlinsos_ffi.ParkedItem
import uniffi.perlinsos_ffi.Phone
import uniffi.perlinsos_ffi.SyncListener
import uniffi.perlinsos_ffi.SyncReport

data class SyncState(
    val running: Boolean = false,
    val sentBytes: Long = 0,
    val totalBytes: Long = 0,
    val entriesDone: Long = 0,
    val entriesPending: Long = 0,
    val pending: Long = 0,
    val parked: List<ParkedItem> = emptyList(),
    /// In Bahasa Indonesia, for the banner.
    val message: String? = null,
    /** The last sync's report (null before one ended). */
    val report: SyncReport? = null,
    /** The last sync or outbox read failed: why (offline, a locked session, the core). */
    val problem: Problem? = null,
    /** When the last sync ended well (the phone's clock). */
    val lastSyncAtMs: Long? = null,
)

class SyncViewModel(
    private val repo: PhoneRepository,
    private val session: AgentSession,
    private val scope: CoroutineScope,
    /** Reads the outbox again after each change the core reports (the app: on, in a scope it cancels). */
    observeChanges: Boolean = false,
) {
    /** Runs the core on the caller's thread (the JVM tests that predate the repository). */
    @Deprecated("Blocks the caller: use the PhoneRepository constructor")
    constructor(phone: Phone, session: AgentSession, scope: CoroutineScope) :
        this(PhoneRepository(phone, Dispatchers.Unconfined), session, scope)

    private val _state = MutableStateFlow(SyncState())
    val state: StateFlow<SyncState> = _state.asStateFlow()
    private var job: Job? = null

    init {
        refresh()
        if (observeChanges) scope.launch { repo.changes(ChangeTopic.OUTBOX).drop(1).collect { load() } }
    }

    /** Reads the outbox again (on the repository's dispatcher). */
    fun refresh(): Job = scope.launch(start = CoroutineStart.UNDISPATCHED) { load() }

    private suspend fun load() {
        try {
            val outbox = repo.outbox()
            _state.update { it.copy(pending = outbox.pending.toLong(), parked = outbox.parked) }
        } catch (e: Exception) {
            val p = e.toProblemOrNull() ?: throw e
            _state.update { it.copy(problem = p, message = p.message) }
        }
    }

    private val listener = object : SyncListener {
        override fun onBlob(sentBytes: ULong, totalBytes: ULong) =
            _state.update { it.copy(sentBytes = sentBytes.toLong(), totalBytes = totalBytes.toLong()) }

        override fun onEntries(done: ULong, pending: ULong) =
            _state.update { it.copy(entriesDone = done.toLong(), entriesPending = pending.toLong()) }

        override fun onChanges(applied: ULong) {}
    }

    fun start(maxPasses: UInt = 5u): Job {
        job?.takeIf { it.isActive }?.let { return it }
        _state.update { it.copy(running = true, message = null, problem = null) }
        val started = scope.launch(start = CoroutineStart.UNDISPATCHED) {
            try {
                val report = repo.sync(session, maxPasses, listener)
                val message = "Terkirim ${report.accepted} data" + if (report.parked > 0u) ", ${report.parked} ditahan." else "."
                _state.update { it.copy(message = message, report = report, lastSyncAtMs = System.currentTimeMillis()) }
            } catch (e: Exception) {
                val p = when (e) {
                    is ApiException.Offline -> Problem(ErrorCode.Offline.wire, "Server tidak terjangkau; coba lagi nanti.")
                    is ApiException.Internal -> Problem(e.code, "Sinkronisasi gagal (${e.code}).")
                    else -> e.toProblemOrNull() ?: throw e
                }
                _state.update { it.copy(message = p.message, problem = p) }
            } finally {
                _state.update { it.copy(running = false) }
            }
            load()
        }
        job = started
        return started
    }

    /** Waits for the running sync, if any (tests, and screens that chain a step after it). */
    suspend fun join() {
        job?.join()
    }

    fun cancel(): Job {
        job?.cancel()
        _state.update { it.copy(running = false, message = "Sinkronisasi dibatalkan.") }
        return refresh()
    }

    fun retryParked(): Job = scope.launch(start = CoroutineStart.UNDISPATCHED) {
        try {
            repo.retryParked()
        } catch (e: Exception) {
            val p = e.toProblemOrNull() ?: throw e
            _state.update { it.copy(problem = p, message = p.message) }
        }
        load()
    }
}
