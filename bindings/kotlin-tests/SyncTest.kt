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

    /**
     * A sync cancelled between two batches of its push (uniffi's tokio support drops the Rust
     * future when the coroutine is cancelled) loses nothing and leaves nothing half-done: what
     * the phone confirmed is gone from the queue, everything else goes with the next sync, a
     * batch the server took but the phone never confirmed comes back as duplicates, not twice.
     */
    @Test
    fun aSyncCancelledMidPushLosesNothing() = runBlocking {
        val url = serve()
        val phone = Phone.open(Files.createTempDirectory("perlinsos-phone").toString(), "ks".toByteArray())
        val session = phone.enrollAgent("agen-01", "482913", ByteArray(32) { 7 })
        phone.enrollWithTicket(server.ticket("agen-01", "52.71.01.1004", url))
        // More than two batches (50 entries each): every draft started is audited and queued.
        repeat(120) { phone.startVisit(session, uniffi.perlinsos_ffi.VisitForm("52.71.01.1004", 1u, 2u, -8.58, 116.11, 8.0)) }
        val total = phone.outbox().pending
        assertTrue(total > 100uL, "$total")

        var job: kotlinx.coroutines.Job? = null
        val batches = AtomicLong(0)
        job = launch(kotlinx.coroutines.Dispatchers.IO) {
            phone.sync(session, 1u, object : SyncListener {
                override fun onBlob(sentBytes: ULong, totalBytes: ULong) {}
                override fun onEntries(done: ULong, pending: ULong) {
                    // The first batch is confirmed (its transaction committed): cancel now.
                    if (batches.incrementAndGet() == 1L) job?.cancel()
                }
                override fun onChanges(applied: ULong) {}
            })
        }
        job.join()
        assertTrue(job.isCancelled, "the coroutine was cancelled")
        val left = phone.outbox().pending
        assertTrue(left in 1uL until total, "the first batch confirmed, not everything: $left of $total")

        val resumed = phone.sync(session, 5u, null)
        // (The sync's own audit entries may join the queue meanwhile: at least what was left.)
        assertTrue(resumed.accepted + resumed.duplicates >= left, "every entry left went: $resumed, $left")
        assertTrue(resumed.duplicates <= 50uL, "at most the one unconfirmed batch came back: $resumed")
        assertEquals(0uL, resumed.parked)
        assertEquals(0uL, phone.outbox().pending, "nothing lost from the queue")
        val again = phone.sync(session, 5u, null)
        assertEquals(0uL, again.accepted + again.duplicates, "nothing was left to send")
        // The district has every entry queued before the cancelled sync, each once.
        val onServer = operator("status").lines().filter { it.startsWith("entries.") }
            .sumOf { it.substringAfter("\t").trim().toLong() }
        assertTrue(onServer.toULong() >= total, "$onServer on the server, $total queued")
    }
}
