// A bug in the Rust core must not take the agent's app down: a panic reaches Kotlin as an
// exception, the write it interrupted is rolled back, and the same Phone keeps working.
// The panic comes from the `test-hooks` build of the real library (never in the app's).
package id.perlinsos.tests

import java.nio.file.Files
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import uniffi.perlinsos_ffi.InternalException
import uniffi.perlinsos_ffi.Phone

class PanicTest {
    @Test
    fun aPanicInsideAWriteIsAnExceptionAndChangesNothing() {
        val dir = Files.createTempDirectory("perlinsos-panic").toString()
        val phone = Phone.open(dir, "secret from the Android Keystore".toByteArray())
        phone.enrollAgent("agen-01", "482913", ByteArray(32) { 7 }).lock()
        val entries = phone.verifyAuditTrail()

        repeat(2) {
            assertFailsWith<InternalException> { phone.testPanicDuringWrite() }
        }

        // The audit entry written before each panic was rolled back, the chain is intact,
        // and the phone (its store lock, its agents) still serves the next calls.
        assertEquals(entries, phone.verifyAuditTrail())
        assertEquals("agen-01", phone.unlock("agen-01", "482913").agentId())
        assertEquals(entries + 1u, phone.verifyAuditTrail())
    }
}
