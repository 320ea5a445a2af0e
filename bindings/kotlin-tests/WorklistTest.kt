// The agent's worklist cycle through the real library against a real perlinsos-server: the
// district imports a DTSEN extract and assigns it, the phone downloads it and searches it
// offline, verifies a family (draft, stale copy refused, every problem on its field, submit,
// receipt the district confirms), receives published results explained in Indonesian, and a
// member objects with a photo; the officer's decision comes back.
package id.perlinsos.tests

import java.io.File
import java.nio.file.Files
import kotlin.test.AfterTest
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import uniffi.perlinsos_ffi.ApiException
import uniffi.perlinsos_ffi.ObjectionFormView
import uniffi.perlinsos_ffi.ObjectionPhotoView
import uniffi.perlinsos_ffi.Phone
import uniffi.perlinsos_ffi.PmtAnswer
import uniffi.perlinsos_ffi.WorklistFilter
import uniffi.perlinsos_ffi.pmtQuestions
import uniffi.perlinsos_ffi.testSampleExtract
import uniffi.perlinsos_ffi.visitChoices

class WorklistTest {
    private val server = TestServer()
    private val kelurahan = "52.71.01.1004"

    @AfterTest
    fun stopServer() = server.stop()

    private fun file(text: String): String {
        val f = Files.createTempFile("perlinsos", ".csv").toFile()
        f.writeText(text)
        return f.path
    }

