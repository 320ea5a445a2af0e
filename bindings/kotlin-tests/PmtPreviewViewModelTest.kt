// The PMT preview screen against the real library: the core's numbers and contributions put
// into words under the fixed BPS/DTSEN note, for the district's log-linear model and for a
// scorecard; a draft without answers and a missing draft.
package id.perlinsos.tests

import kotlin.test.AfterTest
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import id.perlinsos.viewmodels.PmtPreviewViewModel
import id.perlinsos.viewmodels.questionsToAsk
import id.perlinsos.viewmodels.rupiah
import uniffi.perlinsos_ffi.PmtAnswer

class PmtPreviewViewModelTest {
    private val district = DistrictPhone()

    @AfterTest
    fun stop() = district.stop()

    /** The first option of every question the agent is asked, and no motorbike. */
    private fun answers(modelId: String): Map<String, PmtAnswer> =
        questionsToAsk(district.phone.pmtModels().single { it.id == modelId }).associate { q ->
            q.id to when (q.kind) {
                "choice" -> PmtAnswer.Choice(q.options.first().id)
                "yes_no" -> PmtAnswer.YesNo(false)
                else -> PmtAnswer.Number(maxOf(q.min ?: 0.0, 0.0))
            }
        }

    @Test
    fun theLogLinearPreviewShowsTheCoresNumbersAndTheBpsNote() = runBlocking {
        val phone = district.phone
        val (draft, _) = Family.draft(phone, district.session)
        val answers = answers("ilustratif-kota-mataram") + ("lantai" to PmtAnswer.Choice("keramik"))
        val computed = phone.setPmt(district.session, draft, "ilustratif-kota-mataram", answers)
        // The screen shows the preview the core saved with the draft; its numbers may differ
        // from the freshly computed ones in the last bit (they were stored and read back).
        val core = phone.draft(district.session, draft).pmt!!
        assertEquals(computed.estimate!!, core.estimate!!, 1e-6)

        val screen = PmtPreviewViewModel(phone, district.session, this)
        screen.showDraft(draft).join()
        val s = screen.state.value
        assertNull(s.problem)
        val preview = assertNotNull(s.preview)
        assertEquals(core.estimate, preview.estimate)
        assertEquals(rupiah(core.estimate!!), preview.estimateText)
        assertEquals(core.desil!!.toInt(), preview.desil)
        assertEquals(1.0, preview.desilProbabilities.sum(), 1e-9)
        assertEquals(core.contributions.map { it.question to it.effect }, preview.contributions.map { it.questionId to it.effect })
        val floor = preview.contributions.single { it.questionId == "lantai" }
        assertEquals("Keramik/ubin/marmer/granit", floor.answer)
        // +0.12 on ln(expenditure) against a cement floor: exp(0.12) - 1 = 12.7 %.
        assertEquals("menaikkan perkiraan 13%", floor.effectText)
        assertTrue(preview.explanation.contains("BPS"), preview.explanation)
        assertTrue(preview.illustrative)
        assertTrue(s.note.contains("BPS") && s.note.contains("DTSEN"), s.note)
        assertEquals(phone.pmtModels().single { it.id == "ilustratif-kota-mataram" }.title, s.modelTitle)
    }

    @Test
    fun aScorecardPreviewShowsPointsAndTheDerivedAnswers() = runBlocking {
        val phone = district.phone
        val (draft, _) = Family.draft(phone, district.session)
        val asked = answers("ppi-indonesia-2022")
        assertTrue("provinsi" !in asked && "jumlah_anggota" !in asked, "$asked")
        phone.setPmt(district.session, draft, "ppi-indonesia-2022", asked)
        val core = phone.draft(district.session, draft).pmt!!

        val screen = PmtPreviewViewModel(phone, district.session, this)
        screen.showDraft(draft).join()
        val preview = assertNotNull(screen.state.value.preview)
        assertNull(preview.estimate)
        assertEquals(core.score!!.toInt(), preview.score)
        assertEquals(core.likelihood, preview.likelihood)
        assertEquals(core.line, preview.line)
        // The core filled the province from the kelurahan code and the size from the members.
        assertTrue(preview.contributions.any { it.questionId == "provinsi" }, "${preview.contributions}")
        for (c in preview.contributions) {
            assertTrue(c.effectText.endsWith(" poin"), c.effectText)
        }
        assertTrue(screen.state.value.note.contains("DTSEN"))
    }

    @Test
    fun aDraftWithoutAnswersHasNoPreviewAndAMissingDraftShowsTheCoresReason() = runBlocking {
        val (draft, _) = Family.draft(district.phone, district.session)
        val screen = PmtPreviewViewModel(district.phone, district.session, this)
        screen.showDraft(draft).join()
        assertNull(screen.state.value.preview)
        assertNull(screen.state.value.problem)

        screen.showDraft("draf-lain").join()
        assertEquals("DRAFT_NOT_FOUND", screen.state.value.problem?.code)
        assertEquals("Draf pendaftaran tidak ditemukan.", screen.state.value.problem?.message)
        assertEquals("Rp 1.234.568", rupiah(1_234_567.6))
    }
}
