// Every text the shared screens show, in Bahasa Indonesia, in one place. The core's own refusal
// texts (already Indonesian) arrive in the screens' state and are shown as they come.
package id.perlinsos.screens

object Strings {
    // Shared
    const val readAloud = "Bacakan"
    fun readAloudDescription(what: String) = "Bacakan $what dengan suara"
    const val offlineTitle = "Sedang luring"
    const val next = "Lanjut"
    const val back = "Kembali"
    const val save = "Simpan"
    const val busy = "Sedang memproses…"
    fun rtRw(rt: Int, rw: Int) = "RT %03d / RW %03d".format(rt, rw)
    fun rtRwShort(rt: Int, rw: Int) = "%03d/%03d".format(rt, rw)

    // Enrollment
    const val enrollTitle = "Pendaftaran agen"
    const val enrollIntro = "Daftarkan diri Anda di ponsel ini, lalu sambungkan ponsel ke dinas dengan tiket dari operator."
    const val enrollAgentId = "ID agen"
    const val enrollPin = "PIN baru (6 angka)"
    const val enrollPinRepeat = "Ulangi PIN baru"
    const val enrollRecovery = "Kode pemulihan dari dinas"
    const val enrollRecoveryHint = "64 huruf/angka (0-9, a-f), seperti tercetak pada surat dinas."
    const val enrollTicket = "Tiket pendaftaran dinas"
    const val enrollTicketHint = "Tempel atau pindai kode QR tiket dari operator dinas."
    const val enrollPaste = "Tempel tiket"
    const val enrollScan = "Pindai QR tiket"
    const val enrollSubmit = "Daftarkan"
    const val enrollDistrictTitle = "Sambungkan ke dinas"
    fun enrollAgentOnPhone(agentId: String) = "Agen $agentId sudah terdaftar di ponsel ini. Tinggal menyambungkan ponsel ke server dinas."
    const val enrollOffline = "Server dinas tidak terjangkau. Anda tetap bisa bekerja; data disimpan di ponsel dan dikirim setelah ponsel tersambung ke dinas."
    const val enrollRetry = "Coba lagi"
    const val enrollLater = "Nanti saja, mulai bekerja"
    const val enrollDoneTitle = "Pendaftaran selesai"
    fun enrollDone(agentId: String) = "Agen $agentId terdaftar di ponsel ini dan ponsel tersambung ke dinas."
    const val enrollScope = "Kelurahan/desa tugas Anda"
    const val enrollStart = "Mulai bekerja"
    const val enrollBusy = "Mendaftarkan…"

    // Unlock
    const val unlockTitle = "Masuk agen"
    fun unlockAgent(agentId: String) = "Agen: $agentId"
    const val unlockPin = "PIN (6 angka)"
    const val unlockSubmit = "Buka"
    const val unlockBusy = "Memeriksa PIN…"
    fun unlockAttemptsLeft(n: Int) = "Sisa percobaan: $n"
    fun unlockRetryAt(time: String) = "Coba lagi setelah $time"
    const val unlockSwitch = "Ganti agen"
    const val unlockIdle = "Ponsel dikunci karena lama tidak dipakai. Masukkan PIN untuk melanjutkan."
    const val unlockHandBack = "Warga selesai. Agen, masukkan PIN untuk mengambil kembali ponsel."

    // Agent switcher
    const val switcherTitle = "Pilih agen"
    const val switcherIntro = "Beberapa agen memakai ponsel ini. Pilih nama Anda, lalu masukkan PIN."
    const val switcherEmpty = "Belum ada agen di ponsel ini."
    const val switcherAdd = "Tambah agen lain"
    const val switcherCurrent = "Sedang dipakai"
    const val switcherDistrictPending = "Belum tersambung ke dinas"
    fun switcherPending(n: Int) = if (n == 0) "Semua data terkirim" else "$n data menunggu dikirim"
    fun switcherPick(name: String) = "Pilih agen $name"

