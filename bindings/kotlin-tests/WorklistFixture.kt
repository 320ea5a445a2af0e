// What the worklist view-model tests start from: a real server that imported a synthetic DTSEN
// extract and assigned it to the agent, and a phone enrolled with it and synced once.
package id.perlinsos.tests

import java.nio.file.Files
import kotlinx.coroutines.runBlocking
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.Phone

/** [models]: PMT model files (from the repository root) the district publishes before the first sync. */
class WorklistDistrict(models: List<String> = emptyList()) {
    val server = TestServer()
    val phone: Phone = Phone.open(Files.createTempDirectory("perlinsos-wl").toString(), "ks".toByteArray())
    val session: AgentSession = phone.enrollAgent("agen-01", PIN, ByteArray(32) { 7 })
    val url: String

    init {
        val extract = Files.createTempFile("perlinsos", ".csv").toFile()
        extract.writeText(Hooks.sampleExtract())
        server.operator("import-families", extract.path)
        for (model in models) server.operator("publish-model", model)
        url = server.serve()
        runBlocking { phone.enrollWithTicket(server.ticket("agen-01", KELURAHAN, url)) }
        server.operator("assign", "--agent", "agen-01", "--kelurahan", KELURAHAN)
        runBlocking { phone.sync(session, 5u, null) }
    }

    fun file(text: String): String {
        val f = Files.createTempFile("perlinsos", ".csv").toFile()
        f.writeText(text)
        return f.path
    }

    fun stop() = server.stop()
}

/** Adult on the day of the visit (display only: the core decides, and says so on the field). */
fun adult(birthDate: String, today: java.time.LocalDate = java.time.LocalDate.now()): Boolean =
    runCatching { java.time.Period.between(java.time.LocalDate.parse(birthDate), today).years >= 17 }.getOrDefault(true)

/** The answers of a family found as listed, typed through the view-model, each edit saved. */
suspend fun answerFoundAsListed(visit: id.perlinsos.viewmodels.VisitViewModel) {
    visit.chooseOutcome("ditemukan").join()
    val members = visit.state.value.draft!!.members
    members.forEachIndexed { i, m ->
        visit.confirmNik(i, true).join()
        visit.chooseIkd(i, if (adult(m.member.birthDate)) "sudah_aktif" else null).join()
    }
    visit.setAccount("bri", "123401000567503").join()
    val head = members.firstOrNull { it.member.relation == "kepala_keluarga" } ?: members.first()
    visit.setConsent(head.member.nik).join()
}
