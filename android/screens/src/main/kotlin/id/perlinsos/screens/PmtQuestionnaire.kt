// The PMT questionnaire of a visit, rendered from the questions of the model the district sent
// (a new model rolls out by sync, not by an app update): choices as radio rows, yes/no as two
// chips, counts and numbers as number fields with their range. Answers the family gave in its
// last DTSEN survey arrive filled in and say so until the agent answers them with the resident.
// Each refusal of the core ("answers.<question id>") shows on its question.
package id.perlinsos.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp

enum class PmtQuestionKind { COUNT, NUMBER, CHOICE, YES_NO }

data class PmtQuestionRow(
    val id: String,
    /** As the model words it (Bahasa Indonesia). */
    val label: String,
    val kind: PmtQuestionKind,
    val options: List<ChoiceOption> = emptyList(),
    /** The range as shown ("0", "10"), for counts and numbers. */
    val min: String? = null,
    val max: String? = null,
    val required: Boolean = true,
    val help: String? = null,
    /** A choice's option id, "yes"/"no", or the number as typed; null: not answered. */
    val answer: String? = null,
    /** Still the family's last answer from DTSEN, not yet checked with the resident. */
    val fromDtsen: Boolean = false,
)

data class PmtQuestionnaireState(
    val modelTitle: String? = null,
    val questions: List<PmtQuestionRow> = emptyList(),
    /** The core's reason there is no questionnaire (no model holds for the kelurahan today). */
    val unavailable: String? = null,
    /** The saved answers' result in words ("Desil 2 dari 10"); null before the first preview. */
    val savedResult: String? = null,
    /** Answers changed since the last preview (not saved yet). */
    val edited: Boolean = false,
    val loading: Boolean = false,
) {
    val anyFromDtsen: Boolean get() = questions.any { it.fromDtsen }
}

sealed interface PmtQuestionnaireEvent {
    data class ChoiceAnswered(val questionId: String, val optionId: String) : PmtQuestionnaireEvent
    data class YesNoAnswered(val questionId: String, val yes: Boolean) : PmtQuestionnaireEvent
    data class NumberChanged(val questionId: String, val text: String) : PmtQuestionnaireEvent
    data object Compute : PmtQuestionnaireEvent
    data object ShowPreview : PmtQuestionnaireEvent
}

/** The field names the core reports a questionnaire's problems under. */
object PmtFields {
    /** The whole questionnaire (PMT_STALE: the members changed since the preview). */
    const val PMT = "pmt"
    fun answer(questionId: String) = "answers.$questionId"
}

object PmtQuestionTags {
    fun question(id: String) = "pmtq.$id"
    fun fromDtsen(id: String) = "pmtq.$id.dtsen"
    const val DTSEN_NOTE = "pmtq.dtsen-note"
    const val UNAVAILABLE = "pmtq.unavailable"
    const val SAVED = "pmtq.saved"
    const val COMPUTE = "pmtq.compute"
    const val SHOW_PREVIEW = "pmtq.show-preview"
    const val PMT = "pmtq.pmt"
}

/** The questionnaire as a section of a page (the visit wizard's PMT step). */
@Composable
fun PmtQuestionnaire(
    state: PmtQuestionnaireState,
    errors: List<FieldError>,
    onEvent: (PmtQuestionnaireEvent) -> Unit,
    enabled: Boolean = true,
) {
    FieldErrors(errors.on(PmtFields.PMT), PmtQuestionTags.PMT)
    if (state.unavailable != null) {
        NoteCard(state.unavailable + " " + Strings.pmtqUnavailable, PmtQuestionTags.UNAVAILABLE)
        return
    }
    if (state.questions.isEmpty()) {
        Busy(state.loading, Strings.pmtqLoading)
        return
    }
    state.modelTitle?.let { Text(Strings.pmtModel(it), style = MaterialTheme.typography.bodyMedium) }
    Text(Strings.pmtqIntro)
    if (state.anyFromDtsen) NoteCard(Strings.pmtqDtsenNote, PmtQuestionTags.DTSEN_NOTE)
    for (q in state.questions) QuestionCard(q, errors.on(PmtFields.answer(q.id)), onEvent, enabled)
    state.savedResult?.let { result ->
        Text(Strings.pmtqSaved(result), style = MaterialTheme.typography.titleSmall, modifier = Modifier.testTag(PmtQuestionTags.SAVED))
    }
    if (state.edited && state.savedResult != null) Text(Strings.pmtqUnsaved)
    PrimaryButton(Strings.pmtqCompute, { onEvent(PmtQuestionnaireEvent.Compute) }, PmtQuestionTags.COMPUTE, enabled = enabled)
    if (state.savedResult != null && !state.edited) {
        SecondaryButton(Strings.pmtqShowPreview, { onEvent(PmtQuestionnaireEvent.ShowPreview) }, PmtQuestionTags.SHOW_PREVIEW, enabled = enabled)
    }
}

@Composable
private fun QuestionCard(q: PmtQuestionRow, errors: List<FieldError>, onEvent: (PmtQuestionnaireEvent) -> Unit, enabled: Boolean) {
    val tag = PmtQuestionTags.question(q.id)
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            // The question and its DTSEN mark are read as one.
            Column(Modifier.semantics(mergeDescendants = true) {}) {
                Text(q.label, style = MaterialTheme.typography.titleSmall)
                if (q.fromDtsen) {
                    StatusChip(Strings.pmtqFromDtsen, MaterialTheme.colorScheme.tertiaryContainer, MaterialTheme.colorScheme.onTertiaryContainer,
                        Modifier.padding(top = 4.dp).testTag(PmtQuestionTags.fromDtsen(q.id)))
                }
                q.help?.let { Text(it, style = MaterialTheme.typography.bodySmall, color = MaterialTheme.colorScheme.onSurfaceVariant) }
                if (!q.required) Text(Strings.pmtqOptional, style = MaterialTheme.typography.bodySmall, color = MaterialTheme.colorScheme.onSurfaceVariant)
            }
            when (q.kind) {
                PmtQuestionKind.CHOICE -> ChoiceGroup(null, q.options, q.answer,
                    { onEvent(PmtQuestionnaireEvent.ChoiceAnswered(q.id, it)) }, tag, errors, enabled)
                PmtQuestionKind.YES_NO -> ChipChoice(null, listOf(ChoiceOption("yes", Strings.pmtqYes), ChoiceOption("no", Strings.pmtqNo)), q.answer,
                    { id -> id?.let { onEvent(PmtQuestionnaireEvent.YesNoAnswered(q.id, it == "yes")) } }, tag, errors)
                PmtQuestionKind.COUNT, PmtQuestionKind.NUMBER -> LabeledField(
                    Strings.pmtqRange(q.min, q.max), q.answer.orEmpty(),
                    // Counts are whole; other numbers may have a decimal comma, as Indonesians write them.
                    { text -> onEvent(PmtQuestionnaireEvent.NumberChanged(q.id, text.filter { it.isDigit() || (q.kind == PmtQuestionKind.NUMBER && (it == ',' || it == '.')) })) },
                    tag, errors, KeyboardType.Number, enabled = enabled,
                )
            }
        }
    }
}
