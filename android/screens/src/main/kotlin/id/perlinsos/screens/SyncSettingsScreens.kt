// Sync: what is running, what waits, and what the district parked with its reasons (retry
// them once fixed). Settings: the agent, the district, auto-lock, the read-aloud voice.
package id.perlinsos.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Card
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp

data class ParkedRow(val id: String, val kind: String, val summary: String, val reason: String, val code: String)

data class SyncScreenState(
    val running: Boolean = false,
    val entriesDone: Long = 0,
    val entriesTotal: Long = 0,
    /** "1,2 MB". */
    val sentText: String? = null,
    val totalText: String? = null,
    val progress: Float? = null,
    val pending: Int = 0,
    val parked: List<ParkedRow> = emptyList(),
    val lastSync: String? = null,
    val offline: Boolean = false,
    /** The last sync's outcome in words (the view-model's message). */
    val message: String? = null,
    /** The server's certificate stopped the last sync (not a network that is down). */
    val certificate: CertificateProblem? = null,
)

/**
 * Why the phone refused the server's certificate: the core's `SERVER_CERT_MISMATCH` (not the
 * certificate the district pinned at enrollment) or `SERVER_CERT_UNTRUSTED` (one the phone's
 * trusted authorities refuse: a captive portal, a proxy on the path, an expired certificate).
 * Either way the network may be intercepted: nothing was sent, and trying again on the same
 * network does not help, unlike being offline.
 */
enum class CertificateProblem(val code: String) {
    MISMATCH("SERVER_CERT_MISMATCH"),
    UNTRUSTED("SERVER_CERT_UNTRUSTED"),
}

sealed interface SyncEvent {
    data object Start : SyncEvent
    data object Cancel : SyncEvent
    data object RetryParked : SyncEvent
}

object SyncTags {
    const val CERTIFICATE = "sync.certificate"
    const val START = "sync.start"
    const val CANCEL = "sync.cancel"
    const val RETRY = "sync.retry"
    const val PROGRESS = "sync.progress"
    fun parked(id: String) = "sync.parked.$id"
}

@Composable
fun SyncScreen(state: SyncScreenState, onEvent: (SyncEvent) -> Unit, modifier: Modifier = Modifier) {
    ScreenColumn(Strings.syncTitle, modifier, subtitle = state.lastSync?.let(Strings::syncLast) ?: Strings.syncNever) {
        if (state.offline) OfflineBanner(Strings.syncOffline)
        state.certificate?.let { CertificateBanner(it) }
        Text(Strings.syncPending(state.pending), style = MaterialTheme.typography.titleMedium)
        // The certificate banner says it in full; the core's message would repeat it.
        if (state.certificate == null) state.message?.let { Text(it) }
        if (state.running) {
            Text(Strings.syncRunning, style = MaterialTheme.typography.titleSmall)
            val p = state.progress
            val desc = Strings.syncEntries(state.entriesDone, state.entriesTotal)
            if (p != null) {
                LinearProgressIndicator(progress = { p }, modifier = Modifier.fillMaxWidth().testTag(SyncTags.PROGRESS).semantics { contentDescription = desc })
            } else {
                LinearProgressIndicator(Modifier.fillMaxWidth().testTag(SyncTags.PROGRESS).semantics { contentDescription = desc })
            }
            Text(desc)
            if (state.sentText != null && state.totalText != null) Text(Strings.syncBytes(state.sentText, state.totalText))
            SecondaryButton(Strings.syncCancel, { onEvent(SyncEvent.Cancel) }, SyncTags.CANCEL)
        } else {
            PrimaryButton(Strings.syncStart, { onEvent(SyncEvent.Start) }, SyncTags.START, enabled = !state.offline)
        }
        if (state.parked.isNotEmpty()) {
            SectionTitle(Strings.syncParked + " (${state.parked.size})")
            Text(Strings.syncParkedIntro)
            for (p in state.parked) {
                Card(Modifier.fillMaxWidth().testTag(SyncTags.parked(p.id)).semantics(mergeDescendants = true) {}) {
                    Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
                        Text(p.kind, style = MaterialTheme.typography.titleSmall)
                        Text(p.summary)
                        Text(Strings.syncReason(p.reason), color = MaterialTheme.colorScheme.error)
                        Text(p.code, style = MaterialTheme.typography.labelSmall)
                    }
                }
            }
            SecondaryButton(Strings.syncRetryParked, { onEvent(SyncEvent.RetryParked) }, SyncTags.RETRY, enabled = !state.running && !state.offline)
        }
    }
}

