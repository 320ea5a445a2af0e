// Resident mode over ResidentModeViewModel: the resident's own household, or the sanggahan
// form with photos from the camera app; the agent's PIN hands the phone back.
package id.perlinsos.app.screens

import android.Manifest
import android.content.Context
import androidx.activity.compose.BackHandler
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.saveable.Saver
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp
import androidx.core.content.FileProvider
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import id.perlinsos.app.R
import id.perlinsos.app.ResidentScreenModel
import id.perlinsos.app.currentLocation
import id.perlinsos.app.hasLocationPermission
import id.perlinsos.app.key
import id.perlinsos.app.screenModel
import id.perlinsos.viewmodels.FormChoices
import id.perlinsos.viewmodels.OFFICIAL_RANKING_NOTE
import id.perlinsos.viewmodels.ResidentModeState
import id.perlinsos.viewmodels.ResidentModeViewModel
import id.perlinsos.viewmodels.labelOf
import java.io.File
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.Phone
import uniffi.perlinsos_ffi.SanggahanFiling
import uniffi.perlinsos_ffi.registrationChoices

@Composable
fun ResidentHouseholdScreen(phone: Phone, session: AgentSession, householdId: String, onHandedBack: (AgentSession) -> Unit) {
    val model = screenModel(session.key()) { ResidentScreenModel(phone, session) }
    val resident = model.resident
    val state by resident.state.collectAsStateWithLifecycle()
    LaunchedEffect(householdId) {
        if (state.scope == null && state.agentSession == null) resident.enterForHousehold(householdId)
    }
    val choices = remember { FormChoices.of(registrationChoices()) }
    ResidentFrame(state, resident, onHandedBack) {
        val household = state.household ?: return@ResidentFrame
        Text(stringResource(R.string.resident_household), style = MaterialTheme.typography.titleLarge)
        Text("${household.street}, RT ${household.rt}/RW ${household.rw}, ${household.kelurahanCode}")
        for (member in household.members) {
            Card(Modifier.fillMaxWidth().padding(vertical = 4.dp)) {
                Column(Modifier.padding(12.dp)) {
                    Text(member.fullName, style = MaterialTheme.typography.titleSmall)
                    Text("${choices.relation.labelOf(member.relation)} · NIK ${member.nik} · ${member.birthDate}")
                    member.ikd?.let { Text(stringResource(R.string.resident_ikd, choices.ikd.labelOf(it).orEmpty())) }
                }
            }
        }
        household.preview?.let { preview ->
            preview.estimateText?.let { Text("${stringResource(R.string.preview_estimate)}: $it") }
            preview.desil?.let { Text(stringResource(R.string.preview_desil, it)) }
            Text(OFFICIAL_RANKING_NOTE, style = MaterialTheme.typography.bodySmall)
        }
    }
}

@Composable
fun SanggahanFormScreen(phone: Phone, session: AgentSession, onHandedBack: (AgentSession) -> Unit, onCancel: () -> Unit) {
    val model = screenModel(session.key()) { ResidentScreenModel(phone, session) }
    val resident = model.resident
    val state by resident.state.collectAsStateWithLifecycle()
    if (state.scope == null && state.agentSession == null) {
        // Still the agent: choose the kelurahan, then hand the phone over.
        var kelurahan by rememberSaveable { mutableStateOf("") }
        Column(Modifier.fillMaxSize().padding(16.dp)) {
            Text(stringResource(R.string.sanggahan_title), style = MaterialTheme.typography.titleLarge)
            Text(stringResource(R.string.sanggahan_kelurahan_intro))
            Field(stringResource(R.string.field_kelurahan), kelurahan, { kelurahan = it })
            ProblemCard(state.problem)
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                OutlinedButton(onClick = onCancel) { Text(stringResource(R.string.cancel)) }
                Button(enabled = !state.busy, onClick = { resident.enterForSanggahan(kelurahan.trim()) }) {
                    Text(stringResource(R.string.resident_hand_over))
                }
            }
        }
        return
    }
    ResidentFrame(state, resident, onHandedBack) { SanggahanForm(state, resident) }
}

