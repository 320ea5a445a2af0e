//! The demo's worklist cycle: the district imports a synthetic DTSEN extract (a bad one first,
//! refused whole with its lines) and assigns it; the agents download their lists, search them
//! offline and verify families (one moved away, one with a member who died, one family visited
//! by both agents: a conflict the officer settles); results are published, a resident objects
//! to their own result with a photo, the officer decides, and the phones hear every answer.
use std::time::Instant;

use perlinsos_core::date::now_millis;
use perlinsos_core::objections::{
    ObjectionForm, ObjectionPhoto, ObjectionPhotoInput, ObjectionReason,
};
use perlinsos_core::visits::ResidentReceipt;
use perlinsos_core::Date;
use perlinsos_rules::dtsen::visit::{MemberChange, VisitOutcome};
use perlinsos_rules::dtsen::Family;
use perlinsos_server::families::{self, Selection};

use super::phone::{interrupted, Phone};
use super::{kelurahan_label, DemoResult};

/// The kelurahan whose families are on both agents' lists (in both phones' scope).
pub const SHARED: &str = "52.71.02.1001";
const PER_KELURAHAN: usize = 8;

/// What the final check looks at.
pub struct Cycle {
    pub checks: Vec<(bool, String)>,
}

fn place(kelurahan: &str) -> Selection {
    Selection::Place {
        kelurahan_code: kelurahan.to_owned(),
        rw: None,
        rt: None,
    }
}

async fn sync(phone: &Phone) -> DemoResult<perlinsos_core::sync::Report> {
    phone.syncer()?.sync().await.map_err(interrupted)
}

fn visit(
    phone: &Phone,
    family: &Family,
    outcome: VisitOutcome,
    died: bool,
) -> DemoResult<ResidentReceipt> {
    let visits = phone.visits()?;
    let mut draft = visits.start(&family.id)?;
    if outcome == VisitOutcome::Ditemukan {
        perlinsos_core::sample::answer_found(&mut draft, now_millis());
        if died {
            if let Some(c) = draft
                .corrections
                .iter_mut()
                .find(|c| c.change == MemberChange::PindahKeluar)
            {
                c.change = MemberChange::Meninggal;
                c.reason = "Meninggal dunia, Oktober 2026 (surat kematian dari desa)".into();
            }
        }
    } else {
        draft.outcome = Some(outcome);
        draft.note =
            "Menurut tetangga dan kepala lingkungan, keluarga pindah ke Lombok Tengah.".into();
    }
    visits.save(&draft)?;
    Ok(visits.submit(&draft.id)?)
}

