// What a screen shows when the core refuses: its stable code, its Indonesian text and the input
// it concerns. The app adds no rule of its own; it only words the failures that are not about
// the person's input (no network, storage).
package id.perlinsos.viewmodels

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.perlinsos_ffi.ApiException
import uniffi.perlinsos_ffi.InternalException

data class Problem(val code: String, val message: String, val field: String = "")

fun ApiException.toProblem(): Problem = when (this) {
    is ApiException.Invalid -> Problem(code, reason, field)
    is ApiException.Unlock -> Problem(code, reason)
    is ApiException.Offline -> Problem("OFFLINE", "Server tidak terjangkau; coba lagi nanti.")
    is ApiException.Internal ->
        Problem(code, "Terjadi kesalahan penyimpanan di ponsel ($code). Coba lagi; bila berulang, hubungi operator dinas.")
}

/** A core call's problems by the core's field name ("household.kk", "members[1].ikd", "answers.lantai"). */
data class FieldErrors(val byField: Map<String, Problem> = emptyMap()) {
    /** The problem of a field by its full name or its last part ("kk", "nik", "lantai"). */
    operator fun get(name: String): Problem? =
        byField[name] ?: byField.entries.firstOrNull { it.key.endsWith(".$name") }?.value

    val isEmpty: Boolean get() = byField.isEmpty()

    companion object {
        fun of(problem: Problem): FieldErrors =
            if (problem.field.isEmpty()) FieldErrors() else FieldErrors(mapOf(problem.field to problem))
    }
}

/**
 * Runs core calls off the caller's thread (the Android main thread must never wait on SQLite
 * or Argon2) and turns a refusal into a [Problem] instead of an exception the screen would have
 * to catch. Returns the job so tests and chained steps can wait for it.
 */
internal class CoreCalls(private val scope: CoroutineScope, private val io: CoroutineDispatcher) {
    fun launch(
        onProblem: (Problem) -> Unit,
        onDone: () -> Unit = {},
        work: suspend () -> Unit,
    ): Job = scope.launch {
        try {
            withContext(io) { work() }
        } catch (e: ApiException) {
            onProblem(e.toProblem())
        } catch (e: InternalException) {
            // A bug in the core (a panic) must not close the agent's app; its write was rolled back.
            onProblem(Problem("INTERNAL", "Terjadi kesalahan di aplikasi; perubahan terakhir tidak disimpan. Coba lagi."))
        } finally {
            onDone()
        }
    }
}
