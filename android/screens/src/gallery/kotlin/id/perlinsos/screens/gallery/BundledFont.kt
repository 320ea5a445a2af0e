// DejaVu Sans from this module's resources (fonts/, see fonts/SOURCE), for the gallery and the
// tests: the same glyphs on every machine, so the goldens do not depend on installed fonts.
// Desktop only (Font(identity, bytes) is skiko's); the Android shell passes its own family.
package id.perlinsos.screens.gallery

import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.platform.Font

private fun resource(name: String): ByteArray =
    (Thread.currentThread().contextClassLoader ?: ClassLoader.getSystemClassLoader())
        .getResourceAsStream("fonts/$name")?.use { it.readBytes() }
        ?: error("fonts/$name is not on the class path (android/screens/src/main/resources)")

val DejaVuSans: FontFamily by lazy {
    FontFamily(
        Font("DejaVuSans", resource("DejaVuSans.ttf"), FontWeight.Normal),
        Font("DejaVuSans-Bold", resource("DejaVuSans-Bold.ttf"), FontWeight.Bold),
    )
}
