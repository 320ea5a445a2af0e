// The agent's day walked through the real screens, the real view-models and the real library
// against a real perlinsos-server (issue 21, item 4), with Compose desktop's UI test API: real
// text input and clicks on the semantics tree. The district imports a synthetic DTSEN extract;
// the agent enrolls with the operator's ticket and sets a PIN, the district assigns the
// kelurahan, the agent syncs, searches a family by NIK, verifies it step by step (outcome,
// each adult's NIK and IKD, the savings account, consent), submits, sees the receipt, syncs,
// and sees the district's answer on the family; a published Tidak Layak is explained and a
// member objects with a photo of the house, and gets a receipt. An idle lock and a hand-back from resident
// mode each ask for the PIN once and do not loop.
package id.perlinsos.screens.walk

import androidx.compose.ui.test.ComposeUiTest
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.hasAnyAncestor
import androidx.compose.ui.test.hasContentDescription
import androidx.compose.ui.test.hasTestTag
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.isEnabled
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performScrollTo
import androidx.compose.ui.test.performTextInput
import androidx.compose.ui.test.performTextReplacement
import androidx.compose.ui.test.runComposeUiTest
import id.perlinsos.screens.EnrollmentTags
import id.perlinsos.screens.FamilyTags
import id.perlinsos.screens.IkdStatus
import id.perlinsos.screens.ObjectionTags
import id.perlinsos.screens.PerlinsosTheme
import id.perlinsos.screens.PmtQuestionTags
import id.perlinsos.screens.PmtTags
import id.perlinsos.screens.ReceiptTags
import id.perlinsos.screens.ResultTags
import id.perlinsos.screens.Strings
import id.perlinsos.screens.SyncTags
import id.perlinsos.screens.UnlockTags
import id.perlinsos.screens.VisitOutcome
import id.perlinsos.screens.WizardTags
import id.perlinsos.screens.WorklistTags
import id.perlinsos.screens.app.AgentApp
import id.perlinsos.screens.app.AgentAppController
import id.perlinsos.screens.app.AppTags
import id.perlinsos.screens.app.Route
import id.perlinsos.screens.app.age
import id.perlinsos.viewmodels.LockCause
import id.perlinsos.viewmodels.ResidentModeViewModel
import id.perlinsos.viewmodels.UnlockState
import id.perlinsos.viewmodels.repository.PhoneRepository
import java.io.File
import java.nio.file.Files
import kotlin.test.AfterTest
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.runBlocking
import uniffi.perlinsos_ffi.Phone
import uniffi.perlinsos_ffi.WorklistFilter
import uniffi.perlinsos_ffi.testSampleExtract

private const val KELURAHAN = "52.71.01.1004"
private const val PIN = "482913"
private const val AGENT = "agen-01"
private const val WAIT_MS = 30_000L

/** A real perlinsos-server: operator commands on its data folder, serving on a free port. */
class WalkServer {
    private val bin = System.getenv("PERLINSOS_SERVER_BIN") ?: error("PERLINSOS_SERVER_BIN not set")
    val data: String = Files.createTempDirectory("perlinsos-walk-server").toString()
    private var process: Process? = null

    fun operator(vararg args: String): String {
        val p = ProcessBuilder(listOf(bin, "--data", data) + args.toList()).start()
        val out = p.inputStream.bufferedReader().readText()
        val err = p.errorStream.bufferedReader().readText()
        assertEquals(0, p.waitFor(), "${args.toList()}: $err")
        return out.trim()
    }

    fun ticket(agent: String, scope: String, url: String): String =
        operator("enroll-code", "--agent", agent, "--scope", scope, "--url", url)
            .lines().first { it.startsWith("QR") }.substringAfter(":").trim()

    fun serve(): String {
        val started = ProcessBuilder(bin, "--data", data, "serve", "--listen", "127.0.0.1:0").start()
        process = started
        val line = started.inputStream.bufferedReader().readLine() ?: error("server did not start")
        return "http://" + line.removePrefix("listening on ").trim()
    }

    fun stop() {
        process?.destroy()
        process?.waitFor()
    }
}

/** The synthetic extract: the library's test hook, or the same file kept beside the Kotlin tests. */
fun sampleExtract(): String = try {
    testSampleExtract(71uL, 12u, KELURAHAN)
} catch (e: UnsatisfiedLinkError) {
    File(System.getProperty("walk.fixtures", "bindings/kotlin-tests/fixtures"), "dtsen-sample-71x12.csv").readText()
}

