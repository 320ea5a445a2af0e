// The visits screen against the real library: drafts with the step the core saved, a discard,
// a submitted household moving from the drafts to the households, and refusals shown with the
// core's code and Indonesian text.
package id.perlinsos.tests

import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import id.perlinsos.viewmodels.VisitsViewModel

class VisitsViewModelTest {
    @Test
    fun draftsShowTheSavedStepAndASubmittedHouseholdLeavesThem() = runBlocking {
        val t = TestPhone("visits")
        val (complete, _) = Family.draft(t.phone, t.session)
        val started = t.phone.startVisit(t.session, Family.visit)
        val visits = VisitsViewModel(t.phone, t.session, this)

        visits.refresh().join()
        val listed = visits.state.value
        assertNull(listed.problem)
        assertEquals(false, listed.loading)
        assertEquals(setOf(complete, started), listed.drafts.map { it.id }.toSet())
        val family = listed.drafts.single { it.id == complete }
        assertEquals("ikd", family.step)
        assertEquals(3, family.memberCount)
        assertEquals("Lalu Muhammad Sahnan", family.headName)
        val empty = listed.drafts.single { it.id == started }
        assertEquals("visit", empty.step)
        assertEquals(0, empty.memberCount)
        assertNull(empty.headName)
        assertTrue(listed.householdIds.isEmpty())

        visits.discard(started).join()
        assertEquals(listOf(complete), visits.state.value.drafts.map { it.id })

        val household = t.phone.submit(t.session, complete)
        visits.refresh().join()
        assertTrue(visits.state.value.drafts.isEmpty())
        assertEquals(listOf(household), visits.state.value.householdIds)
    }

    @Test
    fun refusalsArriveWithTheCoresCodeAndText() = runBlocking {
        val t = TestPhone("visits-refused")
        val visits = VisitsViewModel(t.phone, t.session, this)
        visits.discard("draf-yang-tidak-ada").join()
        val gone = visits.state.value.problem!!
        assertEquals("DRAFT_NOT_FOUND", gone.code)
        assertEquals("Draf pendaftaran tidak ditemukan.", gone.message)

        t.session.lock()
        visits.refresh().join()
        val locked = visits.state.value
        assertEquals("SESSION_IDLE_LOCKED", locked.problem?.code)
        assertTrue(locked.problem!!.message.isNotBlank())
        assertEquals(false, locked.loading)
    }
}
