// The verification visit of a listed family, one step a page: outcome, members with their
// corrections and reasons, each adult's NIK against the KK and IKD status, the savings account,
// the PMT questionnaire (PmtQuestionnaire.kt), consent (read aloud to the resident). Every refusal is shown on the field it names, all of them;
// the core saves a draft at each step, so "Kembali" loses nothing.
package id.perlinsos.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Card
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp

enum class WizardStep(val label: String) {
    OUTCOME(Strings.stepOutcome),
    MEMBERS(Strings.stepMembers),
    IDENTITY(Strings.stepIdentity),
    ACCOUNT(Strings.stepAccount),
    PMT(Strings.stepPmt),
    CONSENT(Strings.stepConsent),
}

enum class VisitOutcome(val label: String) {
    FOUND(Strings.outcomeFound),
    MOVED(Strings.outcomeMoved),
    DECEASED(Strings.outcomeDeceased),
    NOT_FOUND(Strings.outcomeNotFound),
    REFUSED(Strings.outcomeRefused),
}

enum class MemberChange(val label: String) {
    NONE(Strings.changeNone),
    BORN(Strings.changeBorn),
    DIED(Strings.changeDied),
    MOVED_IN(Strings.changeMovedIn),
    MOVED_OUT(Strings.changeMovedOut),
    CORRECTED(Strings.changeCorrected),
}

enum class IkdStatus(val label: String) {
    ACTIVE(Strings.ikdActive),
    ACTIVATED_DURING_VISIT(Strings.ikdActivated),
    NEEDS_DUKCAPIL(Strings.ikdDukcapil),
    NO_PHONE(Strings.ikdNoPhone),
}

enum class Bank(val label: String) {
    BRI(Strings.bankBri),
    BNI(Strings.bankBni),
    MANDIRI(Strings.bankMandiri),
    BTN(Strings.bankBtn),
    BSI(Strings.bankBsi),
}

data class WizardMember(
    val id: String,
    val name: String,
    val relation: String,
    val maskedNik: String,
    val adult: Boolean,
    val change: MemberChange = MemberChange.NONE,
    val reason: String = "",
    val nikMatchesKk: Boolean? = null,
    val ikd: IkdStatus? = null,
)

/** The field names errors are reported under (the core's, for one member with its id). */
object WizardFields {
    const val OUTCOME = "outcome"
    fun change(memberId: String) = "members[$memberId].change"
    fun reason(memberId: String) = "members[$memberId].reason"
    fun nik(memberId: String) = "members[$memberId].nik"
    fun ikd(memberId: String) = "members[$memberId].ikd"
    const val BANK = "account.bank"
    const val ACCOUNT_NUMBER = "account.number"
    const val ACCOUNT_HOLDER = "account.holder"
    const val CONSENT_BY = "consent.given_by"
    const val CONSENT = "consent.given"
}

data class VisitWizardState(
    val familyHead: String,
    val step: WizardStep = WizardStep.OUTCOME,
    val outcome: VisitOutcome? = null,
    val members: List<WizardMember> = emptyList(),
    val bank: Bank? = null,
    val noAccount: Boolean = false,
    val accountNumber: String = "",
    val accountHolder: String = "",
    val consentNotice: String = Strings.consentNotice,
    val consentBy: String? = null,
    val consentGiven: Boolean = false,
    val pmt: PmtQuestionnaireState = PmtQuestionnaireState(),
    val fieldErrors: List<FieldError> = emptyList(),
    val offline: Boolean = false,
    val busy: Boolean = false,
) {
    /** Only a found family goes through every step; any other outcome is saved from the first. */
    val steps: List<WizardStep> get() = if (outcome == null || outcome == VisitOutcome.FOUND) WizardStep.entries else listOf(WizardStep.OUTCOME)
    val isLastStep: Boolean get() = step == steps.last()

    /** The names of every field this wizard shows, on any step. */
    val knownFields: Set<String>
        get() = buildSet {
            add(WizardFields.OUTCOME); add(WizardFields.BANK); add(WizardFields.ACCOUNT_NUMBER); add(WizardFields.ACCOUNT_HOLDER)
            add(WizardFields.CONSENT_BY); add(WizardFields.CONSENT)
            add(PmtFields.PMT)
            for (q in pmt.questions) add(PmtFields.answer(q.id))
            for (m in members) { add(WizardFields.change(m.id)); add(WizardFields.reason(m.id)); add(WizardFields.nik(m.id)); add(WizardFields.ikd(m.id)) }
        }
}

