// The whole field flow through the real library against a real perlinsos-server started here:
// the phone enrolls, sync brings the district's signed PMT model and recipient list, the agent
// registers a household with the wizard and shows the PMT preview, photographs the house, hands
// the phone to a resident who files a sanggahan, syncs; the district decides and the decision
// comes back on the next sync. Also: a long sync on one coroutine does not block another.
package id.perlinsos.tests

import java.io.File
import java.nio.file.Files
import kotlin.test.AfterTest
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import id.perlinsos.viewmodels.SanggahanListViewModel
import id.perlinsos.viewmodels.SyncViewModel
import id.perlinsos.viewmodels.UnlockState
import id.perlinsos.viewmodels.UnlockViewModel
import uniffi.perlinsos_ffi.ApiException
import uniffi.perlinsos_ffi.HouseholdForm
import uniffi.perlinsos_ffi.MemberForm
import uniffi.perlinsos_ffi.PmtAnswer
import uniffi.perlinsos_ffi.Phone
import uniffi.perlinsos_ffi.SanggahanFiling
import uniffi.perlinsos_ffi.SanggahanPhoto
import uniffi.perlinsos_ffi.VisitForm
import uniffi.perlinsos_ffi.checkNik
import uniffi.perlinsos_ffi.pmtQuestions
import uniffi.perlinsos_ffi.registrationChoices

class FlowTest {
    private val server = TestServer()
    private val data = server.data
    private fun operator(vararg args: String) = server.operator(*args)
    private fun serve() = server.serve()

    @AfterTest
    fun stopServer() = server.stop()

    private val kelurahan = "52.71.01.1004"
    private val pin = "482913"

