// The PIN screen over UnlockViewModel: the core's refusal, attempts left and when to retry.
package id.perlinsos.app.screens

import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import id.perlinsos.app.R
import id.perlinsos.app.UnlockScreenModel
import id.perlinsos.app.screenModel
import id.perlinsos.viewmodels.UnlockState
import java.text.DateFormat
import java.util.Date
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.Phone

@Composable
fun UnlockScreen(phone: Phone, agentId: String, onUnlocked: (AgentSession) -> Unit) {
    val model = screenModel(agentId) { UnlockScreenModel(phone, agentId) }
    val state by model.unlock.state.collectAsStateWithLifecycle()
    var pin by remember { mutableStateOf("") }
    // Taken once: the model goes back to asking for the PIN, so showing this screen again
    // after an idle lock or a hand-back cannot hand an old session back (no lock loop).
    LaunchedEffect(state) {
        if (state is UnlockState.Unlocked) model.unlock.take()?.let(onUnlocked)
    }
    Column(Modifier.fillMaxSize().padding(24.dp)) {
        Text(stringResource(R.string.unlock_title), style = MaterialTheme.typography.headlineSmall)
        Text(stringResource(R.string.unlock_agent, agentId))
        OutlinedTextField(
            value = pin,
            onValueChange = { pin = it.filter(Char::isDigit).take(6) },
            label = { Text(stringResource(R.string.unlock_pin)) },
            visualTransformation = PasswordVisualTransformation(),
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.NumberPassword),
            singleLine = true,
            modifier = Modifier.padding(vertical = 16.dp),
        )
        Button(onClick = { model.submit(pin); pin = "" }) { Text(stringResource(R.string.unlock_submit)) }
        (state as? UnlockState.Failed)?.let { failed ->
            Text(failed.problem.message, color = MaterialTheme.colorScheme.error, modifier = Modifier.padding(top = 16.dp))
        }
        (state as? UnlockState.Refused)?.let { refused ->
            Text(refused.message, color = MaterialTheme.colorScheme.error, modifier = Modifier.padding(top = 16.dp))
            if (refused.attemptsLeft >= 0) Text(stringResource(R.string.unlock_attempts_left, refused.attemptsLeft))
            refused.retryAtMs?.let {
                Text(stringResource(R.string.unlock_retry_at, DateFormat.getTimeInstance(DateFormat.SHORT).format(Date(it))))
            }
        }
    }
}