    // Worklist
    const val worklistTitle = "Daftar kunjungan"
    fun worklistCount(shown: Int, total: Int) = "$shown dari $total keluarga"
    const val worklistSearch = "Cari NIK, nomor KK, atau nama"
    const val worklistSearchHint = "NIK/KK harus lengkap 16 angka; nama cukup awalnya."
    const val worklistRtRw = "RT/RW"
    const val worklistStatus = "Status"
    const val worklistAll = "Semua"
    const val worklistEmpty = "Daftar kerja masih kosong. Lakukan sinkronisasi untuk menerima daftar keluarga dari dinas."
    const val worklistNoMatch = "Tidak ada keluarga yang cocok dengan pencarian atau saringan ini."
    fun worklistOffline(lastSync: String?) =
        "Daftar ini dari sinkronisasi terakhir" + (lastSync?.let { " ($it)" } ?: "") + ". Kunjungan tetap bisa dicatat dan dikirim nanti."
    fun worklistMembers(n: Int) = "$n anggota"
    fun worklistOpen(name: String) = "Buka keluarga $name"
    const val statusNotVisited = "Belum dikunjungi"
    const val statusVisited = "Sudah dikunjungi"
    const val statusRevisit = "Perlu dikunjungi ulang"

    // Family
    const val familyKk = "Nomor KK"
    const val familyAddress = "Alamat"
    const val familyMembers = "Anggota keluarga"
    const val familyLastVisit = "Kunjungan terakhir"
    const val familyStartVisit = "Mulai kunjungan"
    const val familyNoMembers = "Belum ada anggota tercatat untuk keluarga ini."
    fun familyMemberLine(relation: String, nik: String, age: Int?) = "$relation · NIK $nik" + (age?.let { " · $it th" } ?: "")

    // Visit wizard
    const val wizardTitle = "Kunjungan verifikasi"
    fun wizardStep(n: Int, of: Int, label: String) = "Langkah $n dari $of: $label"
    const val stepOutcome = "Hasil kunjungan"
    const val stepMembers = "Anggota keluarga"
    const val stepIdentity = "NIK dan IKD"
    const val stepAccount = "Rekening tabungan"
    const val stepPmt = "Kuesioner PMT"
    const val stepConsent = "Persetujuan"
    const val outcomeQuestion = "Bagaimana hasil kunjungan ke keluarga ini?"
    const val outcomeFound = "Keluarga ditemukan"
    const val outcomeMoved = "Keluarga pindah alamat"
    const val outcomeDeceased = "Kepala/seluruh keluarga meninggal"
    const val outcomeNotFound = "Keluarga tidak ditemukan"
    const val outcomeRefused = "Keluarga menolak didata"
    const val membersIntro = "Periksa setiap anggota. Tandai perubahan dan tulis alasannya."
    const val changeNone = "Tidak berubah"
    const val changeBorn = "Lahir"
    const val changeDied = "Meninggal"
    const val changeMovedIn = "Pindah masuk"
    const val changeMovedOut = "Pindah keluar"
    const val changeCorrected = "Data salah (diperbaiki)"
    const val memberReason = "Alasan / keterangan"
    const val memberAdd = "Tambah anggota (lahir atau pindah masuk)"
    const val identityIntro = "Cocokkan NIK setiap anggota dewasa dengan KK, lalu catat status IKD (Identitas Kependudukan Digital)."
    const val nikQuestion = "NIK sesuai dengan KK?"
    const val nikMatches = "Sesuai KK"
    const val nikDiffers = "Tidak sesuai"
    const val ikdQuestion = "Status IKD"
    const val ikdActive = "Sudah aktif"
    const val ikdActivated = "Dibantu aktivasi saat kunjungan"
    const val ikdDukcapil = "Perlu ke Dukcapil"
    const val ikdNoPhone = "Tidak punya HP"
    const val accountIntro = "Rekening tabungan atas nama penerima, untuk penyaluran bantuan."
    const val accountBank = "Bank"
    const val accountNumber = "Nomor rekening"
    const val accountHolder = "Nama pemilik rekening"
    const val accountNone = "Belum punya rekening"
    const val bankBri = "BRI"
    const val bankBni = "BNI"
    const val bankMandiri = "Bank Mandiri"
    const val bankBtn = "BTN"
    const val bankBsi = "BSI"
    const val consentNotice =
        "Data keluarga Bapak/Ibu dicatat untuk pendaftaran bantuan sosial dan disimpan terenkripsi di ponsel ini " +
            "sampai terkirim ke Dinas Sosial. Data hanya digunakan untuk penilaian kelayakan bantuan sesuai UU " +
            "Pelindungan Data Pribadi. Bapak/Ibu berhak melihat dan memperbaiki data ini. Pencatatan ini bukan " +
            "keputusan penerima bantuan."
    const val consentWhat = "pemberitahuan persetujuan"
    const val consentWho = "Siapa yang memberi persetujuan?"
    const val consentGiven = "Warga sudah mendengar pemberitahuan dan setuju"
    const val wizardSubmit = "Simpan kunjungan"
    const val wizardOfflineNote = "Kunjungan disimpan di ponsel dan dikirim saat sinkronisasi."

