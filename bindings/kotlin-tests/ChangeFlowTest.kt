// Flows over the core's change listeners (issue 21, item 6): the core tells Kotlin after each
// commit that changed the outbox, drafts, the worklist or statuses; the repository's Flows are
// callbackFlows whose awaitClose cancels the listener's handle. Against the real library.
package id.perlinsos.tests

import id.perlinsos.viewmodels.repository.PhoneRepository
import java.util.Collections
import java.util.concurrent.atomic.AtomicInteger
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import uniffi.perlinsos_ffi.ChangeHandle
import uniffi.perlinsos_ffi.ChangeListener
import uniffi.perlinsos_ffi.ChangeTopic
import uniffi.perlinsos_ffi.Phone

/** Counts what reaches the listeners the repository registers, and keeps their handles. */
class CountingRepository(phone: Phone) : PhoneRepository(phone, Dispatchers.IO) {
    val calls = AtomicInteger(0)
    val handles: MutableList<ChangeHandle> = Collections.synchronizedList(mutableListOf())

    override fun observe(topics: List<ChangeTopic>, listener: ChangeListener): ChangeHandle =
        super.observe(topics, object : ChangeListener {
            override fun onChange(topics: List<ChangeTopic>) {
                calls.incrementAndGet()
                listener.onChange(topics)
            }
        }).also { handles += it }
}

class ChangeFlowTest {
    @Test
    fun aListenerIsToldTheTopicsOfACommitAndNothingAfterCancel() {
        val t = TestPhone("listener")
        val heard: MutableList<List<ChangeTopic>> = Collections.synchronizedList(mutableListOf())
        val handle = t.phone.observeChanges(
            listOf(ChangeTopic.OUTBOX, ChangeTopic.DRAFTS),
            object : ChangeListener {
                override fun onChange(topics: List<ChangeTopic>) {
                    heard += topics
                }
            },
        )
        val (draft, _) = Family.draft(t.phone, t.session)
        // Each step of the draft is saved (and audited: the audit trail is queued too).
        assertTrue(heard.isNotEmpty() && heard.all { ChangeTopic.DRAFTS in it }, "$heard")
        heard.clear()
        t.phone.submit(t.session, draft)
        // The submit queues the household and removes the draft, in one commit: told once, after it.
        assertEquals(listOf(listOf(ChangeTopic.OUTBOX, ChangeTopic.DRAFTS)), heard.toList())
        handle.cancel()
        assertTrue(handle.isCancelled())
        t.phone.startVisit(t.session, Family.visit) // a new draft
        assertEquals(1, heard.size, "no callback after cancel: $heard")
        handle.close()
    }

    @Test
    fun aRegistrationEmitsANewOutboxCount() = runBlocking {
        val t = TestPhone("outboxcount")
        val repo = PhoneRepository(t.phone)
        withTimeout(20_000) {
            val counts = launch(start = CoroutineStart.UNDISPATCHED) {
                // The first read, then the count after the submit (drafts do not touch the outbox).
                val seen = repo.outboxCount().take(2).toList()
                assertEquals(0L, seen[0])
                assertTrue(seen[1] > 0L, "$seen")
            }
            repo.outboxCount().first() // registered and read once
            val (draft, _) = Family.draft(t.phone, t.session)
            t.phone.submit(t.session, draft) // straight through the bindings, not the repository
            counts.join()
        }
    }

    @Test
    fun theDraftsAndStatusesFlowsFollowTheCore() = runBlocking {
        val t = TestPhone("draftsflow")
        val repo = PhoneRepository(t.phone)
        withTimeout(20_000) {
            assertTrue(repo.draftsFlow(t.session).first().isEmpty())
            val (draft, _) = Family.draft(t.phone, t.session)
            assertEquals(draft, repo.draftsFlow(t.session).first { it.isNotEmpty() }.single().id)
            t.phone.submit(t.session, draft)
            assertTrue(repo.draftsFlow(t.session).first().isEmpty())
        }
    }

    @Test
    fun cancellingTheFlowCancelsTheListenerAndNoCallbackComesAfter() = runBlocking {
        val t = TestPhone("flowcancel")
        val repo = CountingRepository(t.phone)
        withTimeout(20_000) {
            val job = launch { repo.outboxCount().collect {} }
            while (repo.handles.isEmpty()) kotlinx.coroutines.delay(10)
            val (draft, _) = Family.draft(t.phone, t.session)
            t.phone.submit(t.session, draft)
            while (repo.calls.get() == 0) kotlinx.coroutines.delay(10)
            job.cancel()
            job.join()
            assertEquals(1, repo.handles.size)
            val before = repo.calls.get()
            val pending = t.phone.outbox().pending
            // An unlock goes into the audit trail, which is queued: an outbox change.
            t.session.lock()
            t.session = t.phone.unlock("agen-01", PIN)
            assertTrue(t.phone.outbox().pending > pending, "the outbox did change")
            assertEquals(before, repo.calls.get(), "no callback after the Flow was cancelled")
        }
    }

    @Test
    fun theSyncScreensPendingCountFollowsARegistrationMadeElsewhere() = runBlocking {
        val t = TestPhone("syncscreen")
        val scope = kotlinx.coroutines.CoroutineScope(kotlinx.coroutines.SupervisorJob())
        val sync = id.perlinsos.viewmodels.SyncViewModel(PhoneRepository(t.phone), t.session, scope, observeChanges = true)
        withTimeout(20_000) {
            sync.state.first { it.pending == 0L }
            val (draft, _) = Family.draft(t.phone, t.session)
            t.phone.submit(t.session, draft) // not through the view-model: no refresh() called
            assertTrue(sync.state.first { it.pending > 0L }.pending > 0L)
        }
        scope.coroutineContext[kotlinx.coroutines.Job]!!.cancel()
    }

    @Test
    fun aListenerThatThrowsDoesNotUndoOrFailTheWrite() {
        val t = TestPhone("throwing")
        val handle = t.phone.observeChanges(
            emptyList(), // every topic
            object : ChangeListener {
                override fun onChange(topics: List<ChangeTopic>) = throw IllegalStateException("a listener's bug")
            },
        )
        val draft = t.phone.startVisit(t.session, Family.visit) // committed, and told after
        assertEquals(draft, t.phone.drafts(t.session).single().id)
        handle.cancel()
        handle.close()
    }
}
