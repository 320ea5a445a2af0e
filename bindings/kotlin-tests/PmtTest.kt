// The PMT questionnaire rendered from the model and the preview computed by the core, through
// the real library: a log-linear preview with its desil and explanation, and a bad answer as a
// typed exception naming the question.
package id.perlinsos.tests

import java.io.File
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import uniffi.perlinsos_ffi.ApiException
import uniffi.perlinsos_ffi.PmtAnswer
import uniffi.perlinsos_ffi.pmtPreview
import uniffi.perlinsos_ffi.pmtQuestions

class PmtTest {
    private val model = File("core/models/ilustratif-kota-mataram.json").readText()

    private fun firstAnswers(): MutableMap<String, PmtAnswer> =
        pmtQuestions(model).associate { q ->
            q.id to when (q.kind) {
                "choice" -> PmtAnswer.Choice(q.options.first().id)
                "yes_no" -> PmtAnswer.YesNo(false)
                else -> PmtAnswer.Number(maxOf(q.min ?: 1.0, 1.0))
            }
        }.toMutableMap()

    @Test
    fun theQuestionnaireComesFromTheModelAndThePreviewFromTheCore() {
        val questions = pmtQuestions(model)
        assertTrue(questions.size >= 10)
        assertTrue(questions.all { it.label.isNotBlank() })
        val preview = pmtPreview(model, firstAnswers())
        assertEquals("ilustratif-kota-mataram", preview.modelId)
        assertTrue(preview.illustrative)
        val desil = preview.desil!!.toInt()
        assertTrue(desil in 1..10)
        assertEquals(1.0, preview.desilProbabilities.sum(), 1e-9)
        assertTrue(preview.explanation.contains("BPS"), preview.explanation)
        assertTrue(preview.contributions.isNotEmpty())
    }

    @Test
    fun anAnswerOutsideTheQuestionIsRefusedNamingIt() {
        val answers = firstAnswers()
        val choice = pmtQuestions(model).first { it.kind == "choice" }
        answers[choice.id] = PmtAnswer.Choice("tidak-ada-pilihan-ini")
        val error = assertFailsWith<ApiException.Invalid> { pmtPreview(model, answers) }
        assertEquals("PMT_OPTION_UNKNOWN", error.code)
        assertTrue(error.field.contains(choice.id), error.field)
    }
}
