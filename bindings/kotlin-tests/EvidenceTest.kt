// A real camera photo through the real library: normalized to 1600 px, stored sealed, read
// back as a JPEG; a truncated file refused with its code.
package id.perlinsos.tests

import java.io.File
import java.nio.file.Files
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import uniffi.perlinsos_ffi.ApiException
import uniffi.perlinsos_ffi.Phone

class EvidenceTest {
    @Test
    fun aCameraPhotoIsNormalizedStoredAndReadBack() {
        val phone = Phone.open(Files.createTempDirectory("perlinsos-photo").toString(), "ks".toByteArray())
        val session = phone.enrollAgent("agen-01", "482913", ByteArray(32) { 7 })
        val camera = File("core/data/photos/cam2_wood.jpg").readBytes()
        val info = phone.capturePhoto(session, "household", "h-1", camera, -8.5833, 116.1167)
        assertEquals(1600u, info.width)
        assertEquals(1200u, info.height)
        assertEquals("2026-11-20T09:41:07", info.cameraTime)
        assertTrue(info.hasLocation)
        assertTrue(info.bytes.toLong() < camera.size / 10)
        val stored = phone.photo(session, info.id)
        assertEquals(info.bytes.toLong(), stored.size.toLong())
        assertEquals(0xFF.toByte(), stored[0])
        assertEquals(0xD8.toByte(), stored[1])

        val error = assertFailsWith<ApiException.Invalid> {
            phone.capturePhoto(session, "household", "h-1", camera.copyOf(camera.size / 2), null, null)
        }
        assertEquals("EVIDENCE_CORRUPT", error.code)
    }
}
