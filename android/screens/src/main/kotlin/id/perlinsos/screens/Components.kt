// Pieces every screen is built from: a scrolling page with a heading, a text field that shows
// all of its own errors, choice groups and chips with 48 dp targets, the problem card, the
// offline banner and the "Bacakan" button (the screen hands out the text; the shell speaks it).
package id.perlinsos.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ColumnScope
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.horizontalScroll
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.selection.selectableGroup
import androidx.compose.foundation.selection.toggleable
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.Checkbox
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.error
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.text.input.VisualTransformation
import androidx.compose.ui.unit.dp

/** One refusal of one input: the field's name, the core's code and its Indonesian text. */
data class FieldError(val field: String, val message: String, val code: String = "")

/** Every error of [field], in order (a field may have several). */
fun List<FieldError>.on(field: String): List<FieldError> = filter { it.field == field }

/** The errors no field of this screen shows: they go to the card on top. */
fun List<FieldError>.notOn(fields: Collection<String>): List<FieldError> = filter { it.field !in fields }

/** A choice shown to the person: a stable id and its label. */
data class ChoiceOption(val id: String, val label: String)

val MinTouch = 48.dp

/** A page: a heading, then [content] in a scrolling column. */
@Composable
fun ScreenColumn(title: String, modifier: Modifier = Modifier, subtitle: String? = null, content: @Composable ColumnScope.() -> Unit) {
    Column(
        modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(horizontal = 16.dp, vertical = 16.dp),
        verticalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        Text(title, style = MaterialTheme.typography.headlineSmall, modifier = Modifier.semantics { heading() })
        subtitle?.let { Text(it, style = MaterialTheme.typography.bodyMedium) }
        content()
    }
}

@Composable
fun SectionTitle(text: String, modifier: Modifier = Modifier) {
    Text(text, style = MaterialTheme.typography.titleMedium, modifier = modifier.padding(top = 8.dp).semantics { heading() })
}

/** A text field with every one of its errors under it (each on its own line). */
@Composable
fun LabeledField(
    label: String,
    value: String,
    onValueChange: (String) -> Unit,
    tag: String,
    errors: List<FieldError> = emptyList(),
    keyboardType: KeyboardType = KeyboardType.Text,
    secret: Boolean = false,
    singleLine: Boolean = true,
    enabled: Boolean = true,
    hint: String? = null,
    modifier: Modifier = Modifier,
) {
    val isError = errors.isNotEmpty()
    OutlinedTextField(
        value = value,
        onValueChange = onValueChange,
        label = { Text(label) },
        isError = isError,
        supportingText = if (isError || hint != null) {
            {
                Column(Modifier.testTag("$tag.error")) {
                    if (!isError) hint?.let { Text(it) }
                    for (e in errors) Text(e.message)
                }
            }
        } else {
            null
        },
        visualTransformation = if (secret) PasswordVisualTransformation() else VisualTransformation.None,
        keyboardOptions = KeyboardOptions(keyboardType = keyboardType),
        singleLine = singleLine,
        enabled = enabled,
        modifier = modifier.fillMaxWidth().heightIn(min = MinTouch).testTag(tag)
            .semantics { if (isError) error(errors.joinToString(" ") { it.message }) },
    )
}

/** Errors under a group of choices (not a text field), in the error colour, read out when they appear. */
@Composable
fun FieldErrors(errors: List<FieldError>, tag: String) {
    if (errors.isEmpty()) return
    Column(Modifier.testTag("$tag.error").semantics { liveRegion = LiveRegionMode.Polite }) {
        for (e in errors) Text(e.message, color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodyMedium)
    }
}

/** One-of-many choice as radio rows, each row a 48 dp target; its errors under it. */
@Composable
fun ChoiceGroup(
    title: String?,
    options: List<ChoiceOption>,
    selected: String?,
    onSelect: (String) -> Unit,
    tag: String,
    errors: List<FieldError> = emptyList(),
    enabled: Boolean = true,
) {
    Column(Modifier.fillMaxWidth().testTag(tag)) {
        title?.let { Text(it, style = MaterialTheme.typography.titleSmall, modifier = Modifier.padding(bottom = 4.dp)) }
        Column(Modifier.selectableGroup()) {
            for (option in options) {
                Row(
                    Modifier.fillMaxWidth().heightIn(min = MinTouch)
                        .selectable(selected = option.id == selected, enabled = enabled, role = Role.RadioButton) { onSelect(option.id) }
                        .testTag("$tag.${option.id}"),
                    verticalAlignment = Alignment.CenterVertically,
                ) {
                    RadioButton(selected = option.id == selected, onClick = null, enabled = enabled)
                    Text(option.label, modifier = Modifier.padding(start = 12.dp))
                }
            }
        }
        FieldErrors(errors, tag)
    }
}