    @Test
    fun anAgentWorksThroughTheWorklistCycle() = runBlocking {
        val extract = testSampleExtract(71uL, 12u, kelurahan)
        assertTrue(extract.lines().first().contains(",pmt_lantai,"), "the extract carries the last answers")
        assertTrue(server.operator("import-families", file(extract)).startsWith("imported 12 families"))
        server.operator("publish-model", "core/models/ilustratif-kota-mataram.json")
        val url = server.serve()
        val phone = Phone.open(Files.createTempDirectory("perlinsos-worklist").toString(), "ks".toByteArray())
        var session = phone.enrollAgent("agen-01", "482913", ByteArray(32) { 7 })
        phone.enrollWithTicket(server.ticket("agen-01", kelurahan, url))
        server.operator("assign", "--agent", "agen-01", "--kelurahan", kelurahan)
        phone.sync(session, 5u, null)

        assertEquals(12u, phone.worklistCount(session))
        val page = phone.worklistPage(session, WorklistFilter(null, null, null, "belum_dikunjungi"), 0u, 50u)
        assertEquals(12, page.size)
        val first = page.first { it.members >= 2u }
        val detail = assertNotNull(phone.worklistFamily(session, first.familyId))
        val nik = detail.members.last().nik
        assertEquals(first.familyId, phone.worklistFindNumber(session, nik).single().familyId)
        val prefix = first.headName.split(" ").last().take(3).lowercase()
        assertTrue(phone.worklistFindName(session, prefix, 20u).any { it.familyId == first.familyId })
        val notMine = assertFailsWith<ApiException.Invalid> { phone.visitStart(session, "DTSEN-bukan") }
        assertEquals("FAMILY_NOT_ASSIGNED", notMine.code)

        // The visit: every problem on its field, a stale copy refused, then the sample answers.
        val draft = phone.visitStart(session, first.familyId)
        assertEquals(detail.members.size, draft.members.size)
        val chosen = draft.copy(outcome = "ditemukan", bank = "bri", accountNumber = "123")
        val revision = phone.visitSave(session, chosen)
        val problems = phone.visitCheck(session, draft.id).map { it.field to it.code }
        assertTrue("account.number" to "ACCOUNT_NUMBER_INVALID" in problems, "$problems")
        assertTrue("consent" to "CONSENT_MISSING" in problems, "$problems")
        assertTrue(problems.any { it.first.endsWith(".ikd") && it.second == "IKD_STATUS_MISSING" }, "$problems")
        val stale = assertFailsWith<ApiException.Invalid> { phone.visitSave(session, draft) }
        assertEquals("DRAFT_STALE", stale.code)
        assertEquals(revision, phone.visitDrafts(session).single().revision)
        phone.testAnswerFound(session, draft.id)
        // The questionnaire opens with the answers DTSEN holds for the family; the agent
        // corrects one with the resident and the preview comes from the members as found.
        val model = phone.pmtModelFor(kelurahan)
        assertEquals("ilustratif-kota-mataram", model.id)
        val opened = phone.visitPmtPrefill(session, draft.id, model.id)
        assertTrue(opened.containsKey("lantai") && opened.containsKey("kulkas"), "$opened")
        assertTrue(!opened.containsKey("jumlah_anggota"), "derived answers are the core's")
        val answers = opened.toMutableMap()
        answers["kulkas"] = PmtAnswer.YesNo(true)
        for (q in pmtQuestions(model.json).filter { !it.derived && it.id !in answers }) {
            answers[q.id] = when (q.kind) {
                "choice" -> PmtAnswer.Choice(q.options.first().id)
                "yes_no" -> PmtAnswer.YesNo(false)
                else -> PmtAnswer.Number(q.min ?: 0.0)
            }
        }
        val preview = phone.visitSetPmt(session, draft.id, model.id, answers)
        assertTrue(preview.desil!!.toInt() in 1..10)
        assertEquals(answers.toMap(), phone.visitPmtPrefill(session, draft.id, model.id))
        val noModel = assertFailsWith<ApiException.Invalid> { phone.pmtModelFor("52.03.01.2001") }
        assertEquals("PMT_NO_ACTIVE_MODEL", noModel.code)
        assertTrue(phone.visitCheck(session, draft.id).isEmpty())
        val receipt = phone.visitSubmit(session, draft.id)
        assertTrue(Regex("[0-9A-Z]{5}-[0-9A-Z]{5}").matches(receipt.code), receipt.code)
        assertEquals("dikunjungi", phone.worklistFamily(session, first.familyId)!!.family.status)
        phone.sync(session, 5u, null)
        assertTrue(server.operator("check-receipt", receipt.code).startsWith("SAH"))
        assertEquals("diterima", phone.visits(session).single().status)

        // Results, then a member objects to a Tidak Layak with a photo of the house.
        val target = page.first { it.familyId != first.familyId }
        server.operator(
            "publish-results", file("family_id,hasil,desil,programmes,alasan\n${target.familyId},tidak_layak,7,,Pemeringkatan DTSEN\n"),
        )
        phone.sync(session, 5u, null)
        val result = assertNotNull(phone.familyResult(session, target.familyId))
        assertTrue(!result.eligible && result.objectionOpen)
        assertTrue(result.explanation.first().contains("TIDAK LAYAK"), "${result.explanation}")
        val member = phone.worklistFamily(session, target.familyId)!!.members.first().nik
        // In resident mode for that family: its own result only; the agent's PIN brings the
        // phone back.
        val resident = phone.residentModeForFamily(session, target.familyId)
        assertTrue(resident.familyResult()!!.explanation.first().contains("TIDAK LAYAK"))
        val back = resident.leave("482913")
        assertEquals("agen-01", back.agentId())
        val stranger = assertFailsWith<ApiException.Invalid> { phone.residentModeForFamily(back, "DTSEN-bukan") }
        assertEquals("FAMILY_NOT_ASSIGNED", stranger.code)
        assertEquals(12u, phone.worklistCount(back), "a refused entry keeps the agent's session")
        session = back
        assertTrue(visitChoices().objectionReasons.any { it.id == "kondisi_berubah" })
        val photo = ObjectionPhotoView(photoTakenToday("cam2_wood.jpg"), "rumah", System.currentTimeMillis(), null, null)
        val objection = phone.objectionFile(
            session,
            ObjectionFormView(target.familyId, member, "kondisi_berubah", "Kepala keluarga sudah tidak bekerja sejak Agustus."),
            listOf(photo),
        )
        phone.sync(session, 5u, null)
        assertTrue(server.operator("objections").contains(objection.recordId))
        server.operator("decide-objection", "--objection", objection.recordId, "--decision", "ditolak", "--reason", "Hasil tetap setelah dicek.")
        phone.sync(session, 5u, null)
        val decided = phone.objections(session).single()
        assertEquals("ditolak", decided.status)
        assertEquals("Hasil tetap setelah dicek.", decided.reason)
    }
}
