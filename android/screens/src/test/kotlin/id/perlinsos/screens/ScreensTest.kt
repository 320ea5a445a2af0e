// The shared screens driven as an agent or a resident would: real text input and clicks through
// Compose's desktop UI test API, with the state held by the test the way a view-model would.
package id.perlinsos.screens

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.SemanticsMatcher
import androidx.compose.ui.test.assertIsSelected
import androidx.compose.ui.test.assertIsNotSelected
import androidx.compose.ui.test.hasAnyAncestor
import androidx.compose.ui.test.hasTestTag
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.onNodeWithText
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performScrollTo
import androidx.compose.ui.test.performTextInput
import androidx.compose.ui.test.runComposeUiTest
import id.perlinsos.screens.gallery.Samples
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import org.junit.jupiter.api.Test

/** A node showing [message] somewhere inside the node tagged [fieldTag] (its own field). */
fun errorOn(fieldTag: String, message: String): SemanticsMatcher = hasText(message) and hasAnyAncestor(hasTestTag(fieldTag))

@OptIn(ExperimentalTestApi::class)
class WorklistScreenTest {
    @Test
    fun typingASearchEmitsTheQueryAndTappingARowOpensThatFamily() = runComposeUiTest {
        var state by mutableStateOf(Samples.worklist)
        val events = mutableListOf<WorklistEvent>()
        setContent {
            WorklistScreen(state, onEvent = { e ->
                events += e
                if (e is WorklistEvent.QueryChanged) {
                    // what the view-model does with the core's search: here, a name prefix
                    state = state.copy(query = e.query, families = Samples.families.filter { it.headName.startsWith(e.query) })
                }
            })
        }
        onNodeWithTag(WorklistTags.SEARCH).performTextInput("Ni W")
        assertEquals(WorklistEvent.QueryChanged("Ni W"), events.filterIsInstance<WorklistEvent.QueryChanged>().last())
        onNodeWithTag(WorklistTags.family("F001")).assertDoesNotExist()
        onNodeWithText("Ni Wayan Sukerti").assertExists()
        onNodeWithTag(WorklistTags.family("F003")).performClick()
        assertEquals(WorklistEvent.Open("F003"), events.last())
    }

    @Test
    fun theStatusFilterAndTheEmptyListAreShown() = runComposeUiTest {
        var state by mutableStateOf(Samples.worklist)
        val events = mutableListOf<WorklistEvent>()
        setContent {
            WorklistScreen(state, onEvent = { e ->
                events += e
                if (e is WorklistEvent.StatusChosen) state = state.copy(status = e.status, families = emptyList())
            })
        }
        onNodeWithTag("${WorklistTags.STATUS}.${VisitStatus.REVISIT.name}").performClick()
        assertEquals(WorklistEvent.StatusChosen(VisitStatus.REVISIT), events.last())
        onNodeWithTag(WorklistTags.EMPTY).assertExists()
        onNodeWithText(Strings.worklistNoMatch).assertExists()
    }

    @Test
    fun mulaiKunjunganStartsAVisitOfThatFamily() = runComposeUiTest {
        val events = mutableListOf<FamilyEvent>()
        setContent { FamilyScreen(Samples.family, onEvent = { events += it }) }
        onNodeWithText("Inaq Rabiah").assertExists()
        onNodeWithTag(FamilyTags.START).performClick()
        assertEquals(listOf<FamilyEvent>(FamilyEvent.StartVisit("F001")), events)
    }
}

@OptIn(ExperimentalTestApi::class)
class VisitWizardScreenTest {
    private val moved = "Keluarga pindah: catat alamat baru pada keterangan."

    @Test
    fun theOutcomeChoiceIsEmittedAndTheCoresRefusalShowsOnTheOutcome() = runComposeUiTest {
        var state by mutableStateOf(Samples.wizard)
        val events = mutableListOf<VisitWizardEvent>()
        setContent {
            VisitWizardScreen(state, onEvent = { e ->
                events += e
                when (e) {
                    is VisitWizardEvent.OutcomeChosen -> state = state.copy(outcome = e.outcome, fieldErrors = emptyList())
                    VisitWizardEvent.Submit -> state = state.copy(fieldErrors = listOf(FieldError(WizardFields.OUTCOME, moved)))
                    else -> {}
                }
            })
        }
        onNodeWithTag(WizardTags.NEXT).assertExists() // nothing chosen: "Lanjut", disabled
        onNodeWithText(Strings.outcomeMoved).performClick()
        assertEquals(VisitWizardEvent.OutcomeChosen(VisitOutcome.MOVED), events.last())
        onNodeWithTag("${WizardTags.OUTCOME}.${VisitOutcome.MOVED.name}").assertIsSelected()
        onNodeWithTag("${WizardTags.OUTCOME}.${VisitOutcome.FOUND.name}").assertIsNotSelected()
        // A family that moved is saved from the first step.
        onNodeWithText(Strings.wizardStep(1, 1, Strings.stepOutcome)).assertExists()
        onNodeWithTag(WizardTags.SUBMIT).performClick()
        assertEquals(VisitWizardEvent.Submit, events.last())
        onNode(errorOn(WizardTags.OUTCOME, moved), useUnmergedTree = true).assertExists()
        onNodeWithTag("problem").assertDoesNotExist() // on its field, not in the card on top
        onNodeWithText(Strings.outcomeFound).performClick()
        onNode(hasText(moved), useUnmergedTree = true).assertDoesNotExist()
        onNodeWithText(Strings.wizardStep(1, 6, Strings.stepOutcome)).assertExists()
    }

