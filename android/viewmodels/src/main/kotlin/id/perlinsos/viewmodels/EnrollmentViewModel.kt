// First run: the agent's profile on this phone (a PIN typed twice, the district's recovery
// secret), then this phone with the district server (the operator's one-time code from
// `perlinsos-server enroll-code`). Every rule is the core's: the only check here is that the two
// PINs are the same, and the recovery secret, printed by the district as hex, is read as hex.
//
// Order: the phone step first, then the server. The phone step is local and refuses bad input
// (PIN format, secret length) before the operator's code is spent; the server step may then be
// retried as often as needed, with the same code or a new one, without repeating the phone step
// (the core refuses a second enrollment of the same agent id: SESSION_AGENT_EXISTS). If the app
// was closed between the two steps, the same agent id and PIN open the profile the first try
// made, and the server step goes on from there. A server out of reach leaves the agent
// enrolled on the phone, able to work, and the phone to be connected to the district later.
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

/** What the agent typed on the enrollment screen. */
data class EnrollmentForm(
    val agentId: String = "",
    val pin: String = "",
    val pinRepeat: String = "",
    /** The district's 32-byte recovery secret as hex (printed, or read from its QR code). */
    val recoveryHex: String = "",
    /** The operator's one-time enrollment code. */
    val enrollCode: String = "",
)

enum class EnrollmentStep {
    /** Nothing enrolled yet, or the phone step was refused: the whole form. */
    AGENT,
    /** The agent is enrolled on this phone; the phone still has to be enrolled with the district. */
    DISTRICT,
    /** The agent on the phone and the phone with the district. */
    DONE,
}

/** What the district server said at enrollment: the agent and the kelurahan codes it may serve. */
data class DistrictEnrollment(val agentId: String, val scope: List<String>)

data class EnrollmentState(
    val step: EnrollmentStep = EnrollmentStep.AGENT,
    /** The agent enrolled on this phone (from the DISTRICT step on). */
    val agentId: String? = null,
    /** The agent's unlocked session from the phone step; null when the view-model started at DISTRICT. */
    val session: AgentSession? = null,
    /** The last server step found the server out of reach: connect the phone to the district later. */
    val districtUnreachable: Boolean = false,
    val district: DistrictEnrollment? = null,
    /** Problems by input: the core's names ("pin", "code") and this screen's ("pin_repeat", "recovery_secret"). */
    val fieldErrors: FieldErrors = FieldErrors(),
    val problem: Problem? = null,
    val busy: Boolean = false,
)

/**
 * Enrollment: the agent on the phone, then the phone with the district using the operator's
 * ticket (the QR payload: one-time code, server address, district key fingerprint), typed or
 * scanned into the code field. The server address comes only from the ticket.
 */
