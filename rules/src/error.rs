//! Errors of the core. Validation problems are data (`FieldError`): a field path, a stable code
//! and a message in Bahasa Indonesia for the agent or resident. No error text ever carries a
//! NIK, a KK number, a name or any other personal value.
use serde::Serialize;

/// Stable codes: they are API. Add new ones; never rename or reuse one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    NikLength,
    NikNotDigits,
    NikProvinceUnknown,
    NikBirthDateInvalid,
    NikSerialZero,
    NikKecamatanUnknown,
    KkLength,
    KkNotDigits,
    KkProvinceUnknown,
    KkIssueDateInvalid,
    KkSerialZero,
    KkKecamatanUnknown,
    SexMismatchNik,
    BirthDateMismatchNik,
    BirthDateInvalid,
    NameEmpty,
    NameTooLong,
    NameInvalidCharacter,
    TextTooLong,
    AgentMissing,
    KelurahanUnknown,
    RtRwInvalid,
    GpsInvalid,
    TimeInvalid,
    NoMembers,
    TooManyMembers,
    HeadMissing,
    HeadMultiple,
    NikDuplicateInHousehold,
    NikRegisteredElsewhere,
    KkRegisteredElsewhere,
    ConsentMissing,
    ConsentGiverInvalid,
    NoticeVersionMissing,
    IkdStatusMissing,
    IkdNotAdult,
    StepMissing,
    MemberNotFound,
    DraftNotFound,
    PmtAnswerMissing,
    PmtAnswerType,
    PmtOptionUnknown,
    PmtValueOutOfRange,
    PmtQuestionUnknown,
    PmtModelInvalid,
    PmtModelUnsigned,
    PmtSignatureInvalid,
    PmtModelExpired,
    PmtModelOutOfRegion,
    PmtNoActiveModel,
    PmtStale,
    EvidenceEmpty,
    EvidenceTooLarge,
    EvidenceTooManyPixels,
    EvidenceFormatUnsupported,
    EvidenceCorrupt,
    EvidenceCmykUnsupported,
    EvidenceAttestationInvalid,
    EvidenceNotFound,
    SessionPinFormat,
    SessionPinWrong,
    SessionLocked,
    SessionReenrollRequired,
    SessionAgentUnknown,
    SessionAgentExists,
    SessionRecoveryInvalid,
    SessionIdleLocked,
    SessionOutOfScope,
    PurgeRecordUnknown,
    SanggahanStatementTooShort,
    SanggahanStatementTooLong,
    SanggahanPhotoMissing,
    SanggahanTooManyPhotos,
    SanggahanPhotoTooOld,
    SanggahanPhotoDateInvalid,
    SanggahanHousePhotoMissing,
    SanggahanRecipientUnknown,
    SanggahanOtherKelurahan,
    SanggahanAlreadyOpen,
    SanggahanLimitReached,
    SanggahanNotFound,
    SanggahanWithdrawNotAllowed,
    SanggahanTransitionInvalid,
    SanggahanPurged,
    RecipientFileInvalid,
    RecipientIdInvalid,
    RecipientDuplicate,
    RecipientProgrammeUnknown,
    RecipientNikInvalid,
    SanggahanExists,
    SyncNotEnrolled,
    SyncEnrollRefused,
    SyncRefused,
    ChoiceUnknown,
    DateFormat,
    EnrollTicketInvalid,
    ServerUrlInsecure,
    DistrictKeyMismatch,
    ReceiptInvalid,
    ResponseTooLarge,
    DeviceRevoked,
    FamilyFileInvalid,
    FamilyIdInvalid,
    FamilyVersionInvalid,
    FamilyRowsDisagree,
    NikInTwoFamilies,
    DesilInvalid,
    FamilyNotAssigned,
    WorklistChangeInvalid,
    VisitIdInvalid,
    VisitOutcomeMismatch,
    VisitCorrectionInvalid,
    AccountNumberInvalid,
    VisitNotFound,
    DraftStale,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            NikLength => "NIK_LENGTH",
            NikNotDigits => "NIK_NOT_DIGITS",
            NikProvinceUnknown => "NIK_PROVINCE_UNKNOWN",
            NikBirthDateInvalid => "NIK_BIRTH_DATE_INVALID",
            NikSerialZero => "NIK_SERIAL_ZERO",
            NikKecamatanUnknown => "NIK_KECAMATAN_UNKNOWN",
            KkLength => "KK_LENGTH",
            KkNotDigits => "KK_NOT_DIGITS",
            KkProvinceUnknown => "KK_PROVINCE_UNKNOWN",
            KkIssueDateInvalid => "KK_ISSUE_DATE_INVALID",
            KkSerialZero => "KK_SERIAL_ZERO",
            KkKecamatanUnknown => "KK_KECAMATAN_UNKNOWN",
            SexMismatchNik => "SEX_MISMATCH_NIK",
            BirthDateMismatchNik => "BIRTH_DATE_MISMATCH_NIK",
            BirthDateInvalid => "BIRTH_DATE_INVALID",
            NameEmpty => "NAME_EMPTY",
            NameTooLong => "NAME_TOO_LONG",
            NameInvalidCharacter => "NAME_INVALID_CHARACTER",
            TextTooLong => "TEXT_TOO_LONG",
            AgentMissing => "AGENT_MISSING",
            KelurahanUnknown => "KELURAHAN_UNKNOWN",
            RtRwInvalid => "RT_RW_INVALID",
            GpsInvalid => "GPS_INVALID",
            TimeInvalid => "TIME_INVALID",
            NoMembers => "NO_MEMBERS",
            TooManyMembers => "TOO_MANY_MEMBERS",
            HeadMissing => "HEAD_MISSING",
            HeadMultiple => "HEAD_MULTIPLE",
            NikDuplicateInHousehold => "NIK_DUPLICATE_IN_HOUSEHOLD",
            NikRegisteredElsewhere => "NIK_REGISTERED_ELSEWHERE",
            KkRegisteredElsewhere => "KK_REGISTERED_ELSEWHERE",
            ConsentMissing => "CONSENT_MISSING",
            ConsentGiverInvalid => "CONSENT_GIVER_INVALID",
            NoticeVersionMissing => "NOTICE_VERSION_MISSING",
            IkdStatusMissing => "IKD_STATUS_MISSING",
            IkdNotAdult => "IKD_NOT_ADULT",
            StepMissing => "STEP_MISSING",
            MemberNotFound => "MEMBER_NOT_FOUND",
            DraftNotFound => "DRAFT_NOT_FOUND",
            PmtAnswerMissing => "PMT_ANSWER_MISSING",
            PmtAnswerType => "PMT_ANSWER_TYPE",
            PmtOptionUnknown => "PMT_OPTION_UNKNOWN",
            PmtValueOutOfRange => "PMT_VALUE_OUT_OF_RANGE",
            PmtQuestionUnknown => "PMT_QUESTION_UNKNOWN",
            PmtModelInvalid => "PMT_MODEL_INVALID",
            PmtModelUnsigned => "PMT_MODEL_UNSIGNED",
            PmtSignatureInvalid => "PMT_SIGNATURE_INVALID",
            PmtModelExpired => "PMT_MODEL_EXPIRED",
            PmtModelOutOfRegion => "PMT_MODEL_OUT_OF_REGION",
            PmtNoActiveModel => "PMT_NO_ACTIVE_MODEL",
            PmtStale => "PMT_STALE",
            EvidenceEmpty => "EVIDENCE_EMPTY",
            EvidenceTooLarge => "EVIDENCE_TOO_LARGE",
            EvidenceTooManyPixels => "EVIDENCE_TOO_MANY_PIXELS",
            EvidenceFormatUnsupported => "EVIDENCE_FORMAT_UNSUPPORTED",
            EvidenceCorrupt => "EVIDENCE_CORRUPT",
            EvidenceCmykUnsupported => "EVIDENCE_CMYK_UNSUPPORTED",
            EvidenceAttestationInvalid => "EVIDENCE_ATTESTATION_INVALID",
            EvidenceNotFound => "EVIDENCE_NOT_FOUND",
            SessionPinFormat => "SESSION_PIN_FORMAT",
            SessionPinWrong => "SESSION_PIN_WRONG",
            SessionLocked => "SESSION_LOCKED",
            SessionReenrollRequired => "SESSION_REENROLL_REQUIRED",
            SessionAgentUnknown => "SESSION_AGENT_UNKNOWN",
            SessionAgentExists => "SESSION_AGENT_EXISTS",
            SessionRecoveryInvalid => "SESSION_RECOVERY_INVALID",
            SessionIdleLocked => "SESSION_IDLE_LOCKED",
            SessionOutOfScope => "SESSION_OUT_OF_SCOPE",
            PurgeRecordUnknown => "PURGE_RECORD_UNKNOWN",
            SanggahanStatementTooShort => "SANGGAHAN_STATEMENT_TOO_SHORT",
            SanggahanStatementTooLong => "SANGGAHAN_STATEMENT_TOO_LONG",
            SanggahanPhotoMissing => "SANGGAHAN_PHOTO_MISSING",
            SanggahanTooManyPhotos => "SANGGAHAN_TOO_MANY_PHOTOS",
            SanggahanPhotoTooOld => "SANGGAHAN_PHOTO_TOO_OLD",
            SanggahanPhotoDateInvalid => "SANGGAHAN_PHOTO_DATE_INVALID",
            SanggahanHousePhotoMissing => "SANGGAHAN_HOUSE_PHOTO_MISSING",
            SanggahanRecipientUnknown => "SANGGAHAN_RECIPIENT_UNKNOWN",
            SanggahanOtherKelurahan => "SANGGAHAN_OTHER_KELURAHAN",
            SanggahanAlreadyOpen => "SANGGAHAN_ALREADY_OPEN",
            SanggahanLimitReached => "SANGGAHAN_LIMIT_REACHED",
            SanggahanNotFound => "SANGGAHAN_NOT_FOUND",
            SanggahanWithdrawNotAllowed => "SANGGAHAN_WITHDRAW_NOT_ALLOWED",
            SanggahanTransitionInvalid => "SANGGAHAN_TRANSITION_INVALID",
            SanggahanPurged => "SANGGAHAN_PURGED",
            RecipientFileInvalid => "RECIPIENT_FILE_INVALID",
            RecipientIdInvalid => "RECIPIENT_ID_INVALID",
            RecipientDuplicate => "RECIPIENT_DUPLICATE",
            RecipientProgrammeUnknown => "RECIPIENT_PROGRAMME_UNKNOWN",
            RecipientNikInvalid => "RECIPIENT_NIK_INVALID",
            SanggahanExists => "SANGGAHAN_EXISTS",
            SyncNotEnrolled => "SYNC_NOT_ENROLLED",
            SyncEnrollRefused => "SYNC_ENROLL_REFUSED",
            SyncRefused => "SYNC_REFUSED",
            ChoiceUnknown => "CHOICE_UNKNOWN",
            DateFormat => "DATE_FORMAT",
            EnrollTicketInvalid => "ENROLL_TICKET_INVALID",
            ServerUrlInsecure => "SERVER_URL_INSECURE",
            DistrictKeyMismatch => "DISTRICT_KEY_MISMATCH",
            ReceiptInvalid => "RECEIPT_INVALID",
            ResponseTooLarge => "RESPONSE_TOO_LARGE",
            DeviceRevoked => "DEVICE_REVOKED",
            FamilyFileInvalid => "FAMILY_FILE_INVALID",
            FamilyIdInvalid => "FAMILY_ID_INVALID",
            FamilyVersionInvalid => "FAMILY_VERSION_INVALID",
            FamilyRowsDisagree => "FAMILY_ROWS_DISAGREE",
            NikInTwoFamilies => "NIK_IN_TWO_FAMILIES",
            DesilInvalid => "DESIL_INVALID",
            FamilyNotAssigned => "FAMILY_NOT_ASSIGNED",
            WorklistChangeInvalid => "WORKLIST_CHANGE_INVALID",
            VisitIdInvalid => "VISIT_ID_INVALID",
            VisitOutcomeMismatch => "VISIT_OUTCOME_MISMATCH",
            VisitCorrectionInvalid => "VISIT_CORRECTION_INVALID",
            AccountNumberInvalid => "ACCOUNT_NUMBER_INVALID",
            VisitNotFound => "VISIT_NOT_FOUND",
            DraftStale => "DRAFT_STALE",
        }
    }

    /// The message a person reads, in Bahasa Indonesia.
    pub fn message(self) -> &'static str {
        use ErrorCode::*;
        match self {
            NikLength => "NIK harus terdiri dari tepat 16 digit.",
            NikNotDigits => "NIK hanya boleh berisi angka 0-9.",
            NikProvinceUnknown => "Kode provinsi pada NIK (2 digit pertama) tidak dikenal.",
            NikBirthDateInvalid => {
                "Tanggal lahir pada NIK tidak valid (tanggal 01-31 untuk laki-laki, 41-71 untuk perempuan, dan harus tanggal yang ada)."
            }
            NikSerialZero => "Nomor urut NIK (4 digit terakhir) tidak boleh 0000.",
            NikKecamatanUnknown => {
                "Kode kecamatan pada NIK tidak ada dalam daftar Kemendagri. Periksa kembali NIK dengan KTP atau KK."
            }
            KkLength => "Nomor KK harus terdiri dari tepat 16 digit.",
            KkNotDigits => "Nomor KK hanya boleh berisi angka 0-9.",
            KkProvinceUnknown => "Kode provinsi pada nomor KK (2 digit pertama) tidak dikenal.",
            KkIssueDateInvalid => "Tanggal penerbitan pada nomor KK tidak valid.",
            KkSerialZero => "Nomor urut KK (4 digit terakhir) tidak boleh 0000.",
            KkKecamatanUnknown => {
                "Kode kecamatan pada nomor KK tidak ada dalam daftar Kemendagri. Periksa kembali dengan dokumen KK."
            }
            SexMismatchNik => "Jenis kelamin tidak sesuai dengan NIK.",
            BirthDateMismatchNik => "Tanggal lahir tidak sesuai dengan NIK.",
            BirthDateInvalid => "Tanggal lahir tidak valid atau berada di masa depan.",
            NameEmpty => "Nama wajib diisi.",
            NameTooLong => "Nama terlalu panjang (maksimal 100 karakter).",
            NameInvalidCharacter => {
                "Nama hanya boleh berisi huruf, spasi, apostrof, tanda hubung, titik, dan koma."
            }
            TextTooLong => "Isian terlalu panjang.",
            AgentMissing => "Identitas agen wajib diisi.",
            KelurahanUnknown => "Kode kelurahan/desa tidak dikenal.",
            RtRwInvalid => "RT/RW harus berupa angka 1-999.",
            GpsInvalid => "Koordinat GPS tidak valid.",
            TimeInvalid => "Waktu tidak valid.",
            NoMembers => "Keluarga harus memiliki minimal satu anggota.",
            TooManyMembers => "Jumlah anggota keluarga terlalu banyak (maksimal 30).",
            HeadMissing => "Kepala keluarga belum ditentukan.",
            HeadMultiple => "Hanya boleh ada satu kepala keluarga.",
            NikDuplicateInHousehold => "NIK yang sama tercatat dua kali dalam keluarga ini.",
            NikRegisteredElsewhere => "NIK ini sudah terdaftar di keluarga lain pada perangkat ini.",
            KkRegisteredElsewhere => "Nomor KK ini sudah terdaftar pada perangkat ini.",
            ConsentMissing => "Persetujuan (informed consent) belum dicatat.",
            ConsentGiverInvalid => "Persetujuan harus diberikan oleh anggota keluarga yang sudah dewasa.",
            NoticeVersionMissing => "Versi pemberitahuan privasi yang dibacakan wajib dicatat.",
            IkdStatusMissing => "Status aktivasi IKD wajib diisi untuk setiap anggota dewasa.",
            IkdNotAdult => "Status IKD hanya dicatat untuk anggota dewasa.",
            StepMissing => "Langkah sebelumnya belum diisi.",
            MemberNotFound => "Anggota keluarga tidak ditemukan.",
            DraftNotFound => "Draf pendaftaran tidak ditemukan.",
            PmtAnswerMissing => "Pertanyaan ini wajib dijawab.",
            PmtAnswerType => "Jenis jawaban tidak sesuai dengan pertanyaan.",
            PmtOptionUnknown => "Pilihan jawaban tidak dikenal.",
            PmtValueOutOfRange => "Nilai jawaban di luar rentang yang diizinkan.",
            PmtQuestionUnknown => "Pertanyaan tidak ada dalam model ini.",
            PmtModelInvalid => "Berkas model PMT tidak valid.",
            PmtModelUnsigned => "Model PMT tidak bertanda tangan atau penanda tangan tidak dikenal.",
            PmtSignatureInvalid => "Tanda tangan model PMT tidak sah; model mungkin telah diubah.",
            PmtModelExpired => "Model PMT sudah tidak berlaku atau belum berlaku.",
            PmtModelOutOfRegion => "Model PMT tidak berlaku untuk wilayah ini.",
            PmtNoActiveModel => "Belum ada model PMT yang berlaku untuk wilayah dan tanggal ini.",
            PmtStale => {
                "Anggota atau alamat rumah tangga berubah setelah pratinjau PMT; hitung ulang pratinjaunya."
            }
            EvidenceEmpty => "Berkas foto kosong.",
            EvidenceTooLarge => "Berkas foto lebih dari 25 MB.",
            EvidenceTooManyPixels => "Foto lebih dari 50 megapiksel.",
            EvidenceFormatUnsupported => "Format berkas tidak didukung; gunakan foto JPEG atau PNG.",
            EvidenceCorrupt => "Berkas foto rusak atau terpotong.",
            EvidenceCmykUnsupported => "Foto berwarna CMYK tidak didukung; simpan ulang sebagai RGB.",
            EvidenceAttestationInvalid => "Pengesahan foto tidak sah atau tidak cocok dengan fotonya.",
            EvidenceNotFound => "Foto bukti tidak ditemukan di ponsel ini.",
            SessionPinFormat => "PIN harus 6 angka.",
            SessionPinWrong => "PIN salah.",
            SessionLocked => "Terlalu banyak PIN salah; tunggu sebentar lalu coba lagi.",
            SessionReenrollRequired => "PIN salah 10 kali berturut-turut; profil ini harus didaftarkan ulang oleh dinas. Data yang belum terkirim tetap aman.",
            SessionAgentUnknown => "Profil agen tidak ada di ponsel ini.",
            SessionAgentExists => "Profil agen ini sudah ada di ponsel ini.",
            SessionRecoveryInvalid => "Kode pemulihan dari dinas tidak cocok untuk profil ini.",
            SessionIdleLocked => "Sesi terkunci karena lama tidak dipakai; masukkan PIN lagi.",
            SessionOutOfScope => "Data ini di luar sesi warga yang sedang dibuka.",
            PurgeRecordUnknown => "Data yang dikonfirmasi server tidak ada di ponsel ini.",
            SanggahanStatementTooShort => "Pernyataan terlalu singkat; ceritakan alasan sanggahan paling sedikit 20 huruf.",
            SanggahanStatementTooLong => "Pernyataan terlalu panjang; ringkas menjadi paling banyak 1.000 huruf.",
            SanggahanPhotoMissing => "Lampirkan paling sedikit satu foto bukti.",
            SanggahanTooManyPhotos => "Paling banyak 5 foto bukti; hapus foto yang tidak perlu.",
            SanggahanPhotoTooOld => "Foto ini diambil lebih dari 30 hari yang lalu; ambil foto baru.",
            SanggahanPhotoDateInvalid => "Tanggal foto ada di masa depan; periksa jam kamera atau ambil foto baru.",
            SanggahanHousePhotoMissing => "Perlu foto rumah penerima yang diambil dengan lokasi (GPS) menyala; ambil foto rumahnya di tempat.",
            SanggahanRecipientUnknown => "Penerima tidak ada di daftar penerima kelurahan; pilih dari daftar.",
            SanggahanOtherKelurahan => "Sanggahan hanya bisa diajukan untuk penerima di kelurahan tempat pelapor tinggal; pilih penerima dari daftar kelurahan Anda.",
            SanggahanAlreadyOpen => "Anda sudah punya sanggahan yang masih diproses untuk penerima ini; tunggu hasilnya atau tarik sanggahan itu dulu.",
            SanggahanLimitReached => "Batas 5 sanggahan dalam 30 hari sudah tercapai; coba lagi setelah sanggahan lama lewat 30 hari.",
            SanggahanNotFound => "Sanggahan tidak ditemukan di ponsel ini.",
            SanggahanWithdrawNotAllowed => "Sanggahan yang sudah diverifikasi, ditolak, kedaluwarsa atau ditarik tidak bisa ditarik lagi.",
            SanggahanTransitionInvalid => "Perubahan status dari server tidak sesuai alur sanggahan; status tidak diubah.",
            SanggahanPurged => "Isi sanggahan ini sudah diterima dinas dan dihapus dari ponsel; statusnya tetap bisa dilihat.",
            RecipientFileInvalid => "Berkas daftar penerima tidak bisa dibaca; minta berkas JSON atau CSV yang benar dari dinas.",
            RecipientIdInvalid => "Kode penerima kosong atau berisi tanda yang tidak diizinkan.",
            RecipientDuplicate => "Kode penerima muncul dua kali dalam berkas.",
            RecipientProgrammeUnknown => "Program bantuan tidak dikenal; gunakan PKH, BPNT, PBI-JK, BLT-DD atau PIP.",
            SyncNotEnrolled => "Ponsel ini belum didaftarkan ke server dinas; masukkan kode pendaftaran dari operator.",
            SyncEnrollRefused => "Kode pendaftaran ditolak server; minta kode baru ke operator dinas.",
            SyncRefused => "Server dinas menolak ponsel ini; hubungi operator dinas.",
            ChoiceUnknown => "Pilihan tidak dikenal; pilih dari daftar.",
            DateFormat => "Tanggal harus berformat TTTT-BB-HH.",
            EnrollTicketInvalid => "Kode QR pendaftaran tidak terbaca; pindai lagi kode dari operator dinas.",
            ServerUrlInsecure => "Alamat server harus memakai https; minta kode pendaftaran yang benar ke operator dinas.",
            DistrictKeyMismatch => "Server yang menjawab bukan server dinas (kunci tidak cocok); jangan lanjutkan dan hubungi operator dinas.",
            ReceiptInvalid => "Jawaban server tidak bertanda tangan dinas; data tetap disimpan di ponsel dan dikirim lagi nanti.",
            ResponseTooLarge => "Jawaban server terlalu besar dan ditolak; data tetap aman di ponsel, coba lagi nanti.",
            DeviceRevoked => "Ponsel ini dicabut oleh dinas (hilang atau dicuri) dan dikunci. Data yang belum terkirim tetap tersimpan; hubungi operator dinas.",
            SanggahanExists => "Sanggahan ini sudah diajukan; buka dari daftar sanggahan untuk melihat statusnya.",
            RecipientNikInvalid => "NIK penerima harus 16 angka atau tersamar (6 angka, 6 bintang, 4 angka).",
            FamilyFileInvalid => "Berkas DTSEN tidak bisa dibaca: periksa kolom judul (lihat docs/dtsen-extract.md) dan format CSV.",
            FamilyIdInvalid => "ID keluarga DTSEN harus 1-40 huruf, angka, '-' atau '_'.",
            FamilyVersionInvalid => "Versi data keluarga harus bilangan bulat 1 atau lebih.",
            FamilyRowsDisagree => "Baris-baris satu keluarga harus sama pada kolom keluarga (versi, KK, alamat, desil, program).",
            NikInTwoFamilies => "NIK ini tercatat di dua keluarga dalam berkas yang sama.",
            DesilInvalid => "Desil harus angka 1 sampai 10, atau kosong.",
            FamilyNotAssigned => "Keluarga ini tidak ada dalam daftar tugas Anda.",
            WorklistChangeInvalid => "Perubahan daftar tugas dari kabupaten/kota tidak sah dan tidak diterapkan.",
            VisitIdInvalid => "ID kunjungan tidak valid.",
            VisitOutcomeMismatch => "Anggota, rekening dan PMT hanya diisi bila keluarga ditemukan.",
            VisitCorrectionInvalid => "Perubahan anggota harus punya NIK yang valid, alasan, dan sesuai dengan daftar anggota (lahir/pindah masuk/data salah: ada di daftar; meninggal/pindah keluar: tidak).",
            AccountNumberInvalid => "Nomor rekening harus angka dengan panjang sesuai bank (BRI 15, BNI 10, Mandiri 13, BTN 16, BSI 10 digit).",
            VisitNotFound => "Kunjungan ini tidak ditemukan di ponsel.",
            DraftStale => "Draf ini sudah diubah di layar lain; buka lagi draf terbaru.",
        }
    }
}

/// One validation problem: which field, a stable code, and a message for the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: ErrorCode,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: ErrorCode) -> FieldError {
        FieldError {
            field: field.into(),
            code,
            message: code.message().to_owned(),
        }
    }

    /// Adds non-personal context (such as a household id) to the message.
    pub fn with_detail(mut self, detail: &str) -> FieldError {
        self.message = format!("{} {detail}", self.message);
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("input tidak valid: {}", summary(.0))]
    Invalid(Vec<FieldError>),
    #[error("storage error: {0}")]
    Storage(#[from] rusqlite::Error),
    #[error("decryption failed: wrong key or tampered data")]
    Crypto,
    #[error("database schema version {found} is newer than this app supports ({supported})")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("stored data is corrupt: {0}")]
    Corrupt(&'static str),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

fn summary(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{} {}", e.field, e.code.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Error {
    pub fn invalid(field: impl Into<String>, code: ErrorCode) -> Error {
        Error::Invalid(vec![FieldError::new(field, code)])
    }

    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Error::Invalid(errors) => errors,
            _ => &[],
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
