// How the repository-based view-models start a core call: on the caller's thread until the
// repository switches to its dispatcher (so a state change before the call is seen at once),
// with every core failure — ApiException or a Rust panic (InternalException) — turned into a
// Problem for the screen. Cancellation and the app's own bugs are not caught.
package id.perlinsos.viewmodels

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Job
import kotlinx.coroutines.launch

internal fun CoroutineScope.coreCall(
    onProblem: (Problem) -> Unit,
    onDone: () -> Unit = {},
    work: suspend () -> Unit,
): Job = launch(start = CoroutineStart.UNDISPATCHED) {
    try {
        work()
    } catch (e: Exception) {
        onProblem(e.toProblemOrNull() ?: throw e)
    } finally {
        onDone()
    }
}
