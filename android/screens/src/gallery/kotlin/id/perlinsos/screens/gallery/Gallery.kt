// Renders every shared screen in its main states, headless, to PNG files: 360x800 dp at density 2
// (720x1600 px), at font scale 1.0 and 1.5, in DejaVu Sans from the module's resources.
// Usage: Gallery OUT_DIR. Needs -Djava.awt.headless=true. The same files are the goldens.
package id.perlinsos.screens.gallery

import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.material3.Surface
import androidx.compose.runtime.Composable
import androidx.compose.ui.ImageComposeScene
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.Density
import id.perlinsos.screens.PerlinsosTheme
import java.io.File
import org.jetbrains.skia.EncodedImageFormat

const val WIDTH_DP = 360
const val HEIGHT_DP = 800
const val DENSITY = 2f
val FONT_SCALES = listOf(1.0f, 1.5f)

class Shot(val name: String, val content: @Composable () -> Unit)

fun fileName(shot: Shot, fontScale: Float) = "${shot.name}-fs$fontScale.png"

@Composable
fun Themed(content: @Composable () -> Unit) {
    PerlinsosTheme(fontFamily = DejaVuSans) { Surface(Modifier.fillMaxSize()) { content() } }
}

fun renderPng(shot: Shot, fontScale: Float): ByteArray {
    val scene = ImageComposeScene(
        width = (WIDTH_DP * DENSITY).toInt(),
        height = (HEIGHT_DP * DENSITY).toInt(),
        density = Density(DENSITY, fontScale),
    ) { Themed { shot.content() } }
    try {
        scene.render(0L) // first frame: composition and layout
        val image = scene.render(1_000_000_000L) // a second later: settled animations
        val png = image.encodeToData(EncodedImageFormat.PNG) ?: error("PNG encoding failed for ${shot.name}")
        return png.bytes
    } finally {
        scene.close()
    }
}

/** Every shot at every font scale into [dir]; PNGs of shots that no longer exist are removed. */
fun renderAll(dir: File): List<File> {
    dir.mkdirs()
    val wanted = shots.flatMap { s -> FONT_SCALES.map { fileName(s, it) } }.toSet()
    require(wanted.size == shots.size * FONT_SCALES.size) { "two shots share a name" }
    dir.listFiles { f -> f.name.endsWith(".png") && f.name !in wanted }?.forEach { it.delete() }
    return shots.flatMap { shot ->
        FONT_SCALES.map { fs -> File(dir, fileName(shot, fs)).apply { writeBytes(renderPng(shot, fs)) } }
    }
}

fun main(args: Array<String>) {
    val dir = File(args.firstOrNull() ?: "/tmp/compose-gallery")
    val start = System.nanoTime()
    val files = renderAll(dir)
    println("gallery: ${files.size} PNGs (${shots.size} states x ${FONT_SCALES.size} font scales) in $dir, ${(System.nanoTime() - start) / 1_000_000} ms")
}
