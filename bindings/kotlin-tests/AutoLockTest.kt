// Auto-lock on a timer and on stop (issue 21, item 8), in virtual time (kotlinx-coroutines-test):
// the session locks after idleMs without an interaction, an interaction starts the timer again,
// the app's stop locks (not when the agent went to the camera), and the locked session sends
// the app to the PIN screen once, without the old lock loop, with the real library.
package id.perlinsos.tests

import id.perlinsos.viewmodels.AutoLock
import id.perlinsos.viewmodels.LockCause
import id.perlinsos.viewmodels.SessionGate
import id.perlinsos.viewmodels.UnlockState
import id.perlinsos.viewmodels.UnlockViewModel
import id.perlinsos.viewmodels.VisitsViewModel
import id.perlinsos.viewmodels.repository.PhoneRepository
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.test.advanceTimeBy
import kotlinx.coroutines.test.runCurrent
import kotlinx.coroutines.test.runTest

@OptIn(ExperimentalCoroutinesApi::class)
class AutoLockTest {
    private val minute = 60_000L

    @Test
    fun itLocksAfterTheIdleTimeAndATouchStartsItAgain() = runTest {
        val causes = mutableListOf<LockCause>()
        val auto = AutoLock(backgroundScope, idleMs = 5 * minute) { causes += it }
        auto.arm()
        advanceTimeBy(4 * minute)
        auto.touch()
        advanceTimeBy(4 * minute)
        runCurrent()
        assertTrue(causes.isEmpty(), "8 minutes in, but touched at 4")
        advanceTimeBy(1 * minute + 1)
        assertEquals(listOf(LockCause.Idle), causes)
        assertFalse(auto.armed)
        // Locked once: no session, nothing more to lock.
        advanceTimeBy(60 * minute)
        auto.touch()
        advanceTimeBy(60 * minute)
        assertEquals(1, causes.size)
        assertEquals(1, auto.locks)
    }

    @Test
    fun aStopLocksAtOnceOrAfterItsGraceButNotForTheCamera() = runTest {
        var locks = 0
        val auto = AutoLock(backgroundScope, idleMs = 5 * minute) { locks++ }
        auto.arm()
        auto.expectReturn()
        auto.onStop() // the camera app
        advanceTimeBy(2 * minute)
        auto.onStart()
        assertEquals(0, locks)
        auto.onStop() // the home button
        assertEquals(1, locks)

        val graced = AutoLock(backgroundScope, idleMs = 5 * minute, stopGraceMs = 30_000) { locks++ }
        graced.arm()
        graced.onStop()
        advanceTimeBy(20_000)
        graced.onStart() // back within the grace
        advanceTimeBy(60_000)
        assertEquals(1, locks)
        graced.onStop()
        advanceTimeBy(30_001)
        assertEquals(2, locks)
    }

    @Test
    fun theIdleTimerRunsOnWhileTheAgentIsAtTheCamera() = runTest {
        var locks = 0
        val auto = AutoLock(backgroundScope, idleMs = 5 * minute) { locks++ }
        auto.arm()
        auto.expectReturn()
        auto.onStop()
        advanceTimeBy(5 * minute + 1)
        assertEquals(1, locks, "a phone left at the camera for five minutes locks all the same")
    }

    @Test
    fun anIdleLockSendsTheAppToThePinOnceAndAnUnlockArmsItAgain() = runTest {
        val t = TestPhone("autolock")
        t.session.lock()
        val repo = PhoneRepository(t.phone, Dispatchers.IO)
        val gate = SessionGate(UnlockViewModel(repo, "agen-01", backgroundScope))
        val auto = AutoLock(backgroundScope, idleMs = 5 * minute) { gate.lock(it) }
        auto.follow(gate.session)
        gate.unlock.submit(PIN).join()
        val session = assertNotNull(gate.unlocked())
        runCurrent()
        assertTrue(auto.armed)

        advanceTimeBy(5 * minute + 1)
        runCurrent()
        assertNull(gate.session.value)
        assertTrue(session.isLocked(), "the core's keys are dropped")
        assertEquals(UnlockState.Waiting(LockCause.Idle), gate.unlock.state.value)
        assertEquals(1, gate.lockCount)
        // The app's rule, many rounds: the PIN screen holds no session to give back; no flips.
        repeat(20) {
            assertNull(gate.unlocked())
            gate.session.value?.let { s ->
                val visits = VisitsViewModel(t.phone, s, backgroundScope)
                visits.refresh().join()
                gate.report(visits.state.value.problem)
            }
        }
        assertEquals(1, gate.lockCount)
        assertFalse(auto.armed)
        advanceTimeBy(60 * minute)
        assertEquals(1, auto.locks)

        // The PIN again: a new session, and the timer runs for it.
        gate.unlock.submit(PIN).join()
        val again = assertNotNull(gate.unlocked())
        runCurrent()
        assertTrue(auto.armed)
        advanceTimeBy(5 * minute + 1)
        runCurrent()
        assertTrue(again.isLocked())
        assertEquals(2, gate.lockCount)
    }
}
