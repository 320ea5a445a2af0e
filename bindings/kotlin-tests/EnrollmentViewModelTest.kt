// First-run enrollment against the real library and a real perlinsos-server: the agent on a
// fresh phone and the phone with the district, then the PIN opens the profile and sync works;
// a used or wrong operator code refused in the core's words with its code, a new code finishing
// without repeating the phone step; an enrollment interrupted between the steps going on with
// the same PIN; mismatched PINs and unreadable recovery hex refused before anything is written
// or the code is spent; the server out of reach, then back, and the retry enrolling the phone.
package id.perlinsos.tests

import java.net.ServerSocket
import java.nio.file.Files
import kotlin.test.AfterTest
import kotlin.test.Test
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import id.perlinsos.viewmodels.DistrictEnrollment
import id.perlinsos.viewmodels.EnrollmentForm
import id.perlinsos.viewmodels.EnrollmentStep
import id.perlinsos.viewmodels.EnrollmentViewModel
import uniffi.perlinsos_ffi.ApiException
import uniffi.perlinsos_ffi.Phone

class EnrollmentViewModelTest {
    private val server = TestServer()
    private var ownServer: Process? = null

    @AfterTest
    fun stopServer() {
        server.stop()
        ownServer?.destroy()
    }

    /** The district's secret as it prints it: hex in groups, as the agent types it. */
    private val recoveryHex = "0707 0707 0707 0707 0707 0707 0707 0707\n0707 0707 0707 0707 0707 0707 0707 0707"

    private fun freshPhone(name: String) =
        Phone.open(Files.createTempDirectory("perlinsos-enroll-$name").toString(), "ks".toByteArray())

    private fun ticket(url: String, agent: String = "agen-01") = server.ticket(agent, KELURAHAN, url)

    private fun unusedCodes() = server.operator("status").lines().first { it.startsWith("enroll_codes.unused") }

    private fun form(code: String, pin: String = PIN, repeat: String = pin, hex: String = recoveryHex) =
        EnrollmentForm(agentId = "agen-01", pin = pin, pinRepeat = repeat, recoveryHex = hex, enrollCode = code)

    @Test
    fun aFreshPhoneEnrollsTheAgentAndTheDistrictThenThePinOpensItAndSyncWorks(): Unit = runBlocking {
        val url = server.serve()
        val code = ticket(url)
        val phone = freshPhone("ok")
        val vm = EnrollmentViewModel(phone, this)
        assertEquals(EnrollmentStep.AGENT, vm.state.value.step)

        vm.enroll(form(code)).join()
        val s = vm.state.value
        assertNull(s.problem, "${s.problem}")
        assertEquals(EnrollmentStep.DONE, s.step)
        assertEquals("agen-01", s.agentId)
        assertEquals(DistrictEnrollment("agen-01", listOf(KELURAHAN)), s.district)
        assertFalse(s.busy)
        assertFalse(s.districtUnreachable)
        val session = assertNotNull(s.session)
        assertFalse(session.isLocked())
        assertEquals("enroll_codes.unused\t0", unusedCodes())

        // The PIN typed twice opens the profile; a wrong one is the core's refusal.
        assertFailsWith<ApiException.Unlock> { phone.unlock("agen-01", "111111") }
        val unlocked = phone.unlock("agen-01", PIN)
        val report = phone.sync(unlocked, 5u, null)
        assertTrue(report.accepted >= 1u, "the audit trail went up: $report")
        assertEquals(0uL, report.parked)
        val again = phone.sync(unlocked, 5u, null)
        assertEquals(0uL, again.accepted + again.duplicates, "nothing was left to send")
    }

