// The household wizard over HouseholdWizardViewModel, one page per step. Each page saves to
// the core's draft; what the core refuses appears under the field it names.
package id.perlinsos.app.screens

import android.Manifest
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.Checkbox
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import id.perlinsos.app.R
import id.perlinsos.app.WizardScreenModel
import id.perlinsos.app.currentLocation
import id.perlinsos.app.hasLocationPermission
import id.perlinsos.app.key
import id.perlinsos.app.screenModel
import id.perlinsos.viewmodels.ChoiceItem
import id.perlinsos.viewmodels.HouseholdWizardViewModel
import id.perlinsos.viewmodels.MemberItem
import id.perlinsos.viewmodels.QuestionItem
import id.perlinsos.viewmodels.WizardPage
import id.perlinsos.viewmodels.WizardState
import id.perlinsos.viewmodels.labelOf
import kotlinx.coroutines.launch
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.HouseholdForm
import uniffi.perlinsos_ffi.MemberForm
import uniffi.perlinsos_ffi.Phone
import uniffi.perlinsos_ffi.PmtAnswer
import uniffi.perlinsos_ffi.VisitForm

@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun WizardScreen(
    phone: Phone,
    session: AgentSession,
    draftId: String?,
    onPreview: (String) -> Unit,
    onResident: (String) -> Unit,
    onDone: () -> Unit,
) {
    val notice = stringResource(R.string.consent_notice_version)
    val model = screenModel(session.key()) { WizardScreenModel(phone, session, notice) }
    val wizard = model.wizard
    val state by wizard.state.collectAsStateWithLifecycle()
    LaunchedEffect(draftId) {
        if (draftId != null && state.draftId == null) wizard.resume(draftId)
    }
    val pages = WizardPage.entries
    Scaffold(
        topBar = {
            TopAppBar(title = {
                Column {
                    Text(stringResource(R.string.wizard_title))
                    Text(
                        stringResource(R.string.wizard_page, state.page.ordinal + 1, pages.size, pageLabel(state.page)),
                        style = MaterialTheme.typography.labelMedium,
                    )
                }
            })
        },
        bottomBar = {
            Row(Modifier.fillMaxWidth().padding(8.dp), horizontalArrangement = Arrangement.SpaceBetween) {
                if (state.page.ordinal > WizardPage.HOUSEHOLD.ordinal && state.submittedHouseholdId == null) {
                    OutlinedButton(onClick = { wizard.goTo(pages[state.page.ordinal - 1]) }) { Text(stringResource(R.string.back)) }
                }
                if (state.page in setOf(WizardPage.MEMBERS, WizardPage.CONSENT, WizardPage.IKD, WizardPage.PMT)) {
                    Button(onClick = { wizard.goTo(pages[state.page.ordinal + 1]) }) { Text(stringResource(R.string.next)) }
                }
            }
        },
    ) { padding ->
        Column(Modifier.fillMaxSize().padding(padding).padding(horizontal = 16.dp).verticalScroll(rememberScrollState())) {
            if (state.busy) LinearProgressIndicator(Modifier.fillMaxWidth())
            ProblemCard(state.problem)
            // A resumed draft shows once the core has read it back.
            val ready = draftId == null || state.draftId != null
            if (ready) {
                when (state.page) {
                    WizardPage.VISIT -> VisitPage(state, wizard)
                    WizardPage.HOUSEHOLD -> HouseholdPage(state, wizard)
                    WizardPage.MEMBERS -> MembersPage(state, wizard)
                    WizardPage.CONSENT -> ConsentPage(state, wizard)
                    WizardPage.IKD -> IkdPage(state, wizard)
                    WizardPage.PMT -> PmtPage(state, wizard, onPreview)
                    WizardPage.SUBMIT -> SubmitPage(state, wizard, onResident, onDone)
                }
            }
        }
    }
}

@Composable
private fun pageLabel(page: WizardPage): String = when (page) {
    WizardPage.VISIT -> stringResource(R.string.step_visit)
    WizardPage.HOUSEHOLD -> stringResource(R.string.step_household)
    WizardPage.MEMBERS -> stringResource(R.string.step_members)
    WizardPage.CONSENT -> stringResource(R.string.step_consent)
    WizardPage.IKD -> stringResource(R.string.step_ikd)
    WizardPage.PMT -> stringResource(R.string.step_pmt)
    WizardPage.SUBMIT -> stringResource(R.string.step_submit)
}

