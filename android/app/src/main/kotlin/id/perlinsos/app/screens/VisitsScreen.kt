// The visits list over VisitsViewModel: drafts with the step the core saved, households
// waiting for sync, and the ways to the other screens.
package id.perlinsos.app.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Card
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.ExtendedFloatingActionButton
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.LifecycleResumeEffect
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import id.perlinsos.app.R
import id.perlinsos.app.VisitsScreenModel
import id.perlinsos.app.key
import id.perlinsos.app.screenModel
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.Phone

@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun VisitsScreen(
    phone: Phone,
    session: AgentSession,
    onNewVisit: () -> Unit,
    onResume: (String) -> Unit,
    onPreview: (String) -> Unit,
    onResident: (String) -> Unit,
    onSanggahan: () -> Unit,
    onSanggahanList: () -> Unit,
    onSync: () -> Unit,
    onLocked: () -> Unit,
) {
    val model = screenModel(session.key()) { VisitsScreenModel(phone, session) }
    val state by model.visits.state.collectAsStateWithLifecycle()
    var discarding by remember { mutableStateOf<String?>(null) }
    // Back from the wizard or a sync: the list may have changed.
    LifecycleResumeEffect(Unit) {
        model.visits.refresh()
        onPauseOrDispose { }
    }
    LaunchedEffect(state.problem) {
        if (state.problem?.locksSession == true) onLocked()
    }

    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(R.string.visits_title)) },
                actions = {
                    TextButton(onClick = onSync) { Text(stringResource(R.string.menu_sync)) }
                    TextButton(onClick = onSanggahanList) { Text(stringResource(R.string.menu_sanggahan)) }
                },
            )
        },
        floatingActionButton = {
            ExtendedFloatingActionButton(onClick = onNewVisit) { Text(stringResource(R.string.visits_new)) }
        },
    ) { padding ->
        LazyColumn(Modifier.fillMaxSize().padding(padding).padding(horizontal = 16.dp)) {
            item {
                if (state.loading) LinearProgressIndicator(Modifier.fillMaxWidth())
                ProblemCard(state.problem)
                TextButton(onClick = onSanggahan) { Text(stringResource(R.string.menu_new_sanggahan)) }
                Text(stringResource(R.string.visits_drafts), style = MaterialTheme.typography.titleMedium)
                if (state.drafts.isEmpty()) Text(stringResource(R.string.visits_no_drafts))
            }
            items(state.drafts, key = { it.id }) { draft ->
                Card(Modifier.fillMaxWidth().padding(vertical = 4.dp)) {
                    Column(Modifier.padding(12.dp)) {
                        Text(draft.headName ?: stringResource(R.string.visits_head_unknown), style = MaterialTheme.typography.titleSmall)
                        Text(stringResource(R.string.visits_draft_line, stepLabel(draft.step), draft.memberCount))
                        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                            TextButton(onClick = { onResume(draft.id) }) { Text(stringResource(R.string.visits_resume)) }
                            TextButton(onClick = { discarding = draft.id }) { Text(stringResource(R.string.delete)) }
                        }
                    }
                }
            }
            item {
                Text(
                    stringResource(R.string.visits_households),
                    style = MaterialTheme.typography.titleMedium,
                    modifier = Modifier.padding(top = 16.dp),
                )
                if (state.householdIds.isEmpty()) Text(stringResource(R.string.visits_no_households))
            }
            items(state.householdIds, key = { it }) { id ->
                Card(Modifier.fillMaxWidth().padding(vertical = 4.dp)) {
                    Column(Modifier.padding(12.dp)) {
                        Text(stringResource(R.string.visits_household_line, id.take(8)))
                        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                            TextButton(onClick = { onPreview(id) }) { Text(stringResource(R.string.visits_preview)) }
                            TextButton(onClick = { onResident(id) }) { Text(stringResource(R.string.visits_resident)) }
                        }
                    }
                }
            }
        }
    }

    discarding?.let { id ->
        AlertDialog(
            onDismissRequest = { discarding = null },
            title = { Text(stringResource(R.string.visits_discard_title)) },
            text = { Text(stringResource(R.string.visits_discard_text)) },
            confirmButton = {
                TextButton(onClick = { model.visits.discard(id); discarding = null }) { Text(stringResource(R.string.delete)) }
            },
            dismissButton = { TextButton(onClick = { discarding = null }) { Text(stringResource(R.string.cancel)) } },
        )
    }
}
