// What the background sync does next (issue 21, item 7): the decisions of Android's WorkManager
// worker (android/app SyncWorker, which only carries them out), as plain Kotlin tested on the
// JVM. The core decides *how* a sync runs (passes, batches, its own backoff inside one run);
// this decides *when* the next one runs:
//  - nothing queued: no work; something queued: run, on a connected network, in the
//    foreground (a notification) when photos go up, since their upload outlasts a plain job;
//  - a run that sent everything: done; one that moved entries and left more (more than its passes
//    could send): run again at once; one that moved nothing: done until the next change (no loop);
//  - the server out of reach: try again after the server's retryAfterMs when it gave one (never
//    sooner), else after an exponential backoff (base * 2^attempt, capped) drawn at random
//    between half of it and all of it (phones that lost the network together do not come back
//    together), on a connected network;
//  - a refusal no retry can change (device revoked, the pinned certificate not matching — maybe
//    an intercepted network —, not enrolled, re-enrollment needed, any code this app does not
//    know): stop, and tell the agent the code; an untrusted certificate (a captive portal) is
//    retried later, on whatever network comes next;
//  - the phone's own failure (storage, a bug in the core): retried a few times, then stop.
package id.perlinsos.viewmodels

import kotlin.random.Random
import uniffi.perlinsos_ffi.ApiException
import uniffi.perlinsos_ffi.InternalException
import uniffi.perlinsos_ffi.OutboxView
import uniffi.perlinsos_ffi.SyncReport

/** How a background sync ended. */
sealed interface SyncOutcome {
    /** The sync ran to its end; [outbox] is what waits after it. */
    data class Completed(val report: SyncReport, val outbox: OutboxView) : SyncOutcome

    /** The server was out of reach; [retryAfterMs] is the server's "try later" (0: none given). */
    data class Unreachable(val retryAfterMs: Long) : SyncOutcome

    /** The server or the core refused; [code] is the wire code. */
    data class Refused(val code: String) : SyncOutcome {
        val kind: ErrorCode get() = ErrorCode.of(code)
    }

    /** The phone's own failure: storage, or a panic in the core. */
    data class Failed(val code: String) : SyncOutcome

    companion object {
        /** A failed sync call's outcome; null for anything not from the core (cancellation, bugs). */
        fun of(e: Throwable): SyncOutcome? = when (e) {
            is ApiException.Offline -> Unreachable(e.retryAfterMs.coerceAtLeast(0))
            is ApiException.Invalid -> Refused(e.code)
            is ApiException.Unlock -> Refused(e.code)
            is ApiException.Internal -> Failed(e.code)
            is InternalException -> Failed(ErrorCode.Internal.wire)
            else -> null
        }
    }
}

/** How a run is to be scheduled. */
data class SyncWork(
    /** Run only on a connected network (WorkManager's NetworkType.CONNECTED). */
    val needsNetwork: Boolean = true,
    /** Run as a foreground job with a notification (photos go up). */
    val foreground: Boolean = false,
)

sealed interface SyncDecision {
    /** Nothing waits: no work until something is queued again. */
    data object Done : SyncDecision

    /** Run (again) now, as [work] says. */
    data class Run(val work: SyncWork) : SyncDecision

    /** Run again after [delayMs], as [work] says; [attempt] is the next run's attempt number. */
    data class Retry(val delayMs: Long, val attempt: Int, val work: SyncWork) : SyncDecision

    /** No retry can help: the agent must act (the sync screen shows [code]'s text). */
    data class Stop(val code: String) : SyncDecision {
        val kind: ErrorCode get() = ErrorCode.of(code)
    }
}

class BackgroundSyncPolicy(
    /** The first backoff (WorkManager refuses less than 10 s). */
    val baseBackoffMs: Long = 30_000,
    /** The longest backoff. */
    val maxBackoffMs: Long = 60 * 60_000,
    /** A server's retryAfterMs past this is taken as this (a bad header must not park the phone for days). */
    val maxRetryAfterMs: Long = 6 * 60 * 60_000,
    /** The phone's own failures are retried this many times, then the worker stops. */
    val maxFailedAttempts: Int = 5,
    private val random: Random = Random.Default,
) {
    init {
        require(baseBackoffMs in 10_000..maxBackoffMs) { "backoff bounds" }
    }

    /** Whether to run at all, given what waits. */
    fun plan(outbox: OutboxView): SyncDecision =
        if (outbox.pending == 0uL) SyncDecision.Done else SyncDecision.Run(work(outbox))

    /** What to do after a run; [attempt] counts the runs since the last one that got through (0 first). */
    fun after(attempt: Int, outcome: SyncOutcome): SyncDecision = when (outcome) {
        is SyncOutcome.Completed -> {
            val r = outcome.report
            val progressed = r.accepted + r.duplicates + r.parked + r.blobsUploaded > 0uL
            // Entries left that this run could not move (waiting for an agent's unlock, or
            // for the core's own backoff) wait for the next change, not for a loop of runs.
            if (progressed) plan(outcome.outbox) else SyncDecision.Done
        }
        is SyncOutcome.Unreachable -> {
            val delay = if (outcome.retryAfterMs > 0) {
                outcome.retryAfterMs.coerceAtMost(maxRetryAfterMs)
            } else {
                backoffMs(attempt)
            }
            SyncDecision.Retry(delay, attempt + 1, SyncWork())
        }
        is SyncOutcome.Refused -> when (outcome.kind) {
            // A captive portal or a proxy: another network later may pass.
            ErrorCode.ServerCertUntrusted -> SyncDecision.Retry(backoffMs(attempt), attempt + 1, SyncWork())
            else -> SyncDecision.Stop(outcome.code)
        }
        is SyncOutcome.Failed ->
            if (attempt + 1 >= maxFailedAttempts) {
                SyncDecision.Stop(outcome.code)
            } else {
                SyncDecision.Retry(backoffMs(attempt), attempt + 1, SyncWork())
            }
    }

    /** The backoff before attempt [attempt] + 1: uniform in [cap/2, cap], cap = min(max, base * 2^attempt). */
    fun backoffMs(attempt: Int): Long {
        val cap = backoffCapMs(attempt)
        return cap / 2 + random.nextLong(cap - cap / 2 + 1)
    }

    /** The upper bound of [backoffMs] for [attempt]. */
    fun backoffCapMs(attempt: Int): Long {
        val doublings = attempt.coerceIn(0, 30)
        val grown = baseBackoffMs.toDouble() * (1L shl doublings)
        return if (grown >= maxBackoffMs) maxBackoffMs else grown.toLong()
    }

    private fun work(outbox: OutboxView) = SyncWork(needsNetwork = true, foreground = outbox.pendingWithPhotos > 0uL)
}
