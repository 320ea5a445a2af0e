// The worklist view-models against a real server: list, search by NIK and by name, filters,
// open; a visit edited step by step with every problem on its field (all of visitCheck's, not
// only the first), the sample answers, submit and receipt; a result and an objection.
package id.perlinsos.tests

import id.perlinsos.viewmodels.ErrorCode
import id.perlinsos.viewmodels.ResultViewModel
import id.perlinsos.viewmodels.RtRw
import id.perlinsos.viewmodels.VisitStep
import id.perlinsos.viewmodels.VisitViewModel
import id.perlinsos.viewmodels.WorklistViewModel
import id.perlinsos.viewmodels.repository.PhoneRepository
import kotlin.test.AfterTest
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout

class WorklistViewModelTest {
    private val district = WorklistDistrict()
    private val scope = CoroutineScope(SupervisorJob())

    @AfterTest
    fun stop() {
        scope.cancel()
        district.stop()
    }

    @Test
    fun theWorklistListsSearchesFiltersAndOpens() = runBlocking {
        val repo = PhoneRepository(district.phone)
        val vm = WorklistViewModel(repo, district.session, scope, observeChanges = false)
        vm.refresh().join()
        val s = vm.state.value
        assertNull(s.problem)
        assertEquals(12, s.total)
        assertEquals(12, s.families.size)
        assertTrue(s.rtRwOptions.isNotEmpty())
        val family = s.families.first { it.members >= 2u }
        val detail = assertNotNull(district.phone.worklistFamily(district.session, family.familyId))

        vm.search(detail.members.last().nik).join()
        assertEquals(listOf(family.familyId), vm.state.value.families.map { it.familyId })
        vm.search(detail.kk).join()
        assertEquals(listOf(family.familyId), vm.state.value.families.map { it.familyId })
        val prefix = family.headName.split(" ").last().take(3).lowercase()
        vm.search(prefix).join()
        assertTrue(vm.state.value.families.any { it.familyId == family.familyId })
        vm.search("").join()

        val place = RtRw(family.rt.toInt(), family.rw.toInt())
        vm.filterRtRw(place).join()
        assertTrue(vm.state.value.families.all { it.rt.toInt() == place.rt && it.rw.toInt() == place.rw })
        assertTrue(vm.state.value.families.any { it.familyId == family.familyId })
        vm.filterRtRw(null).join()
        vm.filterStatus("dikunjungi").join()
        assertTrue(vm.state.value.families.isEmpty())
        vm.filterStatus(null).join()

        vm.open(family.familyId).join()
        assertEquals(detail, vm.state.value.opened)
    }

    @Test
    fun aVisitShowsEveryProblemOnItsFieldThenGoesInWithAReceipt() = runBlocking {
        val repo = PhoneRepository(district.phone)
        val worklist = WorklistViewModel(repo, district.session, scope)
        worklist.refresh().join()
        val family = worklist.state.value.families.first { it.members >= 2u }
        val visit = VisitViewModel(repo, district.session, scope)
        visit.open(family.familyId).join()
        val draft = assertNotNull(visit.state.value.draft)
        assertEquals(family.members.toInt(), draft.members.size)
        assertTrue(visit.state.value.choices!!.banks.any { it.id == "bri" })

        // Saved at every step: each edit has a new revision in the core.
        visit.chooseOutcome("ditemukan").join()
        val afterOutcome = visit.state.value.draft!!.revision
        assertTrue(afterOutcome > draft.revision)
        visit.setAccount("bri", "123").join()
        assertTrue(visit.state.value.draft!!.revision > afterOutcome)
        assertEquals(visit.state.value.draft!!.revision, district.phone.visitDrafts(district.session).single().revision)
        visit.next().join()
        assertEquals(VisitStep.Members, visit.state.value.step)

        // Every problem, each on its field: the account, the consent and each adult's IKD.
        val errors = visit.state.value.fieldErrors
        assertEquals("ACCOUNT_NUMBER_INVALID", errors["account.number"]?.code)
        assertEquals("CONSENT_MISSING", errors["consent"]?.code)
        val ikd = errors.problems.filter { it.field.endsWith(".ikd") }
        assertTrue(ikd.size >= 2, "every adult's IKD, not only the first: ${errors.problems}")
        assertTrue(errors.problems.size >= 4, "${errors.problems}")

        // A stale copy (the draft changed elsewhere) is refused and read again.
        val elsewhere = visit.state.value.draft!!.copy(note = "diubah di layar lain")
        district.phone.visitSave(district.session, elsewhere)
        visit.setAccount("bri", "999").join()
        assertEquals(ErrorCode.DraftStale, visit.state.value.problem?.kind)
        assertEquals("diubah di layar lain", visit.state.value.draft!!.note, "the core's copy, read again")
        assertEquals("123", visit.state.value.draft!!.accountNumber)

        answerFoundAsListed(visit)
        visit.submit().join()
        assertNull(visit.state.value.problem)
        assertTrue(visit.state.value.fieldErrors.isEmpty)
        val receipt = assertNotNull(visit.state.value.receipt)
        assertTrue(Regex("[0-9A-Z]{5}-[0-9A-Z]{5}").matches(receipt.code), receipt.code)
        // The worklist heard the write and shows the family visited.
        withTimeout(10_000) {
            while (worklist.state.value.families.first { it.familyId == family.familyId }.status != "dikunjungi") delay(20)
        }
    }

