// The agent's sanggahan over SanggahanListViewModel: each status in Bahasa Indonesia and, for
// a refusal, the district's reason.
package id.perlinsos.app.screens

import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Card
import androidx.compose.material3.ExperimentalMaterial3Api
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
import id.perlinsos.app.R
import id.perlinsos.app.SanggahanListScreenModel
import id.perlinsos.app.key
import id.perlinsos.app.screenModel
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.Phone

@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun SanggahanListScreen(phone: Phone, session: AgentSession, onBack: () -> Unit) {
    val model = screenModel(session.key()) { SanggahanListScreenModel(phone, session) }
    val lines by model.list.lines.collectAsStateWithLifecycle()
    val problem by model.problem.collectAsStateWithLifecycle()
    LaunchedEffect(Unit) { model.refresh() }
    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(R.string.sanggahan_list_title)) },
                navigationIcon = { TextButton(onClick = onBack) { Text(stringResource(R.string.back)) } },
                actions = { TextButton(onClick = { model.refresh() }) { Text(stringResource(R.string.refresh)) } },
            )
        },
    ) { padding ->
        LazyColumn(Modifier.fillMaxSize().padding(padding).padding(horizontal = 16.dp)) {
            item {
                ProblemCard(problem)
                if (lines.isEmpty()) Text(stringResource(R.string.sanggahan_list_empty))
            }
            items(lines, key = { it.id }) { line ->
                Card(Modifier.fillMaxWidth().padding(vertical = 4.dp)) {
                    Column(Modifier.padding(12.dp)) {
                        Text(line.statusLabel, style = MaterialTheme.typography.titleSmall)
                        line.reason?.let { Text(stringResource(R.string.sanggahan_reason_line, it)) }
                        if (line.reusedPhotos > 0) {
                            Text(
                                stringResource(R.string.sanggahan_reused, line.reusedPhotos),
                                color = MaterialTheme.colorScheme.error,
                            )
                        }
                    }
                }
            }
        }
    }
}
