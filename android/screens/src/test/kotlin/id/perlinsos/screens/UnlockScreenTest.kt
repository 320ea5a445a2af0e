// The PIN screen driven as an agent would: real text input and clicks through Compose's
// desktop UI test API (semantics tree, no rule, so JUnit 5 runs it).
package id.perlinsos.screens

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.assertIsEnabled
import androidx.compose.ui.test.assertIsNotEnabled
import androidx.compose.ui.test.hasAnyAncestor
import androidx.compose.ui.test.hasTestTag
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.onNodeWithText
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performTextInput
import androidx.compose.ui.test.runComposeUiTest
import kotlin.test.assertEquals
import org.junit.jupiter.api.Test

@OptIn(ExperimentalTestApi::class)
class UnlockScreenTest {
    @Test
    fun typingAPinAndPressingBukaSubmitsIt() = runComposeUiTest {
        var state by mutableStateOf(UnlockScreenState(agentId = "agen-0001"))
        val submitted = mutableListOf<String>()
        setContent {
            UnlockScreen(state, onEvent = { event ->
                when (event) {
                    is UnlockEvent.PinChanged -> state = state.copy(pin = event.pin)
                    UnlockEvent.Submit -> submitted += state.pin
                    UnlockEvent.SwitchAgent -> submitted += "switch"
                }
            })
        }
        onNodeWithText(Strings.unlockAgent("agen-0001")).assertExists()
        onNodeWithText(Strings.unlockSubmit).assertIsNotEnabled()
        onNodeWithTag(UnlockTags.PIN).performTextInput("12a34")
        assertEquals("1234", state.pin) // only digits reach the state
        onNodeWithText(Strings.unlockSubmit).assertIsNotEnabled()
        onNodeWithTag(UnlockTags.PIN).performTextInput("56")
        onNodeWithText(Strings.unlockSubmit).assertIsEnabled().performClick()
        assertEquals(listOf("123456"), submitted)
    }

    @Test
    fun ganti_agenOpensTheSwitcherWhenSeveralAgentsShareThePhone() = runComposeUiTest {
        val events = mutableListOf<UnlockEvent>()
        setContent { UnlockScreen(UnlockScreenState(agentId = "agen-0001", canSwitchAgent = true), onEvent = { events += it }) }
        onNodeWithTag(UnlockTags.SWITCH).performClick()
        assertEquals(listOf<UnlockEvent>(UnlockEvent.SwitchAgent), events)
    }

    @Test
    fun theCoresRefusalIsShownUnderTheField() = runComposeUiTest {
        setContent {
            UnlockScreen(UnlockScreenState(agentId = "agen-0001", error = "PIN salah.", attemptsLeft = 2), onEvent = {})
        }
        onNode(hasText("PIN salah.") and hasAnyAncestor(hasTestTag(UnlockTags.PIN)), useUnmergedTree = true).assertExists()
        onNodeWithText(Strings.unlockAttemptsLeft(2)).assertExists()
    }

    @Test
    fun aLockedOutAgentCannotSubmit() = runComposeUiTest {
        setContent {
            UnlockScreen(UnlockScreenState(agentId = "agen-0001", pin = "123456", attemptsLeft = 0, retryAt = "14.35"), onEvent = {})
        }
        onNodeWithText(Strings.unlockRetryAt("14.35")).assertExists()
        onNodeWithText(Strings.unlockSubmit).assertIsNotEnabled()
    }
}
