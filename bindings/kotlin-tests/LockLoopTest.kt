// The lock loop of issue 21: after an idle lock or a hand-back from resident mode the PIN
// model stayed Unlocked(oldSession), so every time the PIN screen showed it gave the old session
// back, the visits screen got SESSION_IDLE_LOCKED again, and the two flipped for ever. These
// tests play the app's rule (show the PIN screen while the gate has no session; take the
// session when the PIN model says Unlocked; report each screen's problem to the gate) for many
// rounds and count the flips: one lock gives one trip to the PIN screen, which then waits.
package id.perlinsos.tests

import id.perlinsos.viewmodels.ErrorCode
import id.perlinsos.viewmodels.LockCause
import id.perlinsos.viewmodels.ResidentModeViewModel
import id.perlinsos.viewmodels.SessionGate
import id.perlinsos.viewmodels.UnlockState
import id.perlinsos.viewmodels.UnlockViewModel
import id.perlinsos.viewmodels.VisitsViewModel
import id.perlinsos.viewmodels.repository.PhoneRepository
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNotSame
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.runBlocking

class LockLoopTest {
    /** The app's navigation rule, played [rounds] times; returns how often the visits screen showed. */
    private suspend fun playRounds(gate: SessionGate, visits: (uniffi.perlinsos_ffi.AgentSession) -> VisitsViewModel, rounds: Int): Int {
        var visitsShown = 0
        repeat(rounds) {
            val session = gate.session.value
            if (session == null) {
                // The PIN screen: an Unlocked model would be taken at once (the old bug's path).
                if (gate.unlock.state.value is UnlockState.Unlocked) gate.unlocked()
            } else {
                visitsShown++
                val screen = visits(session)
                screen.refresh().join()
                gate.report(screen.state.value.problem)
            }
        }
        return visitsShown
    }

    @Test
    fun anIdleLockAsksForThePinOnceAndDoesNotGiveTheOldSessionBack() = runBlocking {
        val t = TestPhone("lockloop")
        t.session.lock()
        val repo = PhoneRepository(t.phone, Dispatchers.IO)
        val gate = SessionGate(UnlockViewModel(repo, "agen-01", this))
        gate.unlock.submit(PIN).join()
        val first = assertNotNull(gate.unlocked())
        // Taken once: the PIN model asks for the PIN again, it holds no session.
        assertEquals(UnlockState.Waiting(LockCause.Start), gate.unlock.state.value)
        assertNull(gate.unlocked())

        first.lock() // the idle timer
        val shown = playRounds(gate, { VisitsViewModel(t.phone, it, this) }, rounds = 20)
        assertEquals(1, shown, "the visits screen showed once, then the PIN screen stayed")
        assertEquals(1, gate.lockCount)
        assertNull(gate.session.value)
        assertEquals(UnlockState.Waiting(LockCause.Idle), gate.unlock.state.value)

        gate.unlock.submit(PIN).join()
        val second = assertNotNull(gate.unlocked())
        assertNotSame(first, second)
        val visits = VisitsViewModel(t.phone, second, this)
        visits.refresh().join()
        assertNull(visits.state.value.problem)
    }

    @Test
    fun aHandBackFromResidentModeReplacesTheSessionAndALaterLockDoesNotLoop() = runBlocking {
        val t = TestPhone("handback")
        val (draft, _) = Family.draft(t.phone, t.session)
        val household = t.phone.submit(t.session, draft)
        t.session.lock()
        val repo = PhoneRepository(t.phone, Dispatchers.IO)
        val gate = SessionGate(UnlockViewModel(repo, "agen-01", this))
        gate.unlock.submit(PIN).join()
        val agent = assertNotNull(gate.unlocked())

        // Resident mode empties the agent's session; the PIN there gives a new one back.
        val resident = ResidentModeViewModel(t.phone, agent, this)
        resident.enterForHousehold(household).join()
        val emptied = VisitsViewModel(t.phone, agent, this)
        emptied.refresh().join()
        assertEquals(ErrorCode.SessionIdleLocked, emptied.state.value.problem?.kind)
        resident.leave(PIN).join()
        val back = assertNotNull(resident.state.value.agentSession)
        gate.handedBack(back)
        assertEquals(2, playRounds(gate, { VisitsViewModel(t.phone, it, this) }, rounds = 2))
        assertEquals(0, gate.lockCount, "the new session works: no trip to the PIN screen")

        back.lock()
        val shown = playRounds(gate, { VisitsViewModel(t.phone, it, this) }, rounds = 20)
        assertEquals(1, shown)
        assertEquals(1, gate.lockCount)
        assertTrue(gate.unlock.state.value is UnlockState.Waiting)
        gate.unlock.submit(PIN).join()
        val again = assertNotNull(gate.unlocked())
        assertNotSame(agent, again)
        assertNotSame(back, again)
    }
}