    @Test
    fun everyFieldErrorIsShownOnItsOwnField() = runComposeUiTest {
        var state by mutableStateOf(
            Samples.wizard.copy(
                step = WizardStep.ACCOUNT, outcome = VisitOutcome.FOUND,
                fieldErrors = listOf(
                    FieldError(WizardFields.BANK, "Pilih bank."),
                    FieldError(WizardFields.ACCOUNT_NUMBER, "Nomor rekening terlalu pendek."),
                    FieldError(WizardFields.ACCOUNT_NUMBER, "Nomor rekening hanya angka."),
                    FieldError(WizardFields.ACCOUNT_HOLDER, "Nama pemilik rekening wajib diisi."),
                    FieldError("household", "Draf kunjungan tidak ditemukan."),
                ),
            ),
        )
        val events = mutableListOf<VisitWizardEvent>()
        setContent {
            VisitWizardScreen(state, onEvent = { e ->
                events += e
                if (e is VisitWizardEvent.AccountNumberChanged) state = state.copy(accountNumber = e.number)
            })
        }
        onNode(errorOn(WizardTags.BANK, "Pilih bank."), useUnmergedTree = true).assertExists()
        onNode(errorOn("${WizardTags.ACCOUNT_NUMBER}.error", "Nomor rekening terlalu pendek."), useUnmergedTree = true).assertExists()
        onNode(errorOn("${WizardTags.ACCOUNT_NUMBER}.error", "Nomor rekening hanya angka."), useUnmergedTree = true).assertExists()
        onNode(errorOn("${WizardTags.ACCOUNT_HOLDER}.error", "Nama pemilik rekening wajib diisi."), useUnmergedTree = true).assertExists()
        onNode(errorOn("problem", "Draf kunjungan tidak ditemukan."), useUnmergedTree = true).assertExists()
        onNodeWithTag(WizardTags.ACCOUNT_NUMBER).performTextInput("12-34")
        assertEquals("1234", state.accountNumber)
        onNodeWithTag("${WizardTags.BANK}.${Bank.BSI.name}").performClick()
        assertEquals(VisitWizardEvent.BankChosen(Bank.BSI), events.last())
    }

