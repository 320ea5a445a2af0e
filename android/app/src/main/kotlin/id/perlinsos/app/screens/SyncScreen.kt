// The sync screen over SyncViewModel: progress while it runs, what waits, the items the
// server parked with its reasons, cancel and retry. The app decides when; the core decides how.
package id.perlinsos.app.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import id.perlinsos.app.R
import id.perlinsos.app.SyncScreenModel
import id.perlinsos.app.key
import id.perlinsos.app.screenModel
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.Phone

@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun SyncScreen(phone: Phone, session: AgentSession, onBack: () -> Unit) {
    val model = screenModel(session.key()) { SyncScreenModel(phone, session) }
    val state by model.sync.state.collectAsStateWithLifecycle()
    val problem = state.problem
    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(R.string.sync_title)) },
                navigationIcon = { TextButton(onClick = onBack) { Text(stringResource(R.string.back)) } },
            )
        },
    ) { padding ->
        Column(Modifier.fillMaxSize().padding(padding).padding(16.dp).verticalScroll(rememberScrollState())) {
            ProblemCard(problem)
            state.message?.let { Text(it, style = MaterialTheme.typography.titleMedium) }
            Text(stringResource(R.string.sync_pending, state.pending))
            if (state.running) {
                val photos = if (state.totalBytes > 0) state.sentBytes.toFloat() / state.totalBytes else 0f
                LinearProgressIndicator(progress = { photos }, modifier = Modifier.fillMaxWidth().padding(vertical = 8.dp))
                Text(stringResource(R.string.sync_bytes, state.sentBytes / 1024, state.totalBytes / 1024))
                Text(stringResource(R.string.sync_entries, state.entriesDone, state.entriesPending))
            }
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp), modifier = Modifier.padding(vertical = 12.dp)) {
                if (state.running) {
                    OutlinedButton(onClick = { model.cancel() }) { Text(stringResource(R.string.sync_cancel)) }
                } else {
                    Button(onClick = { model.start() }) { Text(stringResource(R.string.sync_start)) }
                }
            }
            if (state.parked.isNotEmpty()) {
                Text(stringResource(R.string.sync_parked), style = MaterialTheme.typography.titleMedium)
                for (item in state.parked) {
                    Card(Modifier.fillMaxWidth().padding(vertical = 4.dp)) {
                        Text(stringResource(R.string.sync_parked_line, item.kind, item.reason), Modifier.padding(12.dp))
                    }
                }
                OutlinedButton(onClick = { model.retryParked() }) { Text(stringResource(R.string.sync_retry_parked)) }
            }
        }
    }
}
