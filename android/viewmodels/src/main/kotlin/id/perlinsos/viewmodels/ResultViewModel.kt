// A family's published result (Layak/Tidak Layak, desil, programmes, reasons), explained in
// plain Indonesian by the core, and the objection a member of that family files through the
// agent before the deadline: reason from the core's list, statement, photos (kept in memory
// until filed), and the device-signed receipt the resident keeps.
package id.perlinsos.viewmodels

import id.perlinsos.viewmodels.repository.PhoneRepository
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.Choice
import uniffi.perlinsos_ffi.FamilyDetail
import uniffi.perlinsos_ffi.ObjectionFormView
import uniffi.perlinsos_ffi.ObjectionPhotoView
import uniffi.perlinsos_ffi.ObjectionView
import uniffi.perlinsos_ffi.ReceiptView
import uniffi.perlinsos_ffi.ResultView

/** A photo for the objection, not yet filed (its bytes stay out of the state). */
data class ObjectionPhotoItem(val index: Int, val shows: String, val hasLocation: Boolean, val sizeBytes: Int)

data class ResultUiState(
    val familyId: String? = null,
    val family: FamilyDetail? = null,
    /** Null once loaded: no result published for the family yet. */
    val result: ResultView? = null,
    val loaded: Boolean = false,
    val reasons: List<Choice> = emptyList(),
    val photoKinds: List<Choice> = emptyList(),
    val objectorNik: String? = null,
    val reason: String? = null,
    val statement: String = "",
    val photos: List<ObjectionPhotoItem> = emptyList(),
    /** This family's objections filed from this phone, with the district's decisions. */
    val objections: List<ObjectionView> = emptyList(),
    val receipt: ReceiptView? = null,
    val fieldErrors: FieldErrors = FieldErrors(),
    val problem: Problem? = null,
    val busy: Boolean = false,
) {
    val canObject: Boolean get() = result?.objectionOpen == true && receipt == null
}

class ResultViewModel(
    private val repo: PhoneRepository,
    private val session: AgentSession,
    private val scope: CoroutineScope,
) {
    private val _state = MutableStateFlow(ResultUiState())
    val state: StateFlow<ResultUiState> = _state.asStateFlow()
    private val photoBytes = mutableListOf<ObjectionPhotoView>()

    fun load(familyId: String): Job = call {
        val family = repo.worklistFamily(session, familyId)
        val result = repo.familyResult(session, familyId)
        val choices = repo.visitChoices()
        val objections = repo.objections(session).filter { it.familyId == familyId }
        _state.update {
            it.copy(
                familyId = familyId, family = family, result = result, loaded = true,
                reasons = choices.objectionReasons, photoKinds = choices.objectionPhotos, objections = objections,
                objectorNik = it.objectorNik ?: family?.members?.firstOrNull()?.nik,
            )
        }
    }

    fun chooseObjector(nik: String) = _state.update { it.copy(objectorNik = nik) }

    fun chooseReason(reason: String?) = _state.update { it.copy(reason = reason) }

    fun setStatement(text: String) = _state.update { it.copy(statement = text) }

    /** A photo from the camera: `shows` is one of the core's kinds (rumah, dokumen, ...). */
    fun addPhoto(bytes: ByteArray, shows: String, capturedAtMs: Long, latitude: Double?, longitude: Double?) {
        synchronized(photoBytes) {
            photoBytes.add(ObjectionPhotoView(bytes, shows, capturedAtMs, latitude, longitude))
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
        val items = photoBytes.mapIndexed { i, p -> ObjectionPhotoItem(i, p.shows, p.latitude != null && p.longitude != null, p.bytes.size) }
        _state.update { it.copy(photos = items) }
    }

    /** Files the objection; the core checks membership, the deadline and the photos. */
    fun file(): Job = call {
        val s = _state.value
        val familyId = s.familyId ?: return@call
        val photos = synchronized(photoBytes) { photoBytes.toList() }
        val receipt = repo.objectionFile(
            session,
            ObjectionFormView(familyId, s.objectorNik.orEmpty(), s.reason.orEmpty(), s.statement),
            photos,
        )
        synchronized(photoBytes) {
            photoBytes.clear()
            publishPhotos()
        }
        val objections = repo.objections(session).filter { it.familyId == familyId }
        _state.update { it.copy(receipt = receipt, objections = objections) }
    }

    private fun call(work: suspend () -> Unit): Job {
        _state.update { it.copy(busy = true, problem = null, fieldErrors = FieldErrors()) }
        return scope.coreCall(
            onProblem = { p -> _state.update { it.copy(problem = p, fieldErrors = FieldErrors.of(p)) } },
            onDone = { _state.update { it.copy(busy = false) } },
            work = work,
        )
    }
}