    /** Overlapping calls: the wizard stays busy (its buttons disabled) until the last one ends. */
    @Test
    fun theWizardIsBusyUntilItsLastCallEnds() = runBlocking {
        val core = Executors.newSingleThreadExecutor()
        try {
            val repo = PhoneRepository(district.phone, core.asCoroutineDispatcher())
            val family = district.phone.worklistPage(district.session, uniffi.perlinsos_ffi.WorklistFilter(null, null, null, null), 0u, 1u).single()
            val visit = VisitViewModel(repo, district.session, scope)
            visit.open(family.familyId).join()
            // The core's one thread is held; a save and then a re-read queue behind it, with a
            // second hold between them, so the save ends while the re-read still waits.
            val first = CountDownLatch(1)
            val second = CountDownLatch(1)
            core.execute { first.await() }
            val save = visit.setAccount("bri", "111")
            core.execute { second.await() }
            val reread = visit.reload()
            assertTrue(visit.state.value.busy)
            first.countDown()
            save.join()
            assertEquals("111", visit.state.value.draft!!.accountNumber)
            assertTrue(visit.state.value.busy, "the re-read still runs: the Lanjut button stays disabled")
            second.countDown()
            reread.join()
            assertFalse(visit.state.value.busy)
        } finally {
            core.shutdownNow()
        }
    }

    @Test
    fun aResultIsExplainedAndAMemberObjects() = runBlocking {
        val repo = PhoneRepository(district.phone)
        val family = district.phone.worklistPage(district.session, uniffi.perlinsos_ffi.WorklistFilter(null, null, null, null), 0u, 10u).first()
        district.server.operator(
            "publish-results", district.file("family_id,hasil,desil,programmes,alasan\n${family.familyId},tidak_layak,7,,Pemeringkatan DTSEN\n"),
        )
        district.phone.sync(district.session, 5u, null)
        val vm = ResultViewModel(repo, district.session, scope)
        vm.load(family.familyId).join()
        val result = assertNotNull(vm.state.value.result)
        assertTrue(!result.eligible && result.objectionOpen)
        assertTrue(result.explanation.first().contains("TIDAK LAYAK"))
        assertTrue(vm.state.value.canObject)

        vm.chooseReason("kondisi_berubah")
        vm.setStatement("Kepala keluarga sudah tidak bekerja sejak Agustus.")
        vm.file().join()
        val refused = assertNotNull(vm.state.value.problem, "no photo: the core refuses")
        assertTrue(refused.code.isNotEmpty())
        vm.addPhoto(photoTakenToday("cam2_wood.jpg"), "rumah", System.currentTimeMillis(), null, null)
        vm.file().join()
        assertNull(vm.state.value.problem)
        assertNotNull(vm.state.value.receipt)
        assertEquals(1, vm.state.value.objections.size)
        assertTrue(vm.state.value.photos.isEmpty())
    }
}
