// The Android app (:app, Compose), its pure-Kotlin view-models (:viewmodels, a JVM module) and
// the uniffi-generated Kotlin bindings (:bindings, a JVM module over the generated sources).
// See README.md for why the bindings are a JVM module and the app packages the native parts.
pluginManagement {
    repositories {
        google {
            content {
                includeGroupByRegex("com\\.android.*")
                includeGroupByRegex("com\\.google.*")
                includeGroupByRegex("androidx.*")
            }
        }
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "perlinsos-android"
include(":app", ":viewmodels", ":bindings")