    // The visit's PMT questionnaire
    const val pmtqIntro = "Tanyakan setiap pertanyaan kepada warga. Jumlah anggota diambil dari langkah anggota keluarga."
    const val pmtqDtsenNote = "Sebagian jawaban sudah terisi dari data DTSEN terakhir keluarga ini. Periksa setiap jawaban bersama warga dan ubah bila keadaan sekarang berbeda."
    const val pmtqFromDtsen = "Jawaban dari data DTSEN — periksa bersama warga"
    const val pmtqYes = "Ya"
    const val pmtqNo = "Tidak"
    const val pmtqOptional = "Boleh dikosongkan"
    fun pmtqRange(min: String?, max: String?) = when {
        min != null && max != null -> "Angka $min sampai $max"
        min != null -> "Angka, paling sedikit $min"
        max != null -> "Angka, paling banyak $max"
        else -> "Angka"
    }
    const val pmtqCompute = "Hitung perkiraan"
    const val pmtqShowPreview = "Lihat perkiraan untuk warga"
    fun pmtqSaved(result: String) = "Perkiraan dari jawaban tersimpan: $result"
    const val pmtqUnsaved = "Jawaban berubah sejak perkiraan terakhir; tekan \"Hitung perkiraan\" untuk menyimpannya."
    const val pmtqUnavailable = "Kuesioner PMT belum dapat diisi untuk keluarga ini. Lanjutkan kunjungan; kuesioner dapat diisi setelah model PMT diterima dari dinas."
    const val pmtqLoading = "Memuat kuesioner PMT…"
    fun pmtPoints(n: Int) = "$n poin"

    // Receipt
    const val receiptTitle = "Bukti kunjungan"
    const val receiptKeep = "Simpan kode ini sebagai bukti kunjungan"
    const val receiptCode = "Kode bukti"
    const val receiptQr = "Isi kode QR"
    const val receiptFamily = "Keluarga"
    const val receiptTime = "Waktu"
    const val receiptPending = "Belum terkirim ke dinas; kode tetap berlaku dan diperiksa saat terkirim."
    const val receiptDone = "Selesai"
    const val receiptWhat = "kode bukti"
    fun receiptSpoken(code: String) = "Kode bukti kunjungan: " + code.toList().joinToString(" ") { if (it == '-') "strip" else it.toString() } + "."

    // PMT preview
    const val pmtTitle = "Perkiraan PMT"
    const val pmtNote = "Ini perkiraan, bukan keputusan. Penetapan resmi oleh BPS/dinas."
    const val pmtEstimate = "Perkiraan pengeluaran per orang per bulan"
    const val pmtDesil = "Perkiraan desil"
    fun pmtDesilValue(d: Int) = "Desil $d dari 10"
    fun pmtProbability(p: String) = "Peluang masuk desil 1–4: $p"
    const val pmtScore = "Skor"
    const val pmtContributions = "Pengaruh setiap jawaban"
    const val pmtExplanation = "Penjelasan"
    const val pmtWhat = "penjelasan perkiraan"
    const val pmtEmpty = "Belum ada perkiraan: jawab dulu pertanyaan PMT pada kunjungan."
    const val pmtIllustrative = "Model contoh (bukan model resmi daerah)."
    fun pmtModel(title: String) = "Model: $title"