sealed interface VisitWizardEvent {
    data class OutcomeChosen(val outcome: VisitOutcome) : VisitWizardEvent
    data class MemberChangeChosen(val memberId: String, val change: MemberChange) : VisitWizardEvent
    data class MemberReasonChanged(val memberId: String, val reason: String) : VisitWizardEvent
    data object AddMember : VisitWizardEvent
    data class NikChecked(val memberId: String, val matchesKk: Boolean) : VisitWizardEvent
    data class IkdChosen(val memberId: String, val status: IkdStatus) : VisitWizardEvent
    data class BankChosen(val bank: Bank?) : VisitWizardEvent
    data class NoAccountChanged(val noAccount: Boolean) : VisitWizardEvent
    data class AccountNumberChanged(val number: String) : VisitWizardEvent
    data class AccountHolderChanged(val name: String) : VisitWizardEvent
    data class ConsentByChosen(val memberId: String) : VisitWizardEvent
    data class ConsentGivenChanged(val given: Boolean) : VisitWizardEvent
    data class Pmt(val event: PmtQuestionnaireEvent) : VisitWizardEvent
    data class ReadAloud(val text: String) : VisitWizardEvent
    data object Next : VisitWizardEvent
    data object Back : VisitWizardEvent
    data object Submit : VisitWizardEvent
}

object WizardTags {
    const val OUTCOME = "wizard.outcome"
    fun change(id: String) = "wizard.member.$id.change"
    fun reason(id: String) = "wizard.member.$id.reason"
    fun nik(id: String) = "wizard.member.$id.nik"
    fun ikd(id: String) = "wizard.member.$id.ikd"
    const val ADD_MEMBER = "wizard.members.add"
    const val BANK = "wizard.account.bank"
    const val NO_ACCOUNT = "wizard.account.none"
    const val ACCOUNT_NUMBER = "wizard.account.number"
    const val ACCOUNT_HOLDER = "wizard.account.holder"
    const val CONSENT_READ = "wizard.consent.read"
    const val CONSENT_BY = "wizard.consent.by"
    const val CONSENT_GIVEN = "wizard.consent.given"
    const val NEXT = "wizard.next"
    const val BACK = "wizard.back"
    const val SUBMIT = "wizard.submit"
}

