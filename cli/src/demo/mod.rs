//! `perlinsos demo`: the whole mission on one machine, in a few minutes. An embedded district
//! server (SQLite in the demo's folder) enrolls two agents' phones for two kelurahan of Kota
//! Mataram and publishes the signed PMT models and the recipient lists; the phones spend a
//! field day offline (registrations with PMT previews, sanggahan with photos, mistakes refused
//! with their Indonesian messages); they come back online through a faulty 3G-shaped link and
//! sync; a district officer decides two sanggahan with the real `perlinsos-server review`
//! while the server keeps serving; the phones sync again. The summary ends with a check that
//! the server holds exactly what the phones sent, and the exit status says whether it holds.
//!
//! Every line a person reads is in Bahasa Indonesia; NIK and KK are shown masked, names never.
mod district;
mod draw;
mod field_day;
mod filing;
mod online;
mod phone;
mod progress;
mod review;
mod summary;
mod text;
mod verify;
mod worklist_day;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use perlinsos_core::identity::wilayah;
use perlinsos_core::sample::KELURAHAN;

use district::District;
use phone::Phone;

/// What `perlinsos demo` was asked for.
pub struct Options {
    pub households: usize,
    pub seed: u64,
    pub dir: Option<PathBuf>,
    pub keep: bool,
}

/// Why the demo stopped before its verification, in words for the person watching.
#[derive(Debug)]
pub struct Stop(pub String);

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<perlinsos_core::Error> for Stop {
    fn from(e: perlinsos_core::Error) -> Stop {
        Stop(e.to_string())
    }
}

impl From<std::io::Error> for Stop {
    fn from(e: std::io::Error) -> Stop {
        Stop(format!("berkas/jaringan: {e}"))
    }
}

impl From<String> for Stop {
    fn from(e: String) -> Stop {
        Stop(e)
    }
}

pub type DemoResult<T> = Result<T, Stop>;

/// The two kelurahan of the demo, both in Kota Mataram (52.71): Ampenan Selatan (kecamatan
/// Ampenan) and Cakranegara Barat (kecamatan Cakranegara).
const AREAS: [(&str, usize); 2] = [("agen-ampenan-01", 0), ("agen-cakranegara-01", 4)];

pub fn run(options: Options) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(3)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("demo: tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(demo(&options)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(stop) => {
            println!("\nVERIFIKASI: GAGAL — demo berhenti sebelum selesai: {stop}");
            ExitCode::FAILURE
        }
    }
}

/// The demo's folder: the one asked for (empty or new), or a new temporary one removed at the
/// end unless the server is kept running.
fn demo_folder(options: &Options) -> DemoResult<(PathBuf, bool)> {
    match &options.dir {
        Some(dir) => {
            if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
                return Err(Stop(format!(
                    "folder {} tidak kosong; pakai folder baru atau kosong",
                    dir.display()
                )));
            }
            std::fs::create_dir_all(dir)?;
            Ok((dir.clone(), false))
        }
        None => {
            let dir = tempfile::Builder::new()
                .prefix("perlinsos-demo-")
                .tempdir()?
                .keep();
            Ok((dir, !options.keep))
        }
    }
}

fn kelurahan_label(code: &str) -> String {
    format!(
        "Kelurahan {} ({code})",
        wilayah::region_name(code).unwrap_or("?")
    )
}

