// The sync screen's state: progress while a sync runs (items and bytes), what waits, and the
// parked items with the server's reasons. Cancelling the coroutine cancels the sync; the core
// keeps the outbox consistent.
package id.perlinsos.viewmodels

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.ApiException
import uniffi.perlinsos_ffi.ParkedItem
import uniffi.perlinsos_ffi.Phone
import uniffi.perlinsos_ffi.SyncListener

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
)

class SyncViewModel(
    private val phone: Phone,
    private val session: AgentSession,
    private val scope: CoroutineScope,
) {
    private val _state = MutableStateFlow(SyncState())
    val state: StateFlow<SyncState> = _state.asStateFlow()
    private var job: Job? = null

    init {
        refresh()
    }

    fun refresh() {
        val outbox = phone.outbox()
        _state.update { it.copy(pending = outbox.pending.toLong(), parked = outbox.parked) }
    }

    private val listener = object : SyncListener {
        override fun onBlob(sentBytes: ULong, totalBytes: ULong) =
            _state.update { it.copy(sentBytes = sentBytes.toLong(), totalBytes = totalBytes.toLong()) }

        override fun onEntries(done: ULong, pending: ULong) =
            _state.update { it.copy(entriesDone = done.toLong(), entriesPending = pending.toLong()) }

        override fun onChanges(applied: ULong) {}
    }

    fun start(maxPasses: UInt = 5u) {
        if (job?.isActive == true) return
        _state.update { it.copy(running = true, message = null) }
        job = scope.launch {
            val message = try {
                val report = phone.sync(session, maxPasses, listener)
                "Terkirim ${report.accepted} data" + if (report.parked > 0u) ", ${report.parked} ditahan." else "."
            } catch (e: ApiException.Offline) {
                "Server tidak terjangkau; coba lagi nanti."
            } catch (e: ApiException.Invalid) {
                e.reason
            } catch (e: ApiException.Internal) {
                "Sinkronisasi gagal (${e.code})."
            } finally {
                _state.update { it.copy(running = false) }
            }
            _state.update { it.copy(message = message) }
            refresh()
        }
    }

    /** Waits for the running sync, if any (tests, and screens that chain a step after it). */
    suspend fun join() {
        job?.join()
    }

    fun cancel() {
        job?.cancel()
        _state.update { it.copy(running = false, message = "Sinkronisasi dibatalkan.") }
        refresh()
    }

    fun retryParked() {
        phone.retryParked()
        refresh()
    }
}
