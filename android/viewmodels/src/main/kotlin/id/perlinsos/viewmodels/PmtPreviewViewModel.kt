// The PMT preview the resident is shown: the core's estimate, desil and each answer's
// contribution, always under the fixed note that this is an estimate and the official ranking
// is BPS's. Nothing here scores; the numbers are only put into words.
package id.perlinsos.viewmodels

import kotlin.math.abs
import kotlin.math.exp
import kotlin.math.roundToLong
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.Phone
import uniffi.perlinsos_ffi.PmtPreview

/** Shown with every preview, whatever the model's own explanation says. */
const val OFFICIAL_RANKING_NOTE =
    "Ini hanya perkiraan dari jawaban yang dicatat di ponsel ini, bukan keputusan bantuan. " +
        "Peringkat resmi kesejahteraan ditetapkan oleh BPS dalam DTSEN (Data Tunggal Sosial dan Ekonomi Nasional)."

data class ContributionLine(
    val questionId: String,
    val question: String,
    val answer: String,
    /** As the core gives it: change of ln(expenditure) (log-linear) or points (scorecard). */
    val effect: Double,
    val effectText: String,
)

data class PreviewSummary(
    val modelId: String,
    val modelVersion: Int,
    val illustrative: Boolean,
    /** Rupiah per person per month (log-linear models). */
    val estimate: Double?,
    val estimateText: String?,
    val desil: Int?,
    val desilProbabilities: List<Double>,
    val probabilityDesil1to4: Double?,
    /** Scorecard models: the poverty line, the score and the likelihood of being under it. */
    val line: String?,
    val score: Int?,
    val likelihood: Double?,
    val contributions: List<ContributionLine>,
    /** The core's explanation in Bahasa Indonesia. */
    val explanation: String,
) {
    companion object {
        fun of(p: PmtPreview): PreviewSummary {
            val logLinear = p.estimate != null
            return PreviewSummary(
                modelId = p.modelId,
                modelVersion = p.modelVersion.toInt(),
                illustrative = p.illustrative,
                estimate = p.estimate,
                estimateText = p.estimate?.let(::rupiah),
                desil = p.desil?.toInt(),
                desilProbabilities = p.desilProbabilities.toList(),
                probabilityDesil1to4 = p.probabilityDesil14,
                line = p.line,
                score = p.score?.toInt(),
                likelihood = p.likelihood,
                contributions = p.contributions.map {
                    ContributionLine(it.question, it.label, it.answer, it.effect, effectText(it.effect, logLinear))
                },
                explanation = p.explanation,
            )
        }
    }
}

/** "Rp 1.234.567", the way Indonesians write amounts. */
fun rupiah(amount: Double): String {
    val digits = amount.roundToLong().toString()
    return "Rp " + digits.reversed().chunked(3).joinToString(".").reversed()
}

// A log-linear effect is a change of ln(expenditure) against the model's reference household:
// exp(effect) - 1 is the same change as a share of the estimate, which a resident can read.
private fun effectText(effect: Double, logLinear: Boolean): String {
    if (!logLinear) {
        val points = effect.roundToLong()
        return if (points > 0) "+$points poin" else "$points poin"
    }
    val percent = ((exp(effect) - 1.0) * 100).roundToLong()
    return when {
        percent > 0 -> "menaikkan perkiraan $percent%"
        percent < 0 -> "menurunkan perkiraan ${abs(percent)}%"
        else -> "hampir tidak berpengaruh"
    }
}

data class PmtPreviewState(
    val preview: PreviewSummary? = null,
    /** The model's title and source as the district published them. */
    val modelTitle: String? = null,
    val modelSource: String? = null,
    val note: String = OFFICIAL_RANKING_NOTE,
    val loading: Boolean = false,
    val problem: Problem? = null,
)

class PmtPreviewViewModel(
    private val phone: Phone,
    private val session: AgentSession,
    scope: CoroutineScope,
    io: CoroutineDispatcher = Dispatchers.IO,
) {
    private val _state = MutableStateFlow(PmtPreviewState())
    val state: StateFlow<PmtPreviewState> = _state.asStateFlow()
    private val calls = CoreCalls(scope, io)

    /** The preview saved with a draft (none before the questionnaire was answered). */
    fun showDraft(draftId: String): Job = call { show(phone.draft(session, draftId).pmt) }

    /** The preview a registered household was submitted with (opening it is audited). */
    fun showHousehold(householdId: String): Job = call { show(phone.household(session, householdId).pmt) }

    private fun show(preview: PmtPreview?) {
        val summary = preview?.let(PreviewSummary::of)
        val model = summary?.let { s ->
            phone.pmtModels().filter { it.id == s.modelId && it.version.toInt() == s.modelVersion }.firstOrNull()
        }
        _state.update { it.copy(preview = summary, modelTitle = model?.title, modelSource = model?.source) }
    }

    private fun call(work: suspend () -> Unit): Job {
        _state.update { it.copy(loading = true, problem = null) }
        return calls.launch(
            onProblem = { p -> _state.update { it.copy(problem = p) } },
            onDone = { _state.update { it.copy(loading = false) } },
            work = work,
        )
    }
}