fun photoBytes(): ByteArray = File(System.getProperty("walk.photos", "core/data/photos"), "cam2_wood.jpg").readBytes()

@OptIn(ExperimentalTestApi::class)
class WalkTest {
    private val server = WalkServer()
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    @AfterTest
    fun stop() {
        scope.cancel()
        server.stop()
    }

    /** Waits for the control to be enabled too: a button is disabled while a save is in flight, and
     *  on a slow machine a tap on it then would be lost (CI saw this on "Lanjut" after the account). */
    private fun ComposeUiTest.tap(tag: String) {
        waitUntil(timeoutMillis = WAIT_MS) { onAllNodes(hasTestTag(tag) and isEnabled()).fetchSemanticsNodes().isNotEmpty() }
        scrollTo(tag)
        onNodeWithTag(tag).performClick()
        waitForIdle()
    }

    private fun ComposeUiTest.type(tag: String, text: String) {
        waitFor(tag)
        scrollTo(tag)
        onNodeWithTag(tag).performTextInput(text)
        waitForIdle()
    }

    /** Into view when it is inside a scrolling column (the bar above the screens is not). */
    private fun ComposeUiTest.scrollTo(tag: String) {
        try {
            onNodeWithTag(tag).performScrollTo()
        } catch (e: AssertionError) {
            // no scrolling parent: already in view
        }
    }

    private fun ComposeUiTest.replace(tag: String, text: String) {
        waitFor(tag)
        scrollTo(tag)
        onNodeWithTag(tag).performTextReplacement(text)
        waitForIdle()
    }

    private fun ComposeUiTest.waitFor(tag: String) =
        waitUntil(timeoutMillis = WAIT_MS) { onAllNodes(hasTestTag(tag)).fetchSemanticsNodes().isNotEmpty() }

    /** A tag inside a node read as one (the DTSEN mark inside its question). */
    private fun ComposeUiTest.waitForUnmerged(tag: String) =
        waitUntil(timeoutMillis = WAIT_MS) { onAllNodes(hasTestTag(tag), useUnmergedTree = true).fetchSemanticsNodes().isNotEmpty() }

    private fun ComposeUiTest.waitForText(text: String, substring: Boolean = false) =
        waitUntil(timeoutMillis = WAIT_MS) { onAllNodes(hasText(text, substring = substring)).fetchSemanticsNodes().isNotEmpty() }

    private fun ComposeUiTest.shown(tag: String): Boolean = onAllNodes(hasTestTag(tag)).fetchSemanticsNodes().isNotEmpty()

    /** The PIN screen stays, with the PIN field, while time passes: no flip back and forth. */
    private fun ComposeUiTest.assertPinScreenStays(c: AgentAppController, sessions: Int) {
        waitFor(UnlockTags.PIN)
        repeat(10) {
            mainClock.advanceTimeBy(200)
            waitForIdle()
            Thread.sleep(20)
            assertTrue(shown(UnlockTags.PIN), "the PIN screen stays")
        }
        assertEquals(sessions, c.sessionsOpened, "no session was handed out without the PIN")
        assertTrue(c.gate.value!!.unlock.state.value is UnlockState.Waiting)
    }

    private fun ComposeUiTest.unlockWithPin() {
        type(UnlockTags.PIN, PIN)
        tap(UnlockTags.SUBMIT)
        waitFor(AppTags.NAV_SYNC)
    }

    private fun ComposeUiTest.syncNow(c: AgentAppController) {
        tap(AppTags.NAV_SYNC)
        val before = c.models.value!!.sync.state.value.lastSyncAtMs
        tap(SyncTags.START)
        waitUntil(timeoutMillis = WAIT_MS) { c.models.value!!.sync.state.value.let { !it.running && it.lastSyncAtMs != before } }
        waitForText("Terkirim", substring = true)
    }

