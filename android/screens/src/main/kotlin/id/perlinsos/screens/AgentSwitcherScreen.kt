// Several agents on one phone: pick yourself (then the PIN screen), or add another agent (then
// enrollment). Nothing of another agent's work is shown, only the count waiting to be sent.
package id.perlinsos.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.onClick
import androidx.compose.ui.semantics.role
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp

data class AgentItem(
    val id: String,
    val name: String,
    val districtEnrolled: Boolean = true,
    val pendingCount: Int = 0,
)

data class AgentSwitcherState(val agents: List<AgentItem> = emptyList(), val currentAgentId: String? = null)

sealed interface AgentSwitcherEvent {
    data class Pick(val agentId: String) : AgentSwitcherEvent
    data object AddAgent : AgentSwitcherEvent
}

object AgentSwitcherTags {
    fun agent(id: String) = "switcher.agent.$id"
    const val ADD = "switcher.add"
}

@Composable
fun AgentSwitcherScreen(state: AgentSwitcherState, onEvent: (AgentSwitcherEvent) -> Unit, modifier: Modifier = Modifier) {
    ScreenColumn(Strings.switcherTitle, modifier, subtitle = if (state.agents.isEmpty()) Strings.switcherEmpty else Strings.switcherIntro) {
        for (agent in state.agents) {
            val label = Strings.switcherPick(agent.name)
            Card(
                onClick = { onEvent(AgentSwitcherEvent.Pick(agent.id)) },
                modifier = Modifier.fillMaxWidth().heightIn(min = MinTouch).testTag(AgentSwitcherTags.agent(agent.id))
                    .semantics(mergeDescendants = true) { role = Role.Button; onClick(label) { onEvent(AgentSwitcherEvent.Pick(agent.id)); true } },
            ) {
                Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
                    Text(agent.name, style = MaterialTheme.typography.titleMedium)
                    Text(agent.id, style = MaterialTheme.typography.bodyMedium)
                    Text(Strings.switcherPending(agent.pendingCount), style = MaterialTheme.typography.bodyMedium)
                    if (!agent.districtEnrolled) {
                        StatusChip(Strings.switcherDistrictPending, MaterialTheme.colorScheme.tertiaryContainer, MaterialTheme.colorScheme.onTertiaryContainer)
                    }
                    if (agent.id == state.currentAgentId) {
                        StatusChip(Strings.switcherCurrent, MaterialTheme.colorScheme.primaryContainer, MaterialTheme.colorScheme.onPrimaryContainer)
                    }
                }
            }
        }
        SecondaryButton(Strings.switcherAdd, { onEvent(AgentSwitcherEvent.AddAgent) }, AgentSwitcherTags.ADD)
    }
}
