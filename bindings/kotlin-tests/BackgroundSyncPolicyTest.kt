// The background sync's decisions (issue 21, item 7), plain Kotlin on the JVM: what the Android
// worker (android/app SyncWorker) does after each outcome, and what the real library's errors
// map to.
package id.perlinsos.tests

import id.perlinsos.viewmodels.BackgroundSyncPolicy
import id.perlinsos.viewmodels.ErrorCode
import id.perlinsos.viewmodels.SyncDecision
import id.perlinsos.viewmodels.SyncOutcome
import id.perlinsos.viewmodels.SyncWork
import kotlin.random.Random
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import uniffi.perlinsos_ffi.ApiException
import uniffi.perlinsos_ffi.InternalException
import uniffi.perlinsos_ffi.OutboxView
import uniffi.perlinsos_ffi.SyncReport

class BackgroundSyncPolicyTest {
    private val policy = BackgroundSyncPolicy(baseBackoffMs = 30_000, maxBackoffMs = 3_600_000, random = Random(7))

    private fun outbox(pending: Int, photos: Int = 0) = OutboxView(pending.toULong(), photos.toULong(), emptyList())
    private fun report(accepted: Int) = SyncReport(accepted.toULong(), 0u, 0u, 0u, 0u, false)

    @Test
    fun nothingQueuedIsNoWorkAndPhotosRunInTheForegroundOnANetwork() {
        assertEquals(SyncDecision.Done, policy.plan(outbox(0)))
        assertEquals(SyncDecision.Run(SyncWork(needsNetwork = true, foreground = false)), policy.plan(outbox(3)))
        assertEquals(SyncDecision.Run(SyncWork(needsNetwork = true, foreground = true)), policy.plan(outbox(3, photos = 1)))
    }

    @Test
    fun aCompletedRunIsDoneRunsAgainWhenMoreWaitsAndNeverLoopsWithoutProgress() {
        assertEquals(SyncDecision.Done, policy.after(0, SyncOutcome.Completed(report(5), outbox(0))))
        assertEquals(
            SyncDecision.Run(SyncWork(foreground = true)),
            policy.after(0, SyncOutcome.Completed(report(500), outbox(200, photos = 2))),
        )
        // Entries left that the run could not move (they wait for an agent): no loop of runs.
        assertEquals(SyncDecision.Done, policy.after(0, SyncOutcome.Completed(report(0), outbox(4))))
    }

    @Test
    fun theServersRetryAfterIsHonouredAndCapped() {
        val retry = assertIs<SyncDecision.Retry>(policy.after(3, SyncOutcome.Unreachable(retryAfterMs = 120_000)))
        assertEquals(120_000, retry.delayMs, "exactly the server's time, not the backoff")
        assertEquals(4, retry.attempt)
        assertTrue(retry.work.needsNetwork)
        val absurd = assertIs<SyncDecision.Retry>(policy.after(0, SyncOutcome.Unreachable(retryAfterMs = 30L * 24 * 3_600_000)))
        assertEquals(policy.maxRetryAfterMs, absurd.delayMs)
    }

    @Test
    fun aNetworkErrorBacksOffExponentiallyWithJitterWithinItsBoundsAndACap() {
        assertEquals(30_000, policy.backoffCapMs(0))
        assertEquals(60_000, policy.backoffCapMs(1))
        assertEquals(480_000, policy.backoffCapMs(4))
        assertEquals(3_600_000, policy.backoffCapMs(8), "capped")
        assertEquals(3_600_000, policy.backoffCapMs(1_000), "no overflow")
        for (attempt in 0..12) {
            val cap = policy.backoffCapMs(attempt)
            val delays = (1..200).map {
                assertIs<SyncDecision.Retry>(policy.after(attempt, SyncOutcome.Unreachable(0))).delayMs
            }
            assertTrue(delays.all { it in cap / 2..cap }, "attempt $attempt: $delays not in [${cap / 2}, $cap]")
            assertTrue(delays.toSet().size > 1, "jittered")
        }
    }

    @Test
    fun refusalsThatNoRetryChangesStopAndACaptivePortalIsRetried() {
        for (code in listOf("DEVICE_REVOKED", "SERVER_CERT_MISMATCH", "SYNC_NOT_ENROLLED", "SESSION_REENROLL_REQUIRED", "SOMETHING_NEW")) {
            val stop = assertIs<SyncDecision.Stop>(policy.after(0, SyncOutcome.Refused(code)))
            assertEquals(code, stop.code)
        }
        assertEquals(ErrorCode.DeviceRevoked, (policy.after(0, SyncOutcome.Refused("DEVICE_REVOKED")) as SyncDecision.Stop).kind)
        assertIs<SyncDecision.Retry>(policy.after(0, SyncOutcome.Refused("SERVER_CERT_UNTRUSTED")))
    }

    @Test
    fun thePhonesOwnFailureIsRetriedAFewTimesThenStops() {
        val outcome = SyncOutcome.Failed("STORAGE")
        (0 until policy.maxFailedAttempts - 1).forEach { assertIs<SyncDecision.Retry>(policy.after(it, outcome)) }
        assertEquals(SyncDecision.Stop("STORAGE"), policy.after(policy.maxFailedAttempts - 1, outcome))
    }

    @Test
    fun theLibrarysErrorsMapToOutcomes() = runBlocking {
        assertEquals(SyncOutcome.Unreachable(5_000), SyncOutcome.of(ApiException.Offline(5_000)))
        assertEquals(SyncOutcome.Unreachable(0), SyncOutcome.of(ApiException.Offline(-1)))
        assertEquals(SyncOutcome.Failed("STORAGE"), SyncOutcome.of(ApiException.Internal("STORAGE")))
        assertEquals(SyncOutcome.Failed("INTERNAL"), SyncOutcome.of(InternalException("panic")))
        assertEquals(null, SyncOutcome.of(IllegalStateException()))
        // From the real core: a background sync of a phone not enrolled with a district.
        val t = TestPhone("bgsync")
        val refused = runCatching { t.phone.syncInBackground(1u, null) }.exceptionOrNull()
        val outcome = assertIs<SyncOutcome.Refused>(SyncOutcome.of(refused!!), "$refused")
        assertEquals(ErrorCode.SyncNotEnrolled, outcome.kind)
        assertIs<SyncDecision.Stop>(policy.after(0, outcome))
    }
}
