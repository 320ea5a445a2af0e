// The uniffi-generated Kotlin bindings as a plain JVM module: the generated file uses only JNA
// and the Kotlin standard library, so the JVM view-models can depend on it and the same code
// runs in the app and in the JVM tests. JNA is compileOnly here: the app supplies Android's JNA
// (the aar, with its native dispatch library) and a JVM run supplies the jar.
plugins {
    alias(libs.plugins.kotlin.jvm)
}

val repoRoot: File = rootDir.parentFile
val cargoTargetDir: String = providers.gradleProperty("perlinsos.cargoTargetDir")
    .orElse(providers.environmentVariable("CARGO_TARGET_DIR"))
    .getOrElse("${System.getProperty("user.home")}/.cache/perlinsos/target")
val generate: Boolean = providers.gradleProperty("perlinsos.generateBindings").getOrElse("true").toBoolean()
val bindingsDir: File = providers.gradleProperty("perlinsos.bindingsDir")
    .map { File(it) }
    .getOrElse(File(cargoTargetDir, "bindings/kotlin"))

// ./build.sh bindings builds the host library (unstripped: uniffi-bindgen reads its metadata
// from the symbol table) and generates the Kotlin from it; the Kotlin is the same for every
// target, so the Android libraries built by cargo-ndk match it.
val generateBindings by tasks.registering(Exec::class) {
    description = "Generates the Kotlin bindings with ./build.sh bindings"
    onlyIf { generate }
    workingDir = repoRoot
    commandLine("bash", "build.sh", "bindings")
    environment("CARGO_TARGET_DIR", cargoTargetDir)
    inputs.files(
        fileTree(repoRoot) {
            include("Cargo.toml", "Cargo.lock", "core/**/*.rs", "core/**/*.sql", "core/Cargo.toml")
            include("protocol/**/*.rs", "protocol/Cargo.toml", "bindings/src/**", "bindings/Cargo.toml")
        },
    )
    outputs.dir(bindingsDir)
}

kotlin {
    jvmToolchain(17)
    sourceSets.named("main") {
        kotlin.srcDir(files(bindingsDir).builtBy(generateBindings))
    }
}

dependencies {
    compileOnly(libs.jna)
}
