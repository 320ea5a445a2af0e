// The states the gallery renders (and the goldens hold): for each screen its empty, filled,
// error-on-a-field, offline, parked-items and locked states, as they apply. Sample data only.
package id.perlinsos.screens.gallery

import id.perlinsos.screens.AgentItem
import id.perlinsos.screens.AgentSwitcherScreen
import id.perlinsos.screens.AgentSwitcherState
import id.perlinsos.screens.Bank
import id.perlinsos.screens.CertificateProblem
import id.perlinsos.screens.ContributionRow
import id.perlinsos.screens.Eligibility
import id.perlinsos.screens.EnrollmentFields
import id.perlinsos.screens.EnrollmentScreen
import id.perlinsos.screens.EnrollmentScreenState
import id.perlinsos.screens.EnrollmentStage
import id.perlinsos.screens.FamilyRow
import id.perlinsos.screens.FamilyScreen
import id.perlinsos.screens.FamilyState
import id.perlinsos.screens.FieldError
import id.perlinsos.screens.IkdStatus
import id.perlinsos.screens.LockReason
import id.perlinsos.screens.MemberChange
import id.perlinsos.screens.MemberRow
import id.perlinsos.screens.ObjectionFields
import id.perlinsos.screens.ObjectionKind
import id.perlinsos.screens.ObjectionScreen
import id.perlinsos.screens.ObjectionState
import id.perlinsos.screens.ParkedRow
import id.perlinsos.screens.PhotoRow
import id.perlinsos.screens.PmtFields
import id.perlinsos.screens.PmtQuestionKind
import id.perlinsos.screens.PmtQuestionRow
import id.perlinsos.screens.PmtQuestionnaireState
import id.perlinsos.screens.PmtPreviewScreen
import id.perlinsos.screens.PmtPreviewScreenState
import id.perlinsos.screens.ReceiptScreen
import id.perlinsos.screens.ReceiptState
import id.perlinsos.screens.ResultScreen
import id.perlinsos.screens.ResultState
import id.perlinsos.screens.ChoiceOption
import id.perlinsos.screens.SettingsScreen
import id.perlinsos.screens.SettingsState
import id.perlinsos.screens.SyncScreen
import id.perlinsos.screens.SyncScreenState
import id.perlinsos.screens.UnlockScreen
import id.perlinsos.screens.UnlockScreenState
import id.perlinsos.screens.VisitOutcome
import id.perlinsos.screens.VisitStatus
import id.perlinsos.screens.VisitWizardScreen
import id.perlinsos.screens.VisitWizardState
import id.perlinsos.screens.WizardFields
import id.perlinsos.screens.WizardMember
import id.perlinsos.screens.WizardStep
import id.perlinsos.screens.WorklistScreen
import id.perlinsos.screens.WorklistState

object Samples {
    val families = listOf(
        FamilyRow("F001", "Baiq Nurhayati", 3, 5, 4, VisitStatus.NOT_VISITED),
        FamilyRow("F002", "Lalu Ahmad Zainuddin", 3, 5, 6, VisitStatus.VISITED),
        FamilyRow("F003", "Ni Wayan Sukerti", 4, 5, 2, VisitStatus.REVISIT),
        FamilyRow("F004", "Muhammad Sahrul Ramadhan", 4, 6, 5, VisitStatus.NOT_VISITED),
        FamilyRow("F005", "Siti Aminah", 1, 2, 3, VisitStatus.VISITED),
    )
    val worklist = WorklistState(families = families, totalCount = 212, rtRwOptions = listOf("001/002", "003/005", "004/005", "004/006"))

    val wizardMembers = listOf(
        WizardMember("M1", "Baiq Nurhayati", "Kepala keluarga", "5271••••••••0001", adult = true, nikMatchesKk = true, ikd = IkdStatus.ACTIVE),
        WizardMember("M2", "Lalu Sapruddin", "Suami", "5271••••••••0002", adult = true),
        WizardMember("M3", "Baiq Aulia Putri", "Anak", "5271••••••••0003", adult = false),
        WizardMember("M4", "Inaq Rabiah", "Orang tua", "5271••••••••0004", adult = true),
    )
    val wizard = VisitWizardState(familyHead = "Baiq Nurhayati · RT 003 / RW 005", members = wizardMembers)

    val family = FamilyState(
        familyId = "F001", headName = "Baiq Nurhayati", maskedKk = "5271••••••••1234", address = "Jl. Pejanggik Gg. Melati 12, Cakranegara",
        rt = 3, rw = 5, status = VisitStatus.NOT_VISITED,
        members = wizardMembers.map { MemberRow(it.id, it.name, it.relation, it.maskedNik, age = when (it.id) { "M1" -> 41; "M2" -> 45; "M3" -> 12; else -> 68 }) },
        lastVisit = "Belum pernah",
    )

