// First-run enrollment over EnrollmentViewModel: agent id, a new PIN typed twice, the district's
// recovery secret (hex, printed or read from its QR code) and the operator's one-time code. The
// agent is enrolled on the phone, then the phone with the district; when the server is out of
// reach the agent may go on working and connect the phone to the district later (the same screen
// comes back, with only the code, after the next PIN). Refusals are the core's, under their fields.
package id.perlinsos.app.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import id.perlinsos.app.EnrollScreenModel
import id.perlinsos.app.R
import id.perlinsos.app.screenModel
import id.perlinsos.viewmodels.EnrollmentForm
import id.perlinsos.viewmodels.EnrollmentStep
import id.perlinsos.viewmodels.EnrollmentViewModel
import id.perlinsos.viewmodels.Problem
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.Phone

/** The inputs this screen shows problems under; any other problem goes in the card on top. */
private val shownFields = setOf("pin", "code", EnrollmentViewModel.PIN_REPEAT_FIELD, EnrollmentViewModel.RECOVERY_FIELD)

/**
 * [enrolledAgentId] null: the whole first-run form. Otherwise that agent is on the phone and only
 * the district step is left. [onEnrolled] gets the agent, its session when this screen opened one,
 * and whether the district step is still open (the agent chose to connect later).
 */
@Composable
fun EnrollScreen(
    phone: Phone,
    enrolledAgentId: String?,
    onEnrolled: (agentId: String, session: AgentSession?, districtPending: Boolean) -> Unit,
) {
    val model = screenModel(enrolledAgentId ?: "first-run") { EnrollScreenModel(phone, enrolledAgentId) }
    val state by model.enrollment.state.collectAsStateWithLifecycle()
    var agentId by rememberSaveable { mutableStateOf("") }
    var code by rememberSaveable { mutableStateOf("") }
    // The PIN and the recovery secret stay out of the saved instance state. No input is trimmed
    // or filtered here: the core judges the PIN's format and the agent id.
    var pin by remember { mutableStateOf("") }
    var pinRepeat by remember { mutableStateOf("") }
    var recoveryHex by remember { mutableStateOf("") }
    LaunchedEffect(state.step) {
        if (state.step == EnrollmentStep.DONE) {
            pin = ""; pinRepeat = ""; recoveryHex = ""
            state.agentId?.let { onEnrolled(it, state.session, false) }
        }
    }
    val errors = state.fieldErrors
    Column(Modifier.fillMaxSize().padding(24.dp).verticalScroll(rememberScrollState())) {
        if (state.step == EnrollmentStep.AGENT) {
            Text(stringResource(R.string.enroll_title), style = MaterialTheme.typography.headlineSmall)
            Text(stringResource(R.string.not_enrolled), Modifier.padding(vertical = 8.dp))
            Field(stringResource(R.string.enroll_agent_id), agentId, { agentId = it })
            SecretField(stringResource(R.string.enroll_pin), pin, { pin = it }, errors["pin"])
            SecretField(
                stringResource(R.string.enroll_pin_repeat), pinRepeat, { pinRepeat = it },
                errors[EnrollmentViewModel.PIN_REPEAT_FIELD],
            )
            Field(
                stringResource(R.string.enroll_recovery), recoveryHex, { recoveryHex = it },
                errors[EnrollmentViewModel.RECOVERY_FIELD], KeyboardType.Ascii, singleLine = false,
            )
        } else {
            Text(stringResource(R.string.enroll_district_title), style = MaterialTheme.typography.headlineSmall)
            Text(stringResource(R.string.enroll_agent_on_phone, state.agentId.orEmpty()), Modifier.padding(vertical = 8.dp))
        }
        if (state.step != EnrollmentStep.DONE) {
            Field(stringResource(R.string.enroll_code), code, { code = it }, errors["code"], KeyboardType.Ascii)
        }
        ProblemCard(state.problem?.takeIf { it.field !in shownFields })
        if (state.busy) {
            LinearProgressIndicator(Modifier.fillMaxWidth().padding(vertical = 8.dp))
            Text(stringResource(R.string.enroll_working))
        }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp), modifier = Modifier.padding(vertical = 12.dp)) {
            when (state.step) {
                EnrollmentStep.AGENT -> Button(enabled = !state.busy, onClick = {
                    model.enrollment.enroll(EnrollmentForm(agentId, pin, pinRepeat, recoveryHex, code))
                }) { Text(stringResource(R.string.enroll_submit)) }
                EnrollmentStep.DISTRICT -> {
                    Button(enabled = !state.busy, onClick = { model.enrollment.retryDistrict(code) }) {
                        Text(stringResource(R.string.enroll_retry))
                    }
                    OutlinedButton(enabled = !state.busy, onClick = {
                        pin = ""; pinRepeat = ""; recoveryHex = ""
                        state.agentId?.let { onEnrolled(it, state.session, true) }
                    }) { Text(stringResource(R.string.enroll_later)) }
                }
                EnrollmentStep.DONE -> {}
            }
        }
    }
}

@Composable
private fun SecretField(label: String, value: String, onValueChange: (String) -> Unit, error: Problem?) {
    OutlinedTextField(
        value = value,
        onValueChange = onValueChange,
        label = { Text(label) },
        isError = error != null,
        supportingText = if (error != null) { { Text(error.message) } } else null,
        visualTransformation = PasswordVisualTransformation(),
        keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.NumberPassword),
        singleLine = true,
        modifier = Modifier.fillMaxWidth().padding(vertical = 2.dp),
    )
}
