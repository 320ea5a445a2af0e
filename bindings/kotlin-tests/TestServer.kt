// A real perlinsos-server for the Kotlin tests: operator commands on its data folder, and the
// server itself on a free loopback port, stopped after the test.
package id.perlinsos.tests

import java.nio.file.Files
import kotlin.test.assertEquals

class TestServer {
    private val bin = System.getenv("PERLINSOS_SERVER_BIN") ?: error("PERLINSOS_SERVER_BIN not set")
    val data: String = Files.createTempDirectory("perlinsos-server").toString()
    private var process: Process? = null

    fun operator(vararg args: String): String {
        val process = ProcessBuilder(listOf(bin, "--data", data) + args.toList()).start()
        val out = process.inputStream.bufferedReader().readText()
        assertEquals(0, process.waitFor(), process.errorStream.bufferedReader().readText())
        return out.trim()
    }

    /** An enrollment ticket (the QR payload `enroll-code` prints) for the server at [url]. */
    fun ticket(agent: String, scope: String, url: String): String =
        operator("enroll-code", "--agent", agent, "--scope", scope, "--url", url)
            .lines().first { it.startsWith("QR") }.substringAfter(":").trim()

    /** Starts serving (on [port], or a free one); returns its base URL. */
    fun serve(port: Int = 0): String {
        val started = ProcessBuilder(bin, "--data", data, "serve", "--listen", "127.0.0.1:$port").start()
        process = started
        val line = started.inputStream.bufferedReader().readLine() ?: error("server did not start")
        return "http://" + line.removePrefix("listening on ").trim()
    }

    /** Stops serving and waits until the port is free again. */
    fun stop() {
        process?.destroy()
        process?.waitFor()
    }
}
