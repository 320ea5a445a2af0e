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

data class Problem(val code: String, val message: String, val field: String = "") {
    /** A refusal's first problem with every problem of it (the core checks a whole input at once). */
    constructor(code: String, message: String, field: String, all: List<Problem>) : this(code, message, field) {
        others = all
    }

    // Outside equality and copy(): a problem is its code, text and field; a copy (a view-model
    // naming the field itself) is that one problem alone.
    private var others: List<Problem> = emptyList()

    /** Every problem of the refusal, this one first; this one alone when it came by itself. */
    val all: List<Problem> get() = others.ifEmpty { listOf(this) }

    /** The code as the enum the app branches on ([ErrorCode.Unknown] for any other). */
    val kind: ErrorCode get() = ErrorCode.of(code)

    /** The agent's session can no longer be used: the app must ask for the PIN again. */
    val locksSession: Boolean get() = kind == ErrorCode.SessionIdleLocked
}

/** The problem shown for a Rust panic (uniffi's [InternalException]): the app stays open. */
val internalProblem = Problem(
    ErrorCode.Internal.wire,
    "Terjadi kesalahan di aplikasi; perubahan terakhir tidak disimpan. Coba lagi.",
)

/** A core call's failure as a [Problem]; null for anything else (cancellation, our own bugs). */
fun Throwable.toProblemOrNull(): Problem? = when (this) {
    is ApiException -> toProblem()
    is InternalException -> internalProblem
    else -> null
}

fun ApiException.toProblem(): Problem = when (this) {
    is ApiException.Invalid -> Problem(code, reason, field, problems.map { Problem(it.code, it.reason, it.field) })
    is ApiException.Unlock -> Problem(code, reason)
    is ApiException.Offline -> Problem(ErrorCode.Offline.wire, "Server tidak terjangkau; coba lagi nanti.")
    is ApiException.Internal ->
        Problem(code, "Terjadi kesalahan penyimpanan di ponsel ($code). Coba lagi; bila berulang, hubungi operator dinas.")
}

/**
 * A core call's problems by the core's field name ("household.kk", "members[1].ikd",
 * "answers.lantai"). [problems] keeps every one, in the core's order (a field may have
 * several); [byField] the first of each field. Where the core gives a full list
 * (`visitCheck`), all of it is kept; so it is for a refused call (`ApiException.Invalid`
 * carries every problem of the input, each on its field).
 */
data class FieldErrors(
    val byField: Map<String, Problem> = emptyMap(),
    val problems: List<Problem> = byField.values.toList(),
) {
    /** The first problem of a field by its full name or its last part ("kk", "nik", "lantai"). */
    operator fun get(name: String): Problem? = all(name).firstOrNull()

    /** Every problem of a field, by its full name or its last part. */
    fun all(name: String): List<Problem> =
        problems.filter { it.field == name }.ifEmpty { problems.filter { it.field.endsWith(".$name") } }

    val isEmpty: Boolean get() = problems.isEmpty()

    companion object {
        /** Every problem of a refusal on its field ([Problem.all]; the one alone if it has none). */
        fun of(problem: Problem): FieldErrors = ofAll(problem.all)

        /** Every problem with a field (those without one belong to the screen's top card). */
        fun ofAll(problems: List<Problem>): FieldErrors {
            val onFields = problems.filter { it.field.isNotEmpty() }
            return FieldErrors(onFields.groupBy { it.field }.mapValues { it.value.first() }, onFields)
        }
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
            onProblem(internalProblem)
        } finally {
            onDone()
        }
    }
}
