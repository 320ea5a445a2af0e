// Resident mode against the real library: the resident sees their own household and nothing
// that needs the agent's session; files a sanggahan with camera photos, refusals shown with
// the core's text; the agent's PIN, and only it, takes the phone back.
package id.perlinsos.tests

import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import id.perlinsos.viewmodels.ResidentModeViewModel
import id.perlinsos.viewmodels.ResidentScope
import id.perlinsos.viewmodels.SanggahanListViewModel
import id.perlinsos.viewmodels.VisitsViewModel
import uniffi.perlinsos_ffi.SanggahanFiling

class ResidentModeViewModelTest {
    @Test
    fun aResidentSeesTheirHouseholdAndOnlyTheAgentsPinTakesThePhoneBack() = runBlocking {
        val t = TestPhone("resident")
        val (draft, _) = Family.draft(t.phone, t.session)
        val household = t.phone.submit(t.session, draft)
        val agentSession = t.session

        val resident = ResidentModeViewModel(t.phone, agentSession, this)
        resident.enterForHousehold(household).join()
        var s = resident.state.value
        assertNull(s.problem)
        assertEquals(ResidentScope.HOUSEHOLD, s.scope)
        val shown = assertNotNull(s.household)
        assertEquals(household, shown.id)
        assertEquals(listOf("Lalu Muhammad Sahnan", "Baiq Rahmawati", "Lalu Ahmad Fauzi"), shown.members.map { it.fullName })
        assertEquals(listOf("sudah_aktif", "perlu_ke_dukcapil", null), shown.members.map { it.ikd })
        assertTrue(agentSession.isLocked(), "the agent's session is put away")

        // Nothing the agent's session opens works while the resident holds the phone.
        val visits = VisitsViewModel(t.phone, agentSession, this)
        visits.refresh().join()
        assertEquals("SESSION_IDLE_LOCKED", visits.state.value.problem?.code)

        resident.leave("000000").join()
        s = resident.state.value
        val refused = assertNotNull(s.leaveRefusal)
        assertEquals("PIN salah.", refused.message)
        assertEquals(9, refused.attemptsLeft)
        assertEquals(ResidentScope.HOUSEHOLD, s.scope, "a wrong PIN leaves the phone with the resident")
        assertNull(s.agentSession)

        resident.leave(PIN).join()
        s = resident.state.value
        assertNull(s.scope)
        assertNull(s.household)
        val back = assertNotNull(s.agentSession)
        assertTrue(!back.isLocked())
        assertEquals(listOf(household), t.phone.householdIds(back))
    }

    @Test
    fun aResidentFilesASanggahanWithCameraPhotos() = runBlocking {
        val t = TestPhone("resident-sanggahan")
        val csv = "recipient_id,kelurahan_code,programme,name,nik,rt,rw\n" +
            "R-1,$KELURAHAN,PKH,Lalu Ahmad,5271010101900001,1,2\n"
        t.phone.importRecipients(t.session, csv.toByteArray())

        val resident = ResidentModeViewModel(t.phone, t.session, this)
        resident.enterForSanggahan(KELURAHAN).join()
        var s = resident.state.value
        assertEquals(ResidentScope.SANGGAHAN, s.scope)
        val recipient = s.recipients.single()
        assertEquals("527101******0001", recipient.maskedNik)
        assertEquals("PKH", recipient.programme)

        fun filing(statement: String) = SanggahanFiling(
            recipientId = recipient.id, reporterNik = "5271015705900002", reporterName = "Baiq Rahmawati",
            kelurahanCode = KELURAHAN, rt = 1u, rw = 2u, street = "Gg. Melati No. 3",
            reason = "mampu", statement = statement,
        )
        val statement = "Keluarga ini punya dua mobil dan toko bangunan."
        resident.file(filing(statement)).join()
        assertEquals("SANGGAHAN_PHOTO_MISSING", resident.state.value.fieldErrors["photos"]?.code)

        // A photo of something else first: the core still wants the house with its location.
        resident.addPhoto(photo("cam1_kleiber_o6.jpg"), house = false, latitude = null, longitude = null)
        resident.file(filing(statement)).join()
        s = resident.state.value
        assertEquals("SANGGAHAN_HOUSE_PHOTO_MISSING", s.problem?.code)
        assertTrue(s.problem!!.message.isNotBlank())

        resident.addPhoto(photo("cam2_wood.jpg"), house = true, latitude = -8.5834, longitude = 116.1168)
        assertEquals(listOf(false, true), resident.state.value.photos.map { it.house })
        assertEquals(listOf(false, true), resident.state.value.photos.map { it.hasLocation })
        resident.file(filing("Dia mampu.")).join()
        s = resident.state.value
        assertEquals("SANGGAHAN_STATEMENT_TOO_SHORT", s.problem?.code)
        assertTrue(s.problem!!.message.contains("20"), s.problem!!.message)
        assertNull(s.filed)
        assertEquals(2, s.photos.size, "a refused filing keeps the photos")

        resident.file(filing(statement)).join()
        s = resident.state.value
        assertNull(s.problem)
        val filed = assertNotNull(s.filed)
        assertEquals("diajukan", filed.status)
        assertTrue(filed.statusLabel.isNotBlank())
        assertTrue(s.photos.isEmpty())

        resident.leave(PIN).join()
        val back = assertNotNull(resident.state.value.agentSession)
        assertEquals(filed, resident.state.value.filed)
        val list = SanggahanListViewModel(t.phone, back)
        list.refresh()
        assertEquals(listOf(filed.id to "diajukan"), list.lines.value.map { it.id to it.status })
    }
}
