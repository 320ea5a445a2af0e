// The local PMT preview shown to the resident: the core's estimate and desil (or score), each
// answer's contribution, the core's explanation, and always the note that this is an estimate,
// not a decision. "Bacakan" hands the explanation (with the note) to the shell.
package id.perlinsos.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Card
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp

data class ContributionRow(val question: String, val answer: String, val effectText: String, val effect: Double)

data class PmtPreviewScreenState(
    val familyHead: String? = null,
    val modelTitle: String? = null,
    val illustrative: Boolean = false,
    /** "Rp 1.234.567" (log-linear models). */
    val estimateText: String? = null,
    val desil: Int? = null,
    /** "62%". */
    val probabilityDesil1to4: String? = null,
    /** Scorecard models: "41 poin". */
    val scoreText: String? = null,
    val contributions: List<ContributionRow> = emptyList(),
    val explanation: String = "",
    val note: String = Strings.pmtNote,
    val loading: Boolean = false,
    val problem: String? = null,
) {
    val hasPreview: Boolean get() = estimateText != null || desil != null || scoreText != null

    /** What "Bacakan" speaks: the result in words, the explanation, then the note. */
    val spokenText: String
        get() = buildString {
            desil?.let { append(Strings.pmtDesilValue(it)).append(". ") }
            estimateText?.let { append(Strings.pmtEstimate).append(": ").append(it).append(". ") }
            scoreText?.let { append(Strings.pmtScore).append(": ").append(it).append(". ") }
            if (explanation.isNotBlank()) append(explanation.trim()).append(' ')
            append(note)
        }
}

sealed interface PmtPreviewEvent {
    data class ReadAloud(val text: String) : PmtPreviewEvent
    data object Back : PmtPreviewEvent
}

object PmtTags {
    const val NOTE = "pmt.note"
    const val READ = "pmt.read"
    const val BACK = "pmt.back"
    const val EMPTY = "pmt.empty"
}

@Composable
fun PmtPreviewScreen(state: PmtPreviewScreenState, onEvent: (PmtPreviewEvent) -> Unit, modifier: Modifier = Modifier) {
    ScreenColumn(Strings.pmtTitle, modifier, subtitle = state.familyHead) {
        // The note comes first and is never hidden, whatever the preview says.
        NoteCard(state.note, PmtTags.NOTE) {
            if (state.hasPreview) ReadAloudButton(Strings.pmtWhat, state.spokenText, { onEvent(PmtPreviewEvent.ReadAloud(it)) }, PmtTags.READ)
        }
        Busy(state.loading)
        state.problem?.let { ProblemCard(listOf(it)) }
        if (!state.hasPreview) {
            if (!state.loading) Text(Strings.pmtEmpty, modifier = Modifier.testTag(PmtTags.EMPTY))
        } else {
            state.modelTitle?.let { Text(Strings.pmtModel(it), style = MaterialTheme.typography.bodyMedium) }
            if (state.illustrative) Text(Strings.pmtIllustrative, color = MaterialTheme.colorScheme.error)
            Card(Modifier.fillMaxWidth()) {
                Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                    state.desil?.let { LabelValue(Strings.pmtDesil, Strings.pmtDesilValue(it)) }
                    state.estimateText?.let { LabelValue(Strings.pmtEstimate, it) }
                    state.probabilityDesil1to4?.let { Text(Strings.pmtProbability(it)) }
                    state.scoreText?.let { LabelValue(Strings.pmtScore, it) }
                }
            }
            if (state.contributions.isNotEmpty()) {
                SectionTitle(Strings.pmtContributions)
                for ((i, c) in state.contributions.withIndex()) {
                    if (i > 0) HorizontalDivider()
                    Column(Modifier.fillMaxWidth().padding(vertical = 4.dp).semantics(mergeDescendants = true) {}) {
                        Text(c.question, style = MaterialTheme.typography.titleSmall)
                        Text(c.answer)
                        Text(c.effectText, color = effectColor(c.effect), style = MaterialTheme.typography.bodyMedium)
                    }
                }
            }
            if (state.explanation.isNotBlank()) {
                SectionTitle(Strings.pmtExplanation)
                Text(state.explanation)
            }
        }
        SecondaryButton(Strings.back, { onEvent(PmtPreviewEvent.Back) }, PmtTags.BACK)
    }
}

@Composable
private fun effectColor(effect: Double): Color = when {
    effect > 0 -> MaterialTheme.colorScheme.primary
    effect < 0 -> MaterialTheme.colorScheme.error
    else -> MaterialTheme.colorScheme.onSurfaceVariant
}