    val pmt = PmtPreviewScreenState(
        familyHead = "Baiq Nurhayati",
        modelTitle = "PMT NTB 2026 (log-linear) v3",
        estimateText = "Rp 612.000",
        desil = 2,
        probabilityDesil1to4 = "78%",
        contributions = listOf(
            ContributionRow("Jenis lantai terluas", "Tanah", "menurunkan perkiraan 14%", -0.15),
            ContributionRow("Sumber air minum", "Sumur terlindungi", "menurunkan perkiraan 6%", -0.06),
            ContributionRow("Jumlah anggota keluarga", "4 orang", "menurunkan perkiraan 21%", -0.24),
            ContributionRow("Memiliki sepeda motor", "Ya", "menaikkan perkiraan 9%", 0.09),
            ContributionRow("Daya listrik", "450 VA", "hampir tidak berpengaruh", 0.0),
        ),
        explanation = "Pengeluaran per orang diperkirakan dari jawaban tentang rumah, aset dan jumlah anggota keluarga. " +
            "Lantai tanah dan jumlah anggota paling menurunkan perkiraan.",
    )

    /** Some questions of the shipped illustrative Mataram model, unanswered. */
    val pmtQuestions = listOf(
        PmtQuestionRow("lantai", "Jenis lantai terluas", PmtQuestionKind.CHOICE, listOf(
            ChoiceOption("tanah", "Tanah"), ChoiceOption("bambu_kayu", "Bambu/kayu/papan kualitas rendah"),
            ChoiceOption("semen", "Semen/bata merah"), ChoiceOption("keramik", "Keramik/ubin/marmer/granit"))),
        PmtQuestionRow("kulkas", "Memiliki kulkas/lemari es", PmtQuestionKind.YES_NO),
        PmtQuestionRow("sepeda_motor", "Jumlah sepeda motor yang dimiliki", PmtQuestionKind.COUNT, min = "0", max = "10"),
        PmtQuestionRow("listrik", "Sumber penerangan", PmtQuestionKind.CHOICE, listOf(
            ChoiceOption("tidak_ada", "Bukan listrik/tidak ada"), ChoiceOption("pln450", "PLN 450 VA"),
            ChoiceOption("pln900", "PLN 900 VA"), ChoiceOption("pln1300", "PLN 1.300 VA atau lebih"))),
        PmtQuestionRow("lahan", "Memiliki lahan (selain yang ditempati)", PmtQuestionKind.YES_NO),
    )
    val pmtWizard = wizard.copy(step = WizardStep.PMT, outcome = VisitOutcome.FOUND,
        pmt = PmtQuestionnaireState(modelTitle = "Model log-linear ILUSTRATIF untuk Kota Mataram", questions = pmtQuestions))

    val result = ResultState(
        familyHead = "Baiq Nurhayati", eligibility = Eligibility.LAYAK, desil = 2, programme = "PKH dan BPNT",
        reasons = listOf("Termasuk desil 1–4 DTSEN", "Ada anggota lanjut usia"), objectionDeadline = "15 Januari 2027",
    )
}

