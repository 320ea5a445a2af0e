// The agent's sanggahan with their statuses in Bahasa Indonesia and, for a refusal, the
// district's reason.
package id.perlinsos.viewmodels

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.Phone

data class SanggahanLine(
    val id: String,
    val status: String,
    val statusLabel: String,
    val reason: String?,
    val reusedPhotos: Int,
)

class SanggahanListViewModel(private val phone: Phone, private val session: AgentSession) {
    private val _lines = MutableStateFlow<List<SanggahanLine>>(emptyList())
    val lines: StateFlow<List<SanggahanLine>> = _lines.asStateFlow()

    fun refresh() {
        _lines.value = phone.sanggahanList(session).map { s ->
            SanggahanLine(
                id = s.id,
                status = s.status,
                statusLabel = s.statusLabel,
                reason = phone.sanggahanHistory(session, s.id).lastOrNull()?.reason,
                reusedPhotos = s.reusedPhotos.toInt(),
            )
        }
    }
}
