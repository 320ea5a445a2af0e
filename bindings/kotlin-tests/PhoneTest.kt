// The phone and its agents' PINs, through the real library: enrollment, a wrong PIN as a typed
// exception with the attempts left, lock, a profile that survives reopening, the audit trail.
package id.perlinsos.tests

import java.nio.file.Files
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import uniffi.perlinsos_ffi.ApiException
import uniffi.perlinsos_ffi.Phone

class PhoneTest {
    private val keystoreSecret = "secret from the Android Keystore".toByteArray()
    private val recovery = ByteArray(32) { 7 }

    @Test
    fun anAgentEnrollsUnlocksLocksAndIsRefusedAWrongPin() {
        val dir = Files.createTempDirectory("perlinsos-phone").toString()
        val phone = Phone.open(dir, keystoreSecret)
        assertTrue(phone.deviceId().isNotEmpty())

        val session = phone.enrollAgent("agen-01", "482913", recovery)
        assertFalse(session.isLocked())
        session.lock()
        assertTrue(session.isLocked())

        val wrong = assertFailsWith<ApiException.Unlock> { phone.unlock("agen-01", "000000") }
        assertEquals("SESSION_PIN_WRONG", wrong.code)
        assertEquals(9u, wrong.attemptsLeft)
        assertEquals("PIN salah.", wrong.reason)

        val format = assertFailsWith<ApiException.Invalid> {
            phone.enrollAgent("agen-02", "12", recovery)
        }
        assertEquals("SESSION_PIN_FORMAT", format.code)

        // The profile is on disk: a reopened phone unlocks it with the same PIN and secret.
        val reopened = Phone.open(dir, keystoreSecret)
        assertEquals(phone.deviceId(), reopened.deviceId())
        assertEquals("agen-01", reopened.unlock("agen-01", "482913").agentId())
        // Failed and successful unlocks are in an intact audit trail.
        assertTrue(reopened.verifyAuditTrail() >= 2u)
    }
}