    @Test
    fun aUsedOrWrongCodeIsRefusedAndANewOneFinishesWithoutRepeatingThePhoneStep(): Unit = runBlocking {
        val url = server.serve()
        val used = ticket(url)
        val fresh = ticket(url)
        // Another phone took the first code.
        val other = freshPhone("other")
        other.enrollAgent("agen-01", PIN, ByteArray(32) { 7 })
        other.enrollWithTicket(used)

        val phone = freshPhone("used")
        val vm = EnrollmentViewModel(phone, this)
        vm.enroll(form(used)).join()
        var s = vm.state.value
        val refused = assertNotNull(s.problem)
        assertEquals("SYNC_ENROLL_REFUSED", refused.code)
        assertEquals("Kode pendaftaran ditolak server; minta kode baru ke operator dinas.", refused.message)
        assertEquals("code", refused.field)
        assertEquals(refused, s.fieldErrors["code"], "shown under the code field")
        assertEquals(EnrollmentStep.DISTRICT, s.step, "the agent is on the phone; only the district step is left")
        assertFalse(s.districtUnreachable)
        assertNotNull(phone.unlock("agen-01", PIN))

        // A code the operator never made (in an otherwise good ticket): the same refusal.
        val parts = used.split(":", limit = 5).toMutableList()
        parts[2] = "ABCD-EFGH-JKLM"
        vm.retryDistrict(parts.joinToString(":")).join()
        s = vm.state.value
        assertEquals("SYNC_ENROLL_REFUSED", s.problem?.code)
        assertEquals(EnrollmentStep.DISTRICT, s.step)

        // A new code: the retry enrolls the phone (enrollAgent again would be SESSION_AGENT_EXISTS).
        vm.enroll(form(fresh)).join()
        s = vm.state.value
        assertNull(s.problem, "${s.problem}")
        assertEquals(EnrollmentStep.DONE, s.step)
        assertEquals(DistrictEnrollment("agen-01", listOf(KELURAHAN)), s.district)
        assertEquals("enroll_codes.unused\t0", unusedCodes())
        phone.sync(assertNotNull(s.session), 5u, null)
    }

    @Test
    fun aTicketForAnotherKeyOrAPlainHttpServerIsRefusedAndTheRealOneEnrolls(): Unit = runBlocking {
        val url = server.serve()
        val good = ticket(url)
        val phone = freshPhone("ticket")
        val vm = EnrollmentViewModel(phone, this)
        // Another district key's fingerprint: whoever answers is not the district on the ticket.
        val parts = good.split(":", limit = 5).toMutableList()
        parts[3] = parts[3].map { if (it == '0') '1' else '0' }.joinToString("")
        vm.enroll(form(parts.joinToString(":"))).join()
        var s = vm.state.value
        assertEquals("DISTRICT_KEY_MISMATCH", s.problem?.code)
        assertTrue(s.problem!!.message.contains("bukan server dinas"), s.problem!!.message)
        assertEquals(s.problem, s.fieldErrors["code"])
        assertEquals(EnrollmentStep.DISTRICT, s.step)
        val notYet = assertFailsWith<ApiException.Invalid> { phone.sync(assertNotNull(s.session), 1u, null) }
        assertEquals("SYNC_NOT_ENROLLED", notYet.code)

        // Plain http to a server that is not on this machine: refused before anything is sent.
        vm.retryDistrict(good.substringBeforeLast("http://") + "http://dinsos.example.go.id").join()
        s = vm.state.value
        assertEquals("SERVER_URL_INSECURE", s.problem?.code)
        assertTrue(s.problem!!.message.contains("https"), s.problem!!.message)

        // The real ticket enrolls (the server took its code for this device at the first try and
        // answers the same device again).
        vm.retryDistrict(good).join()
        s = vm.state.value
        assertNull(s.problem, "${s.problem}")
        assertEquals(EnrollmentStep.DONE, s.step)
        phone.sync(assertNotNull(s.session), 5u, null)
    }

