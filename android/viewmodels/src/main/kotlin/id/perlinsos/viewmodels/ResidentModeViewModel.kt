// Resident mode: the agent hands the phone over for one household or one new sanggahan. The
// core empties the agent's session on entering, so nothing here can open another record; only
// the agent's PIN gives a session back. The camera's photos stay in memory until filed.
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
import uniffi.perlinsos_ffi.ApiException
import uniffi.perlinsos_ffi.Phone
import uniffi.perlinsos_ffi.ResidentSession
import uniffi.perlinsos_ffi.SanggahanFiling
import uniffi.perlinsos_ffi.SanggahanPhoto

enum class ResidentScope { HOUSEHOLD, SANGGAHAN }

data class RecipientItem(
    val id: String,
    val programme: String,
    val name: String,
    val maskedNik: String,
    val rt: Int,
    val rw: Int,
)

/** A photo taken for the sanggahan, not yet filed (its bytes stay out of the state). */
data class PhotoItem(val index: Int, val house: Boolean, val hasLocation: Boolean, val sizeBytes: Int)

data class FiledSanggahan(val id: String, val status: String, val statusLabel: String, val reusedPhotos: Int)

/** The core refused the PIN: the resident keeps the phone. */
data class LeaveRefusal(val message: String, val attemptsLeft: Int, val retryAtMs: Long?)

data class ResidentModeState(
    /** Null while the agent holds the phone. */
    val scope: ResidentScope? = null,
    /** What the resident may see: their own household (household scope). */
    val household: HouseholdSummary? = null,
    /** The kelurahan's listed recipients to object to (sanggahan scope). */
    val recipients: List<RecipientItem> = emptyList(),
    val photos: List<PhotoItem> = emptyList(),
    val filed: FiledSanggahan? = null,
    val leaveRefusal: LeaveRefusal? = null,
    /** The agent's session again, once the PIN took the phone back. */
    val agentSession: AgentSession? = null,
    val fieldErrors: FieldErrors = FieldErrors(),
    val problem: Problem? = null,
    val busy: Boolean = false,
)

class ResidentModeViewModel(
    private val phone: Phone,
    private val session: AgentSession,
    scope: CoroutineScope,
    io: CoroutineDispatcher = Dispatchers.IO,
) {
    private val _state = MutableStateFlow(ResidentModeState())
    val state: StateFlow<ResidentModeState> = _state.asStateFlow()
    private val calls = CoreCalls(scope, io)
    @Volatile private var resident: ResidentSession? = null
    private val photoBytes = mutableListOf<SanggahanPhoto>()

    fun enterForHousehold(householdId: String): Job = call {
        val entered = phone.residentModeForHousehold(session, householdId)
        resident = entered
        _state.update { it.copy(scope = ResidentScope.HOUSEHOLD, household = HouseholdSummary.of(entered.household())) }
    }

    /** The recipient list is read with the agent's session, before the phone changes hands. */
    fun enterForSanggahan(kelurahanCode: String): Job = call {
        val recipients = phone.recipients(session, kelurahanCode).map {
            RecipientItem(it.id, it.programme, it.name, it.maskedNik, it.rt.toInt(), it.rw.toInt())
        }
        resident = phone.residentModeForSanggahan(session)
        _state.update { it.copy(scope = ResidentScope.SANGGAHAN, recipients = recipients) }
    }

    /** A photo from the camera; `house` marks a photo of the recipient's house. */
    fun addPhoto(bytes: ByteArray, house: Boolean, latitude: Double?, longitude: Double?) {
        synchronized(photoBytes) {
            photoBytes.add(SanggahanPhoto(bytes, house, latitude, longitude))
            publishPhotos()
        }
    }

    fun removePhoto(index: Int) {
        synchronized(photoBytes) {
            if (index in photoBytes.indices) photoBytes.removeAt(index)
            publishPhotos()
        }
    }

    private fun publishPhotos() {
        val items = photoBytes.mapIndexed { i, p -> PhotoItem(i, p.house, p.latitude != null && p.longitude != null, p.bytes.size) }
        _state.update { it.copy(photos = items) }
    }

    fun file(filing: SanggahanFiling): Job = call {
        val active = resident ?: return@call
        val photos = synchronized(photoBytes) { photoBytes.toList() }
        val filed = active.fileSanggahan(filing, photos)
        synchronized(photoBytes) {
            photoBytes.clear()
            publishPhotos()
        }
        _state.update {
            it.copy(filed = FiledSanggahan(filed.id, filed.status, filed.statusLabel, filed.reusedPhotos.toInt()))
        }
    }

    fun leave(pin: String): Job = call {
        val active = resident ?: return@call
        try {
            val agent = active.leave(pin)
            resident = null
            synchronized(photoBytes) {
                photoBytes.clear()
                publishPhotos()
            }
            _state.update { ResidentModeState(agentSession = agent, filed = it.filed) }
        } catch (e: ApiException.Unlock) {
            _state.update { it.copy(leaveRefusal = LeaveRefusal(e.reason, e.attemptsLeft.toInt(), e.retryAtMs)) }
        }
    }

    private fun call(work: suspend () -> Unit): Job {
        _state.update { it.copy(busy = true, problem = null, fieldErrors = FieldErrors(), leaveRefusal = null) }
        return calls.launch(
            onProblem = { p -> _state.update { it.copy(problem = p, fieldErrors = FieldErrors.of(p)) } },
            onDone = { _state.update { it.copy(busy = false) } },
            work = work,
        )
    }
}
