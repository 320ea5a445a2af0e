// The sample photos as a phone camera would give them today. Their EXIF says they were taken
// on a fixed day, and sanggahan evidence must be at most 30 days old, so every test that files
// one restamps the EXIF dates to today (same length: nothing else in the file moves), as
// `perlinsos_core::sample::photo_taken_on` does for the Rust tests.
package id.perlinsos.tests

import java.io.File
import java.time.LocalDate

fun photoTakenToday(name: String): ByteArray {
    val bytes = File("core/data/photos/$name").readBytes()
    if (bytes.size < 4 || bytes[0] != 0xFF.toByte() || bytes[1] != 0xD8.toByte()) return bytes
    val today = LocalDate.now()
    val stamp = "%04d:%02d:%02d".format(today.year, today.monthValue, today.dayOfMonth).toByteArray()
    // The segments before the image data: APP0 (JFIF), APP1 (EXIF, XMP), ..., and comments
    // (COM, which GIMP writes before the EXIF segment of cam3_ladybird.jpg).
    var at = 2
    while (at + 4 <= bytes.size && bytes[at] == 0xFF.toByte() &&
        ((bytes[at + 1].toInt() and 0xF0) == 0xE0 || bytes[at + 1] == 0xFE.toByte())
    ) {
        val length = ((bytes[at + 2].toInt() and 0xFF) shl 8) or (bytes[at + 3].toInt() and 0xFF)
        val end = minOf(bytes.size, at + 2 + length)
        if (bytes[at + 1] == 0xE1.toByte()) {
            var i = at + 4
            while (i + 19 <= end) {
                if (isExifTime(bytes, i)) {
                    stamp.copyInto(bytes, i)
                    i += 19
                } else {
                    i += 1
                }
            }
        }
        at = end
    }
    return bytes
}

/** "YYYY:MM:DD HH:MM:SS" at [at]. */
private fun isExifTime(bytes: ByteArray, at: Int): Boolean = (0 until 19).all { i ->
    val c = bytes[at + i].toInt().toChar()
    when (i) {
        4, 7, 13, 16 -> c == ':'
        10 -> c == ' '
        else -> c in '0'..'9'
    }
}