    @Test
    fun anEnrollmentInterruptedAfterThePhoneStepGoesOnWithTheSamePin(): Unit = runBlocking {
        val url = server.serve()
        val code = ticket(url)
        val phone = freshPhone("interrupted")
        // The first try enrolled the agent on the phone, then the app was closed.
        phone.enrollAgent("agen-01", PIN, ByteArray(32) { 7 })

        // Someone else's PIN does not open it: the core's words, a wrong PIN counted.
        val vm = EnrollmentViewModel(phone, this)
        vm.enroll(form(code, pin = "135790")).join()
        var s = vm.state.value
        val refused = assertNotNull(s.problem)
        assertEquals("SESSION_PIN_WRONG", refused.code)
        assertEquals("Profil agen ini sudah ada di ponsel ini. PIN salah. Sisa percobaan: 9.", refused.message)
        assertEquals(refused, s.fieldErrors["pin"])
        assertEquals(EnrollmentStep.AGENT, s.step)
        assertEquals("enroll_codes.unused\t1", unusedCodes(), "the code is not spent")

        vm.enroll(form(code)).join()
        s = vm.state.value
        assertNull(s.problem, "${s.problem}")
        assertEquals(EnrollmentStep.DONE, s.step)
        phone.sync(assertNotNull(s.session), 5u, null)
    }

    @Test
    fun mismatchedPinsAreRefusedAndThePinFormatIsTheCores(): Unit = runBlocking {
        val url = server.serve()
        val code = ticket(url)
        val phone = freshPhone("pins")
        val vm = EnrollmentViewModel(phone, this)

        vm.enroll(form(code, pin = PIN, repeat = "482914")).join()
        var s = vm.state.value
        val mismatch = assertNotNull(s.problem)
        assertEquals(EnrollmentViewModel.PIN_MISMATCH, mismatch.code)
        assertEquals("Kedua PIN tidak sama. Ketik PIN yang sama dua kali.", mismatch.message)
        assertEquals(mismatch, s.fieldErrors[EnrollmentViewModel.PIN_REPEAT_FIELD])
        assertEquals(EnrollmentStep.AGENT, s.step)
        assertNull(s.session)

        // The same short PIN twice: the core refuses it, before the code is spent.
        vm.enroll(form(code, pin = "4829")).join()
        s = vm.state.value
        val format = assertNotNull(s.problem)
        assertEquals("SESSION_PIN_FORMAT", format.code)
        assertEquals("PIN harus 6 angka.", format.message)
        assertEquals(format, s.fieldErrors["pin"])
        assertNull(s.fieldErrors[EnrollmentViewModel.PIN_REPEAT_FIELD], "the earlier mismatch is cleared")
        assertEquals(EnrollmentStep.AGENT, s.step)
        assertEquals("enroll_codes.unused\t1", unusedCodes())

        // Nothing was written: the agent can still be enrolled here, and the code still works.
        vm.enroll(form(code)).join()
        assertEquals(EnrollmentStep.DONE, vm.state.value.step, "${vm.state.value.problem}")
    }

    @Test
    fun unreadableRecoveryHexIsRefusedInIndonesianAndItsLengthIsTheCores(): Unit = runBlocking {
        val url = server.serve()
        val code = ticket(url)
        val phone = freshPhone("hex")
        val vm = EnrollmentViewModel(phone, this)

        for (bad in listOf("07g7" + "07".repeat(30), "070", "", "٠٧".repeat(32))) {
            vm.enroll(form(code, hex = bad)).join()
            val s = vm.state.value
            val p = assertNotNull(s.problem, "'$bad'")
            assertEquals(EnrollmentViewModel.RECOVERY_HEX, p.code, "'$bad'")
            assertTrue(p.message.startsWith("Kode pemulihan tidak terbaca"), p.message)
            assertEquals(p, s.fieldErrors[EnrollmentViewModel.RECOVERY_FIELD])
            assertEquals(EnrollmentStep.AGENT, s.step)
        }
        // Both checks of the screen at once: both shown under their fields.
        vm.enroll(form(code, repeat = "000000", hex = "zz")).join()
        val both = vm.state.value.fieldErrors
        assertEquals(EnrollmentViewModel.PIN_MISMATCH, both[EnrollmentViewModel.PIN_REPEAT_FIELD]?.code)
        assertEquals(EnrollmentViewModel.RECOVERY_HEX, both[EnrollmentViewModel.RECOVERY_FIELD]?.code)

        // Good hex of the wrong length: the core's refusal.
        vm.enroll(form(code, hex = "07".repeat(31))).join()
        val short = assertNotNull(vm.state.value.problem)
        assertEquals("SESSION_RECOVERY_INVALID", short.code)
        assertEquals("Kode pemulihan dari dinas tidak cocok untuk profil ini.", short.message)
        assertEquals(EnrollmentStep.AGENT, vm.state.value.step)
        assertEquals("enroll_codes.unused\t1", unusedCodes())

        assertContentEquals(byteArrayOf(10, 11, -1, 0), EnrollmentViewModel.hexToBytes("0a 0B-fF:00"))
        vm.enroll(form(code, hex = recoveryHex.uppercase().replace(" ", "-"))).join()
        assertEquals(EnrollmentStep.DONE, vm.state.value.step, "${vm.state.value.problem}")
    }