    @Test
    fun thePmtStepMarksDtsenAnswersEmitsEachAnswerAndShowsEachRefusalOnItsQuestion() = runComposeUiTest {
        val prefilled = Samples.pmtQuestions.map { q ->
            when (q.id) { "lantai" -> q.copy(answer = "semen", fromDtsen = true); "kulkas" -> q.copy(answer = "no", fromDtsen = true); else -> q }
        }
        var state by mutableStateOf(Samples.pmtWizard.copy(pmt = Samples.pmtWizard.pmt.copy(questions = prefilled)))
        val events = mutableListOf<VisitWizardEvent>()
        setContent {
            VisitWizardScreen(state, onEvent = { e ->
                events += e
                val pmt = (e as? VisitWizardEvent.Pmt)?.event
                // As the view-model does: an answer given takes the DTSEN mark off; the core refuses 25.
                fun answer(id: String, value: String) = state.copy(pmt = state.pmt.copy(questions = state.pmt.questions.map {
                    if (it.id == id) it.copy(answer = value, fromDtsen = false) else it
                }))
                when (pmt) {
                    is PmtQuestionnaireEvent.ChoiceAnswered -> state = answer(pmt.questionId, pmt.optionId)
                    is PmtQuestionnaireEvent.NumberChanged -> state = answer(pmt.questionId, pmt.text)
                    PmtQuestionnaireEvent.Compute -> state = state.copy(fieldErrors = listOf(
                        FieldError(PmtFields.answer("sepeda_motor"), "Nilai jawaban di luar rentang yang diizinkan."),
                        FieldError(PmtFields.answer("listrik"), "Pertanyaan ini wajib dijawab."),
                    ))
                    else -> {}
                }
            })
        }
        onNodeWithText(Strings.wizardStep(5, 6, Strings.stepPmt)).assertExists()
        onNodeWithTag(PmtQuestionTags.DTSEN_NOTE).assertExists()
        onNodeWithTag(PmtQuestionTags.fromDtsen("lantai"), useUnmergedTree = true).assertExists()
        onNodeWithTag(PmtQuestionTags.fromDtsen("sepeda_motor"), useUnmergedTree = true).assertDoesNotExist()
        onNodeWithTag("${PmtQuestionTags.question("lantai")}.semen").assertIsSelected()
        onNodeWithTag("${PmtQuestionTags.question("lantai")}.keramik").performClick()
        assertEquals(VisitWizardEvent.Pmt(PmtQuestionnaireEvent.ChoiceAnswered("lantai", "keramik")), events.last())
        onNodeWithTag(PmtQuestionTags.fromDtsen("lantai"), useUnmergedTree = true).assertDoesNotExist()
        onNodeWithTag(PmtQuestionTags.fromDtsen("kulkas"), useUnmergedTree = true).assertExists()
        onNodeWithTag("${PmtQuestionTags.question("kulkas")}.yes").performScrollTo().performClick()
        assertEquals(VisitWizardEvent.Pmt(PmtQuestionnaireEvent.YesNoAnswered("kulkas", true)), events.last())
        // A count takes digits only.
        onNodeWithTag(PmtQuestionTags.question("sepeda_motor")).performScrollTo().performTextInput("2x5")
        assertEquals(VisitWizardEvent.Pmt(PmtQuestionnaireEvent.NumberChanged("sepeda_motor", "25")), events.last())
        onNodeWithTag(PmtQuestionTags.COMPUTE).performScrollTo().performClick()
        assertEquals(VisitWizardEvent.Pmt(PmtQuestionnaireEvent.Compute), events.last())
        onNode(errorOn("${PmtQuestionTags.question("sepeda_motor")}.error", "Nilai jawaban di luar rentang yang diizinkan."), useUnmergedTree = true).assertExists()
        onNode(errorOn(PmtQuestionTags.question("listrik"), "Pertanyaan ini wajib dijawab."), useUnmergedTree = true).assertExists()
        onNodeWithTag("problem").assertDoesNotExist() // each on its question, not in the card on top
    }

    @Test
    fun bacakanOnTheConsentStepEmitsTheNotice() = runComposeUiTest {
        val events = mutableListOf<VisitWizardEvent>()
        setContent { VisitWizardScreen(Samples.wizard.copy(step = WizardStep.CONSENT, outcome = VisitOutcome.FOUND), onEvent = { events += it }) }
        onNodeWithTag(WizardTags.CONSENT_READ).performClick()
        assertEquals(VisitWizardEvent.ReadAloud(Strings.consentNotice), events.last())
        onNodeWithTag("${WizardTags.CONSENT_BY}.M1").performClick()
        assertEquals(VisitWizardEvent.ConsentByChosen("M1"), events.last())
        onNodeWithTag(WizardTags.CONSENT_GIVEN).performClick()
        assertEquals(VisitWizardEvent.ConsentGivenChanged(true), events.last())
        // the child is not asked for consent
        onNodeWithTag("${WizardTags.CONSENT_BY}.M3").assertDoesNotExist()
    }
}