    @Test
    fun anAgentsDayThroughTheRealScreens() = runComposeUiTest {
        val extract = Files.createTempFile("perlinsos-walk", ".csv").toFile().apply { writeText(sampleExtract()) }
        assertTrue(server.operator("import-families", extract.path).startsWith("imported 12 families"))
        server.operator("publish-model", File(System.getProperty("walk.models", "core/models"), "ilustratif-kota-mataram.json").path)
        val url = server.serve()
        val ticket = server.ticket(AGENT, KELURAHAN, url)
        val phone = Phone.open(Files.createTempDirectory("perlinsos-walk-phone").toString(), "ks".toByteArray())
        val c = AgentAppController(PhoneRepository(phone, Dispatchers.IO), null, scope, camera = { photoBytes() })
        setContent { PerlinsosTheme { AgentApp(c) } }

        // Enrollment: agent id, a new PIN twice, the district's recovery secret, the ticket.
        type(EnrollmentTags.AGENT_ID, AGENT)
        type(EnrollmentTags.PIN, PIN)
        type(EnrollmentTags.PIN_REPEAT, PIN)
        type(EnrollmentTags.RECOVERY, "07".repeat(32))
        type(EnrollmentTags.TICKET, ticket)
        tap(EnrollmentTags.SUBMIT)
        tap(EnrollmentTags.START)
        waitFor(WorklistTags.EMPTY)

        // The district assigns the kelurahan; a sync brings the worklist.
        server.operator("assign", "--agent", AGENT, "--kelurahan", KELURAHAN)
        syncNow(c)
        tap(AppTags.NAV_WORKLIST)
        waitUntil(timeoutMillis = WAIT_MS) { c.models.value!!.worklist.state.value.total == 12 }
        val session = c.models.value!!.session
        val listed = c.models.value!!.worklist.state.value.families.first { it.members >= 2u }
        val detail = assertNotNull(phone.worklistFamily(session, listed.familyId))

        // Search by a member's NIK, open the family, start the visit.
        type(WorklistTags.SEARCH, detail.members.last().nik)
        waitUntil(timeoutMillis = WAIT_MS) { c.models.value!!.worklist.state.value.families.map { it.familyId } == listOf(listed.familyId) }
        tap(WorklistTags.family(listed.familyId))
        tap(FamilyTags.START)

        // The wizard: found; each adult's NIK as on the KK and IKD; the savings account; consent.
        tap("${WizardTags.OUTCOME}.${VisitOutcome.FOUND.name}")
        waitUntil(timeoutMillis = WAIT_MS) { c.visit.value?.state?.value?.draft?.outcome == "ditemukan" }
        tap(WizardTags.NEXT)
        waitFor(WizardTags.ADD_MEMBER) // the members as listed, no change
        tap(WizardTags.NEXT)
        val members = c.visit.value!!.state.value.draft!!.members
        val adults = members.indices.filter { (age(members[it].member.birthDate) ?: 17) >= 17 }
        for (i in adults) {
            tap("${WizardTags.nik("$i")}.yes")
            waitUntil(timeoutMillis = WAIT_MS) { c.visit.value!!.state.value.draft!!.members[i].nikConfirmed }
            tap("${WizardTags.ikd("$i")}.${IkdStatus.ACTIVE.name}")
            waitUntil(timeoutMillis = WAIT_MS) { c.visit.value!!.state.value.draft!!.members[i].ikd == "sudah_aktif" }
        }
        tap(WizardTags.NEXT)
        tap("${WizardTags.BANK}.BRI")
        waitUntil(timeoutMillis = WAIT_MS) { c.visit.value!!.state.value.draft!!.bank == "bri" }
        type(WizardTags.ACCOUNT_NUMBER, "123401000567503")
        waitUntil(timeoutMillis = WAIT_MS) { c.visit.value!!.state.value.draft!!.accountNumber == "123401000567503" }
        tap(WizardTags.NEXT)

        // The PMT questionnaire, opened with the family's last answers from DTSEN, each marked
        // until the agent answers it with the resident; a count out of range is refused on its
        // question; the rest answered, the preview shown to the resident, back to the wizard.
        waitFor(PmtQuestionTags.COMPUTE)
        val pmt = assertNotNull(c.visit.value!!.state.value.pmt)
        assertTrue("lantai" in pmt.fromDtsen, "${pmt.fromDtsen}")
        waitForUnmerged(PmtQuestionTags.fromDtsen("lantai"))
        waitFor(PmtQuestionTags.DTSEN_NOTE)
        tap("${PmtQuestionTags.question("lantai")}.keramik")
        waitUntil(timeoutMillis = WAIT_MS) { onAllNodes(hasTestTag(PmtQuestionTags.fromDtsen("lantai")), useUnmergedTree = true).fetchSemanticsNodes().isEmpty() }
        replace(PmtQuestionTags.question("sepeda_motor"), "25")
        tap(PmtQuestionTags.COMPUTE)
        waitUntil(timeoutMillis = WAIT_MS) { c.visit.value!!.state.value.fieldErrors["answers.sepeda_motor"] != null }
        val outOfRange = c.visit.value!!.state.value.fieldErrors["answers.sepeda_motor"]!!.message
        waitUntil(timeoutMillis = WAIT_MS) {
            onAllNodes(hasText(outOfRange) and hasAnyAncestor(hasTestTag("${PmtQuestionTags.question("sepeda_motor")}.error")), useUnmergedTree = true)
                .fetchSemanticsNodes().isNotEmpty()
        }
        replace(PmtQuestionTags.question("sepeda_motor"), "1")
        for (q in pmt.questions.filter { it.id !in c.visit.value!!.state.value.pmt!!.answers }) {
            when (q.kind) {
                "choice" -> tap("${PmtQuestionTags.question(q.id)}.${q.options.first().id}")
                "yes_no" -> tap("${PmtQuestionTags.question(q.id)}.no")
                else -> replace(PmtQuestionTags.question(q.id), q.min?.toInt()?.toString() ?: "0")
            }
        }
        tap(PmtQuestionTags.COMPUTE)
        waitUntil(timeoutMillis = WAIT_MS) { c.route.value == Route.VisitPmtPreview }
        val preview = assertNotNull(c.visit.value!!.state.value.pmt!!.preview)
        waitFor(PmtTags.READ)
        preview.desil?.let { waitForText(Strings.pmtDesilValue(it)) }
        tap(PmtTags.BACK)
        waitFor(PmtQuestionTags.SAVED)
        assertEquals(preview.desil, c.visit.value!!.state.value.draft!!.pmt?.desil?.toInt())
        tap(WizardTags.NEXT)
        val head = members.indexOfFirst { it.member.relation == "kepala_keluarga" }.coerceAtLeast(adults.first())
        tap("${WizardTags.CONSENT_BY}.$head")
        tap(WizardTags.CONSENT_GIVEN)
        waitUntil(timeoutMillis = WAIT_MS) { c.visit.value!!.state.value.draft!!.consentBy == members[head].member.nik }
        tap(WizardTags.SUBMIT)

        // The receipt the resident keeps.
        waitFor(ReceiptTags.CODE)
        val receipt = (c.route.value as Route.Receipt).receipt
        assertTrue(Regex("[0-9A-Z]{5}-[0-9A-Z]{5}").matches(receipt.code), receipt.code)
        // Shown in two halves that wrap as wholes; read aloud as one.
        waitForText(receipt.code.substringBefore('-') + "-")
        waitForText(receipt.code.substringAfter('-'))
        waitUntil(timeoutMillis = WAIT_MS) {
            onAllNodes(hasContentDescription(Strings.receiptSpoken(receipt.code))).fetchSemanticsNodes().isNotEmpty()
        }
        tap(ReceiptTags.DONE)

        // Sync: the district confirms the receipt; the family shows the visit accepted.
        syncNow(c)
        assertTrue(server.operator("check-receipt", receipt.code).startsWith("SAH"))
        tap(AppTags.NAV_WORKLIST)
        tap(WorklistTags.family(listed.familyId))
        waitForText(Strings.visitStatus("diterima"), substring = true)
        waitForText(Strings.statusVisited)

        // The district publishes results; another family's member objects to a Tidak Layak.
        val target = phone.worklistPage(session, WorklistFilter(null, null, null, null), 0u, 50u).first { it.familyId != listed.familyId }
        val results = Files.createTempFile("perlinsos-walk", ".csv").toFile()
        results.writeText("family_id,hasil,desil,programmes,alasan\n${target.familyId},tidak_layak,7,,Pemeringkatan DTSEN\n")
        server.operator("publish-results", results.path)
        syncNow(c)
        tap(AppTags.NAV_WORKLIST)
        val targetNik = phone.worklistFamily(session, target.familyId)!!.members.first().nik
        replace(WorklistTags.SEARCH, targetNik)
        waitUntil(timeoutMillis = WAIT_MS) { c.models.value!!.worklist.state.value.families.map { it.familyId } == listOf(target.familyId) }
        tap(WorklistTags.family(target.familyId))
        tap(AppTags.FAMILY_RESULT)
        waitFor(ResultTags.STATUS)
        waitForText(Strings.resultTidakLayak)
        waitForText("Pemeringkatan DTSEN", substring = true)
        tap(ResultTags.OBJECT)
        tap("${ObjectionTags.REASON}.kondisi_berubah")
        type(ObjectionTags.STATEMENT, "Kepala keluarga sudah tidak bekerja sejak Agustus.")
        tap(ObjectionTags.TAKE_HOUSE)
        waitUntil(timeoutMillis = WAIT_MS) { c.result.value!!.state.value.photos.size == 1 }
        tap(ObjectionTags.SUBMIT)
        waitFor(ReceiptTags.CODE)
        val objection = (c.route.value as Route.Receipt).receipt
        tap(ReceiptTags.DONE)
        waitFor(ResultTags.STATUS)
        syncNow(c)
        assertTrue(server.operator("objections").contains(objection.recordId))

        // The idle timer locks: the PIN once, no loop; the PIN brings the agent back.
        val sessions = c.sessionsOpened
        c.lock(LockCause.Idle)
        waitForText(Strings.unlockIdle)
        assertPinScreenStays(c, sessions)
        unlockWithPin()
        assertEquals(sessions + 1, c.sessionsOpened)
        waitFor(WorklistTags.SEARCH)
    }

