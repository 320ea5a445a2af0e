// The sync view-model's state as the sync screen reads it: a refused server certificate (the
// core's SERVER_CERT_MISMATCH and SERVER_CERT_UNTRUSTED) gets its own banner, and is not
// "offline"; being offline is not a certificate problem.
package id.perlinsos.screens.walk

import id.perlinsos.screens.CertificateProblem
import id.perlinsos.screens.app.toScreen
import id.perlinsos.viewmodels.Problem
import id.perlinsos.viewmodels.SyncState
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

class SyncMappingTest {
    private fun screenOf(code: String) =
        SyncState(problem = Problem(code, "pesan inti"), message = "pesan inti").toScreen()

    @Test
    fun certificateRefusalsAreTheirOwnStateNotOffline() {
        val mismatch = screenOf("SERVER_CERT_MISMATCH")
        assertEquals(CertificateProblem.MISMATCH, mismatch.certificate)
        assertFalse(mismatch.offline)
        val untrusted = screenOf("SERVER_CERT_UNTRUSTED")
        assertEquals(CertificateProblem.UNTRUSTED, untrusted.certificate)
        assertFalse(untrusted.offline)
        val offline = screenOf("OFFLINE")
        assertNull(offline.certificate)
        assertTrue(offline.offline)
        assertNull(screenOf("DEVICE_REVOKED").certificate)
    }
}