// ---- Settings ----

data class SettingsState(
    val agentId: String,
    val agentName: String,
    /** The district server's host, once the phone is enrolled with it. */
    val districtHost: String? = null,
    val autoLockMinutes: Int = 5,
    val autoLockOptions: List<Int> = listOf(1, 2, 5, 10),
    val ttsAvailable: Boolean = true,
    val otherAgents: Boolean = false,
    val appVersion: String = "",
)

sealed interface SettingsEvent {
    data class AutoLockChosen(val minutes: Int) : SettingsEvent
    data class ReadAloud(val text: String) : SettingsEvent
    data object LockNow : SettingsEvent
    data object SwitchAgent : SettingsEvent
    data object ReEnroll : SettingsEvent
}

object SettingsTags {
    const val AUTO_LOCK = "settings.autolock"
    const val TTS_TEST = "settings.tts"
    const val LOCK = "settings.lock"
    const val SWITCH = "settings.switch"
    const val RE_ENROLL = "settings.reenroll"
}

@Composable
fun SettingsScreen(state: SettingsState, onEvent: (SettingsEvent) -> Unit, modifier: Modifier = Modifier) {
    ScreenColumn(Strings.settingsTitle, modifier) {
        LabelValue(Strings.settingsAgent, "${state.agentName} (${state.agentId})")
        LabelValue(Strings.settingsDistrict, state.districtHost ?: Strings.settingsDistrictPending)
        ChoiceGroup(Strings.settingsAutoLock, state.autoLockOptions.map { ChoiceOption(it.toString(), Strings.settingsMinutes(it)) },
            state.autoLockMinutes.toString(), { onEvent(SettingsEvent.AutoLockChosen(it.toInt())) }, SettingsTags.AUTO_LOCK)
        SectionTitle(Strings.settingsReadAloud)
        Text(if (state.ttsAvailable) Strings.settingsTtsReady else Strings.settingsTtsMissing,
            color = if (state.ttsAvailable) MaterialTheme.colorScheme.onSurface else MaterialTheme.colorScheme.error)
        SecondaryButton(Strings.settingsTtsTest, { onEvent(SettingsEvent.ReadAloud(Strings.settingsTtsSample)) }, SettingsTags.TTS_TEST, state.ttsAvailable)
        PrimaryButton(Strings.settingsLockNow, { onEvent(SettingsEvent.LockNow) }, SettingsTags.LOCK)
        if (state.otherAgents) SecondaryButton(Strings.settingsSwitchAgent, { onEvent(SettingsEvent.SwitchAgent) }, SettingsTags.SWITCH)
        SecondaryButton(Strings.settingsReEnroll, { onEvent(SettingsEvent.ReEnroll) }, SettingsTags.RE_ENROLL)
        Text(Strings.settingsReEnrollHint, style = MaterialTheme.typography.bodySmall)
        if (state.appVersion.isNotEmpty()) LabelValue(Strings.settingsVersion, state.appVersion)
    }
}

/** The server's certificate was refused: what it means and what the agent does, with its code. */
@Composable
private fun CertificateBanner(problem: CertificateProblem) {
    val (title, body) = when (problem) {
        CertificateProblem.MISMATCH -> Strings.syncCertMismatchTitle to Strings.syncCertMismatch
        CertificateProblem.UNTRUSTED -> Strings.syncCertUntrustedTitle to Strings.syncCertUntrusted
    }
    Surface(
        color = MaterialTheme.colorScheme.errorContainer,
        shape = MaterialTheme.shapes.medium,
        modifier = Modifier.fillMaxWidth().testTag(SyncTags.CERTIFICATE).semantics { liveRegion = LiveRegionMode.Polite },
    ) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Text(title, style = MaterialTheme.typography.titleSmall, color = MaterialTheme.colorScheme.onErrorContainer)
            Text(body, color = MaterialTheme.colorScheme.onErrorContainer)
            Text(Strings.syncCertAction, color = MaterialTheme.colorScheme.onErrorContainer)
            Text(problem.code, style = MaterialTheme.typography.labelSmall, color = MaterialTheme.colorScheme.onErrorContainer)
        }
    }
}