@OptIn(ExperimentalTestApi::class)
class EnrollmentScreenTest {
    @Test
    fun typedInputsAreEmittedAndEveryErrorIsOnItsField() = runComposeUiTest {
        var state by mutableStateOf(EnrollmentScreenState())
        val events = mutableListOf<EnrollmentEvent>()
        setContent {
            EnrollmentScreen(state, onEvent = { e ->
                events += e
                state = when (e) {
                    is EnrollmentEvent.AgentIdChanged -> state.copy(agentId = e.value)
                    is EnrollmentEvent.PinChanged -> state.copy(pin = e.value)
                    is EnrollmentEvent.PinRepeatChanged -> state.copy(pinRepeat = e.value)
                    EnrollmentEvent.Submit -> state.copy(fieldErrors = listOf(
                        FieldError(EnrollmentFields.PIN, "PIN tidak boleh berurutan."),
                        FieldError(EnrollmentFields.PIN_REPEAT, "Kedua PIN tidak sama."),
                        FieldError(EnrollmentFields.RECOVERY, "Kode pemulihan wajib diisi."),
                    ))
                    else -> state
                }
            })
        }
        onNodeWithTag(EnrollmentTags.AGENT_ID).performTextInput("agen-7")
        onNodeWithTag(EnrollmentTags.PIN).performTextInput("12345678")
        onNodeWithTag(EnrollmentTags.PIN_REPEAT).performTextInput("654321")
        assertEquals("123456", state.pin) // six digits at most
        onNodeWithTag(EnrollmentTags.SUBMIT).performClick()
        assertEquals(EnrollmentEvent.Submit, events.last())
        onNode(errorOn("${EnrollmentTags.PIN}.error", "PIN tidak boleh berurutan."), useUnmergedTree = true).assertExists()
        onNode(errorOn("${EnrollmentTags.PIN_REPEAT}.error", "Kedua PIN tidak sama."), useUnmergedTree = true).assertExists()
        onNode(errorOn("${EnrollmentTags.RECOVERY}.error", "Kode pemulihan wajib diisi."), useUnmergedTree = true).assertExists()
    }

    @Test
    fun theDistrictStepOffersPasteScanRetryAndLater() = runComposeUiTest {
        val events = mutableListOf<EnrollmentEvent>()
        setContent {
            EnrollmentScreen(EnrollmentScreenState(stage = EnrollmentStage.DISTRICT, enrolledAgentId = "agen-7", districtUnreachable = true), onEvent = { events += it })
        }
        onNodeWithText(Strings.enrollOffline).assertExists()
        for (tag in listOf(EnrollmentTags.PASTE, EnrollmentTags.SCAN, EnrollmentTags.RETRY, EnrollmentTags.LATER)) onNodeWithTag(tag).performClick()
        assertEquals(
            listOf(EnrollmentEvent.PasteTicket, EnrollmentEvent.ScanTicket, EnrollmentEvent.RetryDistrict, EnrollmentEvent.ConnectLater),
            events,
        )
    }
}

@OptIn(ExperimentalTestApi::class)
class OtherScreensTest {
    @Test
    fun pickingAnAgentAndAddingAnother() = runComposeUiTest {
        val events = mutableListOf<AgentSwitcherEvent>()
        setContent {
            AgentSwitcherScreen(AgentSwitcherState(listOf(AgentItem("a1", "Baiq"), AgentItem("a2", "Lalu"))), onEvent = { events += it })
        }
        onNodeWithTag(AgentSwitcherTags.agent("a2")).performClick()
        onNodeWithTag(AgentSwitcherTags.ADD).performClick()
        assertEquals(listOf(AgentSwitcherEvent.Pick("a2"), AgentSwitcherEvent.AddAgent), events)
    }

    @Test
    fun bacakanOnThePmtPreviewEmitsTheExplanationAndTheNote() = runComposeUiTest {
        val events = mutableListOf<PmtPreviewEvent>()
        setContent { PmtPreviewScreen(Samples.pmt, onEvent = { events += it }) }
        onNodeWithText(Strings.pmtNote).assertExists()
        onNodeWithTag(PmtTags.READ).performClick()
        val text = (events.single() as PmtPreviewEvent.ReadAloud).text
        assertTrue(Samples.pmt.explanation in text && Strings.pmtNote in text && "Desil 2" in text, text)
    }

    @Test
    fun theResultIsReadAloudAndAnObjectionCanBeStartedBeforeTheDeadline() = runComposeUiTest {
        val events = mutableListOf<ResultEvent>()
        setContent { ResultScreen(Samples.result, onEvent = { events += it }) }
        onNodeWithTag(ResultTags.READ).performClick()
        onNodeWithTag(ResultTags.OBJECT).performClick()
        val text = (events.first() as ResultEvent.ReadAloud).text
        assertTrue("Layak" in text && "15 Januari 2027" in text && "PKH dan BPNT" in text, text)
        assertEquals(ResultEvent.Object, events.last())
    }

    @Test
    fun noObjectionAfterTheDeadline() = runComposeUiTest {
        setContent { ResultScreen(Samples.result.copy(deadlinePassed = true), onEvent = {}) }
        onNodeWithText(Strings.resultDeadlinePassed).assertExists()
        onNodeWithTag(ResultTags.OBJECT).assertDoesNotExist()
    }

