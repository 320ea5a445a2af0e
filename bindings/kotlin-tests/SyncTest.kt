// Sync from Kotlin against a real perlinsos-server that the test starts: enrollment, a sync with
// progress reported to a listener, the server out of reach as a typed exception, and a sync
// cancelled mid-way leaving the outbox consistent (the next sync completes).
package id.perlinsos.tests

import java.nio.file.Files
import java.util.concurrent.atomic.AtomicLong
import kotlin.test.AfterTest
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import uniffi.perlinsos_ffi.ApiException
import uniffi.perlinsos_ffi.Phone
import uniffi.perlinsos_ffi.SyncListener

class SyncTest {
    private val server = TestServer()
    private fun operator(vararg args: String) = server.operator(*args)
    private fun serve() = server.serve()

    @AfterTest
    fun stopServer() = server.stop()

    @Test
    fun aPhoneEnrollsAndSyncsWithProgressAndSurvivesOfflineAndCancel() = runBlocking {
        val url = serve()
        val code = server.ticket("agen-01", "52.71.01.1004", url)
        val phone = Phone.open(Files.createTempDirectory("perlinsos-phone").toString(), "ks".toByteArray())
        val session = phone.enrollAgent("agen-01", "482913", ByteArray(32) { 7 })
        // Something to send: a failed and a good unlock go into the audit trail.
        assertFailsWith<ApiException.Unlock> { phone.unlock("agen-01", "111111") }
        phone.unlock("agen-01", "482913")

        val enrollment = phone.enrollWithTicket(code)
        assertEquals("agen-01", enrollment.agentId)
        assertEquals(listOf("52.71.01.1004"), enrollment.scope)

        // The server stops: out of reach (the phone syncs only with the server it enrolled with).
        server.stop()
        assertFailsWith<ApiException.Offline> { phone.sync(session, 1u, null) }

        // A sync cancelled while it waits out its backoff leaves everything consistent.
        val cancelled = launch { phone.sync(session, 50u, null) }
        delay(300)
        cancelled.cancel()
        cancelled.join()
        server.serve(url.substringAfterLast(":").toInt())

        val entries = AtomicLong(0)
        val listener = object : SyncListener {
            override fun onBlob(sentBytes: ULong, totalBytes: ULong) {}
            override fun onEntries(done: ULong, pending: ULong) { entries.incrementAndGet() }
            override fun onChanges(applied: ULong) {}
        }
        val report = phone.sync(session, 5u, listener)
        assertTrue(report.accepted >= 2u, "the audit entries went up: $report")
        assertEquals(0uL, report.parked)
        assertTrue(entries.get() >= 1, "the listener heard the progress")
        val again = phone.sync(session, 5u, null)
        assertEquals(0uL, again.accepted + again.duplicates, "nothing was left to send")
        assertEquals("enroll_codes.unused\t0", operator("status").lines().first { it.startsWith("enroll_codes") })
    }
}
