// The household wizard against the real library and a real district server: every page saved
// to the core's draft, refusals on the fields the core names, the questionnaire of the synced
// model without the answers the core derives, the preview, submission, and a resumed draft.
package id.perlinsos.tests

import kotlin.test.AfterTest
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import id.perlinsos.viewmodels.HouseholdWizardViewModel
import id.perlinsos.viewmodels.WizardPage
import uniffi.perlinsos_ffi.PmtAnswer

class HouseholdWizardViewModelTest {
    private val district = DistrictPhone()

    @AfterTest
    fun stop() = district.stop()

    @Test
    fun eachPageSavesToTheDraftAndRefusalsLandOnTheirFields() = runBlocking {
        val phone = district.phone
        val wizard = HouseholdWizardViewModel(phone, district.session, this, "PDP-2026.1")
        assertTrue(wizard.choices.ikd.any { it.id == "perlu_ke_dukcapil" && it.label == "Perlu ke Dukcapil" })

        wizard.start(Family.visit).join()
        var s = wizard.state.value
        assertEquals(WizardPage.HOUSEHOLD, s.page)
        assertEquals("visit", s.savedStep)
        val draftId = s.draftId!!

        wizard.saveHousehold(Family.household.copy(kk = "52710102031500")).join()
        s = wizard.state.value
        assertEquals("KK_LENGTH", s.fieldErrors["kk"]?.code)
        assertEquals("Nomor KK harus terdiri dari tepat 16 digit.", s.fieldErrors["kk"]?.message)
        assertEquals(WizardPage.HOUSEHOLD, s.page)
        assertNull(s.household)

        wizard.saveHousehold(Family.household).join()
        s = wizard.state.value
        assertTrue(s.fieldErrors.isEmpty)
        assertEquals(WizardPage.MEMBERS, s.page)
        assertEquals("5271010203150004", s.household?.kk)

        wizard.putMember(null, Family.head).join()
        wizard.putMember(null, Family.wife.copy(birthDate = "1991-05-17")).join()
        s = wizard.state.value
        assertEquals("BIRTH_DATE_MISMATCH_NIK", s.fieldErrors["birth_date"]?.code)
        assertEquals("members[1].birth_date", s.problem?.field)
        assertEquals(1, s.members.size, "a refused member is not added")

        wizard.putMember(null, Family.wife).join()
        wizard.putMember(null, Family.child).join()
        s = wizard.state.value
        assertEquals(listOf("Lalu Muhammad Sahnan", "Baiq Rahmawati", "Lalu Ahmad Fauzi"), s.members.map { it.fullName })
        val (head, wife, child) = s.members
        wizard.putMember(wife.id, wife.toForm().copy(occupation = "Pedagang")).join()
        assertEquals("Pedagang", wizard.state.value.members[1].occupation)
        wizard.removeMember(child.id).join()
        assertEquals(2, wizard.state.value.members.size)
        wizard.putMember(null, Family.child).join()
        val childNow = wizard.state.value.members[2]

        wizard.giveConsent(childNow.id).join()
        s = wizard.state.value
        assertEquals("CONSENT_GIVER_INVALID", s.fieldErrors["given_by"]?.code)
        assertNull(s.consentBy)
        wizard.giveConsent(head.id).join()
        s = wizard.state.value
        assertEquals(WizardPage.IKD, s.page)
        assertEquals(head.id, s.consentBy)

        wizard.setIkd(childNow.id, "sudah_aktif").join()
        assertEquals("IKD_NOT_ADULT", wizard.state.value.fieldErrors["members[2].ikd"]?.code)
        wizard.setIkd(head.id, "dibantu_aktivasi").join()
        wizard.submit().join()
        s = wizard.state.value
        assertEquals("IKD_STATUS_MISSING", s.fieldErrors["members[1].ikd"]?.code, "the wife's IKD is missing")
        assertNull(s.submittedHouseholdId)
        wizard.setIkd(wife.id, "perlu_ke_dukcapil").join()
        assertEquals(listOf("dibantu_aktivasi", "perlu_ke_dukcapil", null), wizard.state.value.members.map { it.ikd })

        // Two models came by sync; the agent picks the district's log-linear one.
        assertEquals(setOf("ilustratif-kota-mataram", "ppi-indonesia-2022"), wizard.state.value.models.map { it.id }.toSet())
        wizard.chooseModel("ilustratif-kota-mataram").join()
        val questions = wizard.state.value.questions
        assertFalse(questions.any { it.id == "jumlah_anggota" }, "the household size comes from the draft")
        val floor = questions.first { it.id == "lantai" }
        assertEquals("choice", floor.kind)
        assertTrue(floor.label.isNotBlank() && floor.options.size == 4)

        wizard.computePreview().join()
        assertEquals("PMT_ANSWER_MISSING", wizard.state.value.fieldErrors["lantai"]?.code)
        for (q in questions) {
            wizard.answer(
                q.id,
                when (q.kind) {
                    "choice" -> PmtAnswer.Choice(q.options.first().id)
                    "yes_no" -> PmtAnswer.YesNo(false)
                    else -> PmtAnswer.Number(maxOf(q.min ?: 0.0, 0.0))
                },
            )
        }
        wizard.computePreview().join()
        s = wizard.state.value
        assertNull(s.problem)
        assertEquals("pmt", s.savedStep)
        val preview = assertNotNull(s.preview)
        assertTrue(preview.desil!! in 1..10)
        assertEquals("3", preview.contributions.single { it.questionId == "jumlah_anggota" }.answer)
        assertEquals(floor.options.first().label, preview.contributions.single { it.questionId == "lantai" }.answer)

        wizard.submit().join()
        val household = assertNotNull(wizard.state.value.submittedHouseholdId)
        assertTrue(phone.drafts(district.session).none { it.id == draftId })
        assertEquals(listOf(household), phone.householdIds(district.session))
    }

    @Test
    fun aDraftResumesWhereTheCoreSavedIt() = runBlocking {
        val first = HouseholdWizardViewModel(district.phone, district.session, this, "PDP-2026.1")
        first.start(Family.visit).join()
        first.saveHousehold(Family.household).join()
        first.putMember(null, Family.head).join()
        val draftId = first.state.value.draftId!!

        // The app was killed; a new screen resumes from the draft list.
        val again = HouseholdWizardViewModel(district.phone, district.session, this, "PDP-2026.1")
        again.resume(draftId).join()
        val s = again.state.value
        assertEquals(WizardPage.MEMBERS, s.page)
        assertEquals("members", s.savedStep)
        assertEquals("Jl. Melati No. 3", s.household?.street)
        assertEquals(Family.head, s.members.single().toForm())
        assertTrue(s.questions.isEmpty(), "two models: none is chosen for the agent")

        again.computePreview().join()
        assertEquals("PMT_MODEL_MISSING", again.state.value.problem?.code)
    }
}
