// Runs on the JVM against the real compiled library (JNA loads libperlinsos_ffi): what the
// Android app will call, with errors as typed Kotlin exceptions.
package id.perlinsos.tests

import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import uniffi.perlinsos_ffi.ApiException
import uniffi.perlinsos_ffi.checkNik

class NikCheckTest {
    @Test
    fun aValidNikGivesSexAndBirthDate() {
        val info = checkNik("5271015705900002")
        assertEquals("P", info.sex)
        assertEquals("1990-05-17", info.birthDate)
        assertEquals("52.71.01", info.kecamatan)
    }

    @Test
    fun aBadNikIsATypedExceptionWithAStableCodeAndIndonesianText() {
        val error = assertFailsWith<ApiException.Invalid> { checkNik("123") }
        assertEquals("NIK_LENGTH", error.code)
        assertTrue(error.reason.contains("NIK"), error.reason)
        assertTrue(!error.reason.contains("123"), "no input echoed back")
    }
}
