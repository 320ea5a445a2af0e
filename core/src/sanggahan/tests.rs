use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::OnceLock;

use super::*;
use crate::crypt::DataKey;
use crate::evidence::ingest;
use crate::purge::{Purger, DEFAULT_RETENTION_MS};
use crate::sample::Generator;
use crate::session::device::Device;

const CAM2: &[u8] = include_bytes!("../../data/photos/cam2_wood.jpg");
const CAM3: &[u8] = include_bytes!("../../data/photos/cam3_ladybird.jpg");
const HOUSE: Gps = Gps {
    latitude: -8.5833,
    longitude: 116.1167,
};
const OTHER_KELURAHAN: &str = "52.71.06.1003";

/// 2026-11-28 10:00 WITA: the sample photos' cameras say 2026-11-20.
fn start() -> Millis {
    Date::new(2026, 11, 28).unwrap().days_since_epoch() * DAY_MS + 2 * 3_600_000
}

/// The sample photos already normalized: no camera time, so their date is the capture time.
fn fresh(n: usize) -> &'static [u8] {
    static PHOTOS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    &PHOTOS.get_or_init(|| {
        [CAM2, CAM3]
            .iter()
            .map(|p| ingest(p, &Options::default()).unwrap().jpeg)
            .collect()
    })[n]
}

struct Phone {
    dir: tempfile::TempDir,
    store: Arc<Store>,
    cipher: Arc<Cipher>,
    device: Device,
    key: Arc<Ed25519KeyPair>,
    time: Arc<AtomicI64>,
    reporter: Reporter,
}

fn phone() -> Phone {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("device.db")).unwrap());
    let cipher = Arc::new(Cipher::new(&DataKey::from_bytes([9; 32])).unwrap());
    let device = Device::open_or_create(&store, b"keystore").unwrap();
    let key = device.signer();
    let mut generator = Generator::new(11, Date::new(2026, 11, 28).unwrap());
    let sample = generator.household("agen-01", 2, start());
    let reporter = Reporter {
        nik: sample.members[0].nik.clone(),
        full_name: sample.members[0].full_name.clone(),
        address: sample.household.address.clone(),
    };
    assert_ne!(reporter.address.kelurahan_code, OTHER_KELURAHAN);
    let phone = Phone {
        dir,
        store,
        cipher,
        device,
        key,
        time: Arc::new(AtomicI64::new(start())),
        reporter,
    };
    let mut csv = String::from("recipient_id,kelurahan_code,programme,name,nik,rt,rw\n");
    let home = &phone.reporter.address.kelurahan_code;
    let names = [
        "Amaq Sahnan",
        "Inaq Rumni",
        "Lalu Ahmad",
        "Baiq Nurul",
        "Papuq Sinah",
        "Mamiq Ali",
        "Inaq Saeah",
    ];
    for (i, name) in (1..).zip(names) {
        csv += &format!("R-{i},{home},PKH,{name},5271010101900{i:03},1,2\n");
    }
    csv += &format!("R-99,{OTHER_KELURAHAN},BPNT,Penerima Jauh,5271060101900099,3,4\n");
    assert_eq!(
        phone
            .book("agen-01")
            .import_recipients(csv.as_bytes())
            .unwrap(),
        8
    );
    phone
}

impl Phone {
    fn clock(&self) -> Clock {
        let time = self.time.clone();
        Arc::new(move || time.load(Ordering::SeqCst))
    }

    fn now(&self) -> Millis {
        self.time.load(Ordering::SeqCst)
    }

    fn book(&self, agent: &str) -> SanggahanBook {
        let evidence = EvidenceBook::open(
            self.store.clone(),
            self.cipher.clone(),
            self.dir.path().join("evidence"),
        )
        .unwrap();
        SanggahanBook::new(
            self.store.clone(),
            self.cipher.clone(),
            evidence,
            self.clock(),
            &self.device,
        )
        .for_agent(agent)
    }

    fn filing(&self, recipient: &str) -> Filing {
        Filing {
            id: None,
            agent_id: "agen-01".to_owned(),
            recipient_id: recipient.to_owned(),
            reporter: self.reporter.clone(),
            reason: Reason::Mampu,
            statement: "Keluarga ini punya dua mobil dan toko bangunan di depan rumah.".to_owned(),
        }
    }

