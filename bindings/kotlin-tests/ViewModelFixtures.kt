// What the view-model tests start from: a phone in a temp folder with an enrolled agent, the
// members of one family as the KK lists them, and (for the PMT screens) a real district server
// that has published its models, synced once.
package id.perlinsos.tests

import java.io.File
import java.nio.file.Files
import kotlinx.coroutines.runBlocking
import uniffi.perlinsos_ffi.AgentSession
import uniffi.perlinsos_ffi.HouseholdForm
import uniffi.perlinsos_ffi.MemberForm
import uniffi.perlinsos_ffi.Phone
import uniffi.perlinsos_ffi.VisitForm

const val KELURAHAN = "52.71.01.1004"
const val PIN = "482913"

class TestPhone(name: String) {
    val phone: Phone = Phone.open(Files.createTempDirectory("perlinsos-$name").toString(), "ks".toByteArray())
    var session: AgentSession = phone.enrollAgent("agen-01", PIN, ByteArray(32) { 7 })
}

object Family {
    val visit = VisitForm(KELURAHAN, 1u, 2u, -8.5833, 116.1167, 8.0)
    val household = HouseholdForm("5271010203150004", KELURAHAN, 1u, 2u, "Jl. Melati No. 3")
    val head = MemberForm(
        nik = "5271011705850001", fullName = "Lalu Muhammad Sahnan", relation = "kepala_keluarga",
        sex = "L", birthDate = "1985-05-17", marital = "kawin", education = "tamat_sd",
        occupation = "Petani", disability = "tidak",
    )
    val wife = MemberForm(
        nik = "5271015705900002", fullName = "Baiq Rahmawati", relation = "istri",
        sex = "P", birthDate = "1990-05-17", marital = "kawin", education = "sltp",
        occupation = "Mengurus rumah tangga", disability = "tidak",
    )
    /** Nine years old at the visit: not an adult for consent or IKD. */
    val child = MemberForm(
        nik = "5271010101170003", fullName = "Lalu Ahmad Fauzi", relation = "anak",
        sex = "L", birthDate = "2017-01-01", marital = "belum_kawin", education = "belum_tamat_sd",
        occupation = "Pelajar", disability = "tidak",
    )

    /** Registers the family straight through the bindings; returns the draft and member ids. */
    fun draft(phone: Phone, session: AgentSession): Pair<String, List<String>> {
        val draft = phone.startVisit(session, visit)
        phone.setHousehold(session, draft, household)
        val ids = listOf(head, wife, child).map { phone.putMember(session, draft, null, it) }
        phone.setConsent(session, draft, ids[0], "PDP-2026.1")
        phone.setIkd(session, draft, ids[0], "sudah_aktif")
        phone.setIkd(session, draft, ids[1], "perlu_ke_dukcapil")
        return draft to ids
    }
}

/** A phone enrolled with a real server that published both shipped PMT kinds, synced once. */
class DistrictPhone {
    private val server = TestServer()
    private val test = TestPhone("district")
    val phone = test.phone
    val session get() = test.session
    val url: String

    init {
        server.operator("publish-model", "core/models/ilustratif-kota-mataram.json")
        server.operator("publish-model", "core/models/ppi-indonesia-2022.json")
        val recipients = File(server.data, "penerima.csv")
        recipients.writeText(
            "recipient_id,kelurahan_code,programme,name,nik,rt,rw\n" +
                "R-1,$KELURAHAN,PKH,Lalu Ahmad,5271010101900001,1,2\n",
        )
        server.operator("import-recipients", recipients.path)
        url = server.serve()
        runBlocking {
            phone.enrollWithTicket(server.ticket("agen-01", KELURAHAN, url))
            phone.sync(session, 5u, null)
        }
    }

    fun stop() = server.stop()
}

fun photo(name: String): ByteArray = photoTakenToday(name)
