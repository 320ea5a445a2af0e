// The agent's app on the shared screens: enrollment, the PIN while the gate has no session,
// then the worklist, a family, the visit wizard, the receipt, the result and objection, and
// sync, with a bar to move between them. Compose only (no android.*): the Android activity and
// the JVM walk test both call AgentApp(controller).
package id.perlinsos.screens.app

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.runtime.Composable
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import id.perlinsos.screens.Busy
import id.perlinsos.screens.EnrollmentScreen
import id.perlinsos.screens.FamilyScreen
import id.perlinsos.screens.ObjectionScreen
import id.perlinsos.screens.PmtPreviewScreen
import id.perlinsos.screens.ReceiptScreen
import id.perlinsos.screens.ResultScreen
import id.perlinsos.screens.SecondaryButton
import id.perlinsos.screens.Strings
import id.perlinsos.screens.SyncScreen
import id.perlinsos.screens.UnlockScreen
import id.perlinsos.screens.VisitWizardScreen
import id.perlinsos.screens.WorklistScreen
import id.perlinsos.viewmodels.LockCause
import id.perlinsos.viewmodels.UnlockState

object AppTags {
    const val NAV_WORKLIST = "app.nav.worklist"
    const val NAV_SYNC = "app.nav.sync"
    const val NAV_LOCK = "app.nav.lock"
    const val FAMILY_RESULT = "app.family.result"
}

@Composable
fun AgentApp(c: AgentAppController, modifier: Modifier = Modifier) {
    val gate by c.gate.collectAsState()
    val g = gate
    if (g == null) {
        val vm = c.enrollment ?: return
        val state by vm.state.collectAsState()
        val form by c.enrollForm.collectAsState()
        EnrollmentScreen(state.toScreen(form), c::onEnrollment, modifier)
        return
    }
    val session by g.session.collectAsState()
    val models by c.models.collectAsState()
    val m = models
    if (session == null || m == null || m.session !== session) {
        val unlock by g.unlock.state.collectAsState()
        val pin by c.pin.collectAsState()
        val cause = (unlock as? UnlockState.Waiting)?.cause ?: LockCause.Start
        UnlockScreen(unlock.toScreen(agentIdOf(c), pin, cause), c::onUnlock, modifier)
        return
    }
    val route by c.route.collectAsState()
    Column(modifier.fillMaxSize()) {
        Row(Modifier.fillMaxWidth().padding(horizontal = 8.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            SecondaryButton(Strings.navWorklist, { c.navigate(Route.Worklist) }, AppTags.NAV_WORKLIST, modifier = Modifier.weight(1f))
            SecondaryButton(Strings.navSync, { c.navigate(Route.Sync) }, AppTags.NAV_SYNC, modifier = Modifier.weight(1f))
            SecondaryButton(Strings.navLock, { c.lock(LockCause.Manual) }, AppTags.NAV_LOCK, modifier = Modifier.weight(1f))
        }
        val content = Modifier.weight(1f)
        when (val r = route) {
            Route.Worklist -> {
                val s by m.worklist.state.collectAsState()
                WorklistScreen(s.toScreen(), c::onWorklist, content)
            }
            is Route.Family -> {
                val s by m.worklist.state.collectAsState()
                val detail = s.opened
                if (detail == null || detail.family.familyId != r.familyId) {
                    Busy(true)
                } else {
                    Column(content) {
                        SecondaryButton(Strings.navResult, { c.openResult(r.familyId) }, AppTags.FAMILY_RESULT, modifier = Modifier.padding(horizontal = 16.dp))
                        FamilyScreen(detail.toScreen(s.openedVisit), c::onFamily)
                    }
                }
            }
            Route.Visit -> {
                val vm by c.visit.collectAsState()
                val v = vm
                if (v == null) {
                    Busy(true)
                } else {
                    val s by v.state.collectAsState()
                    val local by c.wizard.collectAsState()
                    if (s.draft == null) Busy(true) else VisitWizardScreen(s.toScreen(local), c::onVisit, content)
                }
            }
            Route.VisitPmtPreview -> {
                val vm by c.visit.collectAsState()
                val v = vm
                if (v == null) Busy(true) else {
                    val s by v.state.collectAsState()
                    val q = s.pmt
                    val preview = q?.preview
                    if (q == null || preview == null) Busy(true)
                    else PmtPreviewScreen(preview.toScreen(s.family?.family?.headName, q.model.title), c::onPmtPreview, content)
                }
            }
            is Route.Receipt -> ReceiptScreen(r.receipt.toScreen(r.familyHead), c::onReceipt, content)
            is Route.Result -> {
                val vm by c.result.collectAsState()
                val v = vm
                if (v == null) Busy(true) else {
                    val s by v.state.collectAsState()
                    if (!s.loaded) Busy(true) else ResultScreen(s.toResultScreen(), c::onResult, content)
                }
            }
            Route.Objection -> {
                val vm by c.result.collectAsState()
                val v = vm
                if (v == null) Busy(true) else {
                    val s by v.state.collectAsState()
                    ObjectionScreen(s.toObjectionScreen(), c::onObjection, content)
                }
            }
            Route.Sync -> {
                val s by m.sync.state.collectAsState()
                SyncScreen(s.toScreen(), c::onSync, content)
            }
        }
    }
}

private fun agentIdOf(c: AgentAppController): String =
    c.enrollment?.state?.value?.agentId ?: c.agentId ?: ""
