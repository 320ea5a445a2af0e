// The PIN screen, stateless: it shows what it is given and reports what the agent does. The
// refusal text, the attempts left and the retry time come from the core through the state.
package id.perlinsos.screens

import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardActions
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.text.input.ImeAction
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp

const val PIN_LENGTH = 6

data class UnlockScreenState(
    val agentId: String,
    val pin: String = "",
    /** The core's refusal, shown under the PIN field. */
    val error: String? = null,
    val attemptsLeft: Int? = null,
    /** When the core allows the next try, already formatted for the agent. */
    val retryAt: String? = null,
    val busy: Boolean = false,
) {
    val canSubmit: Boolean get() = pin.length == PIN_LENGTH && !busy && retryAt == null
}

sealed interface UnlockEvent {
    data class PinChanged(val pin: String) : UnlockEvent
    data object Submit : UnlockEvent
}

object UnlockTags {
    const val PIN = "unlock.pin"
    const val SUBMIT = "unlock.submit"
}

@Composable
fun UnlockScreen(state: UnlockScreenState, onEvent: (UnlockEvent) -> Unit, modifier: Modifier = Modifier) {
    Column(modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(24.dp)) {
        Text(Strings.unlockTitle, style = MaterialTheme.typography.headlineSmall)
        Text(Strings.unlockAgent(state.agentId), modifier = Modifier.padding(top = 4.dp))
        OutlinedTextField(
            value = state.pin,
            onValueChange = { onEvent(UnlockEvent.PinChanged(it.filter(Char::isDigit).take(PIN_LENGTH))) },
            label = { Text(Strings.unlockPin) },
            isError = state.error != null,
            supportingText = state.error?.let { { Text(it) } },
            visualTransformation = PasswordVisualTransformation(),
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.NumberPassword, imeAction = ImeAction.Done),
            keyboardActions = KeyboardActions(onDone = { if (state.canSubmit) onEvent(UnlockEvent.Submit) }),
            singleLine = true,
            enabled = !state.busy,
            modifier = Modifier.fillMaxWidth().padding(top = 16.dp).testTag(UnlockTags.PIN),
        )
        state.attemptsLeft?.let { Text(Strings.unlockAttemptsLeft(it), modifier = Modifier.padding(top = 8.dp)) }
        state.retryAt?.let {
            Text(Strings.unlockRetryAt(it), color = MaterialTheme.colorScheme.error, modifier = Modifier.padding(top = 8.dp))
        }
        Button(
            onClick = { onEvent(UnlockEvent.Submit) },
            enabled = state.canSubmit,
            modifier = Modifier.fillMaxWidth().heightIn(min = 48.dp).padding(top = 16.dp).testTag(UnlockTags.SUBMIT),
        ) { Text(if (state.busy) Strings.unlockBusy else Strings.unlockSubmit) }
    }
}
