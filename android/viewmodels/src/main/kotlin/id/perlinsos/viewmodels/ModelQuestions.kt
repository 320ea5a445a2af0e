// The questionnaire of a PMT model the district sent, as the core reads it (pmtQuestions):
// answers the core derives from the draft (household size, province) are not asked.
package id.perlinsos.viewmodels

import uniffi.perlinsos_ffi.PmtModelInfo
import uniffi.perlinsos_ffi.pmtQuestions

data class ModelItem(val id: String, val version: Int, val title: String, val source: String)

data class QuestionItem(
    val id: String,
    /** In Bahasa Indonesia, as the model words it. */
    val label: String,
    /** "count", "number", "choice" or "yes_no". */
    val kind: String,
    val options: List<ChoiceItem>,
    val min: Double?,
    val max: Double?,
    val required: Boolean,
    val help: String?,
)

/** The questions the agent asks, in the model's order. */
fun questionsToAsk(model: PmtModelInfo): List<QuestionItem> {
    return pmtQuestions(model.json).filter { !it.derived }.map { q ->
        QuestionItem(q.id, q.label, q.kind, q.options.map { ChoiceItem(it.id, it.label) }, q.min, q.max, q.required, q.help)
    }
}