    @Test
    fun anIdleLockAndAHandBackAskForThePinOnceAndDoNotLoop() = runComposeUiTest {
        val phone = Phone.open(Files.createTempDirectory("perlinsos-walk-lock").toString(), "ks".toByteArray())
        phone.enrollAgent(AGENT, PIN, ByteArray(32) { 7 }).lock()
        val c = AgentAppController(PhoneRepository(phone, Dispatchers.IO), AGENT, scope)
        setContent { PerlinsosTheme { AgentApp(c) } }

        // Start: the PIN.
        assertPinScreenStays(c, 0)
        unlockWithPin()
        assertEquals(1, c.sessionsOpened)

        // Idle lock, twice over: each time the PIN is asked for once and the screen stays.
        repeat(2) { round ->
            c.lock(LockCause.Idle)
            waitForText(Strings.unlockIdle)
            assertPinScreenStays(c, 1 + round)
            unlockWithPin()
            assertEquals(2 + round, c.sessionsOpened)
        }

        // Resident mode empties the session; the PIN typed there hands a new one back.
        val agent = c.models.value!!.session
        val resident = ResidentModeViewModel(phone, agent, scope)
        runBlocking {
            resident.enterForSanggahan(KELURAHAN).join()
            resident.leave(PIN).join()
        }
        val back = assertNotNull(resident.state.value.agentSession)
        c.handedBack(back)
        waitUntil(timeoutMillis = WAIT_MS) { c.models.value?.session === back }
        waitFor(WorklistTags.SEARCH)
        val afterHandBack = c.sessionsOpened

        // Then an idle lock: the emptied session never comes back, the PIN is asked for once.
        c.lock(LockCause.Idle)
        assertPinScreenStays(c, afterHandBack)
        unlockWithPin()
        assertEquals(afterHandBack + 1, c.sessionsOpened)
        val now = c.models.value!!.session
        assertTrue(now !== agent && now !== back)
        waitFor(WorklistTags.EMPTY) // the new session reads the (empty) worklist: no SESSION_IDLE_LOCKED
        assertEquals(null, c.models.value!!.worklist.state.value.problem)
    }