/** One-of-many choice as chips that wrap (for short labels); each chip a 48 dp target. */
@OptIn(ExperimentalLayoutApi::class, ExperimentalMaterial3Api::class)
@Composable
fun ChipChoice(
    title: String?,
    options: List<ChoiceOption>,
    selected: String?,
    onSelect: (String?) -> Unit,
    tag: String,
    errors: List<FieldError> = emptyList(),
    allLabel: String? = null,
    /** false: one line that scrolls sideways (filters above a list, to leave room for the list). */
    wrap: Boolean = true,
) {
    val chips: @Composable () -> Unit = {
        allLabel?.let { Chip(it, selected == null, { onSelect(null) }, "$tag.all") }
        for (option in options) Chip(option.label, option.id == selected, { onSelect(option.id) }, "$tag.${option.id}")
    }
    Column(Modifier.fillMaxWidth().testTag(tag)) {
        title?.let { Text(it, style = MaterialTheme.typography.titleSmall) }
        if (wrap) {
            FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) { chips() }
        } else {
            Row(Modifier.horizontalScroll(rememberScrollState()), horizontalArrangement = Arrangement.spacedBy(8.dp)) { chips() }
        }
        FieldErrors(errors, tag)
    }
}

/** A chip that says it is chosen with a tick as well as its colour. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
private fun Chip(label: String, selected: Boolean, onClick: () -> Unit, tag: String) {
    FilterChip(
        selected = selected,
        onClick = onClick,
        label = { Text(label) },
        leadingIcon = if (selected) { { Text("✓") } } else null,
        modifier = Modifier.heightIn(min = MinTouch).testTag(tag),
    )
}

/** A yes/no the person ticks: the whole row is the 48 dp target. */
@Composable
fun CheckRow(label: String, checked: Boolean, onChange: (Boolean) -> Unit, tag: String, enabled: Boolean = true) {
    Row(
        Modifier.fillMaxWidth().heightIn(min = MinTouch)
            .toggleable(value = checked, enabled = enabled, role = Role.Checkbox, onValueChange = onChange).testTag(tag),
        verticalAlignment = Alignment.CenterVertically,
    ) {
        Checkbox(checked = checked, onCheckedChange = null, enabled = enabled)
        Text(label, modifier = Modifier.padding(start = 12.dp))
    }
}

@Composable
fun PrimaryButton(text: String, onClick: () -> Unit, tag: String, enabled: Boolean = true, modifier: Modifier = Modifier) {
    Button(onClick = onClick, enabled = enabled, modifier = modifier.fillMaxWidth().heightIn(min = MinTouch).testTag(tag)) { Text(text) }
}

@Composable
fun SecondaryButton(text: String, onClick: () -> Unit, tag: String, enabled: Boolean = true, modifier: Modifier = Modifier) {
    OutlinedButton(onClick = onClick, enabled = enabled, modifier = modifier.fillMaxWidth().heightIn(min = MinTouch).testTag(tag)) { Text(text) }
}

/** "Bacakan": hands [text] to the shell, which speaks it (TextToSpeech, Indonesian). */
@Composable
fun ReadAloudButton(what: String, text: String, onRead: (String) -> Unit, tag: String, modifier: Modifier = Modifier) {
    OutlinedButton(
        onClick = { onRead(text) },
        modifier = modifier.heightIn(min = MinTouch).testTag(tag).semantics { contentDescription = Strings.readAloudDescription(what) },
    ) { Text(Strings.readAloud) }
}

/** A refusal or failure that is not about one field of the screen. */
@Composable
fun ProblemCard(messages: List<String>, tag: String = "problem") {
    if (messages.isEmpty()) return
    Card(
        colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.errorContainer),
        modifier = Modifier.fillMaxWidth().testTag(tag).semantics { liveRegion = LiveRegionMode.Polite },
    ) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            for (m in messages) Text(m, color = MaterialTheme.colorScheme.onErrorContainer)
        }
    }
}

/** No network: what still works and what waits. */
@Composable
fun OfflineBanner(text: String, tag: String = "offline") {
    Surface(
        color = MaterialTheme.colorScheme.tertiaryContainer,
        shape = MaterialTheme.shapes.medium,
        modifier = Modifier.fillMaxWidth().testTag(tag).semantics { liveRegion = LiveRegionMode.Polite },
    ) {
        Column(Modifier.padding(12.dp)) {
            Text(Strings.offlineTitle, style = MaterialTheme.typography.titleSmall, color = MaterialTheme.colorScheme.onTertiaryContainer)
            Text(text, color = MaterialTheme.colorScheme.onTertiaryContainer)
        }
    }
}

/** A note in a soft card (the BPS note, the consent notice). */
@Composable
fun NoteCard(text: String, tag: String, modifier: Modifier = Modifier, content: @Composable ColumnScope.() -> Unit = {}) {
    Card(
        colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.secondaryContainer),
        modifier = modifier.fillMaxWidth().testTag(tag),
    ) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(text, color = MaterialTheme.colorScheme.onSecondaryContainer)
            content()
        }
    }
}

/** A small status label with its colour; the text says it too (colour is never the only sign). */
@Composable
fun StatusChip(text: String, container: Color, content: Color, modifier: Modifier = Modifier) {
    Surface(color = container, contentColor = content, shape = MaterialTheme.shapes.small, modifier = modifier) {
        Text(text, style = MaterialTheme.typography.labelLarge, modifier = Modifier.padding(horizontal = 8.dp, vertical = 4.dp))
    }
}

/** A label and its value, one above the other (they never fight for the width at 1.5x). */
@Composable
fun LabelValue(label: String, value: String, modifier: Modifier = Modifier) {
    Column(modifier.fillMaxWidth().semantics(mergeDescendants = true) {}) {
        Text(label, style = MaterialTheme.typography.labelLarge, color = MaterialTheme.colorScheme.onSurfaceVariant)
        Text(value, style = MaterialTheme.typography.bodyLarge)
    }
}
