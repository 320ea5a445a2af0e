// Renders every shared screen in its main states, headless, to PNG files: 360x800 dp at density 2
// (720x1600 px), at font scale 1.0 and 1.5. Usage: Gallery OUT_DIR. Needs -Djava.awt.headless=true.
package id.perlinsos.screens.gallery

import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Surface
import androidx.compose.runtime.Composable
import androidx.compose.ui.ImageComposeScene
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.Density
import id.perlinsos.screens.UnlockScreen
import id.perlinsos.screens.UnlockScreenState
import java.io.File
import org.jetbrains.skia.EncodedImageFormat

const val WIDTH_DP = 360
const val HEIGHT_DP = 800
const val DENSITY = 2f

class Shot(val name: String, val content: @Composable () -> Unit)

val shots = listOf(
    Shot("unlock-empty") { UnlockScreen(UnlockScreenState(agentId = "agen-0001"), onEvent = {}) },
    Shot("unlock-filled") { UnlockScreen(UnlockScreenState(agentId = "agen-0001", pin = "123456"), onEvent = {}) },
    Shot("unlock-error") {
        UnlockScreen(
            UnlockScreenState(agentId = "agen-0001", pin = "", error = "PIN salah.", attemptsLeft = 2),
            onEvent = {},
        )
    },
    Shot("unlock-locked") {
        UnlockScreen(
            UnlockScreenState(
                agentId = "agen-0001",
                error = "Terlalu banyak percobaan PIN yang salah.",
                attemptsLeft = 0,
                retryAt = "14.35",
            ),
            onEvent = {},
        )
    },
)

fun render(shot: Shot, fontScale: Float, dir: File): File {
    val scene = ImageComposeScene(
        width = (WIDTH_DP * DENSITY).toInt(),
        height = (HEIGHT_DP * DENSITY).toInt(),
        density = Density(DENSITY, fontScale),
    ) {
        MaterialTheme { Surface(Modifier.fillMaxSize()) { shot.content() } }
    }
    try {
        scene.render(0L) // first frame: composition and layout
        val image = scene.render(1_000_000_000L) // a second later: settled animations
        val png = image.encodeToData(EncodedImageFormat.PNG) ?: error("PNG encoding failed for ${shot.name}")
        val file = File(dir, "${shot.name}-fs$fontScale.png")
        file.writeBytes(png.bytes)
        return file
    } finally {
        scene.close()
    }
}

fun main(args: Array<String>) {
    val dir = File(args.firstOrNull() ?: "/tmp/compose-gallery").apply { mkdirs() }
    for (shot in shots) for (fontScale in listOf(1.0f, 1.5f)) println(render(shot, fontScale, dir))
}