    fn photos(&self) -> Vec<FilingPhoto<'static>> {
        vec![
            FilingPhoto {
                bytes: fresh(0),
                role: PhotoRole::RumahPenerima,
                captured_at: self.now(),
                gps: Some(HOUSE),
            },
            FilingPhoto {
                bytes: fresh(1),
                role: PhotoRole::Lainnya,
                captured_at: self.now(),
                gps: None,
            },
        ]
    }

    fn count(&self, table: &str) -> i64 {
        self.store
            .read(|c| Ok(c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?))
            .unwrap()
    }

    /// (sanggahan, status rows, evidence, outbox, audit, blobs)
    fn written(&self) -> [i64; 6] {
        [
            self.count("sanggahan"),
            self.count("sanggahan_status"),
            self.count("evidence"),
            self.count("outbox"),
            self.count("audit"),
            std::fs::read_dir(self.dir.path().join("evidence"))
                .unwrap()
                .count() as i64,
        ]
    }

    fn raw(&self) -> Vec<u8> {
        let mut raw = std::fs::read(self.dir.path().join("device.db")).unwrap();
        raw.extend(std::fs::read(self.dir.path().join("device.db-wal")).unwrap_or_default());
        raw
    }
}

fn codes(error: Error) -> Vec<(String, ErrorCode)> {
    error
        .field_errors()
        .iter()
        .map(|e| (e.field.clone(), e.code))
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_filing_commits_with_its_photos_outbox_and_audit_and_keeps_the_reporter_sealed() {
    let p = phone();
    let book = p.book("agen-01");
    // The sample photos straight from the camera (EXIF date 2026-11-20, 8 days ago).
    let photos = [
        FilingPhoto {
            bytes: CAM2,
            role: PhotoRole::RumahPenerima,
            captured_at: p.now(),
            gps: Some(HOUSE),
        },
        FilingPhoto {
            bytes: CAM3,
            role: PhotoRole::Lainnya,
            captured_at: p.now(),
            gps: None,
        },
    ];
    let filed = book.file(&p.filing("R-3"), &photos).unwrap();
    assert_eq!(filed.status, Status::Diajukan);
    assert!(filed.reused_photos.is_empty());
    assert_eq!(book.list().unwrap(), vec![filed.clone()]);

    let whole = book.get(&filed.id).unwrap();
    assert_eq!(whole.reporter, p.reporter);
    assert_eq!(whole.reason, Reason::Mampu);
    let evidence = book.evidence().for_record("sanggahan", &filed.id).unwrap();
    assert_eq!(evidence.len(), 2);
    assert_eq!(evidence[0].gps, Some(HOUSE));
    assert_eq!(
        whole.photos,
        vec![
            (evidence[0].id.clone(), PhotoRole::RumahPenerima),
            (evidence[1].id.clone(), PhotoRole::Lainnya)
        ]
    );
    assert_eq!(
        book.history(&filed.id).unwrap(),
        vec![Transition {
            status: Status::Diajukan,
            at: start(),
            source: Source::Phone,
            reason: None
        }]
    );

    let outbox = p.store.read(crate::outbox::entries).unwrap();
    let mut kinds: Vec<&str> = outbox.iter().map(|e| e.kind.as_str()).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "audit.appended",
            "audit.appended",
            "audit.appended",
            "sanggahan.filed"
        ]
    );
    let trail: Vec<String> = p
        .store
        .read(|c| {
            let mut stmt = c.prepare("SELECT action FROM audit ORDER BY seq")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .unwrap();
    assert_eq!(
        trail,
        ["evidence_captured", "evidence_captured", "sanggahan_filed"]
    );
    let chain = p
        .store
        .read(|c| {
            crate::audit::verify_chain(c, ring::signature::KeyPair::public_key(&*p.key).as_ref())
        })
        .unwrap();
    assert_eq!(chain, Ok(3));

    // Neither the reporter nor the statement is anywhere in the files in clear.
    let raw = p.raw();
    for secret in [
        p.reporter.nik.as_bytes(),
        p.reporter.full_name.as_bytes(),
        b"dua mobil".as_slice(),
        b"Papuq Sinah".as_slice(),
    ] {
        assert!(!contains(&raw, secret));
    }
}

#[test]
fn every_rule_refuses_with_its_code_and_writes_nothing() {
    let p = phone();
    let book = p.book("agen-01");
    let before = p.written();
    let ok = p.filing("R-1");
    let refuse = |filing: &Filing, photos: &[FilingPhoto<'_>], expected: &[(&str, ErrorCode)]| {
        let found = codes(book.file(filing, photos).unwrap_err());
        let expected: Vec<(String, ErrorCode)> =
            expected.iter().map(|(f, c)| (f.to_string(), *c)).collect();
        assert_eq!(found, expected);
        assert_eq!(p.written(), before, "a refused filing wrote something");
    };
    let photos = p.photos();

    let mut bad = ok.clone();
    bad.reporter.nik = "5271011234567890".to_owned();
    bad.statement = "Dia mampu.".to_owned();
    refuse(
        &bad,
        &photos,
        &[
            ("reporter.nik", ErrorCode::NikBirthDateInvalid),
            ("statement", ErrorCode::SanggahanStatementTooShort),
        ],
    );
    let mut long = ok.clone();
    long.statement = "a".repeat(1_001);
    refuse(
        &long,
        &photos,
        &[("statement", ErrorCode::SanggahanStatementTooLong)],
    );
    refuse(&ok, &[], &[("photos", ErrorCode::SanggahanPhotoMissing)]);
    let six: Vec<_> = (0..6)
        .map(|i| FilingPhoto {
            bytes: fresh(i % 2),
            role: PhotoRole::RumahPenerima,
            captured_at: p.now(),
            gps: Some(HOUSE),
        })
        .collect();
    refuse(&ok, &six, &[("photos", ErrorCode::SanggahanTooManyPhotos)]);
    // The house photo without a location, and no other house photo.
    let mut no_gps = p.photos();
    no_gps[0].gps = None;
    refuse(
        &ok,
        &no_gps,
        &[("photos", ErrorCode::SanggahanHousePhotoMissing)],
    );
    refuse(
        &p.filing("R-404"),
        &photos,
        &[("recipient_id", ErrorCode::SanggahanRecipientUnknown)],
    );
    refuse(
        &p.filing("R-99"),
        &photos,
        &[("recipient_id", ErrorCode::SanggahanOtherKelurahan)],
    );
    let mut truncated = p.photos();
    truncated[1].bytes = &CAM3[..CAM3.len() / 3];
    refuse(
        &ok,
        &truncated,
        &[("photos[1]", ErrorCode::EvidenceCorrupt)],
    );
    // A photo older than 30 days: the camera's own date counts.
    p.time.store(start() + 23 * DAY_MS, Ordering::SeqCst);
    let camera = [FilingPhoto {
        bytes: CAM2,
        role: PhotoRole::RumahPenerima,
        captured_at: p.now(),
        gps: Some(HOUSE),
    }];
    refuse(
        &ok,
        &camera,
        &[("photos[0]", ErrorCode::SanggahanPhotoTooOld)],
    );
    p.time.store(start() + 22 * DAY_MS, Ordering::SeqCst);
    book.file(&ok, &camera).unwrap();
    // Every refusal reads in Indonesian and names no personal value.
    let error = book.file(&bad, &photos).unwrap_err();
    for e in error.field_errors() {
        assert!(!e.message.contains(&bad.reporter.nik));
        assert!(!e.message.is_empty());
    }
}

#[test]
fn one_open_objection_per_target_and_five_per_reporter_in_thirty_days() {
    let p = phone();
    let book = p.book("agen-01");
    let first = book.file(&p.filing("R-1"), &p.photos()).unwrap();
    let again = codes(book.file(&p.filing("R-1"), &p.photos()).unwrap_err());
    assert_eq!(
        again,
        vec![("recipient_id".to_owned(), ErrorCode::SanggahanAlreadyOpen)]
    );
    // Withdrawn, it is no longer open: the reporter may object again.
    book.withdraw(&first.id).unwrap();
    book.file(&p.filing("R-1"), &p.photos()).unwrap();
    for target in ["R-2", "R-3", "R-4"] {
        book.file(&p.filing(target), &p.photos()).unwrap();
    }
    // Five filed within 30 days (the withdrawn one counts).
    let before = p.written();
    let sixth = codes(book.file(&p.filing("R-5"), &p.photos()).unwrap_err());
    assert_eq!(
        sixth,
        vec![("reporter".to_owned(), ErrorCode::SanggahanLimitReached)]
    );
    assert_eq!(p.written(), before);
    // Another reporter is not limited by this one.
    let mut other = p.filing("R-5");
    let mut generator = Generator::new(99, Date::new(2026, 11, 28).unwrap());
    other.reporter.nik = generator.household("agen-01", 1, start()).members[0]
        .nik
        .clone();
    book.file(&other, &p.photos()).unwrap();
    // Thirty days after the first filing, one slot is free again.
    p.time.store(start() + LIMIT_WINDOW_MS, Ordering::SeqCst);
    book.file(&p.filing("R-6"), &p.photos()).unwrap();
}

#[test]
fn a_photo_reused_from_another_sanggahan_is_flagged() {
    let p = phone();
    let book = p.book("agen-01");
    let first = book.file(&p.filing("R-1"), &p.photos()[..1]).unwrap();
    // The same house photo, re-encoded smaller, attached to an objection against someone else.
    let copy = ingest(
        fresh(0),
        &Options {
            long_side: 1000,
            quality: 60,
            keep_gps: false,
        },
    )
    .unwrap()
    .jpeg;
    let photos = [
        FilingPhoto {
            bytes: &copy,
            role: PhotoRole::RumahPenerima,
            captured_at: p.now(),
            gps: Some(HOUSE),
        },
        FilingPhoto {
            bytes: fresh(1),
            role: PhotoRole::Lainnya,
            captured_at: p.now(),
            gps: None,
        },
    ];
    let second = book.file(&p.filing("R-2"), &photos).unwrap();
    assert_eq!(second.reused_photos.len(), 1);
    assert_eq!(second.reused_photos[0].other_sanggahan_id, first.id);
    let copy_evidence = &book.evidence().for_record("sanggahan", &second.id).unwrap()[0];
    assert_eq!(second.reused_photos[0].evidence_id, copy_evidence.id);
    // The flag is stored on the record.
    assert_eq!(book.list().unwrap()[0], second);
}

#[test]
fn the_lifecycle_follows_the_server_lapses_after_fourteen_days_and_allows_withdrawal() {
    let p = phone();
    let book = p.book("agen-01");
    let a = book.file(&p.filing("R-1"), &p.photos()).unwrap();
    let b = book.file(&p.filing("R-2"), &p.photos()).unwrap();
    let c = book.file(&p.filing("R-3"), &p.photos()).unwrap();
    let t = |days: i64| start() + days * DAY_MS;

    book.apply_server_status(&a.id, Status::Diterima, t(1), None)
        .unwrap();
    book.apply_server_status(&a.id, Status::Diterima, t(1), None)
        .unwrap();
    book.apply_server_status(
        &a.id,
        Status::Ditolak,
        t(3),
        Some("Penerima memenuhi kriteria."),
    )
    .unwrap();
    assert_eq!(
        codes(book.withdraw(&a.id).unwrap_err()),
        vec![(
            "sanggahan".to_owned(),
            ErrorCode::SanggahanWithdrawNotAllowed
        )]
    );
    assert_eq!(
        codes(
            book.apply_server_status(&a.id, Status::Diverifikasi, t(4), None)
                .unwrap_err()
        ),
        vec![("status".to_owned(), ErrorCode::SanggahanTransitionInvalid)]
    );
    let history = book.history(&a.id).unwrap();
    let statuses: Vec<_> = history.iter().map(|h| (h.status, h.at, h.source)).collect();
    assert_eq!(
        statuses,
        vec![
            (Status::Diajukan, t(0), Source::Phone),
            (Status::Diterima, t(1), Source::Server),
            (Status::Ditolak, t(3), Source::Server)
        ]
    );
    assert_eq!(
        history[2].reason.as_deref(),
        Some("Penerima memenuhi kriteria.")
    );
    assert!(!contains(&p.raw(), b"memenuhi kriteria"));

    // b is withdrawn; c lapses after 14 days without verification.
    book.withdraw(&b.id).unwrap();
    let outbox = p.store.read(crate::outbox::entries).unwrap();
    assert!(outbox
        .iter()
        .any(|e| e.kind == "sanggahan.withdrawn" && e.entity_id == b.id));
    p.time.store(t(14) - 1, Ordering::SeqCst);
    assert!(book.expire_due().unwrap().is_empty());
    p.time.store(t(14), Ordering::SeqCst);
    assert_eq!(book.expire_due().unwrap(), vec![c.id.clone()]);
    assert!(book.expire_due().unwrap().is_empty());
    let statuses: Vec<_> = book.list().unwrap().iter().map(|s| s.status).collect();
    assert_eq!(
        statuses,
        [Status::Kedaluwarsa, Status::Ditarik, Status::Ditolak]
    );
    // The server, whose clock decides, had verified c in time: its word replaces the lapse.
    book.apply_server_status(&c.id, Status::Diverifikasi, t(13), None)
        .unwrap();
    assert_eq!(
        book.get(&c.id).unwrap().summary.status,
        Status::Diverifikasi
    );
    assert_eq!(
        codes(
            book.apply_server_status("nope", Status::Diterima, t(1), None)
                .unwrap_err()
        ),
        vec![("sanggahan".to_owned(), ErrorCode::SanggahanNotFound)]
    );
}

#[test]
fn another_agent_cannot_see_or_touch_a_sanggahan() {
    let p = phone();
    let mine = p
        .book("agen-01")
        .file(&p.filing("R-1"), &p.photos())
        .unwrap();
    let theirs = p.book("agen-02");
    assert!(theirs.list().unwrap().is_empty());
    for error in [
        theirs.get(&mine.id).unwrap_err(),
        theirs.withdraw(&mine.id).unwrap_err(),
        theirs.history(&mine.id).unwrap_err(),
    ] {
        assert_eq!(error.field_errors()[0].code, ErrorCode::SanggahanNotFound);
    }
    assert_eq!(
        codes(theirs.file(&p.filing("R-2"), &p.photos()).unwrap_err()),
        vec![("agent_id".to_owned(), ErrorCode::SessionOutOfScope)]
    );
}

#[test]
fn once_the_server_has_it_the_reporter_and_photos_are_purged_and_the_status_stays() {
    let p = phone();
    let book = p.book("agen-01");
    let filed = book.file(&p.filing("R-1"), &p.photos()).unwrap();
    let body: Vec<u8> = p
        .store
        .read(|c| {
            Ok(c.query_row(
                "SELECT body FROM sanggahan WHERE id = ?1",
                [&filed.id],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    book.apply_server_status(&filed.id, Status::Diterima, p.now(), None)
        .unwrap();
    let purger = Purger::new(p.store.clone(), p.clock(), p.key.clone()).with_evidence(
        EvidenceBook::open(
            p.store.clone(),
            p.cipher.clone(),
            p.dir.path().join("evidence"),
        )
        .unwrap(),
    );
    p.time.fetch_add(DEFAULT_RETENTION_MS, Ordering::SeqCst);
    let report = purger.purge_due().unwrap();
    assert_eq!(
        (report.records, report.evidence_rows, report.blobs),
        (1, 2, 2)
    );
    assert_eq!(
        codes(book.get(&filed.id).unwrap_err()),
        vec![("sanggahan".to_owned(), ErrorCode::SanggahanPurged)]
    );
    assert!(!contains(&p.raw(), &body[..16]));
    // The status still arrives and shows; the limits still count the filing.
    book.apply_server_status(&filed.id, Status::Diverifikasi, p.now(), None)
        .unwrap();
    assert_eq!(book.list().unwrap()[0].status, Status::Diverifikasi);
    assert_eq!(purger.receipts().unwrap()[0].status, "diverifikasi");
    assert_eq!(book.history(&filed.id).unwrap().len(), 3);
}

mod recipient_lists {
    use super::*;

    #[test]
    fn full_niks_are_masked_and_residents_see_only_the_list_fields() {
        let p = phone();
        let book = p.book("agen-01");
        let home = p.reporter.address.kelurahan_code.clone();
        let list = book.recipients(&home).unwrap();
        assert_eq!(list.len(), 7);
        assert_eq!(list[0].masked_nik, "527101******0001");
        assert_eq!(list[0].programme, Programme::Pkh);
        assert!(!contains(&p.raw(), b"5271010101900001"));
        // A JSON list replaces the kelurahan's list as a whole.
        let json = format!(
            r#"{{"recipients": [{{"id": "R-1", "kelurahan_code": "{home}", "programme": "Sembako",
                "name": "Baiq Nurul", "nik": "527101******0042", "rt": 3, "rw": 1}}]}}"#
        );
        assert_eq!(book.import_recipients(json.as_bytes()).unwrap(), 1);
        let list = book.recipients(&home).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].programme, Programme::Bpnt);
        assert_eq!(book.recipients(OTHER_KELURAHAN).unwrap().len(), 1);
    }

    #[test]
    fn a_bad_file_is_refused_whole_with_each_row_named() {
        let p = phone();
        let book = p.book("agen-01");
        let home = p.reporter.address.kelurahan_code.clone();
        let csv = format!(
            "recipient_id;kelurahan_code;programme;name;nik;rt;rw\n\
             R-1;{home};PKH;Baiq Nurul;5271010101900001;1;2\n\
             R-1;{home};PKH;Lalu Ahmad;5271010101900002;1;2\n\
             R 3;99.99.99.9999;Beras;;52710101019;0;2\n"
        );
        let found = codes(book.import_recipients(csv.as_bytes()).unwrap_err());
        let fields: Vec<(&str, ErrorCode)> = found.iter().map(|(f, c)| (f.as_str(), *c)).collect();
        assert_eq!(
            fields,
            [
                ("recipients[1].id", ErrorCode::RecipientDuplicate),
                ("recipients[2].id", ErrorCode::RecipientIdInvalid),
                ("recipients[2].kelurahan_code", ErrorCode::KelurahanUnknown),
                (
                    "recipients[2].programme",
                    ErrorCode::RecipientProgrammeUnknown
                ),
                ("recipients[2].name", ErrorCode::NameEmpty),
                ("recipients[2].nik", ErrorCode::RecipientNikInvalid),
                ("recipients[2].rt", ErrorCode::RtRwInvalid),
            ]
        );
        assert_eq!(book.recipients(&home).unwrap().len(), 7, "nothing changed");
        for junk in [&b""[..], b"{", b"\xff\xfe", b"[1,2]", b"id,name\nx,y\n"] {
            let error = book.import_recipients(junk).unwrap_err();
            assert_eq!(
                error.field_errors()[0].code,
                ErrorCode::RecipientFileInvalid,
                "{junk:?}"
            );
        }
    }

    #[test]
    fn masking_accepts_only_full_or_properly_masked_niks() {
        assert_eq!(
            recipients::mask_nik("5271010101900001").as_deref(),
            Some("527101******0001")
        );
        assert_eq!(
            recipients::mask_nik("527101******0001").as_deref(),
            Some("527101******0001")
        );
        for bad in [
            "527101***9990001",
            "52710101019000",
            "52710a0101900001",
            "５２７１０１０１０１９０００１",
        ] {
            assert_eq!(recipients::mask_nik(bad), None, "{bad}");
        }
    }
}