    @Test
    fun theServerOutOfReachLeavesTheAgentOnThePhoneAndTheRetryEnrollsThePhone(): Unit = runBlocking {
        // A port nobody listens on yet; the server starts there later.
        val port = ServerSocket(0).use { it.localPort }
        val url = "http://127.0.0.1:$port"
        val code = ticket(url)
        val phone = freshPhone("offline")
        val vm = EnrollmentViewModel(phone, this)

        vm.enroll(form(code)).join()
        var s = vm.state.value
        assertEquals(EnrollmentStep.DISTRICT, s.step)
        assertTrue(s.districtUnreachable)
        val offline = assertNotNull(s.problem)
        assertEquals("OFFLINE", offline.code)
        assertTrue(offline.message.contains("Agen sudah terdaftar di ponsel ini"), offline.message)
        assertTrue(offline.message.contains("didaftarkan ke dinas nanti"), offline.message)
        // The agent is on the phone and can work; sync waits for the district.
        val session = assertNotNull(s.session)
        phone.unlock("agen-01", PIN)
        val notYet = assertFailsWith<ApiException.Invalid> { phone.sync(session, 1u, null) }
        assertEquals("SYNC_NOT_ENROLLED", notYet.code)

        // Still down: the retry says so again.
        vm.retryDistrict().join()
        assertTrue(vm.state.value.districtUnreachable)
        assertEquals(EnrollmentStep.DISTRICT, vm.state.value.step)

        // The server is back: the retry, with the code typed the first time, enrolls the phone.
        ownServer = serveOn(port)
        vm.retryDistrict().join()
        s = vm.state.value
        assertNull(s.problem, "${s.problem}")
        assertFalse(s.districtUnreachable)
        assertEquals(EnrollmentStep.DONE, s.step)
        assertEquals(DistrictEnrollment("agen-01", listOf(KELURAHAN)), s.district)
        val report = phone.sync(session, 5u, null)
        assertEquals(0uL, report.parked)
    }

    @Test
    fun afterARestartThePhoneOfAnEnrolledAgentIsConnectedToTheDistrict(): Unit = runBlocking {
        val url = server.serve()
        val code = ticket(url)
        val phone = freshPhone("later")
        phone.enrollAgent("agen-01", PIN, ByteArray(32) { 7 })
        // The app kept the agent id and that the district step is still open.
        val vm = EnrollmentViewModel(phone, this, enrolledAgentId = "agen-01")
        assertEquals(EnrollmentStep.DISTRICT, vm.state.value.step)
        assertEquals("agen-01", vm.state.value.agentId)
        assertNull(vm.state.value.session)

        vm.retryDistrict(code).join()
        val s = vm.state.value
        assertNull(s.problem, "${s.problem}")
        assertEquals(EnrollmentStep.DONE, s.step)
        phone.sync(phone.unlock("agen-01", PIN), 5u, null)
    }

    /** The test server's data served on a chosen port (TestServer picks a free one itself). */
    private fun serveOn(port: Int): Process {
        val bin = System.getenv("PERLINSOS_SERVER_BIN") ?: error("PERLINSOS_SERVER_BIN not set")
        val started = ProcessBuilder(bin, "--data", server.data, "serve", "--listen", "127.0.0.1:$port").start()
        started.inputStream.bufferedReader().readLine() ?: error("server did not start")
        return started
    }
}