    @Test
    fun theObjectionFormsReasonStatementAndPhotos() = runComposeUiTest {
        var state by mutableStateOf(ObjectionState(ObjectionKind.RECIPIENT, "H. Lalu Hasan",
            photos = listOf(PhotoRow(0, house = true, hasLocation = false, sizeKb = 800)),
            fieldErrors = listOf(FieldError(ObjectionFields.photo(0), "Foto rumah tanpa lokasi tidak dapat menjadi bukti."))))
        val events = mutableListOf<ObjectionEvent>()
        setContent {
            ObjectionScreen(state, onEvent = { e ->
                events += e
                if (e is ObjectionEvent.StatementChanged) state = state.copy(statement = e.text)
                if (e is ObjectionEvent.ReasonChosen) state = state.copy(reason = e.reasonId)
            })
        }
        onNode(errorOn("objection.photo.0.error", "Foto rumah tanpa lokasi tidak dapat menjadi bukti."), useUnmergedTree = true).assertExists()
        onNodeWithText("Data ganda").performClick()
        onNodeWithTag("${ObjectionTags.REASON}.data_ganda").assertIsSelected()
        onNodeWithTag(ObjectionTags.STATEMENT).performTextInput("Penerima sudah pindah ke Sumbawa.")
        onNodeWithTag(ObjectionTags.remove(0)).performClick()
        onNodeWithTag(ObjectionTags.TAKE_HOUSE).performClick()
        onNodeWithTag(ObjectionTags.SUBMIT).performClick()
        assertEquals(
            listOf(ObjectionEvent.ReasonChosen("data_ganda"), ObjectionEvent.StatementChanged("Penerima sudah pindah ke Sumbawa."),
                ObjectionEvent.RemovePhoto(0), ObjectionEvent.TakePhoto(house = true), ObjectionEvent.Submit),
            events,
        )
    }

    @Test
    fun syncRetriesParkedItemsAndCannotStartOffline() = runComposeUiTest {
        var offline by mutableStateOf(false)
        val events = mutableListOf<SyncEvent>()
        setContent {
            SyncScreen(SyncScreenState(pending = 1, offline = offline,
                parked = listOf(ParkedRow("P1", "Kunjungan", "Keluarga X", "Konflik kunjungan.", "VISIT_CONFLICT"))), onEvent = { events += it })
        }
        onNodeWithText(Strings.syncReason("Konflik kunjungan."), useUnmergedTree = true).assertExists()
        onNodeWithTag(SyncTags.RETRY).performClick()
        onNodeWithTag(SyncTags.START).performClick()
        assertEquals(listOf<SyncEvent>(SyncEvent.RetryParked, SyncEvent.Start), events)
        offline = true
        onNodeWithTag(SyncTags.START).performClick()
        assertEquals(2, events.size)
    }

    @Test
    fun syncShowsACertificateRefusalApartFromOffline() = runComposeUiTest {
        var certificate by mutableStateOf<CertificateProblem?>(CertificateProblem.MISMATCH)
        val events = mutableListOf<SyncEvent>()
        setContent {
            SyncScreen(SyncScreenState(pending = 3, certificate = certificate,
                message = "Sertifikat server tidak sama dengan yang didaftarkan dinas."), onEvent = { events += it })
        }
        onNodeWithTag(SyncTags.CERTIFICATE).assertExists()
        onNodeWithText(Strings.syncCertMismatchTitle, useUnmergedTree = true).assertExists()
        onNodeWithText(Strings.syncCertMismatch, useUnmergedTree = true).assertExists()
        onNodeWithText(Strings.syncCertAction, useUnmergedTree = true).assertExists()
        onNodeWithText("SERVER_CERT_MISMATCH", useUnmergedTree = true).assertExists()
        // Not the offline banner, and the core's own sentence is not repeated under it.
        onNodeWithTag("offline").assertDoesNotExist()
        onNodeWithText(Strings.syncOffline, useUnmergedTree = true).assertDoesNotExist()
        onNodeWithText("Sertifikat server tidak sama dengan yang didaftarkan dinas.", useUnmergedTree = true).assertDoesNotExist()
        // The agent may try again once on another network: the start button stays.
        onNodeWithTag(SyncTags.START).performClick()
        assertEquals(listOf<SyncEvent>(SyncEvent.Start), events)

        certificate = CertificateProblem.UNTRUSTED
        onNodeWithText(Strings.syncCertUntrustedTitle, useUnmergedTree = true).assertExists()
        onNodeWithText(Strings.syncCertUntrusted, useUnmergedTree = true).assertExists()
        onNodeWithText("SERVER_CERT_UNTRUSTED", useUnmergedTree = true).assertExists()
        onNodeWithText(Strings.syncCertMismatchTitle, useUnmergedTree = true).assertDoesNotExist()

        certificate = null
        onNodeWithTag(SyncTags.CERTIFICATE).assertDoesNotExist()
    }
}