// Unparsable numbers go to the core as 0, so its own refusal (RT/RW 1-999) is what is shown.
private fun String.number(): UShort = trim().toUShortOrNull() ?: 0.toUShort()

@Composable
private fun VisitPage(state: WizardState, wizard: HouseholdWizardViewModel) {
    val context = LocalContext.current
    val scope = rememberCoroutineScope()
    var kelurahan by rememberSaveable { mutableStateOf("") }
    var rt by rememberSaveable { mutableStateOf("") }
    var rw by rememberSaveable { mutableStateOf("") }
    var withLocation by rememberSaveable { mutableStateOf(false) }
    val permission = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        withLocation = granted
    }
    Field(stringResource(R.string.field_kelurahan), kelurahan, { kelurahan = it }, state.fieldErrors["kelurahan_code"])
    Field(stringResource(R.string.field_rt), rt, { rt = it }, state.fieldErrors["rt"], KeyboardType.Number)
    Field(stringResource(R.string.field_rw), rw, { rw = it }, state.fieldErrors["rw"], KeyboardType.Number)
    Row(verticalAlignment = Alignment.CenterVertically) {
        Checkbox(
            checked = withLocation,
            onCheckedChange = { wanted ->
                if (wanted && !hasLocationPermission(context)) {
                    permission.launch(Manifest.permission.ACCESS_FINE_LOCATION)
                } else {
                    withLocation = wanted
                }
            },
        )
        Text(stringResource(R.string.visit_location))
    }
    Button(
        enabled = !state.busy,
        onClick = {
            scope.launch {
                val location = if (withLocation) currentLocation(context) else null
                wizard.start(
                    VisitForm(
                        kelurahan.trim(), rt.number(), rw.number(),
                        location?.latitude, location?.longitude, location?.accuracy?.toDouble(),
                    ),
                )
            }
        },
    ) { Text(stringResource(R.string.visit_start)) }
}

@Composable
private fun HouseholdPage(state: WizardState, wizard: HouseholdWizardViewModel) {
    val saved = state.household
    val visit = state.visit
    var kk by rememberSaveable { mutableStateOf(saved?.kk.orEmpty()) }
    var kelurahan by rememberSaveable { mutableStateOf(saved?.kelurahanCode ?: visit?.kelurahanCode.orEmpty()) }
    var rt by rememberSaveable { mutableStateOf((saved?.rt ?: visit?.rt)?.toString().orEmpty()) }
    var rw by rememberSaveable { mutableStateOf((saved?.rw ?: visit?.rw)?.toString().orEmpty()) }
    var street by rememberSaveable { mutableStateOf(saved?.street.orEmpty()) }
    if (visit?.hasLocation == true) Text(stringResource(R.string.visit_location_saved))
    Field(stringResource(R.string.field_kk), kk, { kk = it }, state.fieldErrors["kk"], KeyboardType.Number)
    Field(stringResource(R.string.field_kelurahan), kelurahan, { kelurahan = it }, state.fieldErrors["kelurahan_code"])
    Field(stringResource(R.string.field_rt), rt, { rt = it }, state.fieldErrors["rt"], KeyboardType.Number)
    Field(stringResource(R.string.field_rw), rw, { rw = it }, state.fieldErrors["rw"], KeyboardType.Number)
    Field(stringResource(R.string.field_street), street, { street = it }, state.fieldErrors["street"])
    Button(
        enabled = !state.busy,
        onClick = { wizard.saveHousehold(HouseholdForm(kk.trim(), kelurahan.trim(), rt.number(), rw.number(), street)) },
    ) { Text(stringResource(R.string.save)) }
}

@Composable
private fun MembersPage(state: WizardState, wizard: HouseholdWizardViewModel) {
    var editing by remember { mutableStateOf<MemberItem?>(null) }
    var adding by remember { mutableStateOf(false) }
    if (state.members.isEmpty()) Text(stringResource(R.string.members_empty))
    for (member in state.members) {
        Card(Modifier.fillMaxWidth().padding(vertical = 4.dp)) {
            Column(Modifier.padding(12.dp)) {
                Text(member.fullName, style = MaterialTheme.typography.titleSmall)
                Text("${wizard.choices.relation.labelOf(member.relation)} · ${member.nik}")
                state.fieldErrors["members[${member.index}].nik"]?.let { Text(it.message, color = MaterialTheme.colorScheme.error) }
                Row {
                    TextButton(onClick = { wizard.clearErrors(); editing = member }) { Text(stringResource(R.string.edit)) }
                    TextButton(onClick = { wizard.removeMember(member.id) }) { Text(stringResource(R.string.delete)) }
                }
            }
        }
    }
    Button(onClick = { wizard.clearErrors(); adding = true }) { Text(stringResource(R.string.members_add)) }
    if (adding || editing != null) {
        MemberDialog(
            state = state,
            wizard = wizard,
            member = editing,
            onClose = { adding = false; editing = null },
        )
    }
}