    @Test
    fun registerPreviewPhotographFileSyncAndSeeTheDecision() = runBlocking {
        operator("publish-model", "core/models/ilustratif-kota-mataram.json")
        val recipients = File(data, "penerima.csv")
        recipients.writeText(
            "recipient_id,kelurahan_code,programme,name,nik,rt,rw\n" +
                "R-1,$kelurahan,PKH,Lalu Ahmad,5271010101900001,1,2\n",
        )
        operator("import-recipients", recipients.path)
        val url = serve()

        val phone = Phone.open(Files.createTempDirectory("perlinsos-phone").toString(), "ks".toByteArray())
        var session = phone.enrollAgent("agen-01", pin, ByteArray(32) { 7 })
        // The PIN screen's view-model shows the core's refusal as it is.
        val unlock = UnlockViewModel(phone, "agen-01")
        unlock.submit("111111")
        assertEquals(UnlockState.Refused("PIN salah.", 9, null), unlock.state.value)
        unlock.submit(pin)
        assertTrue(unlock.state.value is UnlockState.Unlocked)
        phone.enrollWithTicket(server.ticket("agen-01", kelurahan, url))
        assertTrue(phone.pmtModels().isEmpty(), "no model before the first sync")
        phone.sync(session, 5u, null)

        // The model came by sync, signed by the district; the wizard renders its questions.
        val model = phone.pmtModels().single()
        assertEquals("ilustratif-kota-mataram", model.id)
        val questions = pmtQuestions(model.json)
        assertEquals(1, phone.recipients(session, kelurahan).size)

        // The household wizard, saved at every step.
        val draft = phone.startVisit(session, VisitForm(kelurahan, 1u, 2u, -8.5833, 116.1167, 8.0))
        phone.setHousehold(session, draft, HouseholdForm("5271010203150004", kelurahan, 1u, 2u, "Jl. Melati No. 3"))
        val choices = registrationChoices()
        assertTrue(choices.relation.any { it.id == "kepala_keluarga" && it.label == "Kepala keluarga" })
        val head = MemberForm(
            nik = "5271011705850001", fullName = "Lalu Muhammad Sahnan", relation = "kepala_keluarga",
            sex = "L", birthDate = checkNik("5271011705850001").birthDate, marital = "kawin",
            education = "tamat_sd", occupation = "Petani", disability = "tidak",
        )
        val headId = phone.putMember(session, draft, null, head)
        // A NIK that disagrees with the birth date is refused with its code; nothing is added.
        val wrong = assertFailsWith<ApiException.Invalid> {
            phone.putMember(session, draft, null, head.copy(nik = "5271014101000001", fullName = "Baiq Sari", relation = "istri", sex = "P"))
        }
        assertEquals("BIRTH_DATE_MISMATCH_NIK", wrong.code)
        assertEquals(1, phone.draft(session, draft).members.size)
        // Several wrong fields at once: every one comes back, each on its field, for the form.
        val several = assertFailsWith<ApiException.Invalid> {
            phone.setHousehold(session, draft, HouseholdForm("52710102", kelurahan, 0u, 2u, "Jl. Melati No. 3"))
        }
        assertTrue(several.problems.size >= 2, "${several.problems}")
        assertEquals(several.code, several.problems.first().code)
        val onFields = id.perlinsos.viewmodels.FieldErrors.of(
            id.perlinsos.viewmodels.Problem(several.code, several.reason, several.field,
                several.problems.map { id.perlinsos.viewmodels.Problem(it.code, it.reason, it.field) }))
        assertEquals("KK_LENGTH", onFields["kk"]?.code, "${several.problems}")
        assertTrue(onFields.problems.any { it.field.endsWith("rt") }, "${several.problems}")
        phone.setConsent(session, draft, headId, "2026-11")
        phone.setIkd(session, draft, headId, "dibantu_aktivasi")
        assertEquals(draft, phone.drafts(session).single().id)

        val answers = questions.filter { !it.id.startsWith("jumlah_anggota") }.associate { q ->
            q.id to when (q.kind) {
                "choice" -> PmtAnswer.Choice(q.options.first().id)
                "yes_no" -> PmtAnswer.YesNo(false)
                else -> PmtAnswer.Number(maxOf(q.min ?: 0.0, 0.0))
            }
        }
        val preview = phone.setPmt(session, draft, model.id, answers)
        assertTrue(preview.desil!!.toInt() in 1..10)
        assertTrue(preview.explanation.contains("BPS"), preview.explanation)
        val household = phone.submit(session, draft)
        assertEquals(household, phone.submit(session, draft), "a second submit returns the same household")
        // The resident's receipt of the registration (an usulan baru, on no worklist here).
        val receipt = assertNotNull(phone.householdReceipt(session, household))
        assertTrue(Regex("[0-9A-Z]{5}-[0-9A-Z]{5}").matches(receipt.code), receipt.code)
        assertTrue(receipt.payload.startsWith("perlinsos-receipt:1:household.registered:$household:"), receipt.payload)
        assertTrue(phone.drafts(session).isEmpty())
        assertNotNull(phone.household(session, household).pmt)

        val houseBytes = photoTakenToday("cam2_wood.jpg")
        phone.capturePhoto(session, "household", household, houseBytes, -8.5833, 116.1167)

        // The resident files a sanggahan in resident mode; the agent's PIN takes the phone back.
        val resident = phone.residentModeForSanggahan(session)
        assertTrue(session.isLocked(), "the agent's session is put away in resident mode")
        val filed = resident.fileSanggahan(
            SanggahanFiling(
                recipientId = "R-1", reporterNik = "5271015705900002", reporterName = "Baiq Rahmawati",
                kelurahanCode = kelurahan, rt = 1u, rw = 2u, street = "Gg. Melati No. 3",
                reason = "mampu", statement = "Keluarga ini punya dua mobil dan toko bangunan.",
            ),
            listOf(SanggahanPhoto(houseBytes, true, -8.5834, 116.1168)),
        )
        assertEquals("diajukan", filed.status)
        assertFailsWith<ApiException.Unlock> { resident.leave("000000") }
        session = resident.leave(pin)

        // The sync screen's view-model drives it and shows progress and what waits.
        val syncScreen = SyncViewModel(phone, session, this)
        assertTrue(syncScreen.state.value.pending > 0)
        syncScreen.start()
        syncScreen.join()
        val synced = syncScreen.state.value
        assertEquals(false, synced.running)
        assertTrue(synced.message!!.startsWith("Terkirim"), synced.message)
        assertEquals(0L, synced.pending)
        assertTrue(synced.parked.isEmpty())
        assertTrue(synced.sentBytes > 0 && synced.sentBytes == synced.totalBytes, "$synced")

        // The district refuses it with a reason; the phone hears it on its next sync.
        operator("review", "--sanggahan", filed.id, "--decision", "ditolak", "--reason", "Penerima sudah diverifikasi ulang.")
        // A photo added later, then the app closed with the agent locked: the background
        // worker (the phone opened afresh, no PIN) sends it; the decision, whose reason is
        // sealed for the agent, waits for an unlock.
        phone.capturePhoto(session, "household", household, photoTakenToday("cam3_ladybird.jpg"), null, null)
        session.lock()
        val background = Phone.open(phone.dataDir(), "ks".toByteArray()).syncInBackground(5u, null)
        assertEquals(1uL, background.blobsUploaded, "$background")
        assertTrue(background.accepted >= 1uL, "$background")
        assertTrue(background.waitingForAgent, "$background")
        session = phone.unlock("agen-01", pin)
        val unlocked = SyncViewModel(phone, session, this)
        unlocked.start()
        unlocked.join()
        val list = SanggahanListViewModel(phone, session)
        list.refresh()
        val mine = list.lines.value.single()
        assertEquals("ditolak", mine.status)
        assertEquals("Ditolak oleh dinas", mine.statusLabel)
        assertEquals("Penerima sudah diverifikasi ulang.", mine.reason)
        assertEquals("server", phone.sanggahanHistory(session, filed.id).last().source)
        assertTrue(phone.verifyAuditTrail() > 10u)
        val counts = operator("status").lines()
        assertTrue("entries.household.registered\t1" in counts, counts.joinToString())
        assertTrue("entries.sanggahan.filed\t1" in counts, counts.joinToString())
    }

    @Test
    fun aLongSyncOnOneCoroutineDoesNotBlockAnother() = runBlocking {
        // runBlocking has one thread: if sync blocked it, nothing else here would run until
        // its 50 passes of backoff had ended.
        val phone = Phone.open(Files.createTempDirectory("perlinsos-phone").toString(), "ks".toByteArray())
        val session = phone.enrollAgent("agen-01", pin, ByteArray(32) { 7 })
        val url = serve()
        phone.enrollWithTicket(server.ticket("agen-01", kelurahan, url))
        server.stop() // out of reach: the sync waits out its backoff, pass after pass
        val started = System.nanoTime()
        val long = launch { runCatching { phone.sync(session, 50u, null) } }
        delay(200)
        repeat(20) { checkNik("5271015705900002") }
        val elapsedMs = (System.nanoTime() - started) / 1_000_000
        assertTrue(long.isActive, "the sync is still running")
        assertTrue(elapsedMs < 3_000, "the other coroutine ran while the sync waited: $elapsedMs ms")
        long.cancel()
        long.join()
    }
}