#[test]
fn in_resident_mode_the_resident_files_and_reads_only_this_sanggahan() {
    use crate::session::resident::Scope;
    use crate::session::Agents;
    let p = phone();
    let agents = Agents::new(p.store.clone(), b"keystore", p.clock());
    let session = agents.enroll("agen-01", "482913", &[5; 32]).unwrap();
    let cipher = session.cipher().unwrap();
    let book = SanggahanBook::new(
        p.store.clone(),
        cipher.clone(),
        EvidenceBook::open(p.store.clone(), cipher, p.dir.path().join("evidence")).unwrap(),
        p.clock(),
        &p.device,
    )
    .for_agent("agen-01");
    // The list imported before is readable in the agent's session: it is the phone's.
    assert_eq!(
        book.recipients(&p.reporter.address.kelurahan_code)
            .unwrap()
            .len(),
        7
    );
    let earlier = book.file(&p.filing("R-2"), &p.photos()).unwrap();

    let id = crate::ids::new_id().unwrap();
    let resident = session
        .enter_resident_mode(p.store.clone(), &p.device, Scope::Sanggahan(id.clone()))
        .unwrap();
    let filed = resident
        .file_sanggahan(&book, &p.filing("R-1"), &p.photos())
        .unwrap();
    assert_eq!(filed.id, id);
    assert_eq!(resident.sanggahan(&book).unwrap().summary.id, id);
    assert_ne!(resident.sanggahan(&book).unwrap().summary.id, earlier.id);
    assert!(resident.household().is_err());
    // The same session cannot file a second one under the same id.
    assert_eq!(
        codes(
            resident
                .file_sanggahan(&book, &p.filing("R-3"), &p.photos())
                .unwrap_err()
        ),
        vec![("id".to_owned(), ErrorCode::SanggahanExists)]
    );
    let mut other_agent = p.filing("R-3");
    other_agent.agent_id = "agen-02".to_owned();
    assert_eq!(
        codes(
            resident
                .file_sanggahan(&book, &other_agent, &p.photos())
                .unwrap_err()
        ),
        vec![("agent_id".to_owned(), ErrorCode::SessionOutOfScope)]
    );
}