@Composable
fun VisitWizardScreen(state: VisitWizardState, onEvent: (VisitWizardEvent) -> Unit, modifier: Modifier = Modifier) {
    val steps = state.steps
    val index = steps.indexOf(state.step).coerceAtLeast(0)
    val stepText = Strings.wizardStep(index + 1, steps.size, state.step.label)
    ScreenColumn(Strings.wizardTitle, modifier, subtitle = state.familyHead) {
        Text(stepText, style = MaterialTheme.typography.titleMedium)
        LinearProgressIndicator(
            progress = { (index + 1f) / steps.size },
            modifier = Modifier.fillMaxWidth().semantics { contentDescription = stepText },
        )
        if (state.offline) OfflineBanner(Strings.wizardOfflineNote)
        ProblemCard(state.fieldErrors.notOn(state.knownFields).map { it.message })
        val errors = state.fieldErrors
        when (state.step) {
            WizardStep.OUTCOME -> ChoiceGroup(
                Strings.outcomeQuestion,
                VisitOutcome.entries.map { ChoiceOption(it.name, it.label) },
                state.outcome?.name,
                { onEvent(VisitWizardEvent.OutcomeChosen(VisitOutcome.valueOf(it))) },
                WizardTags.OUTCOME,
                errors.on(WizardFields.OUTCOME),
            )
            WizardStep.MEMBERS -> {
                Text(Strings.membersIntro)
                for (m in state.members) MemberCard(m) {
                    ChipChoice(null, MemberChange.entries.map { ChoiceOption(it.name, it.label) }, m.change.name,
                        { id -> id?.let { onEvent(VisitWizardEvent.MemberChangeChosen(m.id, MemberChange.valueOf(it))) } },
                        WizardTags.change(m.id), errors.on(WizardFields.change(m.id)))
                    if (m.change != MemberChange.NONE || errors.on(WizardFields.reason(m.id)).isNotEmpty()) {
                        LabeledField(Strings.memberReason, m.reason, { onEvent(VisitWizardEvent.MemberReasonChanged(m.id, it)) },
                            WizardTags.reason(m.id), errors.on(WizardFields.reason(m.id)), singleLine = false)
                    }
                }
                SecondaryButton(Strings.memberAdd, { onEvent(VisitWizardEvent.AddMember) }, WizardTags.ADD_MEMBER)
            }
            WizardStep.IDENTITY -> {
                Text(Strings.identityIntro)
                for (m in state.members.filter { it.adult && it.change != MemberChange.DIED && it.change != MemberChange.MOVED_OUT }) MemberCard(m) {
                    ChipChoice(Strings.nikQuestion, listOf(ChoiceOption("yes", Strings.nikMatches), ChoiceOption("no", Strings.nikDiffers)),
                        m.nikMatchesKk?.let { if (it) "yes" else "no" },
                        { id -> id?.let { onEvent(VisitWizardEvent.NikChecked(m.id, it == "yes")) } },
                        WizardTags.nik(m.id), errors.on(WizardFields.nik(m.id)))
                    ChoiceGroup(Strings.ikdQuestion, IkdStatus.entries.map { ChoiceOption(it.name, it.label) }, m.ikd?.name,
                        { onEvent(VisitWizardEvent.IkdChosen(m.id, IkdStatus.valueOf(it))) },
                        WizardTags.ikd(m.id), errors.on(WizardFields.ikd(m.id)))
                }
            }
            WizardStep.ACCOUNT -> {
                Text(Strings.accountIntro)
                CheckRow(Strings.accountNone, state.noAccount, { onEvent(VisitWizardEvent.NoAccountChanged(it)) }, WizardTags.NO_ACCOUNT)
                if (!state.noAccount) {
                    ChipChoice(Strings.accountBank, Bank.entries.map { ChoiceOption(it.name, it.label) }, state.bank?.name,
                        { onEvent(VisitWizardEvent.BankChosen(it?.let(Bank::valueOf))) }, WizardTags.BANK, errors.on(WizardFields.BANK))
                    LabeledField(Strings.accountNumber, state.accountNumber, { onEvent(VisitWizardEvent.AccountNumberChanged(it.filter(Char::isDigit))) },
                        WizardTags.ACCOUNT_NUMBER, errors.on(WizardFields.ACCOUNT_NUMBER), KeyboardType.Number)
                    LabeledField(Strings.accountHolder, state.accountHolder, { onEvent(VisitWizardEvent.AccountHolderChanged(it)) },
                        WizardTags.ACCOUNT_HOLDER, errors.on(WizardFields.ACCOUNT_HOLDER))
                }
            }
            WizardStep.PMT -> PmtQuestionnaire(state.pmt, errors, { onEvent(VisitWizardEvent.Pmt(it)) }, enabled = !state.busy)
            WizardStep.CONSENT -> {
                // "Bacakan" above the notice: at a large font the notice fills the screen.
                ReadAloudButton(Strings.consentWhat, state.consentNotice, { onEvent(VisitWizardEvent.ReadAloud(it)) }, WizardTags.CONSENT_READ,
                    Modifier.fillMaxWidth())
                NoteCard(state.consentNotice, "wizard.consent.notice")
                ChoiceGroup(Strings.consentWho,
                    state.members.filter { it.adult && it.change != MemberChange.DIED && it.change != MemberChange.MOVED_OUT }
                        .map { ChoiceOption(it.id, "${it.name} (${it.relation})") },
                    state.consentBy, { onEvent(VisitWizardEvent.ConsentByChosen(it)) }, WizardTags.CONSENT_BY, errors.on(WizardFields.CONSENT_BY))
                CheckRow(Strings.consentGiven, state.consentGiven, { onEvent(VisitWizardEvent.ConsentGivenChanged(it)) }, WizardTags.CONSENT_GIVEN)
                FieldErrors(errors.on(WizardFields.CONSENT), WizardTags.CONSENT_GIVEN)
            }
        }
        Busy(state.busy)
        if (state.isLastStep) {
            PrimaryButton(Strings.wizardSubmit, { onEvent(VisitWizardEvent.Submit) }, WizardTags.SUBMIT, enabled = !state.busy && state.outcome != null)
        } else {
            PrimaryButton(Strings.next, { onEvent(VisitWizardEvent.Next) }, WizardTags.NEXT, enabled = !state.busy && state.outcome != null)
        }
        if (index > 0) SecondaryButton(Strings.back, { onEvent(VisitWizardEvent.Back) }, WizardTags.BACK, enabled = !state.busy)
    }
}

