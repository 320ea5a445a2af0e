// A resident's sanggahan through the real library: the kelurahan's recipient list with masked
// NIKs, a filing with a located photo of the house, a rule broken with its Indonesian text,
// and withdrawal.
package id.perlinsos.tests

import java.io.File
import java.nio.file.Files
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import uniffi.perlinsos_ffi.ApiException
import uniffi.perlinsos_ffi.Phone
import uniffi.perlinsos_ffi.SanggahanFiling
import uniffi.perlinsos_ffi.SanggahanPhoto

class SanggahanTest {
    @Test
    fun aResidentFilesAndWithdrawsASanggahan() {
        val phone = Phone.open(Files.createTempDirectory("perlinsos-sanggahan").toString(), "ks".toByteArray())
        val session = phone.enrollAgent("agen-01", "482913", ByteArray(32) { 7 })
        val csv = "recipient_id,kelurahan_code,programme,name,nik,rt,rw\n" +
            "R-1,52.71.01.1004,PKH,Lalu Ahmad,5271010101900001,1,2\n"
        assertEquals(1u, phone.importRecipients(session, csv.toByteArray()))
        val list = phone.recipients(session, "52.71.01.1004")
        assertEquals("527101******0001", list.single().maskedNik)
        assertEquals("PKH", list.single().programme)

        val house = SanggahanPhoto(photoTakenToday("cam2_wood.jpg"), true, -8.5833, 116.1167)
        fun filing(statement: String) = SanggahanFiling(
            recipientId = "R-1", reporterNik = "5271015705900002", reporterName = "Baiq Rahmawati",
            kelurahanCode = "52.71.01.1004", rt = 1u, rw = 2u, street = "Gg. Melati No. 3",
            reason = "mampu", statement = statement,
        )
        val short = assertFailsWith<ApiException.Invalid> { phone.fileSanggahan(session, filing("Dia mampu."), listOf(house)) }
        assertEquals("SANGGAHAN_STATEMENT_TOO_SHORT", short.code)
        assertTrue(short.reason.contains("20"), short.reason)
        assertTrue(phone.sanggahanList(session).isEmpty(), "a refused filing writes nothing")

        val filed = phone.fileSanggahan(session, filing("Keluarga ini punya dua mobil dan toko bangunan."), listOf(house))
        assertEquals("diajukan", filed.status)
        phone.withdrawSanggahan(session, filed.id)
        assertEquals("ditarik", phone.sanggahanList(session).single().status)
    }
}
