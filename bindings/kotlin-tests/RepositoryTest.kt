// The repository layer and the bugs of issue 21 it fixes: every blocking core call on the
// injected dispatcher (the sync screen read the outbox on the main thread), a Rust panic
// (InternalException) turned into an error state instead of a crash, error codes as an enum,
// and the outbox Flow refreshed after each change the core reports.
package id.perlinsos.tests

import id.perlinsos.viewmodels.ErrorCode
import id.perlinsos.viewmodels.Problem
import id.perlinsos.viewmodels.SanggahanListViewModel
import id.perlinsos.viewmodels.SyncViewModel
import id.perlinsos.viewmodels.UnlockState
import id.perlinsos.viewmodels.UnlockViewModel
import id.perlinsos.viewmodels.WorklistViewModel
import id.perlinsos.viewmodels.internalProblem
import id.perlinsos.viewmodels.repository.PhoneRepository
import java.util.Collections
import java.util.concurrent.Executors
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.FamilyView
import uniffi.perlinsos_ffi.Phone
import uniffi.perlinsos_ffi.WorklistFilter

/** Records the thread of every blocking core call. */
class RecordingRepository(phone: Phone, io: kotlinx.coroutines.CoroutineDispatcher) : PhoneRepository(phone, io) {
    val threads: MutableList<String> = Collections.synchronizedList(mutableListOf())

    override suspend fun <T> core(call: () -> T): T = super.core {
        threads += Thread.currentThread().name
        call()
    }
}

/** The real library panics inside a worklist read (the test hook appends, then panics). */
class PanickingRepository(phone: Phone) : PhoneRepository(phone) {
    override suspend fun worklistPage(session: AgentSession, filter: WorklistFilter, offset: Int, limit: Int): List<FamilyView> =
        core {
            Hooks.panic(phone)
            emptyList()
        }
}

class RepositoryTest {
    @Test
    fun everyBlockingCallOfTheSyncScreenRunsOnTheInjectedDispatcher() = runBlocking {
        val io = Executors.newSingleThreadExecutor { Thread(it, "core-io") }.asCoroutineDispatcher()
        val t = TestPhone("threads")
        Family.draft(t.phone, t.session).let { (draft, _) -> t.phone.submit(t.session, draft) }
        val repo = RecordingRepository(t.phone, io)
        // The test's own thread plays the main thread.
        val main = Thread.currentThread().name
        val sync = SyncViewModel(repo, t.session, this)
        sync.refresh().join()
        assertTrue(sync.state.value.pending > 0, "${sync.state.value}")
        sync.retryParked().join()
        sync.start(1u).join() // not enrolled with a district: refused, shown, not thrown
        assertTrue(sync.state.value.problem != null, "${sync.state.value}")
        assertEquals(false, sync.state.value.running)
        val unlock = UnlockViewModel(repo, "agen-01", this)
        unlock.submit("000000").join()
        assertTrue(unlock.state.value is UnlockState.Refused)
        SanggahanListViewModel(repo, t.session, this).refresh().join()
        assertTrue(repo.threads.size >= 5, "${repo.threads}")
        assertTrue(repo.threads.all { it == "core-io" }, "no core call on $main: ${repo.threads}")
        io.close()
    }

    @Test
    fun aPanicInTheCoreBecomesAnErrorStateNotACrash() = runBlocking {
        val t = TestPhone("panic")
        val scope = CoroutineScope(SupervisorJob())
        val worklist = WorklistViewModel(PanickingRepository(t.phone), t.session, scope, observeChanges = false)
        worklist.refresh().join()
        assertEquals(internalProblem, worklist.state.value.problem)
        assertEquals(ErrorCode.Internal, worklist.state.value.problem?.kind)
        assertEquals(false, worklist.state.value.loading)
        // The app goes on: the same view-model over a sound repository works.
        val fine = WorklistViewModel(PhoneRepository(t.phone), t.session, scope, observeChanges = false)
        fine.refresh().join()
        assertEquals(null, fine.state.value.problem)
        assertEquals(0, fine.state.value.total)
        scope.cancel()
    }

    @Test
    fun errorCodesAreAnEnumWithAnUnknownFallback() = runBlocking {
        assertEquals(ErrorCode.SessionIdleLocked, ErrorCode.of("SESSION_IDLE_LOCKED"))
        assertEquals(ErrorCode.DraftStale, ErrorCode.of("DRAFT_STALE"))
        assertEquals(ErrorCode.Unknown, ErrorCode.of("NIK_LENGTH"))
        assertEquals(ErrorCode.Unknown, ErrorCode.of(""))
        assertEquals(ErrorCode.Unknown, Problem("SOMETHING_NEW", "x").kind)
        // From the real core: a locked session's refusal is branched on by its enum.
        val t = TestPhone("codes")
        t.session.lock()
        val scope = CoroutineScope(SupervisorJob())
        val worklist = WorklistViewModel(PhoneRepository(t.phone), t.session, scope, observeChanges = false)
        worklist.refresh().join()
        val problem = worklist.state.value.problem!!
        assertEquals(ErrorCode.SessionIdleLocked, problem.kind)
        assertTrue(problem.locksSession)
        scope.cancel()
    }

    @Test
    fun theOutboxFlowReadsAgainAfterAWrite() = runBlocking {
        val t = TestPhone("outboxflow")
        val repo = PhoneRepository(t.phone)
        withTimeout(10_000) {
            assertEquals(0L, repo.outboxCount().first())
            val (draft, _) = Family.draft(t.phone, t.session)
            t.phone.submit(t.session, draft) // outside the repository: the core tells the Flow
            assertTrue(repo.outboxCount().first { it > 0L } > 0L)
        }
    }
}