    @Test
    fun theIdleTimerLocksTheScreensAfterNoEventAndThePinScreenStays() = runComposeUiTest {
        val phone = Phone.open(Files.createTempDirectory("perlinsos-walk-autolock").toString(), "ks".toByteArray())
        phone.enrollAgent(AGENT, PIN, ByteArray(32) { 7 }).lock()
        val c = AgentAppController(PhoneRepository(phone, Dispatchers.IO), AGENT, scope, autoLockMs = 3_000)
        setContent { PerlinsosTheme { AgentApp(c) } }
        unlockWithPin()
        assertEquals(1, c.sessionsOpened)

        // Screen events keep the session: taps on the bar, each within the idle time.
        repeat(3) { round ->
            Thread.sleep(1_200)
            tap(if (round % 2 == 0) AppTags.NAV_SYNC else AppTags.NAV_WORKLIST)
        }
        assertTrue(c.gate.value!!.session.value != null, "touched within the idle time: still open")
        assertEquals(0, c.autoLock!!.locks)

        // Then nothing: the timer locks, the PIN screen shows once and stays (no loop).
        waitForText(Strings.unlockIdle)
        assertPinScreenStays(c, 1)
        assertEquals(1, c.autoLock!!.locks)
        assertEquals(1, c.gate.value!!.lockCount)
        unlockWithPin()
        assertEquals(2, c.sessionsOpened)
        assertTrue(c.autoLock!!.armed, "the new session has its timer")
    }
}
