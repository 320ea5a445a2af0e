// The app's view-models in pure Kotlin (no android.*): the app wraps each in an AndroidX
// ViewModel, and ./build.sh kotlin-test compiles these same sources with the generated bindings
// and tests them on the JVM against the real library.
plugins {
    alias(libs.plugins.kotlin.jvm)
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    api(project(":bindings"))
    api(libs.kotlinx.coroutines.core)
    // The generated classes extend JNA types; the app supplies JNA at run time (see :bindings).
    compileOnly(libs.jna)
}
