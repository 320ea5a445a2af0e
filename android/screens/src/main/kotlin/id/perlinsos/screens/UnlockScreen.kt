// The PIN screen, stateless: it shows what it is given and reports what the agent does. The
// refusal text, the attempts left and the retry time come from the core through the state.
// Also the screen after an idle lock and after a hand-back from resident mode (the reason is
// said on top), with "Ganti agen" when several agents share the phone.
package id.perlinsos.screens

import androidx.compose.foundation.text.KeyboardActions
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.error
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.input.ImeAction
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation

const val PIN_LENGTH = 6

enum class LockReason { START, IDLE, HAND_BACK }

data class UnlockScreenState(
    val agentId: String,
    val pin: String = "",
    /** The core's refusal, shown under the PIN field. */
    val error: String? = null,
    val attemptsLeft: Int? = null,
    /** When the core allows the next try, already formatted for the agent. */
    val retryAt: String? = null,
    val busy: Boolean = false,
    val reason: LockReason = LockReason.START,
    /** Other agents are enrolled on this phone: offer the switcher. */
    val canSwitchAgent: Boolean = false,
) {
    val canSubmit: Boolean get() = pin.length == PIN_LENGTH && !busy && retryAt == null
}

sealed interface UnlockEvent {
    data class PinChanged(val pin: String) : UnlockEvent
    data object Submit : UnlockEvent
    data object SwitchAgent : UnlockEvent
}

object UnlockTags {
    const val PIN = "unlock.pin"
    const val SUBMIT = "unlock.submit"
    const val SWITCH = "unlock.switch"
}

@Composable
fun UnlockScreen(state: UnlockScreenState, onEvent: (UnlockEvent) -> Unit, modifier: Modifier = Modifier) {
    ScreenColumn(Strings.unlockTitle, modifier, subtitle = Strings.unlockAgent(state.agentId)) {
        when (state.reason) {
            LockReason.IDLE -> NoteCard(Strings.unlockIdle, "unlock.reason")
            LockReason.HAND_BACK -> NoteCard(Strings.unlockHandBack, "unlock.reason")
            LockReason.START -> {}
        }
        OutlinedTextField(
            value = state.pin,
            onValueChange = { onEvent(UnlockEvent.PinChanged(it.filter(Char::isDigit).take(PIN_LENGTH))) },
            label = { Text(Strings.unlockPin) },
            isError = state.error != null,
            supportingText = state.error?.let { { Text(it, modifier = Modifier.testTag("${UnlockTags.PIN}.error")) } },
            visualTransformation = PasswordVisualTransformation(),
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.NumberPassword, imeAction = ImeAction.Done),
            keyboardActions = KeyboardActions(onDone = { if (state.canSubmit) onEvent(UnlockEvent.Submit) }),
            singleLine = true,
            enabled = !state.busy,
            modifier = Modifier.fillMaxWidth().heightIn(min = MinTouch).testTag(UnlockTags.PIN)
                .semantics { state.error?.let { error(it) } },
        )
        state.attemptsLeft?.let { Text(Strings.unlockAttemptsLeft(it)) }
        state.retryAt?.let { Text(Strings.unlockRetryAt(it), color = MaterialTheme.colorScheme.error) }
        PrimaryButton(if (state.busy) Strings.unlockBusy else Strings.unlockSubmit, { onEvent(UnlockEvent.Submit) },
            UnlockTags.SUBMIT, enabled = state.canSubmit)
        if (state.canSwitchAgent) {
            TextButton(onClick = { onEvent(UnlockEvent.SwitchAgent) },
                modifier = Modifier.fillMaxWidth().heightIn(min = MinTouch).testTag(UnlockTags.SWITCH)) { Text(Strings.unlockSwitch) }
        }
    }
}