@Composable
private fun MemberDialog(state: WizardState, wizard: HouseholdWizardViewModel, member: MemberItem?, onClose: () -> Unit) {
    val scope = rememberCoroutineScope()
    val start = member?.toForm()
    var nik by rememberSaveable { mutableStateOf(start?.nik.orEmpty()) }
    var name by rememberSaveable { mutableStateOf(start?.fullName.orEmpty()) }
    var relation by rememberSaveable { mutableStateOf(start?.relation) }
    var sex by rememberSaveable { mutableStateOf(start?.sex) }
    var birthDate by rememberSaveable { mutableStateOf(start?.birthDate.orEmpty()) }
    var marital by rememberSaveable { mutableStateOf(start?.marital) }
    var education by rememberSaveable { mutableStateOf(start?.education) }
    var occupation by rememberSaveable { mutableStateOf(start?.occupation.orEmpty()) }
    var disability by rememberSaveable { mutableStateOf(start?.disability ?: "tidak") }
    val choices = wizard.choices
    val errors = state.fieldErrors
    AlertDialog(
        onDismissRequest = onClose,
        title = { Text(stringResource(R.string.member_title)) },
        text = {
            Column(Modifier.verticalScroll(rememberScrollState())) {
                Field(stringResource(R.string.field_nik), nik, { nik = it }, errors["nik"], KeyboardType.Number)
                Field(stringResource(R.string.field_full_name), name, { name = it }, errors["full_name"])
                ChoiceField(stringResource(R.string.field_relation), choices.relation, relation, { relation = it }, errors["relation"])
                ChoiceField(stringResource(R.string.field_sex), choices.sex, sex, { sex = it }, errors["sex"])
                Field(stringResource(R.string.field_birth_date), birthDate, { birthDate = it }, errors["birth_date"])
                ChoiceField(stringResource(R.string.field_marital), choices.marital, marital, { marital = it }, errors["marital"])
                ChoiceField(stringResource(R.string.field_education), choices.education, education, { education = it }, errors["education"])
                Field(stringResource(R.string.field_occupation), occupation, { occupation = it }, errors["occupation"])
                ChoiceField(stringResource(R.string.field_disability), choices.disability, disability, { disability = it }, errors["disability"])
                // A refusal the form has no field for (too many members, the draft is gone).
                state.problem?.takeIf { p -> memberFields.none { p.field.endsWith(it) } }?.let { ProblemCard(it) }
            }
        },
        confirmButton = {
            TextButton(
                enabled = !state.busy,
                onClick = {
                    val form = MemberForm(
                        nik.trim(), name.trim(), relation.orEmpty(), sex.orEmpty(), birthDate.trim(),
                        marital.orEmpty(), education.orEmpty(), occupation.trim(), disability,
                    )
                    scope.launch {
                        wizard.putMember(member?.id, form).join()
                        if (wizard.state.value.problem == null) onClose()
                    }
                },
            ) { Text(stringResource(R.string.save)) }
        },
        dismissButton = { TextButton(onClick = onClose) { Text(stringResource(R.string.cancel)) } },
    )
}

private val memberFields = listOf(
    "nik", "full_name", "relation", "sex", "birth_date", "marital", "education", "occupation", "disability",
)

@Composable
private fun ConsentPage(state: WizardState, wizard: HouseholdWizardViewModel) {
    var giver by rememberSaveable { mutableStateOf(state.consentBy) }
    Card(Modifier.fillMaxWidth().padding(vertical = 8.dp)) {
        Text(stringResource(R.string.consent_notice), Modifier.padding(12.dp))
    }
    Text(stringResource(R.string.consent_who))
    for (member in state.members) {
        Row(verticalAlignment = Alignment.CenterVertically) {
            RadioButton(selected = giver == member.id, onClick = { giver = member.id })
            Text(member.fullName)
        }
    }
    state.fieldErrors["given_by"]?.let { Text(it.message, color = MaterialTheme.colorScheme.error) }
    state.members.firstOrNull { it.id == state.consentBy }?.let {
        Text(stringResource(R.string.consent_given_by, it.fullName), style = MaterialTheme.typography.bodySmall)
    }
    Button(enabled = giver != null && !state.busy, onClick = { giver?.let(wizard::giveConsent) }) {
        Text(stringResource(R.string.consent_give))
    }
}