class EnrollmentViewModel(
    private val phone: Phone,
    scope: CoroutineScope,
    io: CoroutineDispatcher = Dispatchers.IO,
    /** An agent already enrolled on this phone whose phone is not yet enrolled with the district. */
    enrolledAgentId: String? = null,
) {
    private val _state = MutableStateFlow(
        if (enrolledAgentId == null) EnrollmentState()
        else EnrollmentState(step = EnrollmentStep.DISTRICT, agentId = enrolledAgentId),
    )
    val state: StateFlow<EnrollmentState> = _state.asStateFlow()
    private val calls = CoreCalls(scope, io)
    @Volatile private var running: Job? = null
    @Volatile private var lastCode: String = ""

    /**
     * The whole enrollment from the form. Once the agent is on the phone (step DISTRICT), only
     * the form's enrollment code is used and this is [retryDistrict].
     */
    fun enroll(form: EnrollmentForm): Job {
        running?.takeIf { it.isActive }?.let { return it }
        if (_state.value.step != EnrollmentStep.AGENT) return retryDistrict(form.enrollCode)
        val local = buildList {
            if (form.pin != form.pinRepeat) {
                add(Problem(PIN_MISMATCH, "Kedua PIN tidak sama. Ketik PIN yang sama dua kali.", PIN_REPEAT_FIELD))
            }
            if (hexToBytes(form.recoveryHex) == null) {
                add(
                    Problem(
                        RECOVERY_HEX,
                        "Kode pemulihan tidak terbaca: hanya boleh berisi angka 0-9 dan huruf a-f, " +
                            "berpasangan. Periksa lagi cetakan dari dinas.",
                        RECOVERY_FIELD,
                    ),
                )
            }
        }
        if (local.isNotEmpty()) {
            _state.update {
                it.copy(problem = local.first(), fieldErrors = FieldErrors.ofAll(local))
            }
            return Job().apply { complete() }
        }
        lastCode = form.enrollCode
        return call {
            val session = enrollOnPhone(form.agentId, form.pin, form.recoveryHex) ?: return@call
            _state.update { it.copy(step = EnrollmentStep.DISTRICT, agentId = form.agentId, session = session) }
            enrollWithDistrict(form.enrollCode)
        }
    }

    /** The server step again (the retry action): with a new code, or the last one typed. */
    fun retryDistrict(code: String = ""): Job {
        running?.takeIf { it.isActive }?.let { return it }
        if (_state.value.step != EnrollmentStep.DISTRICT) return Job().apply { complete() }
        if (code.isNotBlank()) lastCode = code
        return call { enrollWithDistrict(lastCode) }
    }

    /** The phone step; null when refused (the state says why). */
    private fun enrollOnPhone(agentId: String, pin: String, recoveryHex: String): AgentSession? {
        val secret = hexToBytes(recoveryHex) ?: return null
        try {
            return phone.enrollAgent(agentId, pin, secret)
        } catch (e: ApiException.Invalid) {
            if (ErrorCode.of(e.code) != ErrorCode.SessionAgentExists) throw e
            // An earlier try enrolled this agent here and stopped before the server step: the
            // PIN opens that profile (a wrong one counts as a wrong PIN, the core's rule).
            return try {
                phone.unlock(agentId, pin)
            } catch (u: ApiException.Unlock) {
                val left = if (u.attemptsLeft > 0u) " Sisa percobaan: ${u.attemptsLeft}." else ""
                val p = Problem(u.code, "${e.reason} ${u.reason}$left", e.field)
                _state.update { it.copy(problem = p, fieldErrors = FieldErrors.of(p)) }
                null
            }
        } finally {
            secret.fill(0)
        }
    }

    private suspend fun enrollWithDistrict(code: String) {
        try {
            val enrollment = phone.enrollWithTicket(code.trim())
            _state.update {
                it.copy(
                    step = EnrollmentStep.DONE,
                    districtUnreachable = false,
                    district = DistrictEnrollment(enrollment.agentId, enrollment.scope.toList()),
                )
            }
        } catch (e: ApiException.Offline) {
            _state.update {
                it.copy(
                    districtUnreachable = true,
                    problem = Problem(
                        ErrorCode.Offline.wire,
                        "Agen sudah terdaftar di ponsel ini, tetapi server dinas tidak terjangkau. " +
                            "Ponsel harus didaftarkan ke dinas nanti: sambungkan ke internet, lalu coba lagi " +
                            "dengan kode pendaftaran yang sama. Sampai itu, data belum bisa dikirim.",
                    ),
                )
            }
        }
    }

    private fun call(work: suspend () -> Unit): Job {
        _state.update { it.copy(busy = true, problem = null, fieldErrors = FieldErrors(), districtUnreachable = false) }
        val job = calls.launch(
            onProblem = { p -> _state.update { it.copy(problem = p, fieldErrors = FieldErrors.of(p)) } },
            onDone = { _state.update { it.copy(busy = false) } },
            work = work,
        )
        running = job
        return job
    }

    companion object {
        val PIN_MISMATCH = ErrorCode.PinMismatch.wire
        val RECOVERY_HEX = ErrorCode.RecoveryHex.wire
        const val PIN_REPEAT_FIELD = "pin_repeat"
        const val RECOVERY_FIELD = "recovery_secret"
        private const val HEX = "0123456789abcdef"

        /**
         * Hex text as bytes; spaces, line breaks, '-' and ':' between groups are ignored. Null
         * when it is not hex (or has an odd number of digits). Its length is the core's to judge.
         */
        fun hexToBytes(text: String): ByteArray? {
            val digits = text.filterNot { it.isWhitespace() || it == '-' || it == ':' }
            if (digits.isEmpty() || digits.length % 2 != 0) return null
            val out = ByteArray(digits.length / 2)
            for (i in out.indices) {
                val hi = HEX.indexOf(digits[2 * i].lowercaseChar())
                val lo = HEX.indexOf(digits[2 * i + 1].lowercaseChar())
                if (hi < 0 || lo < 0) return null
                out[i] = ((hi shl 4) or lo).toByte()
            }
            return out
        }
    }
}
