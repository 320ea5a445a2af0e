// The library's test hooks when it has them (`./build.sh kotlin-test` builds it so), and what
// stands in for them when it was built without (a plain `cargo build`, as another engineer's
// build may have left it): the same sample extract from a file, the answers typed through the
// view-model. A missing hook is an UnsatisfiedLinkError at its first call.
package id.perlinsos.tests

import java.io.File
import uniffi.perlinsos_ffi.InternalException
import uniffi.perlinsos_ffi.Phone
import uniffi.perlinsos_ffi.testSampleExtract

object Hooks {
    /** The synthetic extract of 12 families in [KELURAHAN] (seed 71). */
    fun sampleExtract(): String = try {
        testSampleExtract(71uL, 12u, KELURAHAN)
    } catch (e: UnsatisfiedLinkError) {
        File("bindings/kotlin-tests/fixtures/dtsen-sample-71x12.csv").readText()
    }

    /** A real Rust panic inside a write (with the hooks); uniffi's own exception for one without. */
    fun panic(phone: Phone) {
        try {
            phone.testPanicDuringWrite()
        } catch (e: UnsatisfiedLinkError) {
            throw InternalException("Rust panic")
        }
    }
}
