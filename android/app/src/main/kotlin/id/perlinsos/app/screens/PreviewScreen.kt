// The PMT preview shown to the resident, over PmtPreviewViewModel: the core's estimate or
// score, each answer's contribution, the core's explanation, and the fixed BPS/DTSEN note.
package id.perlinsos.app.screens

import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import id.perlinsos.app.PreviewScreenModel
import id.perlinsos.app.R
import id.perlinsos.app.key
import id.perlinsos.app.screenModel
import id.perlinsos.viewmodels.PreviewSummary
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.Phone

@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun PreviewScreen(phone: Phone, session: AgentSession, draftId: String?, householdId: String?, onBack: () -> Unit) {
    val model = screenModel(session.key()) { PreviewScreenModel(phone, session) }
    val state by model.preview.state.collectAsStateWithLifecycle()
    LaunchedEffect(draftId, householdId) {
        when {
            draftId != null -> model.preview.showDraft(draftId)
            householdId != null -> model.preview.showHousehold(householdId)
        }
    }
    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(R.string.preview_title)) },
                navigationIcon = { TextButton(onClick = onBack) { Text(stringResource(R.string.back)) } },
            )
        },
    ) { padding ->
        Column(Modifier.fillMaxSize().padding(padding).padding(16.dp).verticalScroll(rememberScrollState())) {
            if (state.loading) LinearProgressIndicator(Modifier.fillMaxWidth())
            ProblemCard(state.problem)
            // The note comes first and always: the resident must not take this for a decision.
            Card(
                colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.secondaryContainer),
                modifier = Modifier.fillMaxWidth().padding(bottom = 12.dp),
            ) {
                Text(state.note, Modifier.padding(12.dp), style = MaterialTheme.typography.bodyLarge)
            }
            val preview = state.preview
            if (preview == null) {
                if (!state.loading && state.problem == null) Text(stringResource(R.string.preview_none))
            } else {
                PreviewBody(preview, state.modelTitle)
            }
        }
    }
}

@Composable
private fun PreviewBody(preview: PreviewSummary, modelTitle: String?) {
    preview.estimateText?.let {
        Text(stringResource(R.string.preview_estimate), style = MaterialTheme.typography.labelLarge)
        Text(it, style = MaterialTheme.typography.headlineMedium)
    }
    preview.desil?.let { Text(stringResource(R.string.preview_desil, it), style = MaterialTheme.typography.titleMedium) }
    preview.probabilityDesil1to4?.let { Text(stringResource(R.string.preview_desil_1_4, percent(it))) }
    preview.score?.let { Text(stringResource(R.string.preview_score, it), style = MaterialTheme.typography.titleMedium) }
    val line = preview.line
    val likelihood = preview.likelihood
    if (line != null && likelihood != null) Text(stringResource(R.string.preview_likelihood, line, percent(likelihood)))

    Text(
        stringResource(R.string.preview_contributions),
        style = MaterialTheme.typography.titleSmall,
        modifier = Modifier.padding(top = 16.dp, bottom = 4.dp),
    )
    for (c in preview.contributions) {
        Row(Modifier.fillMaxWidth().padding(vertical = 4.dp)) {
            Column(Modifier.weight(1f)) {
                Text(c.question, style = MaterialTheme.typography.bodyMedium)
                Text(c.answer, style = MaterialTheme.typography.bodySmall)
            }
            Text(c.effectText, style = MaterialTheme.typography.bodyMedium)
        }
        HorizontalDivider()
    }
    Text(preview.explanation, Modifier.padding(top = 16.dp))
    modelTitle?.let { Text(stringResource(R.string.preview_model, it, preview.modelVersion), style = MaterialTheme.typography.bodySmall) }
    if (preview.illustrative) Text(stringResource(R.string.preview_illustrative), style = MaterialTheme.typography.bodySmall)
}
