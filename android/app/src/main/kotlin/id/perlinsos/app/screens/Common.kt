// Small pieces every screen uses: the core's refusal as text, a text field with the core's
// error under it, a choice list from the core's ids and labels, and the labels of the core's
// step and reason ids.
package id.perlinsos.app.screens

import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.DropdownMenu
import androidx.compose.material3.DropdownMenuItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import id.perlinsos.app.R
import id.perlinsos.viewmodels.ChoiceItem
import id.perlinsos.viewmodels.Problem
import id.perlinsos.viewmodels.labelOf

/** The core's refusal in its own words, with its code for the operator. */
@Composable
fun ProblemCard(problem: Problem?) {
    if (problem == null) return
    Card(
        colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.errorContainer),
        modifier = Modifier.fillMaxWidth().padding(vertical = 8.dp),
    ) {
        Column(Modifier.padding(12.dp)) {
            Text(problem.message, color = MaterialTheme.colorScheme.onErrorContainer)
            Text(
                stringResource(R.string.problem_code, problem.code),
                style = MaterialTheme.typography.labelSmall,
                color = MaterialTheme.colorScheme.onErrorContainer,
            )
        }
    }
}

@Composable
fun Field(
    label: String,
    value: String,
    onValueChange: (String) -> Unit,
    error: Problem? = null,
    keyboard: KeyboardType = KeyboardType.Text,
    singleLine: Boolean = true,
) {
    OutlinedTextField(
        value = value,
        onValueChange = onValueChange,
        label = { Text(label) },
        isError = error != null,
        supportingText = if (error != null) { { Text(error.message) } } else null,
        keyboardOptions = KeyboardOptions(keyboardType = keyboard),
        singleLine = singleLine,
        modifier = Modifier.fillMaxWidth().padding(vertical = 2.dp),
    )
}

@Composable
fun ChoiceField(
    label: String,
    choices: List<ChoiceItem>,
    selected: String?,
    onSelect: (String) -> Unit,
    error: Problem? = null,
) {
    var open by remember { mutableStateOf(false) }
    Column(Modifier.fillMaxWidth().padding(vertical = 4.dp)) {
        Text(label, style = MaterialTheme.typography.labelMedium)
        Box {
            OutlinedButton(onClick = { open = true }, modifier = Modifier.fillMaxWidth()) {
                Text(choices.labelOf(selected) ?: stringResource(R.string.choose))
            }
            DropdownMenu(expanded = open, onDismissRequest = { open = false }) {
                for (choice in choices) {
                    DropdownMenuItem(text = { Text(choice.label) }, onClick = { onSelect(choice.id); open = false })
                }
            }
        }
        if (error != null) {
            Text(error.message, color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodySmall)
        }
    }
}

/** The label of a step id the core reports (visit, household, members, consent, ikd, pmt). */
@Composable
fun stepLabel(step: String?): String = when (step) {
    "visit" -> stringResource(R.string.step_visit)
    "household" -> stringResource(R.string.step_household)
    "members" -> stringResource(R.string.step_members)
    "consent" -> stringResource(R.string.step_consent)
    "ikd" -> stringResource(R.string.step_ikd)
    "pmt" -> stringResource(R.string.step_pmt)
    else -> step.orEmpty()
}

/** The sanggahan reasons the core accepts, by id, with their labels. */
@Composable
fun sanggahanReasons(): List<ChoiceItem> = listOf(
    ChoiceItem("mampu", stringResource(R.string.reason_mampu)),
    ChoiceItem("pindah", stringResource(R.string.reason_pindah)),
    ChoiceItem("meninggal", stringResource(R.string.reason_meninggal)),
    ChoiceItem("data_ganda", stringResource(R.string.reason_data_ganda)),
    ChoiceItem("tidak_dikenal", stringResource(R.string.reason_tidak_dikenal)),
    ChoiceItem("lainnya", stringResource(R.string.reason_lainnya)),
)

fun percent(p: Double): String = "${Math.round(p * 100)}%"
