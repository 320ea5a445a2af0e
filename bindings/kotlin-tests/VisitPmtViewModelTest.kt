// The visit's PMT step through the view-model against the real library and a real server that
// imported a DTSEN extract carrying the families' last answers and published the Mataram model:
// the questionnaire opens with those answers, marked; an edited answer is saved with the draft
// and comes back as the agent's own; an out-of-range answer is refused on its question; the
// preview is the core's.
package id.perlinsos.tests

import id.perlinsos.viewmodels.VisitStep
import id.perlinsos.viewmodels.VisitViewModel
import id.perlinsos.viewmodels.repository.PhoneRepository
import kotlin.test.AfterTest
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.runBlocking
import uniffi.perlinsos_ffi.PmtAnswer
import uniffi.perlinsos_ffi.WorklistFilter

class VisitPmtViewModelTest {
    private val district = WorklistDistrict(models = listOf("core/models/ilustratif-kota-mataram.json"))
    private val scope = CoroutineScope(SupervisorJob())

    @AfterTest
    fun stop() {
        scope.cancel()
        district.stop()
    }

    private fun family() = district.phone.worklistPage(district.session, WorklistFilter(null, null, null, null), 0u, 50u)
        .first { it.members >= 2u }

    @Test
    fun thePmtStepOpensPrefilledSavesAnEditAndShowsThePreview() = runBlocking<Unit> {
        val repo = PhoneRepository(district.phone)
        val family = family()
        val visit = VisitViewModel(repo, district.session, scope)
        visit.open(family.familyId).join()
        val opened = assertNotNull(visit.state.value.pmt, "${visit.state.value.pmtUnavailable}")
        assertEquals("ilustratif-kota-mataram", opened.model.id)
        assertTrue(opened.questions.none { it.id == "jumlah_anggota" }, "the household size is derived, not asked")
        // The sample extract's last answers for this model's questions, each marked as DTSEN's.
        val fromExtract = setOf("lantai", "dinding", "atap", "air_minum", "listrik", "kulkas", "sepeda_motor")
        assertEquals(fromExtract, opened.answers.keys)
        assertEquals(fromExtract, opened.fromDtsen)
        assertNull(opened.preview)

        // The PMT step comes after the account and before consent, for a found family.
        visit.chooseOutcome("ditemukan").join()
        visit.goTo(VisitStep.Account)
        visit.next().join()
        assertEquals(VisitStep.Pmt, visit.state.value.step)

        // The agent asks: the floor is now ceramic; the rest answered with the resident.
        visit.answerPmt("lantai", PmtAnswer.Choice("keramik"))
        assertFalse("lantai" in visit.state.value.pmt!!.fromDtsen)
        assertTrue("dinding" in visit.state.value.pmt!!.fromDtsen)
        for ((id, answer) in mapOf(
            "jamban" to PmtAnswer.Choice("sendiri"), "bahan_bakar" to PmtAnswer.Choice("lpg3"),
            "gas_12kg" to PmtAnswer.YesNo(false), "lahan" to PmtAnswer.YesNo(false),
            "pendidikan_kepala" to PmtAnswer.Choice("smp"), "pekerjaan_kepala" to PmtAnswer.Choice("informal"),
        )) visit.answerPmt(id, answer)

        // Out of range: refused on its own question, nothing saved.
        visit.answerPmt("sepeda_motor", PmtAnswer.Number(25.0))
        visit.computePmt().join()
        val refused = visit.state.value
        assertEquals("PMT_VALUE_OUT_OF_RANGE", refused.fieldErrors["answers.sepeda_motor"]?.code, "${refused.fieldErrors.problems}")
        assertNull(refused.pmt!!.preview)
        assertTrue(refused.pmt!!.edited)

        // Corrected: saved with the draft, the preview is the core's.
        visit.answerPmt("sepeda_motor", PmtAnswer.Number(1.0))
        visit.computePmt().join()
        val saved = visit.state.value
        assertNull(saved.problem, "${saved.problem}")
        assertTrue(saved.fieldErrors.all("answers.sepeda_motor").isEmpty())
        val preview = assertNotNull(saved.pmt!!.preview)
        assertEquals("ilustratif-kota-mataram", preview.modelId)
        assertNotNull(preview.desil)
        assertTrue(preview.contributions.isNotEmpty())
        assertFalse(saved.pmt!!.edited)
        assertEquals(preview.desil, saved.draft!!.pmt?.desil?.toInt())
        // The screen's copy is still current: the next edit saves without a stale refusal.
        visit.setAccount("bri", "123401000567503").join()
        assertNull(visit.state.value.problem)

        // Opened again (a killed app): the agent's own answers, no DTSEN mark, the saved preview.
        val again = VisitViewModel(repo, district.session, scope)
        again.open(family.familyId).join()
        val reopened = assertNotNull(again.state.value.pmt)
        assertEquals(PmtAnswer.Choice("keramik"), reopened.answers["lantai"])
        assertEquals(PmtAnswer.Number(1.0), reopened.answers["sepeda_motor"])
        assertTrue(reopened.fromDtsen.isEmpty())
        assertEquals(preview.desil, reopened.preview?.desil)

        // The rest of the visit goes in with the questionnaire.
        answerFoundAsListed(again)
        again.submit().join()
        assertNull(again.state.value.problem, "${again.state.value.fieldErrors.problems}")
        assertNotNull(again.state.value.receipt)
    }

    @Test
    fun leavingThePmtStepSavesEditedAnswersAndKeepsTheAgentThereWhenRefused() = runBlocking<Unit> {
        val visit = VisitViewModel(PhoneRepository(district.phone), district.session, scope)
        visit.open(family().familyId).join()
        visit.chooseOutcome("ditemukan").join()
        visit.goTo(VisitStep.Pmt)
        // Untouched DTSEN answers are not saved for the agent: nothing was checked with the resident.
        visit.next().join()
        assertEquals(VisitStep.Consent, visit.state.value.step)
        assertNull(visit.state.value.draft!!.pmt)

        visit.goTo(VisitStep.Pmt)
        visit.answerPmt("sepeda_motor", PmtAnswer.Number(-1.0))
        visit.next().join()
        assertEquals(VisitStep.Pmt, visit.state.value.step, "a refused answer keeps the agent on the step")
        assertEquals("PMT_VALUE_OUT_OF_RANGE", visit.state.value.fieldErrors["answers.sepeda_motor"]?.code)
    }

    @Test
    fun withoutAModelForTheKelurahanTheStepSaysWhyAndTheVisitGoesOn() = runBlocking<Unit> {
        val bare = WorklistDistrict()
        try {
            val family = bare.phone.worklistPage(bare.session, WorklistFilter(null, null, null, null), 0u, 1u).single()
            val visit = VisitViewModel(PhoneRepository(bare.phone), bare.session, scope)
            visit.open(family.familyId).join()
            assertNull(visit.state.value.pmt)
            assertEquals("PMT_NO_ACTIVE_MODEL", visit.state.value.pmtUnavailable?.code)
            assertNull(visit.state.value.problem, "not a failed visit")
            assertNotNull(visit.state.value.draft)
        } finally {
            bare.stop()
        }
    }
}
