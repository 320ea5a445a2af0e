// The small JSON reader the questionnaire uses to learn which answers the core derives.
package id.perlinsos.tests

import java.io.File
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import id.perlinsos.viewmodels.JsonReader
import id.perlinsos.viewmodels.derivedQuestionIds

class ModelQuestionsTest {
    @Test
    fun theShippedModelsNameTheirDerivedQuestions() {
        assertEquals(setOf("jumlah_anggota"), derivedQuestionIds(File("core/models/ilustratif-kota-mataram.json").readText()))
        assertEquals(setOf("provinsi", "jumlah_anggota"), derivedQuestionIds(File("core/models/ppi-indonesia-2022.json").readText()))
    }

    @Test
    fun theReaderReadsJsonAndRefusesWhatIsNot() {
        val doc = JsonReader("""{"a": [1, -2.5e1, true, null], "b": "Gg. \"Melati\" \u00e9\n", "c": {}}""").document()
        assertEquals(mapOf("a" to listOf(1.0, -25.0, true, null), "b" to "Gg. \"Melati\" \u00e9\n", "c" to emptyMap<String, Any?>()), doc)
        for (bad in listOf("", "{", "[1,]", "{\"a\" 1}", "\"open", "tru", "1 2", "{\"a\":1,}")) {
            assertFailsWith<IllegalArgumentException>(bad) { JsonReader(bad).document() }
        }
    }
}