@Composable
private fun SanggahanForm(state: ResidentModeState, resident: ResidentModeViewModel) {
    val filed = state.filed
    if (filed != null) {
        Text(stringResource(R.string.sanggahan_filed, filed.statusLabel), style = MaterialTheme.typography.titleMedium)
        return
    }
    var recipientId by rememberSaveable { mutableStateOf<String?>(null) }
    var reporterNik by rememberSaveable { mutableStateOf("") }
    var reporterName by rememberSaveable { mutableStateOf("") }
    var kelurahan by rememberSaveable { mutableStateOf("") }
    var rt by rememberSaveable { mutableStateOf("") }
    var rw by rememberSaveable { mutableStateOf("") }
    var street by rememberSaveable { mutableStateOf("") }
    var reason by rememberSaveable { mutableStateOf<String?>(null) }
    var statement by rememberSaveable { mutableStateOf("") }
    val errors = state.fieldErrors

    Text(stringResource(R.string.sanggahan_recipient), style = MaterialTheme.typography.titleMedium)
    if (state.recipients.isEmpty()) Text(stringResource(R.string.sanggahan_no_recipients))
    for (r in state.recipients) {
        Row(verticalAlignment = Alignment.CenterVertically) {
            RadioButton(selected = recipientId == r.id, onClick = { recipientId = r.id })
            Text(stringResource(R.string.sanggahan_recipient_line, r.name, r.programme, r.maskedNik, r.rt, r.rw))
        }
    }
    Text(stringResource(R.string.sanggahan_reporter), style = MaterialTheme.typography.titleMedium, modifier = Modifier.padding(top = 12.dp))
    Field(stringResource(R.string.field_reporter_nik), reporterNik, { reporterNik = it }, errors["nik"], KeyboardType.Number)
    Field(stringResource(R.string.field_reporter_name), reporterName, { reporterName = it }, errors["full_name"])
    Field(stringResource(R.string.field_kelurahan), kelurahan, { kelurahan = it }, errors["kelurahan_code"])
    Field(stringResource(R.string.field_rt), rt, { rt = it }, errors["rt"], KeyboardType.Number)
    Field(stringResource(R.string.field_rw), rw, { rw = it }, errors["rw"], KeyboardType.Number)
    Field(stringResource(R.string.field_street), street, { street = it }, errors["street"])
    ChoiceField(stringResource(R.string.field_reason), sanggahanReasons(), reason, { reason = it }, errors["reason"])
    Field(stringResource(R.string.field_statement), statement, { statement = it }, errors["statement"], singleLine = false)

    PhotoSection(state, resident)

    Button(
        enabled = !state.busy,
        modifier = Modifier.padding(vertical = 12.dp),
        onClick = {
            resident.file(
                SanggahanFiling(
                    recipientId = recipientId.orEmpty(), reporterNik = reporterNik.trim(), reporterName = reporterName.trim(),
                    kelurahanCode = kelurahan.trim(),
                    rt = rt.trim().toUShortOrNull() ?: 0.toUShort(), rw = rw.trim().toUShortOrNull() ?: 0.toUShort(),
                    street = street, reason = reason.orEmpty(), statement = statement,
                ),
            )
        },
    ) { Text(stringResource(R.string.sanggahan_file)) }
}

/** A photo in flight from the camera app: where it is written and what it shows. */
private data class Shot(val path: String, val house: Boolean)

@Composable
private fun PhotoSection(state: ResidentModeState, resident: ResidentModeViewModel) {
    val context = LocalContext.current
    val scope = rememberCoroutineScope()
    var shot by rememberSaveable(stateSaver = shotSaver) { mutableStateOf<Shot?>(null) }
    var locationDenied by remember { mutableStateOf(false) }
    val camera = rememberLauncherForActivityResult(ActivityResultContracts.TakePicture()) { taken ->
        val current = shot ?: return@rememberLauncherForActivityResult
        shot = null
        val file = File(current.path)
        if (!taken) {
            file.delete()
            return@rememberLauncherForActivityResult
        }
        scope.launch {
            val bytes = withContext(Dispatchers.IO) { file.readBytes().also { file.delete() } }
            // The house photo carries where it was taken; the core refuses one without.
            val location = if (current.house) currentLocation(context) else null
            resident.addPhoto(bytes, current.house, location?.latitude, location?.longitude)
        }
    }
    fun takePhoto(house: Boolean) {
        val next = Shot(cameraFile(context).path, house)
        shot = next
        // The camera app stops this one: that stop must not lock (the idle timer runs on).
        (context.applicationContext as id.perlinsos.app.PerlinsosApp).graph.autoLock.expectReturn()
        camera.launch(FileProvider.getUriForFile(context, "${context.packageName}.photos", File(next.path)))
    }
    val permission = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        locationDenied = !granted
        takePhoto(house = true)
    }

    Text(stringResource(R.string.sanggahan_photos), style = MaterialTheme.typography.titleMedium, modifier = Modifier.padding(top = 12.dp))
    for (photo in state.photos) {
        Row(verticalAlignment = Alignment.CenterVertically) {
            Text(
                stringResource(
                    R.string.sanggahan_photo_line,
                    photo.index + 1,
                    stringResource(if (photo.house) R.string.sanggahan_photo_kind_house else R.string.sanggahan_photo_kind_other),
                    stringResource(if (photo.hasLocation) R.string.sanggahan_photo_located else R.string.sanggahan_photo_unlocated),
                    photo.sizeBytes / 1024,
                ),
                Modifier.weight(1f),
            )
            TextButton(onClick = { resident.removePhoto(photo.index) }) { Text(stringResource(R.string.delete)) }
        }
    }
    state.fieldErrors["photos"]?.let { Text(it.message, color = MaterialTheme.colorScheme.error) }
    if (locationDenied) Text(stringResource(R.string.sanggahan_location_denied), color = MaterialTheme.colorScheme.error)
    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        OutlinedButton(onClick = {
            if (hasLocationPermission(context)) takePhoto(house = true)
            else permission.launch(Manifest.permission.ACCESS_FINE_LOCATION)
        }) { Text(stringResource(R.string.sanggahan_photo_house)) }
        OutlinedButton(onClick = { takePhoto(house = false) }) { Text(stringResource(R.string.sanggahan_photo_other)) }
    }
}