val shots: List<Shot> = listOf(
    // 1. Enrollment
    Shot("enroll-empty") { EnrollmentScreen(EnrollmentScreenState(), {}) },
    Shot("enroll-filled") {
        EnrollmentScreen(EnrollmentScreenState(agentId = "agen-mataram-07", pin = "482913", pinRepeat = "482913",
            recoveryHex = "3f9a 1c77 0b2e 84d1 5a6c 9e03 7712 ab4f c0de 5511 2299 ee01 7c3b 48a9 0f6d 21e4",
            ticket = "PLSOS1:K7QM2XPD:https://dinsos.mataramkota.go.id:7f3a9c"), {})
    },
    Shot("enroll-error") {
        EnrollmentScreen(EnrollmentScreenState(agentId = "agen-mataram-07", pin = "1234", pinRepeat = "123456", recoveryHex = "3f9a 1c7",
            fieldErrors = listOf(
                FieldError(EnrollmentFields.PIN, "PIN harus 6 angka."),
                FieldError(EnrollmentFields.PIN, "PIN tidak boleh angka berurutan atau berulang."),
                FieldError(EnrollmentFields.PIN_REPEAT, "Kedua PIN tidak sama. Ketik PIN yang sama dua kali."),
                FieldError(EnrollmentFields.RECOVERY, "Kode pemulihan tidak terbaca: hanya boleh berisi angka 0-9 dan huruf a-f, berpasangan."),
            )), {})
    },
    Shot("enroll-district-offline") {
        EnrollmentScreen(EnrollmentScreenState(stage = EnrollmentStage.DISTRICT, enrolledAgentId = "agen-mataram-07",
            ticket = "PLSOS1:K7QM2XPD:https://dinsos.mataramkota.go.id:7f3a9c", districtUnreachable = true), {})
    },
    Shot("enroll-district-error") {
        EnrollmentScreen(EnrollmentScreenState(stage = EnrollmentStage.DISTRICT, enrolledAgentId = "agen-mataram-07", ticket = "PLSOS1:K7QM2",
            fieldErrors = listOf(FieldError(EnrollmentFields.TICKET, "Tiket sudah dipakai atau kedaluwarsa. Minta tiket baru ke operator dinas."))), {})
    },
    Shot("enroll-done") {
        EnrollmentScreen(EnrollmentScreenState(stage = EnrollmentStage.DONE, enrolledAgentId = "agen-mataram-07",
            districtScope = listOf("5271011001 Ampenan Selatan", "5271011002 Ampenan Tengah")), {})
    },
    // 2. Unlock and the agent switcher
    Shot("unlock-empty") { UnlockScreen(UnlockScreenState(agentId = "agen-0001"), onEvent = {}) },
    Shot("unlock-filled") { UnlockScreen(UnlockScreenState(agentId = "agen-0001", pin = "123456", canSwitchAgent = true), onEvent = {}) },
    Shot("unlock-error") {
        UnlockScreen(UnlockScreenState(agentId = "agen-0001", pin = "", error = "PIN salah.", attemptsLeft = 2), onEvent = {})
    },
    Shot("unlock-locked") {
        UnlockScreen(UnlockScreenState(agentId = "agen-0001", error = "Terlalu banyak percobaan PIN yang salah.", attemptsLeft = 0, retryAt = "14.35"), onEvent = {})
    },
    Shot("unlock-idle") { UnlockScreen(UnlockScreenState(agentId = "agen-0001", reason = LockReason.IDLE, canSwitchAgent = true), onEvent = {}) },
    Shot("unlock-handback") { UnlockScreen(UnlockScreenState(agentId = "agen-0001", reason = LockReason.HAND_BACK), onEvent = {}) },
    Shot("switcher-empty") { AgentSwitcherScreen(AgentSwitcherState(), {}) },
    Shot("switcher-agents") {
        AgentSwitcherScreen(AgentSwitcherState(
            agents = listOf(
                AgentItem("agen-mataram-07", "Baiq Sri Wahyuni", pendingCount = 0),
                AgentItem("agen-mataram-12", "Lalu Muhammad Irfan", pendingCount = 14),
                AgentItem("agen-mataram-19", "Ni Made Ayu", districtEnrolled = false, pendingCount = 3),
            ),
            currentAgentId = "agen-mataram-07",
        ), {})
    },
    // 3. Worklist and family
    Shot("worklist-empty") { WorklistScreen(WorklistState(totalCount = 0), {}) },
    Shot("worklist-filled") { WorklistScreen(Samples.worklist, {}) },
    Shot("worklist-search") {
        WorklistScreen(Samples.worklist.copy(query = "Baiq", rtRw = "003/005", families = Samples.families.take(1)), {})
    },
    Shot("worklist-nomatch") {
        WorklistScreen(Samples.worklist.copy(query = "5271011234", families = emptyList(),
            queryErrors = listOf(FieldError("query", "NIK/KK harus 16 angka; yang diketik baru 10."))), {})
    },
    Shot("worklist-offline") {
        WorklistScreen(Samples.worklist.copy(offline = true, lastSync = "kemarin 17.20", status = VisitStatus.REVISIT,
            families = Samples.families.filter { it.status == VisitStatus.REVISIT }), {})
    },
    Shot("family-filled") { FamilyScreen(Samples.family, {}) },
    Shot("family-empty") { FamilyScreen(Samples.family.copy(members = emptyList(), offline = true), {}) },
    // 4. Visit wizard and receipt
    Shot("wizard-outcome-empty") { VisitWizardScreen(Samples.wizard, {}) },
    Shot("wizard-outcome-error") {
        VisitWizardScreen(Samples.wizard.copy(outcome = VisitOutcome.MOVED,
            fieldErrors = listOf(FieldError(WizardFields.OUTCOME, "Keluarga pindah: catat alamat baru pada keterangan, atau pilih 'Keluarga tidak ditemukan'."))), {})
    },
    Shot("wizard-members") {
        VisitWizardScreen(Samples.wizard.copy(step = WizardStep.MEMBERS, outcome = VisitOutcome.FOUND,
            members = Samples.wizardMembers.map {
                when (it.id) {
                    "M4" -> it.copy(change = MemberChange.DIED, reason = "Meninggal Maret 2026, akta kematian ada")
                    "M3" -> it.copy(change = MemberChange.CORRECTED)
                    else -> it
                }
            },
            fieldErrors = listOf(FieldError(WizardFields.reason("M3"), "Tulis alasan perbaikan data (mis. tanggal lahir salah)."))), {})
    },
    Shot("wizard-identity-error") {
        VisitWizardScreen(Samples.wizard.copy(step = WizardStep.IDENTITY, outcome = VisitOutcome.FOUND,
            members = Samples.wizardMembers.map { if (it.id == "M4") it.copy(nikMatchesKk = false) else it },
            fieldErrors = listOf(
                FieldError(WizardFields.nik("M2"), "Cocokkan NIK dengan KK."),
                FieldError(WizardFields.ikd("M2"), "Pilih status IKD."),
                FieldError(WizardFields.ikd("M4"), "Pilih status IKD."),
            )), {})
    },
    Shot("wizard-account-error") {
        VisitWizardScreen(Samples.wizard.copy(step = WizardStep.ACCOUNT, outcome = VisitOutcome.FOUND, bank = Bank.BRI, accountNumber = "0123 4567",
            fieldErrors = listOf(
                FieldError(WizardFields.ACCOUNT_NUMBER, "Nomor rekening BRI terdiri dari 15 angka."),
                FieldError(WizardFields.ACCOUNT_HOLDER, "Nama pemilik rekening wajib diisi."),
            )), {})
    },
    Shot("wizard-consent") {
        VisitWizardScreen(Samples.wizard.copy(step = WizardStep.CONSENT, outcome = VisitOutcome.FOUND, consentBy = "M1", consentGiven = true, offline = true), {})
    },
    Shot("wizard-pmt-empty") { VisitWizardScreen(Samples.pmtWizard, {}) },
    Shot("wizard-pmt-prefilled") {
        val answers = mapOf("lantai" to "semen", "kulkas" to "no", "sepeda_motor" to "1", "listrik" to "pln450")
        VisitWizardScreen(Samples.pmtWizard.copy(pmt = Samples.pmtWizard.pmt.copy(questions = Samples.pmtQuestions.map { q ->
            // The agent has already asked about the floor; the rest still shows DTSEN's answer.
            answers[q.id]?.let { q.copy(answer = it, fromDtsen = q.id != "lantai") } ?: q
        })), {})
    },
    Shot("wizard-pmt-error") {
        VisitWizardScreen(Samples.pmtWizard.copy(
            // The refused count first, so that the error is in the shot at 1.5x too.
            pmt = Samples.pmtWizard.pmt.copy(questions = Samples.pmtQuestions.sortedBy { it.id != "sepeda_motor" }.map { q ->
                when (q.id) { "kulkas" -> q.copy(answer = "yes"); "sepeda_motor" -> q.copy(answer = "25"); else -> q }
            }),
            fieldErrors = listOf(
                FieldError(PmtFields.answer("sepeda_motor"), "Nilai jawaban di luar rentang yang diizinkan.", "PMT_VALUE_OUT_OF_RANGE"),
                FieldError(PmtFields.answer("lantai"), "Pertanyaan ini wajib dijawab.", "PMT_ANSWER_MISSING"),
            )), {})
    },
    Shot("wizard-pmt-unavailable") {
        VisitWizardScreen(Samples.pmtWizard.copy(pmt = PmtQuestionnaireState(
            unavailable = "Belum ada model PMT yang berlaku untuk wilayah dan tanggal ini.")), {})
    },
    Shot("receipt") {
        ReceiptScreen(ReceiptState(code = "K7QM2-XPD4A", familyHead = "Baiq Nurhayati", savedAt = "1 Desember 2026, 10.42 WITA",
            qrPayload = "PLSOS-RCPT1:K7QM2-XPD4A:v:5271011001:20261201T024200Z:ed25519:3Jw0c9q1Zk7xQ2mT8sVb"), {})
    },
    // 5. PMT preview
    Shot("pmt-filled") { PmtPreviewScreen(Samples.pmt, {}) },
    Shot("pmt-empty") { PmtPreviewScreen(PmtPreviewScreenState(familyHead = "Baiq Nurhayati"), {}) },
    Shot("pmt-scorecard") {
        PmtPreviewScreen(PmtPreviewScreenState(familyHead = "Lalu Ahmad Zainuddin", modelTitle = "PPI contoh", illustrative = true, scoreText = "41 poin",
            contributions = listOf(ContributionRow("Jenis dinding", "Bambu", "+6 poin", 6.0), ContributionRow("Bahan bakar memasak", "Kayu bakar", "+0 poin", 0.0)),
            explanation = "Skor dijumlah dari poin setiap jawaban."), {})
    },
    // 6. Result and objection
    Shot("result-layak") { ResultScreen(Samples.result, {}) },
    Shot("result-tidak-layak") {
        ResultScreen(ResultState(familyHead = "Lalu Ahmad Zainuddin", eligibility = Eligibility.TIDAK_LAYAK, desil = 7,
            reasons = listOf("Perkiraan pengeluaran di atas batas desil 4", "Memiliki kendaraan roda empat"), objectionDeadline = "15 Januari 2027"), {})
    },
    Shot("result-deadline-passed") {
        ResultScreen(ResultState(familyHead = "Ni Wayan Sukerti", eligibility = Eligibility.TIDAK_LAYAK, desil = 6,
            reasons = listOf("Perkiraan pengeluaran di atas batas desil 4"), objectionDeadline = "1 November 2026", deadlinePassed = true), {})
    },
    Shot("result-empty") { ResultScreen(ResultState(familyHead = "Siti Aminah", offline = true), {}) },
    Shot("objection-empty") { ObjectionScreen(ObjectionState(ObjectionKind.OWN_RESULT, "Lalu Ahmad Zainuddin", deadline = "15 Januari 2027"), {}) },
    Shot("objection-error") {
        ObjectionScreen(ObjectionState(ObjectionKind.RECIPIENT, "H. Lalu Hasan · NIK 5271••••••••0093 · RT 004/RW 005",
            reason = "mampu", statement = "Rumah dua lantai, punya mobil.",
            photos = listOf(PhotoRow(0, house = true, hasLocation = false, sizeKb = 842), PhotoRow(1, house = false, hasLocation = true, sizeKb = 391)),
            fieldErrors = listOf(
                FieldError(ObjectionFields.photo(0), "Foto rumah tanpa lokasi tidak dapat menjadi bukti."),
                FieldError(ObjectionFields.STATEMENT, "Pernyataan minimal 30 huruf."),
            )), {})
    },
    // 7. Sync and settings
    Shot("sync-idle") { SyncScreen(SyncScreenState(pending = 0, lastSync = "hari ini 08.15"), {}) },
    Shot("sync-running") {
        SyncScreen(SyncScreenState(running = true, entriesDone = 7, entriesTotal = 19, sentText = "1,2 MB", totalText = "3,8 MB", progress = 7f / 19, pending = 19, lastSync = "kemarin 17.20"), {})
    },
    Shot("sync-parked") {
        SyncScreen(SyncScreenState(pending = 2, lastSync = "hari ini 08.15", message = "Terkirim 12 data, 2 ditahan.",
            parked = listOf(
                ParkedRow("P1", "Kunjungan verifikasi", "Keluarga Ni Wayan Sukerti", "Keluarga ini sudah dikunjungi agen lain hari ini; operator dinas akan memilih.", "VISIT_CONFLICT"),
                ParkedRow("P2", "Foto bukti sanggahan", "Sanggahan K3TR9-AB2QX, foto 1", "Foto terlalu buram; ambil ulang foto rumah.", "EVIDENCE_REJECTED"),
            )), {})
    },
    Shot("sync-offline") { SyncScreen(SyncScreenState(pending = 5, offline = true, lastSync = "kemarin 17.20"), {}) },
    Shot("sync-cert-mismatch") { SyncScreen(SyncScreenState(pending = 5, certificate = CertificateProblem.MISMATCH, lastSync = "kemarin 17.20"), {}) },
    Shot("sync-cert-untrusted") { SyncScreen(SyncScreenState(pending = 5, certificate = CertificateProblem.UNTRUSTED, lastSync = "kemarin 17.20"), {}) },
    Shot("settings") {
        SettingsScreen(SettingsState(agentId = "agen-mataram-07", agentName = "Baiq Sri Wahyuni", districtHost = "dinsos.mataramkota.go.id",
            otherAgents = true, appVersion = "0.4.0 (inti 0.4.0)"), {})
    },
    Shot("settings-no-tts") {
        SettingsScreen(SettingsState(agentId = "agen-mataram-07", agentName = "Baiq Sri Wahyuni", districtHost = null, ttsAvailable = false), {})
    },
)
