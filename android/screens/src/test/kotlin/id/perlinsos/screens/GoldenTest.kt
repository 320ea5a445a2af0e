// Screenshot tests: every PNG the gallery just rendered against its golden in
// android/screens/goldens (-Dscreens.goldens), with a small tolerance for anti-aliasing. On a
// mismatch a diff PNG (changed pixels red over a faded golden) is written next to the fresh
// render and the test fails naming both. Re-record with `build-screens.sh goldens`.
package id.perlinsos.screens

import id.perlinsos.screens.gallery.FONT_SCALES
import id.perlinsos.screens.gallery.fileName
import id.perlinsos.screens.gallery.renderPng
import id.perlinsos.screens.gallery.shots
import java.awt.image.BufferedImage
import java.io.File
import javax.imageio.ImageIO
import kotlin.math.abs
import kotlin.test.assertTrue
import kotlin.test.fail
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.TestFactory

/** A pixel differs when one of its channels moved by more than this (0-255). */
const val CHANNEL_THRESHOLD = 32

/** A screen matches when at most this share of its pixels differ. */
const val MAX_DIFFERING_SHARE = 0.001

class GoldenTest {
    private val goldens = File(System.getProperty("screens.goldens") ?: "android/screens/goldens")
    private val fresh = File(System.getProperty("screens.gallery") ?: System.getProperty("java.io.tmpdir") + "/screens-gallery")

    @TestFactory
    fun everyScreenMatchesItsGolden(): List<DynamicTest> {
        val names = shots.flatMap { s -> FONT_SCALES.map { fs -> Triple(fileName(s, fs), s, fs) } }
        val known = names.map { it.first }.toSet()
        val stale = DynamicTest.dynamicTest("no stale goldens") {
            val extra = goldens.listFiles { f -> f.name.endsWith(".png") && f.name !in known }.orEmpty().map { it.name }.sorted()
            assertTrue(extra.isEmpty(), "goldens without a screen state (re-record with build-screens.sh goldens): $extra")
        }
        return listOf(stale) + names.map { (name, shot, fs) ->
            DynamicTest.dynamicTest(name) {
                val golden = File(goldens, name)
                if (!golden.exists()) fail("no golden $golden: record it with `android/screens/build-screens.sh goldens`")
                val file = File(fresh, name)
                if (!file.exists()) { fresh.mkdirs(); file.writeBytes(renderPng(shot, fs)) }
                compare(golden, file)
            }
        }
    }

    private fun compare(goldenFile: File, freshFile: File) {
        val golden = ImageIO.read(goldenFile)
        val now = ImageIO.read(freshFile)
        if (golden.width != now.width || golden.height != now.height) {
            fail("${freshFile.name}: ${now.width}x${now.height} px, golden ${golden.width}x${golden.height} px")
        }
        val diff = BufferedImage(golden.width, golden.height, BufferedImage.TYPE_INT_RGB)
        var differing = 0
        for (y in 0 until golden.height) for (x in 0 until golden.width) {
            val a = golden.getRGB(x, y)
            val b = now.getRGB(x, y)
            val changed = (0..24 step 8).any { shift -> abs(((a ushr shift) and 0xFF) - ((b ushr shift) and 0xFF)) > CHANNEL_THRESHOLD }
            if (changed) {
                differing++
                diff.setRGB(x, y, 0xFF0000)
            } else {
                // the golden, faded, so the red stands out where it changed
                val grey = (((a shr 16 and 0xFF) + (a shr 8 and 0xFF) + (a and 0xFF)) / 3 + 2 * 255) / 3
                diff.setRGB(x, y, (grey shl 16) or (grey shl 8) or grey)
            }
        }
        val share = differing.toDouble() / (golden.width * golden.height)
        val diffFile = File(freshFile.parentFile, freshFile.name.removeSuffix(".png") + ".diff.png")
        if (share > MAX_DIFFERING_SHARE) {
            ImageIO.write(diff, "png", diffFile)
            fail(
                "${freshFile.name} differs from its golden: $differing pixels (%.3f%%, allowed %.3f%%). ".format(share * 100, MAX_DIFFERING_SHARE * 100) +
                    "Fresh: $freshFile, golden: $goldenFile, diff: $diffFile. " +
                    "If the change is intended, re-record with `android/screens/build-screens.sh goldens`.",
            )
        }
        diffFile.delete()
    }
}
