// The screens and the routes between them. A phone with no enrolled agent starts at enrollment.
// Every screen past the PIN needs the agent's session; without one (locked, or handed to a
// resident and not yet back) the PIN screen shows. A phone whose district step is still open
// shows enrollment again after the PIN, until it is done or the agent chooses later.
package id.perlinsos.app

import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.navigation.NavHostController
import androidx.navigation.NavType
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.rememberNavController
import androidx.navigation.navArgument
import id.perlinsos.app.screens.EnrollScreen
import id.perlinsos.app.screens.PreviewScreen
import id.perlinsos.app.screens.ResidentHouseholdScreen
import id.perlinsos.app.screens.SanggahanFormScreen
import id.perlinsos.app.screens.SanggahanListScreen
import id.perlinsos.app.screens.SyncScreen
import id.perlinsos.app.screens.UnlockScreen
import id.perlinsos.app.screens.VisitsScreen
import id.perlinsos.app.screens.WizardScreen
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.Phone

object Routes {
    const val VISITS = "visits"
    const val WIZARD = "wizard?draft={draft}"
    const val PREVIEW_DRAFT = "preview/draft/{id}"
    const val PREVIEW_HOUSEHOLD = "preview/household/{id}"
    const val RESIDENT_HOUSEHOLD = "resident/household/{id}"
    const val RESIDENT_SANGGAHAN = "resident/sanggahan"
    const val SANGGAHAN_LIST = "sanggahan"
    const val SYNC = "sync"

    fun wizard(draftId: String? = null) = if (draftId == null) "wizard" else "wizard?draft=$draftId"
    fun previewDraft(id: String) = "preview/draft/$id"
    fun previewHousehold(id: String) = "preview/household/$id"
    fun residentHousehold(id: String) = "resident/household/$id"
}

@Composable
fun PerlinsosNavHost(graph: AppGraph) {
    val phoneState by graph.phone.collectAsStateWithLifecycle()
    when (val state = phoneState) {
        PhoneState.Opening -> Centered {
            CircularProgressIndicator()
            Text(stringResource(R.string.phone_opening), Modifier.padding(top = 64.dp))
        }
        is PhoneState.Failed -> Centered {
            Text(stringResource(R.string.phone_failed) + "\n" + stringResource(R.string.problem_code, state.code))
        }
        is PhoneState.Ready -> {
            val session by graph.session.collectAsStateWithLifecycle()
            val enrolledAgent by graph.agentId.collectAsStateWithLifecycle()
            val districtPending by graph.districtPending.collectAsStateWithLifecycle()
            // The agent chose to connect the phone to the district later: asked again next start.
            var districtLater by rememberSaveable { mutableStateOf(false) }
            val onEnrolled: (String, AgentSession?, Boolean) -> Unit = { id, opened, pending ->
                graph.enrolled(id, pending)
                if (opened != null) graph.session.value = opened
                if (pending) districtLater = true
            }
            val agentId = enrolledAgent
            val current = session
            when {
                agentId == null -> EnrollScreen(state.phone, enrolledAgentId = null, onEnrolled = onEnrolled)
                // Not isLocked(): in resident mode the agent's session is emptied on purpose and
                // the resident's screen must stay; a lock the core reports sends the agent here.
                current == null -> UnlockScreen(state.phone, agentId, onUnlocked = { graph.session.value = it })
                districtPending && !districtLater ->
                    EnrollScreen(state.phone, enrolledAgentId = agentId, onEnrolled = onEnrolled)
                else -> Screens(graph, state.phone, current, onLocked = { graph.session.value = null })
            }
        }
    }
}

@Composable
private fun Screens(graph: AppGraph, phone: Phone, session: AgentSession, onLocked: () -> Unit) {
    val nav: NavHostController = rememberNavController()
    val back: () -> Unit = { nav.popBackStack() }
    // Resident mode hands back a new session object: the graph's session changes and every
    // screen model keyed to the old one is replaced.
    val handBack: (AgentSession) -> Unit = {
        graph.session.value = it
        nav.popBackStack(Routes.VISITS, inclusive = false)
    }
    NavHost(navController = nav, startDestination = Routes.VISITS) {
        composable(Routes.VISITS) {
            VisitsScreen(
                phone, session,
                onNewVisit = { nav.navigate(Routes.wizard()) },
                onResume = { nav.navigate(Routes.wizard(it)) },
                onPreview = { nav.navigate(Routes.previewHousehold(it)) },
                onResident = { nav.navigate(Routes.residentHousehold(it)) },
                onSanggahan = { nav.navigate(Routes.RESIDENT_SANGGAHAN) },
                onSanggahanList = { nav.navigate(Routes.SANGGAHAN_LIST) },
                onSync = { nav.navigate(Routes.SYNC) },
                onLocked = onLocked,
            )
        }
        composable(
            Routes.WIZARD,
            arguments = listOf(navArgument("draft") { type = NavType.StringType; nullable = true; defaultValue = null }),
        ) { entry ->
            WizardScreen(
                phone, session, entry.arguments?.getString("draft"),
                onPreview = { nav.navigate(Routes.previewDraft(it)) },
                onResident = { nav.navigate(Routes.residentHousehold(it)) { popUpTo(Routes.VISITS) } },
                onDone = { nav.popBackStack(Routes.VISITS, inclusive = false) },
            )
        }
        composable(Routes.PREVIEW_DRAFT, arguments = listOf(navArgument("id") { type = NavType.StringType })) { entry ->
            PreviewScreen(phone, session, draftId = entry.arguments?.getString("id"), householdId = null, onBack = back)
        }
        composable(Routes.PREVIEW_HOUSEHOLD, arguments = listOf(navArgument("id") { type = NavType.StringType })) { entry ->
            PreviewScreen(phone, session, draftId = null, householdId = entry.arguments?.getString("id"), onBack = back)
        }
        composable(Routes.RESIDENT_HOUSEHOLD, arguments = listOf(navArgument("id") { type = NavType.StringType })) { entry ->
            ResidentHouseholdScreen(phone, session, entry.arguments?.getString("id").orEmpty(), onHandedBack = handBack)
        }
        composable(Routes.RESIDENT_SANGGAHAN) {
            SanggahanFormScreen(phone, session, onHandedBack = handBack, onCancel = back)
        }
        composable(Routes.SANGGAHAN_LIST) {
            SanggahanListScreen(phone, session, onBack = back)
        }
        composable(Routes.SYNC) {
            SyncScreen(phone, session, onBack = back)
        }
    }
}

@Composable
private fun Centered(content: @Composable () -> Unit) {
    Box(Modifier.fillMaxSize(), contentAlignment = Alignment.Center) { content() }
}