@Composable
private fun IkdPage(state: WizardState, wizard: HouseholdWizardViewModel) {
    Text(stringResource(R.string.ikd_intro))
    for (member in state.members) {
        ChoiceField(
            label = member.fullName,
            choices = wizard.choices.ikd,
            selected = member.ikd,
            onSelect = { wizard.setIkd(member.id, it) },
            error = state.fieldErrors["members[${member.index}].ikd"],
        )
    }
}

@Composable
private fun PmtPage(state: WizardState, wizard: HouseholdWizardViewModel, onPreview: (String) -> Unit) {
    if (state.models.isEmpty()) {
        Text(stringResource(R.string.pmt_no_model))
        return
    }
    if (state.models.size > 1 || state.modelId == null) {
        ChoiceField(
            stringResource(R.string.pmt_model),
            state.models.map { ChoiceItem(it.id, it.title) }.distinctBy { it.id },
            state.modelId,
            { wizard.chooseModel(it) },
        )
    }
    for (question in state.questions) {
        QuestionInput(question, state.answers[question.id], state.fieldErrors[question.id]?.message) {
            wizard.answer(question.id, it)
        }
    }
    Button(enabled = !state.busy && state.modelId != null, onClick = { wizard.computePreview() }) {
        Text(stringResource(R.string.pmt_compute))
    }
    val draftId = state.draftId
    if (state.preview != null && draftId != null) {
        OutlinedButton(onClick = { onPreview(draftId) }) { Text(stringResource(R.string.pmt_show_preview)) }
    }
}

/** One question as the model words it: choice, yes/no, or a number within the model's range. */
@Composable
private fun QuestionInput(question: QuestionItem, answer: PmtAnswer?, error: String?, onAnswer: (PmtAnswer?) -> Unit) {
    Column(Modifier.fillMaxWidth().padding(vertical = 6.dp)) {
        when (question.kind) {
            "choice" -> ChoiceField(
                question.label, question.options, (answer as? PmtAnswer.Choice)?.option,
                { onAnswer(PmtAnswer.Choice(it)) },
            )
            "yes_no" -> {
                Text(question.label)
                Row(verticalAlignment = Alignment.CenterVertically) {
                    val value = (answer as? PmtAnswer.YesNo)?.value
                    RadioButton(selected = value == true, onClick = { onAnswer(PmtAnswer.YesNo(true)) })
                    Text(stringResource(R.string.yes))
                    RadioButton(selected = value == false, onClick = { onAnswer(PmtAnswer.YesNo(false)) })
                    Text(stringResource(R.string.no))
                }
            }
            else -> {
                var text by rememberSaveable(question.id) {
                    mutableStateOf((answer as? PmtAnswer.Number)?.value?.let { if (it % 1.0 == 0.0) it.toLong().toString() else it.toString() }.orEmpty())
                }
                Field(question.label, text, {
                    text = it
                    onAnswer(it.trim().replace(',', '.').toDoubleOrNull()?.let(PmtAnswer::Number))
                }, keyboard = KeyboardType.Decimal)
            }
        }
        question.help?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
        error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
    }
}

@Composable
private fun SubmitPage(state: WizardState, wizard: HouseholdWizardViewModel, onResident: (String) -> Unit, onDone: () -> Unit) {
    val household = state.submittedHouseholdId
    Text(stringResource(R.string.submit_summary, state.members.size, state.household?.kk.orEmpty()))
    if (household == null) {
        Button(enabled = !state.busy, onClick = { wizard.submit() }) { Text(stringResource(R.string.submit_button)) }
    } else {
        Text(stringResource(R.string.submit_done), Modifier.padding(vertical = 8.dp))
        Button(onClick = { onResident(household) }) { Text(stringResource(R.string.submit_resident_check)) }
        OutlinedButton(onClick = onDone) { Text(stringResource(R.string.submit_back_to_list)) }
    }
}
