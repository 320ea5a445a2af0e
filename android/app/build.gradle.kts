// The Android app: Compose screens over the pure view-models, the native core built by
// cargo-ndk into jniLibs, and Android's JNA (the aar carries libjnidispatch.so per ABI).
import java.io.File

plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

val repoRoot: File = rootDir.parentFile
val cargoTargetDir: String = providers.gradleProperty("perlinsos.cargoTargetDir")
    .orElse(providers.environmentVariable("CARGO_TARGET_DIR"))
    .getOrElse("${System.getProperty("user.home")}/.cache/perlinsos/target")
val jniLibsDir: File = layout.buildDirectory.dir("generated/perlinsos/jniLibs").get().asFile
val abis = listOf("arm64-v8a", "armeabi-v7a", "x86_64")
val minSdkLevel = 26

android {
    namespace = "id.perlinsos.app"
    compileSdk = 36
    // The NDK cargo-ndk builds with (and AGP strips the packaged libraries with).
    ndkVersion = "27.0.12077973"

    defaultConfig {
        applicationId = "id.perlinsos.app"
        minSdk = minSdkLevel
        targetSdk = 36
        versionCode = 1
        versionName = "0.1.0"
        ndk { abiFilters += abis }
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }

    buildFeatures {
        compose = true
        buildConfig = true
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    sourceSets.getByName("main").jniLibs.srcDir(jniLibsDir)
    // The shared screens (no android.*, compiled and tested on the JVM by
    // ../screens/build-screens.sh) and their mappings from the view-models (src/app), compiled
    // into the app as they are. Not built here: no Android SDK on these machines.
    sourceSets.getByName("main").java.srcDirs("../screens/src/main/kotlin", "../screens/src/app/kotlin")
    sourceSets.getByName("main").resources.srcDir("../screens/src/main/resources")
}

kotlin {
    jvmToolchain(17)
}

/** The NDK: ANDROID_NDK_HOME, else the SDK's ndk/<ndkVersion>, else the newest NDK in the SDK. */
fun findNdk(): File? {
    System.getenv("ANDROID_NDK_HOME")?.let(::File)?.takeIf { it.isDirectory }?.let { return it }
    val sdkNdk = runCatching { android.sdkDirectory.resolve("ndk") }.getOrNull() ?: return null
    return sdkNdk.resolve(android.ndkVersion).takeIf { it.isDirectory }
        ?: sdkNdk.listFiles()?.filter { it.isDirectory }?.maxByOrNull { it.name }
}

// libperlinsos_ffi.so for each ABI, release profile (size-optimized, stripped, unwinding so a
// panic reaches Kotlin as an exception). Skipped with a warning when no NDK is installed, so
// the UI still builds; such an APK cannot open the core.
val cargoNdk by tasks.registering(Exec::class) {
    description = "Builds libperlinsos_ffi.so for $abis with cargo-ndk"
    val ndk = findNdk()
    val wanted = providers.gradleProperty("perlinsos.buildNativeLibs").getOrElse("true").toBoolean()
    onlyIf {
        if (wanted && ndk == null) logger.warn("perlinsos: no Android NDK found (ANDROID_NDK_HOME or SDK ndk/); the APK will not contain the core")
        wanted && ndk != null
    }
    workingDir = repoRoot
    val targets = abis.flatMap { listOf("-t", it) }
    commandLine(
        listOf("cargo", "ndk") + targets +
            listOf("--platform", "$minSdkLevel", "-o", jniLibsDir.path, "build", "--release", "--locked", "-p", "perlinsos-ffi"),
    )
    environment("CARGO_TARGET_DIR", cargoTargetDir)
    if (ndk != null) {
        environment("ANDROID_NDK_HOME", ndk.path)
        // libjpeg-turbo is built by cmake, which finds the NDK's toolchain file through this.
        environment("ANDROID_NDK_ROOT", ndk.path)
    }
    inputs.files(
        fileTree(repoRoot) {
            include("Cargo.toml", "Cargo.lock", "core/**/*.rs", "core/**/*.sql", "core/Cargo.toml", "core/build.rs")
            include("protocol/**/*.rs", "protocol/Cargo.toml", "bindings/src/**", "bindings/Cargo.toml")
        },
    )
    outputs.dir(jniLibsDir)
}

tasks.named("preBuild") { dependsOn(cargoNdk) }

dependencies {
    implementation(project(":viewmodels"))
    // Android's JNA: the aar, not the jar (which has no Android dispatch library).
    implementation(libs.jna) { artifact { type = "aar" } }
    implementation(libs.kotlinx.coroutines.android)
    implementation(libs.androidx.core.ktx)
    implementation(libs.androidx.work.runtime.ktx)
    implementation(libs.androidx.activity.compose)
    implementation(libs.androidx.lifecycle.viewmodel.compose)
    implementation(libs.androidx.lifecycle.runtime.compose)
    implementation(libs.androidx.navigation.compose)
    implementation(platform(libs.androidx.compose.bom))
    implementation(libs.androidx.compose.ui)
    implementation(libs.androidx.compose.ui.tooling.preview)
    implementation(libs.androidx.compose.material3)
    debugImplementation(libs.androidx.compose.ui.tooling)
}
