// The questionnaire asks what the core does not derive: the core, reading the shipped model
// files, says which answers those are.
package id.perlinsos.tests

import java.io.File
import kotlin.test.Test
import kotlin.test.assertEquals
import uniffi.perlinsos_ffi.pmtQuestions

class ModelQuestionsTest {
    @Test
    fun theShippedModelsNameTheirDerivedQuestions() {
        fun derived(path: String) = pmtQuestions(File(path).readText()).filter { it.derived }.map { it.id }.toSet()
        assertEquals(setOf("jumlah_anggota"), derived("core/models/ilustratif-kota-mataram.json"))
        assertEquals(setOf("provinsi", "jumlah_anggota"), derived("core/models/ppi-indonesia-2022.json"))
    }
}