// Survives the activity being recreated while the camera app is in front.
private val shotSaver = Saver<Shot?, String>(
    save = { shot -> shot?.let { "${it.house}|${it.path}" } },
    restore = { saved -> Shot(saved.substringAfter('|'), saved.substringBefore('|').toBoolean()) },
)

/** A new file in the FileProvider's camera folder (see res/xml/photo_paths.xml). */
private fun cameraFile(context: Context): File {
    val dir = File(context.cacheDir, "camera").apply { mkdirs() }
    return File.createTempFile("foto-", ".jpg", dir)
}

/** The resident-mode frame: a banner, the content, and the PIN to hand the phone back. */
@Composable
private fun ResidentFrame(
    state: ResidentModeState,
    resident: ResidentModeViewModel,
    onHandedBack: (AgentSession) -> Unit,
    content: @Composable () -> Unit,
) {
    var askingPin by remember { mutableStateOf(false) }
    LaunchedEffect(state.agentSession) { state.agentSession?.let(onHandedBack) }
    // Back does not leave resident mode: only the agent's PIN does.
    BackHandler(enabled = state.scope != null) { askingPin = true }
    Column(Modifier.fillMaxSize().padding(16.dp).verticalScroll(rememberScrollState())) {
        Card(
            colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.tertiaryContainer),
            modifier = Modifier.fillMaxWidth().padding(bottom = 12.dp),
        ) {
            Column(Modifier.padding(12.dp)) {
                Text(stringResource(R.string.resident_title), style = MaterialTheme.typography.titleMedium)
                Text(stringResource(R.string.resident_banner))
            }
        }
        if (state.busy) LinearProgressIndicator(Modifier.fillMaxWidth())
        ProblemCard(state.problem)
        content()
        OutlinedButton(onClick = { askingPin = true }, modifier = Modifier.padding(top = 16.dp)) {
            Text(stringResource(R.string.resident_return))
        }
    }
    if (askingPin) {
        var pin by remember { mutableStateOf("") }
        AlertDialog(
            onDismissRequest = { askingPin = false },
            title = { Text(stringResource(R.string.resident_pin_title)) },
            text = {
                Column {
                    OutlinedTextField(
                        value = pin,
                        onValueChange = { pin = it.filter(Char::isDigit).take(6) },
                        label = { Text(stringResource(R.string.unlock_pin)) },
                        visualTransformation = PasswordVisualTransformation(),
                        keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.NumberPassword),
                        singleLine = true,
                    )
                    state.leaveRefusal?.let { refused ->
                        Text(refused.message, color = MaterialTheme.colorScheme.error)
                        Text(stringResource(R.string.unlock_attempts_left, refused.attemptsLeft))
                    }
                }
            },
            confirmButton = {
                TextButton(onClick = { resident.leave(pin); pin = "" }) { Text(stringResource(R.string.unlock_submit)) }
            },
            dismissButton = { TextButton(onClick = { askingPin = false }) { Text(stringResource(R.string.cancel)) } },
        )
    }
}
