// First run, stateless: the agent on this phone (id, a new PIN typed twice, the district's
// recovery secret), then the phone with the district (the operator's ticket, pasted or scanned).
// Every refusal is the core's and is shown under the field it names, all of them; a server out of
// reach leaves the agent working and the district step for later.
package id.perlinsos.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp

enum class EnrollmentStage { AGENT, DISTRICT, DONE }

object EnrollmentFields {
    const val AGENT_ID = "agent_id"
    const val PIN = "pin"
    const val PIN_REPEAT = "pin_repeat"
    const val RECOVERY = "recovery_secret"
    const val TICKET = "code"
    val all = listOf(AGENT_ID, PIN, PIN_REPEAT, RECOVERY, TICKET)
}

data class EnrollmentScreenState(
    val stage: EnrollmentStage = EnrollmentStage.AGENT,
    val agentId: String = "",
    val pin: String = "",
    val pinRepeat: String = "",
    val recoveryHex: String = "",
    val ticket: String = "",
    /** The agent already on the phone (DISTRICT and DONE). */
    val enrolledAgentId: String? = null,
    /** The last district step found the server out of reach. */
    val districtUnreachable: Boolean = false,
    /** The kelurahan the district gave the agent (DONE). */
    val districtScope: List<String> = emptyList(),
    val fieldErrors: List<FieldError> = emptyList(),
    val busy: Boolean = false,
)

sealed interface EnrollmentEvent {
    data class AgentIdChanged(val value: String) : EnrollmentEvent
    data class PinChanged(val value: String) : EnrollmentEvent
    data class PinRepeatChanged(val value: String) : EnrollmentEvent
    data class RecoveryChanged(val value: String) : EnrollmentEvent
    data class TicketChanged(val value: String) : EnrollmentEvent
    data object PasteTicket : EnrollmentEvent
    data object ScanTicket : EnrollmentEvent
    data object Submit : EnrollmentEvent
    data object RetryDistrict : EnrollmentEvent
    data object ConnectLater : EnrollmentEvent
    data object Start : EnrollmentEvent
}

object EnrollmentTags {
    const val AGENT_ID = "enroll.agent_id"
    const val PIN = "enroll.pin"
    const val PIN_REPEAT = "enroll.pin_repeat"
    const val RECOVERY = "enroll.recovery"
    const val TICKET = "enroll.ticket"
    const val PASTE = "enroll.paste"
    const val SCAN = "enroll.scan"
    const val SUBMIT = "enroll.submit"
    const val RETRY = "enroll.retry"
    const val LATER = "enroll.later"
    const val START = "enroll.start"
}

@Composable
fun EnrollmentScreen(state: EnrollmentScreenState, onEvent: (EnrollmentEvent) -> Unit, modifier: Modifier = Modifier) {
    val errors = state.fieldErrors
    val enabled = !state.busy
    when (state.stage) {
        EnrollmentStage.AGENT -> ScreenColumn(Strings.enrollTitle, modifier, subtitle = Strings.enrollIntro) {
            LabeledField(Strings.enrollAgentId, state.agentId, { onEvent(EnrollmentEvent.AgentIdChanged(it)) },
                EnrollmentTags.AGENT_ID, errors.on(EnrollmentFields.AGENT_ID), KeyboardType.Ascii, enabled = enabled)
            LabeledField(Strings.enrollPin, state.pin, { onEvent(EnrollmentEvent.PinChanged(it.filter(Char::isDigit).take(PIN_LENGTH))) },
                EnrollmentTags.PIN, errors.on(EnrollmentFields.PIN), KeyboardType.NumberPassword, secret = true, enabled = enabled)
            LabeledField(Strings.enrollPinRepeat, state.pinRepeat, { onEvent(EnrollmentEvent.PinRepeatChanged(it.filter(Char::isDigit).take(PIN_LENGTH))) },
                EnrollmentTags.PIN_REPEAT, errors.on(EnrollmentFields.PIN_REPEAT), KeyboardType.NumberPassword, secret = true, enabled = enabled)
            // Shown, not masked: the agent copies it from the district's letter and must see typos.
            LabeledField(Strings.enrollRecovery, state.recoveryHex, { onEvent(EnrollmentEvent.RecoveryChanged(it)) },
                EnrollmentTags.RECOVERY, errors.on(EnrollmentFields.RECOVERY), KeyboardType.Ascii, singleLine = false,
                enabled = enabled, hint = Strings.enrollRecoveryHint)
            TicketInput(state, onEvent)
            ProblemCard(errors.notOn(EnrollmentFields.all).map { it.message })
            Busy(state.busy)
            PrimaryButton(Strings.enrollSubmit, { onEvent(EnrollmentEvent.Submit) }, EnrollmentTags.SUBMIT, enabled = enabled)
        }
        EnrollmentStage.DISTRICT -> ScreenColumn(
            Strings.enrollDistrictTitle, modifier, subtitle = Strings.enrollAgentOnPhone(state.enrolledAgentId.orEmpty()),
        ) {
            if (state.districtUnreachable) OfflineBanner(Strings.enrollOffline)
            TicketInput(state, onEvent)
            ProblemCard(errors.notOn(EnrollmentFields.all).map { it.message })
            Busy(state.busy)
            PrimaryButton(Strings.enrollRetry, { onEvent(EnrollmentEvent.RetryDistrict) }, EnrollmentTags.RETRY, enabled = enabled)
            SecondaryButton(Strings.enrollLater, { onEvent(EnrollmentEvent.ConnectLater) }, EnrollmentTags.LATER, enabled = enabled)
        }
        EnrollmentStage.DONE -> ScreenColumn(Strings.enrollDoneTitle, modifier, subtitle = Strings.enrollDone(state.enrolledAgentId.orEmpty())) {
            if (state.districtScope.isNotEmpty()) {
                SectionTitle(Strings.enrollScope)
                for (k in state.districtScope) Text("• $k")
            }
            PrimaryButton(Strings.enrollStart, { onEvent(EnrollmentEvent.Start) }, EnrollmentTags.START)
        }
    }
}

@Composable
private fun TicketInput(state: EnrollmentScreenState, onEvent: (EnrollmentEvent) -> Unit) {
    val enabled = !state.busy
    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
        LabeledField(Strings.enrollTicket, state.ticket, { onEvent(EnrollmentEvent.TicketChanged(it)) },
            EnrollmentTags.TICKET, state.fieldErrors.on(EnrollmentFields.TICKET), KeyboardType.Ascii, singleLine = false,
            enabled = enabled, hint = Strings.enrollTicketHint)
        SecondaryButton(Strings.enrollPaste, { onEvent(EnrollmentEvent.PasteTicket) }, EnrollmentTags.PASTE, enabled = enabled)
        SecondaryButton(Strings.enrollScan, { onEvent(EnrollmentEvent.ScanTicket) }, EnrollmentTags.SCAN, enabled = enabled)
    }
}

@Composable
fun Busy(busy: Boolean, text: String = Strings.busy) {
    if (!busy) return
    Column {
        LinearProgressIndicator(Modifier.fillMaxWidth())
        Text(text)
    }
}