@Composable
private fun MemberCard(m: WizardMember, content: @Composable () -> Unit) {
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Column(Modifier.semantics(mergeDescendants = true) {}) {
                Text(m.name, style = MaterialTheme.typography.titleMedium)
                Text("${m.relation} · NIK ${m.maskedNik}")
            }
            content()
        }
    }
}

// ---- The receipt the resident keeps ----

data class ReceiptState(
    val code: String,
    val familyHead: String,
    val savedAt: String,
    val qrPayload: String,
    /** Not yet sent to the district (the code stands; the server checks it on arrival). */
    val pending: Boolean = true,
)

sealed interface ReceiptEvent {
    data class ReadAloud(val text: String) : ReceiptEvent
    data object Done : ReceiptEvent
}

object ReceiptTags {
    const val CODE = "receipt.code"
    const val QR = "receipt.qr"
    const val READ = "receipt.read"
    const val DONE = "receipt.done"
}

@OptIn(ExperimentalLayoutApi::class)
@Composable
fun ReceiptScreen(state: ReceiptState, onEvent: (ReceiptEvent) -> Unit, modifier: Modifier = Modifier) {
    ScreenColumn(Strings.receiptTitle, modifier) {
        Card(Modifier.fillMaxWidth()) {
            Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                Text(Strings.receiptCode, style = MaterialTheme.typography.labelLarge)
                // The halves wrap as wholes at a large font: never "K7QM2-XP / D4A".
                FlowRow(Modifier.testTag(ReceiptTags.CODE).semantics(mergeDescendants = true) { contentDescription = Strings.receiptSpoken(state.code) }) {
                    val parts = state.code.split('-')
                    for ((i, part) in parts.withIndex()) {
                        Text(if (i < parts.lastIndex) "$part-" else part, style = MaterialTheme.typography.headlineMedium, softWrap = false)
                    }
                }
                Text(Strings.receiptKeep, style = MaterialTheme.typography.titleMedium)
                ReadAloudButton(Strings.receiptWhat, Strings.receiptSpoken(state.code), { onEvent(ReceiptEvent.ReadAloud(it)) }, ReceiptTags.READ)
            }
        }
        LabelValue(Strings.receiptFamily, state.familyHead)
        LabelValue(Strings.receiptTime, state.savedAt)
        if (state.pending) Text(Strings.receiptPending)
        SectionTitle(Strings.receiptQr)
        Text(state.qrPayload, style = MaterialTheme.typography.bodySmall, modifier = Modifier.testTag(ReceiptTags.QR))
        PrimaryButton(Strings.receiptDone, { onEvent(ReceiptEvent.Done) }, ReceiptTags.DONE)
    }
}
