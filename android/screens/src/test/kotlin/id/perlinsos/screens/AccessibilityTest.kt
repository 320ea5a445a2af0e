// Every state of every screen in the gallery: each thing that can be tapped is at least
// 48x48 dp and has a label TalkBack can read (text or content description).
package id.perlinsos.screens

import androidx.compose.ui.semantics.SemanticsActions
import androidx.compose.ui.semantics.SemanticsProperties
import androidx.compose.ui.semantics.getOrNull
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.hasClickAction
import androidx.compose.ui.test.runComposeUiTest
import id.perlinsos.screens.gallery.Themed
import id.perlinsos.screens.gallery.shots
import kotlin.test.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.TestFactory

@OptIn(ExperimentalTestApi::class)
class AccessibilityTest {
    @TestFactory
    fun everyTapTargetIs48dpAndLabelled(): List<DynamicTest> = shots.map { shot ->
        DynamicTest.dynamicTest(shot.name) {
            runComposeUiTest {
                setContent { Themed { shot.content() } }
                val min = with(density) { MinTouch.toPx() } - 0.5f
                val problems = mutableListOf<String>()
                for (node in onAllNodes(hasClickAction()).fetchSemanticsNodes()) {
                    val c = node.config
                    val label = (c.getOrNull(SemanticsProperties.ContentDescription).orEmpty() +
                        c.getOrNull(SemanticsProperties.Text).orEmpty().map { it.text } +
                        listOfNotNull(c.getOrNull(SemanticsActions.OnClick)?.label)).joinToString(" ").trim()
                    val size = node.size
                    if (size.width < min || size.height < min) problems += "'$label' is ${size.width}x${size.height} px (< 48 dp)"
                    if (label.isEmpty() && c.getOrNull(SemanticsProperties.EditableText) == null) problems += "a tap target without a label at ${node.boundsInRoot}"
                }
                assertTrue(problems.isEmpty(), "${shot.name}: " + problems.joinToString("; "))
            }
        }
    }
}