    // Result
    const val resultTitle = "Hasil penilaian"
    const val resultLayak = "Layak"
    const val resultTidakLayak = "Tidak Layak"
    const val resultStatus = "Hasil"
    const val resultDesil = "Desil"
    const val resultProgramme = "Program bantuan"
    const val resultReasons = "Alasan"
    const val resultDeadline = "Batas waktu sanggahan"
    const val resultWhatNow = "Yang bisa Bapak/Ibu lakukan"
    const val resultWhat = "hasil penilaian"
    const val resultOffline = "Hasil ini dari sinkronisasi terakhir. Hasil yang lebih baru muncul setelah ponsel tersambung ke dinas."
    const val resultNone = "Hasil untuk keluarga ini belum terbit. Hasil dikirim dinas melalui sinkronisasi."
    const val resultObject = "Ajukan sanggahan"
    const val resultDeadlinePassed = "Batas waktu sanggahan sudah lewat."
    fun resultLayakAdvice(programme: String?) =
        "Bantuan" + (programme?.let { " $it" } ?: "") + " disalurkan ke rekening yang tercatat. Pastikan rekening aktif dan kartu identitas siap."
    fun resultObjectAdvice(deadline: String) =
        "Jika Bapak/Ibu merasa hasil ini salah, ajukan sanggahan sebelum $deadline dengan bukti (foto, dokumen)."
    fun resultSpoken(status: String, desil: Int?, programme: String?, reasons: List<String>, advice: List<String>) =
        buildString {
            append("Hasil penilaian keluarga: $status.")
            desil?.let { append(" Desil $it.") }
            programme?.let { append(" Program: $it.") }
            if (reasons.isNotEmpty()) append(" Alasan: " + reasons.joinToString("; ") + ".")
            advice.forEach { append(" $it") }
        }

    // Objection
    const val objectionTitle = "Sanggahan"
    const val objectionOwnIntro = "Sanggahan atas hasil penilaian keluarga sendiri."
    fun objectionRecipientIntro(who: String) = "Sanggahan terhadap penerima bantuan: $who"
    const val objectionReason = "Alasan sanggahan"
    const val objectionStatement = "Pernyataan (ceritakan apa yang tidak sesuai)"
    const val objectionPhotos = "Foto bukti"
    const val objectionNoPhotos = "Belum ada foto. Sanggahan perlu bukti foto."
    const val objectionTakeHouse = "Foto rumah"
    const val objectionTakeOther = "Foto dokumen/lainnya"
    fun objectionPhotoLine(n: Int, house: Boolean, located: Boolean, kb: Int) =
        "Foto $n · " + (if (house) "rumah" else "dokumen/lainnya") + " · " + (if (located) "berlokasi" else "tanpa lokasi") + " · $kb KB"
    fun objectionRemovePhoto(n: Int) = "Hapus foto $n"
    const val objectionRemove = "Hapus"
    const val objectionSubmit = "Ajukan sanggahan"
    fun objectionDeadline(d: String) = "Batas pengajuan: $d"
    val ownReasons = listOf(
        ChoiceOption("data_salah", "Data keluarga salah"),
        ChoiceOption("kondisi_berubah", "Kondisi ekonomi sudah berubah"),
        ChoiceOption("anggota_kurang", "Anggota keluarga tidak lengkap"),
        ChoiceOption("lainnya", "Lainnya"),
    )
    val recipientReasons = listOf(
        ChoiceOption("mampu", "Mampu / tidak layak menerima"),
        ChoiceOption("pindah", "Pindah domisili"),
        ChoiceOption("meninggal", "Meninggal dunia"),
        ChoiceOption("data_ganda", "Data ganda"),
        ChoiceOption("tidak_dikenal", "Tidak dikenal di lingkungan"),
        ChoiceOption("lainnya", "Lainnya"),
    )