pub async fn run(
    district: &super::district::District,
    phones: &[Phone],
    seed: u64,
    photo: &[u8],
) -> DemoResult<Cycle> {
    let mut checks = Vec::new();
    let today = Date::of_unix_millis(now_millis());
    let places: Vec<&str> = phones
        .iter()
        .map(|p| p.kelurahan.as_str())
        .chain(std::iter::once(SHARED))
        .collect();
    let all = perlinsos_core::sample::families(
        seed ^ 0xD75E,
        PER_KELURAHAN * places.len(),
        &places,
        today,
    );

    // A first file with a broken row: refused whole, nothing stored.
    let mut broken = all.clone();
    broken[3].members[0].nik = "52710112".into();
    let csv = perlinsos_rules::dtsen::extract::write(&broken);
    match families::import(&district.state, csv.as_bytes(), "operator.demo") {
        Err(refused) => {
            let text = refused.to_string();
            println!("   Berkas DTSEN pertama ditolak seluruhnya:");
            for line in text.lines().take(3) {
                println!("     {line}");
            }
        }
        Ok(_) => checks.push((false, "berkas DTSEN yang rusak ikut diimpor".into())),
    }
    let csv = perlinsos_rules::dtsen::extract::write(&all);
    let imported = families::import(&district.state, csv.as_bytes(), "operator.demo")
        .map_err(|e| e.to_string())?;
    let members: usize = all.iter().map(|f| f.members.len()).sum();
    println!(
        "   Ekstrak DTSEN diimpor: {} keluarga, {members} anggota (setiap baris diperiksa; NIK/KK sebagai indeks buta, data tersegel)",
        imported.added
    );
    // The households registered earlier today are checked against the extract by the server:
    // those whose KK and NIKs are in no DTSEN family are usulan baru (proposals).
    let (registered, _) = perlinsos_server::registrations::list(
        &district.state,
        None,
        None,
        &perlinsos_server::console::accounts::Scope::All,
    )
    .map_err(|e| format!("server: {}", e.0))?;
    let proposed = registered
        .iter()
        .filter(|h| h.dtsen_family_id.is_none())
        .count();
    println!(
        "   Usulan baru: {proposed} dari {} rumah tangga yang didaftarkan tadi tidak ada di DTSEN (diputuskan server dari datanya sendiri; tercantum di ekspor SIKS-NG)",
        registered.len()
    );
    for phone in phones {
        for kelurahan in [phone.kelurahan.as_str(), SHARED] {
            families::assign(
                &district.state,
                "operator.demo",
                &phone.agent_id,
                &place(kelurahan),
            )?;
        }
    }
    println!(
        "   Penugasan: tiap agen mendapat keluarga kelurahannya, dan keduanya {} (diaudit)",
        kelurahan_label(SHARED)
    );
    for phone in phones {
        let started = Instant::now();
        sync(phone).await?;
        println!(
            "   {}: daftar tugas {} keluarga diterima (delta bertanda tangan dinas) dalam {:.1} s",
            phone.agent_id,
            phone.worklist()?.count()?,
            started.elapsed().as_secs_f64()
        );
    }

    // Offline: search, then the visits.
    println!("   TANPA SINYAL: pencarian di ponsel dan kunjungan verifikasi");
    let (a, b) = (&phones[0], &phones[1]);
    let mine: Vec<&Family> = all
        .iter()
        .filter(|f| f.kelurahan_code == a.kelurahan)
        .collect();
    let shared: Vec<&Family> = all.iter().filter(|f| f.kelurahan_code == SHARED).collect();
    let target = mine
        .iter()
        .find(|f| f.members.len() >= 3)
        .copied()
        .unwrap_or(mine[0]);
    let list = a.worklist()?;
    let t = Instant::now();
    let by_nik = list.find_number(&target.members[1].nik)?;
    let nik_ms = t.elapsed().as_secs_f64() * 1000.0;
    let word = perlinsos_rules::dtsen::search::words(&target.members[0].name)
        .into_iter()
        .find(|w| w.chars().count() >= 3)
        .unwrap_or_default();
    let typed: String = word.chars().take(3).collect();
    let t = Instant::now();
    let by_name = list.find_name(&typed, 20)?;
    let name_ms = t.elapsed().as_secs_f64() * 1000.0;
    println!(
        "   {}: cari NIK {} → {} keluarga ({nik_ms:.1} ms); cari nama \"{typed}\" → {} keluarga ({name_ms:.1} ms)",
        a.agent_id,
        super::text::masked(&target.members[1].nik),
        by_nik.len(),
        by_name.len()
    );
    checks.push((
        by_nik.first().is_some_and(|e| e.family_id == target.id)
            && by_name.iter().any(|e| e.family_id == target.id),
        "pencarian NIK dan awalan nama menemukan keluarganya".into(),
    ));
    let died = visit(a, target, VisitOutcome::Ditemukan, true)?;
    let moved_family = mine
        .iter()
        .find(|f| f.id != target.id)
        .copied()
        .unwrap_or(mine[0]);
    let moved = visit(a, moved_family, VisitOutcome::Pindah, false)?;
    let shared_family = shared[0];
    let first = visit(a, shared_family, VisitOutcome::Ditemukan, false)?;
    let second = visit(b, shared_family, VisitOutcome::Ditemukan, false)?;
    println!(
        "   {}: keluarga {} ditemukan, satu anggota meninggal, bayi lahir (tanda terima {}); keluarga {} pindah (tanda terima {})",
        a.agent_id, target.id, died.code, moved_family.id, moved.code
    );
    println!(
        "   Keluarga {} dikunjungi KEDUA agen: tanda terima {} dan {}",
        shared_family.id, first.code, second.code
    );
    for phone in phones {
        sync(phone).await?;
    }
    let conflicts = district
        .state
        .db
        .read(|tx| perlinsos_server::visits::conflicts(tx, None))
        .map_err(|e| e.0)?;
    println!(
        "   Server: {} kunjungan berkonflik ditandai (keduanya disimpan)",
        conflicts.len()
    );
    checks.push((
        conflicts.len() == 2,
        "dua kunjungan satu keluarga ditandai konflik".into(),
    ));
    perlinsos_server::visits::resolve(
        &district.state,
        "petugas.demo",
        &second.record_id,
        "Kunjungan agen kedua lebih lengkap (foto KK terbaru)",
    )
    .map_err(|e| e.to_string())?;
    println!(
        "   Petugas memilih kunjungan {} dan mencatat alasannya",
        b.agent_id
    );
    let checked = perlinsos_server::receipts::check(&district.state, &died.code)
        .map_err(|e| e.message().to_owned())?;
    println!(
        "   Petugas memeriksa tanda terima {} warga: SAH, kunjungan {} ({})",
        died.code,
        super::district::short(&checked[0].record_id),
        checked[0].status.as_deref().unwrap_or("-")
    );

    // Results and the resident's objection.
    let mut results_csv = String::from("family_id,hasil,desil,programmes,alasan\n");
    for (i, f) in mine.iter().enumerate() {
        let (hasil, desil, programmes) = if i % 2 == 0 {
            ("layak", 2, "PKH|BPNT")
        } else {
            ("tidak_layak", 6, "")
        };
        results_csv += &format!(
            "{},{hasil},{desil},{programmes},Pemeringkatan DTSEN Desember 2026\n",
            f.id
        );
    }
    let results = perlinsos_server::results::parse(results_csv.as_bytes(), now_millis(), 30)
        .map_err(|e| e.join("; "))?;
    perlinsos_server::results::publish(&district.state, "operator.demo", &results)?;
    println!(
        "   Dinas mengumumkan hasil {} keluarga (masa sanggahan 30 hari)",
        results.len()
    );
    for phone in phones {
        sync(phone).await?;
    }
    let objector = mine
        .iter()
        .enumerate()
        .find(|(i, _)| i % 2 == 1)
        .map(|(_, f)| *f)
        .unwrap_or(mine[0]);
    let result = a
        .worklist()?
        .result(&objector.id)?
        .ok_or_else(|| "hasil tidak sampai ke ponsel".to_owned())?;
    println!(
        "   Di mode warga, keluarga {} membaca hasilnya sendiri:",
        objector.id
    );
    let deadline_day = Date::of_unix_millis(result.objection_deadline + 8 * 3_600_000 - 1);
    for line in result.explain(now_millis(), deadline_day) {
        println!(
            "     {}",
            super::text::wrapped(&line, "     ", 92).trim_start()
        );
    }
    let receipt = a.objections()?.file(
        &ObjectionForm {
            family_id: objector.id.clone(),
            objector_nik: objector.members[0].nik.clone(),
            reason: ObjectionReason::KondisiBerubah,
            statement: "Suami sakit sejak Agustus dan tidak bisa bekerja; kami belum punya penghasilan tetap.".into(),
        },
        &[ObjectionPhotoInput {
            bytes: photo,
            shows: ObjectionPhoto::Rumah,
            captured_at: now_millis(),
            gps: None,
        }],
    )?;
    println!(
        "   Warga mengajukan sanggahan hasil dengan foto rumah; tanda terima {}",
        receipt.code
    );
    sync(a).await?;
    perlinsos_server::objections::decide(
        &district.state,
        "petugas.demo",
        &receipt.record_id,
        true,
        "Keluarga akan diverifikasi ulang oleh petugas minggu depan.",
    )
    .map_err(|e| format!("{e:?}"))?;
    for phone in phones {
        sync(phone).await?;
    }
    let objection = a.objections()?.of_family(&objector.id)?;
    let answered = objection
        .first()
        .map(|o| o.status.clone())
        .unwrap_or_default();
    println!(
        "   Putusan sampai di ponsel: {answered} — \"{}\"",
        objection
            .first()
            .and_then(|o| o.reason.clone())
            .unwrap_or_default()
    );
    checks.push((
        answered == perlinsos_core::objections::GRANTED,
        "putusan sanggahan hasil sampai di ponsel".into(),
    ));
    let statuses: Vec<(String, String)> = phones
        .iter()
        .flat_map(|p| {
            p.visits()
                .and_then(|v| Ok(v.visits()?))
                .unwrap_or_default()
                .into_iter()
                .map(|v| (v.id, v.status))
        })
        .collect();
    let status_of = |id: &str| {
        statuses
            .iter()
            .find(|(v, _)| v == id)
            .map(|(_, s)| s.as_str())
            .unwrap_or("")
    };
    let settled = status_of(&first.record_id) == perlinsos_core::visits::SUPERSEDED
        && status_of(&second.record_id) == perlinsos_core::visits::ACCEPTED
        && status_of(&died.record_id) == perlinsos_core::visits::ACCEPTED;
    println!(
        "   Status kunjungan di ponsel: {} → {}, {} → {}",
        a.agent_id,
        status_of(&first.record_id),
        b.agent_id,
        status_of(&second.record_id)
    );
    checks.push((
        settled,
        "kedua ponsel menerima putusan konflik kunjungan".into(),
    ));
    // The worklists at rest: no NIK, KK or full name of a listed family in clear on a phone.
    for phone in phones {
        let mut bytes = Vec::new();
        for file in phone.database_files() {
            bytes.extend(std::fs::read(file).unwrap_or_default());
        }
        let values: Vec<&str> = all
            .iter()
            .filter(|f| f.kelurahan_code == phone.kelurahan || f.kelurahan_code == SHARED)
            .flat_map(|f| {
                std::iter::once(f.kk.as_str()).chain(
                    f.members
                        .iter()
                        .flat_map(|m| [m.nik.as_str(), m.name.as_str()]),
                )
            })
            .collect();
        let found = values
            .iter()
            .filter(|v| memchr::memmem::find(&bytes, v.as_bytes()).is_some())
            .count();
        checks.push((
            found == 0,
            format!(
                "{}: {found} dari {} NIK, KK dan nama daftar tugas tanpa enkripsi di ponsel",
                phone.agent_id,
                values.len()
            ),
        ));
    }
    Ok(Cycle { checks })
}
