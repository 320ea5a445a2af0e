// The families the district assigned, searched offline (NIK/KK or the start of a name) and
// filtered by RT/RW and visit status; one tap opens a family. The search itself is the core's
// (blind index): this screen only reports the query and the chosen filters.
package id.perlinsos.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Card
import androidx.compose.material3.ColorScheme
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.onClick
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp

enum class VisitStatus(val label: String) {
    NOT_VISITED(Strings.statusNotVisited),
    VISITED(Strings.statusVisited),
    REVISIT(Strings.statusRevisit),
}

@Composable
fun VisitStatusChip(status: VisitStatus, modifier: Modifier = Modifier) {
    val c: ColorScheme = MaterialTheme.colorScheme
    when (status) {
        VisitStatus.NOT_VISITED -> StatusChip(status.label, c.surfaceVariant, c.onSurfaceVariant, modifier)
        VisitStatus.VISITED -> StatusChip(status.label, c.primaryContainer, c.onPrimaryContainer, modifier)
        VisitStatus.REVISIT -> StatusChip(status.label, c.tertiaryContainer, Color(0xFF241A00), modifier)
    }
}

data class FamilyRow(
    val id: String,
    val headName: String,
    val rt: Int,
    val rw: Int,
    val memberCount: Int,
    val status: VisitStatus,
)

data class WorklistState(
    val query: String = "",
    val families: List<FamilyRow> = emptyList(),
    /** All the families assigned, before search and filters (null: unknown). */
    val totalCount: Int? = null,
    /** RT/RW present in the worklist, as "003/005". */
    val rtRwOptions: List<String> = emptyList(),
    val rtRw: String? = null,
    val status: VisitStatus? = null,
    val offline: Boolean = false,
    val lastSync: String? = null,
    val queryErrors: List<FieldError> = emptyList(),
    val loading: Boolean = false,
) {
    val filtered: Boolean get() = query.isNotBlank() || rtRw != null || status != null
}

sealed interface WorklistEvent {
    data class QueryChanged(val query: String) : WorklistEvent
    data class RtRwChosen(val rtRw: String?) : WorklistEvent
    data class StatusChosen(val status: VisitStatus?) : WorklistEvent
    data class Open(val familyId: String) : WorklistEvent
}

object WorklistTags {
    const val SEARCH = "worklist.search"
    const val RT_RW = "worklist.rtrw"
    const val STATUS = "worklist.status"
    const val EMPTY = "worklist.empty"
    fun family(id: String) = "worklist.family.$id"
}

@Composable
fun WorklistScreen(state: WorklistState, onEvent: (WorklistEvent) -> Unit, modifier: Modifier = Modifier) {
    LazyColumn(
        modifier.fillMaxSize(),
        contentPadding = PaddingValues(16.dp),
        verticalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        item {
            Text(Strings.worklistTitle, style = MaterialTheme.typography.headlineSmall, modifier = Modifier.semantics { heading() })
        }
        if (state.offline) item { OfflineBanner(Strings.worklistOffline(state.lastSync)) }
        item {
            LabeledField(Strings.worklistSearch, state.query, { onEvent(WorklistEvent.QueryChanged(it)) },
                WorklistTags.SEARCH, state.queryErrors, hint = Strings.worklistSearchHint)
        }
        if (state.rtRwOptions.isNotEmpty()) {
            item {
                ChipChoice(Strings.worklistRtRw, state.rtRwOptions.map { ChoiceOption(it, it) }, state.rtRw,
                    { onEvent(WorklistEvent.RtRwChosen(it)) }, WorklistTags.RT_RW, allLabel = Strings.worklistAll, wrap = false)
            }
        }
        item {
            ChipChoice(Strings.worklistStatus, VisitStatus.entries.map { ChoiceOption(it.name, it.label) }, state.status?.name,
                { id -> onEvent(WorklistEvent.StatusChosen(id?.let(VisitStatus::valueOf))) }, WorklistTags.STATUS,
                allLabel = Strings.worklistAll, wrap = false)
        }
        item { Busy(state.loading) }
        state.totalCount?.let { total ->
            if (state.families.isNotEmpty()) item { Text(Strings.worklistCount(state.families.size, total), style = MaterialTheme.typography.labelLarge) }
        }
        if (state.families.isEmpty() && !state.loading) {
            item {
                NoteCard(if (state.filtered) Strings.worklistNoMatch else Strings.worklistEmpty, WorklistTags.EMPTY)
            }
        }
        items(state.families, key = { it.id }) { family -> FamilyCard(family) { onEvent(WorklistEvent.Open(family.id)) } }
    }
}

@Composable
private fun FamilyCard(family: FamilyRow, onOpen: () -> Unit) {
    val label = Strings.worklistOpen(family.headName)
    Card(
        onClick = onOpen,
        modifier = Modifier.fillMaxWidth().heightIn(min = MinTouch).testTag(WorklistTags.family(family.id))
            .semantics(mergeDescendants = true) { onClick(label) { onOpen(); true } },
    ) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Text(family.headName, style = MaterialTheme.typography.titleMedium)
            Text(Strings.rtRw(family.rt, family.rw) + " · " + Strings.worklistMembers(family.memberCount))
            VisitStatusChip(family.status)
        }
    }
}

// ---- One family: its members and "Mulai kunjungan" ----

data class MemberRow(val id: String, val name: String, val relation: String, val maskedNik: String, val age: Int? = null)

data class FamilyState(
    val familyId: String,
    val headName: String,
    val maskedKk: String,
    val address: String,
    val rt: Int,
    val rw: Int,
    val status: VisitStatus,
    val members: List<MemberRow> = emptyList(),
    val lastVisit: String? = null,
    val offline: Boolean = false,
)

sealed interface FamilyEvent {
    data class StartVisit(val familyId: String) : FamilyEvent
    data object Back : FamilyEvent
}

object FamilyTags {
    const val START = "family.start"
    const val BACK = "family.back"
    fun member(id: String) = "family.member.$id"
}

@Composable
fun FamilyScreen(state: FamilyState, onEvent: (FamilyEvent) -> Unit, modifier: Modifier = Modifier) {
    ScreenColumn(state.headName, modifier) {
        VisitStatusChip(state.status)
        if (state.offline) OfflineBanner(Strings.worklistOffline(null))
        LabelValue(Strings.familyKk, state.maskedKk)
        LabelValue(Strings.familyAddress, state.address + ", " + Strings.rtRw(state.rt, state.rw))
        state.lastVisit?.let { LabelValue(Strings.familyLastVisit, it) }
        PrimaryButton(Strings.familyStartVisit, { onEvent(FamilyEvent.StartVisit(state.familyId)) }, FamilyTags.START)
        SectionTitle(Strings.familyMembers + " (${state.members.size})")
        if (state.members.isEmpty()) Text(Strings.familyNoMembers)
        for (m in state.members) {
            Card(Modifier.fillMaxWidth().testTag(FamilyTags.member(m.id)).semantics(mergeDescendants = true) {}) {
                Column(Modifier.padding(12.dp)) {
                    Text(m.name, style = MaterialTheme.typography.titleSmall)
                    Text(Strings.familyMemberLine(m.relation, m.maskedNik, m.age))
                }
            }
        }
        SecondaryButton(Strings.back, { onEvent(FamilyEvent.Back) }, FamilyTags.BACK)
    }
}