    // Sync
    const val syncTitle = "Sinkronisasi"
    fun syncPending(n: Int) = if (n == 0) "Tidak ada data yang menunggu." else "$n data menunggu dikirim."
    fun syncEntries(done: Long, total: Long) = "Data: $done dari $total"
    fun syncBytes(sent: String, total: String) = "Foto: $sent dari $total"
    const val syncStart = "Kirim sekarang"
    const val syncCancel = "Batalkan"
    const val syncRunning = "Mengirim…"
    const val syncParked = "Data yang ditahan"
    const val syncParkedIntro = "Dinas menolak data ini. Perbaiki sesuai alasan, lalu kirim ulang."
    const val syncRetryParked = "Kirim ulang data yang ditahan"
    fun syncLast(t: String) = "Sinkronisasi terakhir: $t"
    const val syncNever = "Belum pernah sinkronisasi."
    const val syncOffline = "Tidak ada sambungan internet. Data tetap aman di ponsel dan dikirim otomatis saat tersambung."
    fun syncReason(r: String) = "Alasan: $r"
    const val syncCertMismatchTitle = "Sertifikat server tidak cocok"
    const val syncCertMismatch = "Server yang menjawab tidak memakai sertifikat yang didaftarkan dinas untuk ponsel ini. " +
        "Jaringan ini mungkin disadap atau dialihkan. Tidak ada data yang dikirim; semuanya tetap aman di ponsel."
    const val syncCertUntrustedTitle = "Sertifikat server tidak dipercaya"
    const val syncCertUntrusted = "Ponsel tidak mempercayai sertifikat server. Biasanya Wi-Fi umum yang meminta login dulu, " +
        "jaringan kantor yang memeriksa lalu lintas, atau jam ponsel yang salah. Tidak ada data yang dikirim; semuanya tetap aman di ponsel."
    const val syncCertAction = "Yang perlu dilakukan: pindah ke jaringan lain (misalnya data seluler), lalu kirim lagi. " +
        "Jika tetap gagal, hubungi operator dinas dan sebutkan kode di bawah ini. Jangan mendaftarkan ulang ponsel."

    // Settings
    const val settingsTitle = "Pengaturan"
    const val settingsAgent = "Agen"
    const val settingsDistrict = "Server dinas"
    const val settingsDistrictPending = "Belum tersambung"
    const val settingsAutoLock = "Kunci otomatis setelah tidak dipakai"
    fun settingsMinutes(m: Int) = "$m menit"
    const val settingsReadAloud = "Suara bacaan (Bahasa Indonesia)"
    const val settingsTtsMissing = "Suara Bahasa Indonesia belum terpasang di ponsel ini. Pasang dari pengaturan ponsel."
    const val settingsTtsReady = "Suara Bahasa Indonesia siap."
    const val settingsTtsTest = "Coba suara bacaan"
    const val settingsTtsSample = "Ini contoh suara bacaan Perlinsos."
    const val settingsLockNow = "Kunci sekarang"
    const val settingsSwitchAgent = "Ganti agen"
    const val settingsReEnroll = "Daftar ulang ke dinas"
    const val settingsReEnrollHint = "Jika kunci ponsel hilang atau rusak: data yang menunggu tidak hilang."
    const val settingsVersion = "Versi aplikasi"

    // The app's shell (navigation between the screens; android/screens/src/app)
    const val navWorklist = "Daftar"
    const val navSync = "Kirim"
    const val navLock = "Kunci"
    const val navResult = "Hasil"
    fun visitStatus(status: String) = when (status) {
        "tertunda" -> "belum terkirim"
        "diterima" -> "diterima dinas"
        "konflik" -> "menunggu keputusan dinas (dua kunjungan)"
        "ditolak" -> "ditolak dinas"
        else -> status
    }
    fun familyLastVisitLine(date: String, status: String) = "$date, ${visitStatus(status)}"
    val months = listOf(
        "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember",
    )
}