async fn demo(options: &Options) -> DemoResult<bool> {
    let started = Instant::now();
    let (dir, remove_after) = demo_folder(options)?;
    let server_dir = dir.join("server");
    text::heading(&format!(
        "PERLINSOS — demo hari lapangan (seed {}, {} rumah tangga per agen)",
        options.seed, options.households
    ));
    println!("Folder demo: {}", dir.display());

    // 1. The district server and the two agents' phones.
    text::step(1, "Server Dinas Sosial Kota Mataram dinyalakan");
    let district = District::start(&server_dir).await?;
    println!(
        "   Server tertanam mendengarkan di {} (SQLite: {})",
        district.url,
        server_dir.join("server.db").display()
    );
    let mut phones = Vec::new();
    for (agent, index) in AREAS {
        let kelurahan = KELURAHAN[index];
        let ticket = district.enroll_ticket(agent, kelurahan)?;
        let phone = Phone::create(&dir.join("ponsel").join(agent), agent, kelurahan)?;
        println!(
            "   Kode sekali pakai untuk {agent} ({}): {} (QR: server, kode, sidik kunci dinas {}...)",
            kelurahan_label(kelurahan),
            ticket.code,
            &ticket.district_key_sha256[..16]
        );
        phones.push((phone, ticket.payload()));
    }

    // 2. What the district publishes, then enrollment and a first sync at the office.
    text::step(
        2,
        "Dinas menerbitkan model PMT (ditandatangani) dan daftar penerima",
    );
    for (id, version) in district.publish_models()? {
        println!("   Model PMT {id} v{version} ditandatangani kunci dinas dan diterbitkan");
    }
    let kelurahan: Vec<&str> = phones.iter().map(|(p, _)| p.kelurahan.as_str()).collect();
    let lists = district.import_recipients(&kelurahan, options.seed)?;
    for (code, count) in &lists {
        println!(
            "   Daftar penerima {}: {count} penerima",
            kelurahan_label(code)
        );
    }
    println!("   Di kantor dinas (Wi-Fi), ponsel didaftarkan dengan kodenya dan sinkron pertama:");
    let mut enrolled = Vec::new();
    for (phone, code) in phones {
        phone.enroll(&code).await?;
        let models = phone.first_sync().await?;
        println!(
            "   - {}: perangkat {} terdaftar; {models} model PMT terverifikasi, {} penerima di daftar",
            phone.agent_id,
            phone.short_device_id(),
            phone.recipient_count()?
        );
        enrolled.push(phone);
    }
    let phones = enrolled;

    // 3. The field day, offline.
    text::step(
        3,
        "Hari lapangan TANPA SINYAL: pendaftaran, pratinjau PMT, sanggahan",
    );
    let photos = filing::Photos::load()?;
    let mut days = Vec::new();
    for (i, phone) in phones.iter().enumerate() {
        let other = &phones[(i + 1) % phones.len()];
        let day = field_day::run(
            phone,
            i,
            options.households,
            options.seed,
            &other.kelurahan,
            &photos,
        )?;
        days.push(day);
    }

    // 4. Online through a poor 3G link.
    text::step(
        4,
        "Ponsel kembali online lewat jaringan 3G yang buruk dan sinkron",
    );
    println!(
        "   Jaringan: {} kbit/s, jeda bolak-balik {} ms; koneksi diputus, dijawab galat atau dikirim ganda secara acak (seed {})",
        online::LINK.bits_per_second / 1000,
        online::LINK.round_trip_ms,
        options.seed
    );
    let photo_bytes: Vec<u64> = days
        .iter()
        .map(|d| d.photos.iter().map(|p| p.bytes).sum())
        .collect();
    let first = online::sync_all(&phones, &photo_bytes, district.addr, options.seed).await?;
    let duplicates = district.near_duplicates(&days)?;
    summary::cross_duplicates(&phones, &duplicates);

    // 5. The district officer decides, from another process, while the server keeps serving.
    text::step(5, "Petugas dinas memutus sanggahan (server tetap melayani)");
    let decided = review::decide_two(&district, &days).await?;
    println!("   Ponsel sinkron lagi untuk menerima putusan:");
    let second = online::sync_all(&phones, &[], district.addr, options.seed ^ 0x005E_C04D).await?;
    for (phone, day) in phones.iter().zip(&days) {
        summary::statuses(phone, day)?;
    }

    // 6. The worklist cycle: DTSEN families verified, results, an objection to one's own.
    text::step(
        6,
        "Daftar tugas DTSEN: verifikasi keluarga, hasil, dan sanggahan hasil",
    );
    let cycle = worklist_day::run(&district, &phones, options.seed, photos.last_today()).await?;

    // 7. The summary and the check.
    text::step(7, "Ringkasan");
    summary::print(
        &days,
        summary::Rounds {
            first: &first,
            second: &second,
        },
        &duplicates,
        &decided,
    );
    let verdict = verify::check(&district, &phones, &days)?.with(&cycle.checks);
    verdict.print_checks();
    println!(
        "\nWaktu total demo: {}",
        text::seconds(started.elapsed().as_secs_f64())
    );
    if options.keep {
        show_how_to_look(&district, &server_dir)?;
    } else if remove_after {
        district.stop();
        drop(phones);
        let _ = std::fs::remove_dir_all(&dir);
        println!(
            "Folder demo sementara dihapus (--dir DIR menyimpannya, --keep membiarkan server berjalan)."
        );
    }
    verdict.print_line();
    if options.keep {
        tokio::signal::ctrl_c().await?;
        println!("Server dihentikan.");
    }
    Ok(verdict.ok)
}

/// `--keep`: the server stays up until Ctrl-C; how to look at it, with an admin account for
/// its review console.
fn show_how_to_look(district: &District, server_dir: &Path) -> DemoResult<()> {
    let (user, password) = district.add_admin()?;
    println!("Server tetap berjalan (--keep) sampai Ctrl-C:");
    println!(
        "   Konsol peninjauan: {}/review  (pengguna: {user}, kata sandi: {password})",
        district.url
    );
    println!(
        "   Isi server:        perlinsos-server status --data {}",
        server_dir.display()
    );
    println!(
        "   Jejak petugas:     perlinsos-server audit --data {}",
        server_dir.display()
    );
    Ok(())
}
