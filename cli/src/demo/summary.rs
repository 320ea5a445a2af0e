//! What the demo prints at the end: registrations, the desil spread of the previews,
//! sanggahan, photos before and after normalization, and what sync cost on the wire.
use perlinsos_core::identity::wilayah;
use perlinsos_core::registration::IkdStatus;
use perlinsos_core::sanggahan::Status;

use super::district::{short, CrossDuplicate};
use super::field_day::AgentDay;
use super::online::LinkReport;
use super::phone::Phone;
use super::review::Decided;
use super::text::{self, count};
use super::DemoResult;

fn agent_of<'a>(phones: &'a [Phone], device_id: &str) -> &'a str {
    phones
        .iter()
        .find(|p| p.device.id == device_id)
        .map(|p| p.agent_id.as_str())
        .unwrap_or("?")
}

/// The server's flags on photos that another phone also sent.
pub fn cross_duplicates(phones: &[Phone], found: &[CrossDuplicate]) {
    for dup in found {
        println!(
            "   ⚑ Server: foto sanggahan {} ({}) sama dengan bukti sanggahan {} dari ponsel lain ({}), beda {} bit dari 64: ditandai di konsol /review",
            short(&dup.sanggahan_id),
            agent_of(phones, &dup.device_id),
            short(&dup.other_record),
            agent_of(phones, &dup.other_device),
            dup.distance
        );
    }
}

/// Each sanggahan's status on the phone after the second sync, as the resident reads it.
pub fn statuses(phone: &Phone, day: &AgentDay) -> DemoResult<()> {
    let book = phone.sanggahan()?;
    for filed in &day.filed {
        let status = book.get(&filed.id)?.summary.status;
        let mut line = format!(
            "   {}: sanggahan {} terhadap {} → {}",
            phone.agent_id,
            short(&filed.id),
            filed.recipient_id,
            status.label()
        );
        if status == Status::Ditolak {
            if let Some(reason) = book
                .history(&filed.id)?
                .into_iter()
                .rev()
                .find_map(|t| t.reason)
            {
                line += &format!(" — alasan: {reason}");
            }
        }
        println!("{line}");
    }
    Ok(())
}

fn place(code: &str) -> String {
    wilayah::region_name(code).unwrap_or(code).to_owned()
}

fn registrations(days: &[AgentDay]) {
    println!("\n   Pendaftaran (luring)");
    let mut rows: Vec<Vec<String>> = days
        .iter()
        .map(|d| {
            vec![
                d.agent_id.clone(),
                place(&d.kelurahan),
                d.households.to_string(),
                d.members.to_string(),
                d.adults.to_string(),
                text::seconds(d.seconds),
            ]
        })
        .collect();
    let sum = |f: fn(&AgentDay) -> usize| days.iter().map(f).sum::<usize>();
    rows.push(vec![
        "Jumlah".into(),
        String::new(),
        sum(|d| d.households).to_string(),
        sum(|d| d.members).to_string(),
        sum(|d| d.adults).to_string(),
        String::new(),
    ]);
    println!(
        "{}",
        text::table(
            &[
                "Agen",
                "Kelurahan",
                "Rumah tangga",
                "Anggota",
                "Dewasa",
                "Waktu"
            ],
            rows,
            2
        )
    );
    let ikd: Vec<String> = IkdStatus::ALL
        .iter()
        .enumerate()
        .map(|(i, status)| {
            let n: usize = days.iter().map(|d| d.ikd[i]).sum();
            format!("{}: {n}", status.label())
        })
        .collect();
    println!("   IKD orang dewasa: {}", ikd.join("; "));
}

fn desil(days: &[AgentDay]) {
    let models: Vec<&str> = days.iter().map(|d| d.model.as_str()).collect();
    println!(
        "\n   Sebaran desil pratinjau PMT ({}) — pratinjau, bukan peringkat resmi BPS",
        models[0]
    );
    let total: usize = days.iter().map(|d| d.desil.iter().sum::<usize>()).sum();
    let mut header: Vec<String> = vec!["Desil".into()];
    header.extend(days.iter().map(|d| place(&d.kelurahan)));
    header.push("Jumlah".into());
    header.push(String::new());
    let rows = (0..10)
        .map(|i| {
            let row: usize = days.iter().map(|d| d.desil[i]).sum();
            let width = (row * 40).checked_div(total).unwrap_or(0);
            let mut cells = vec![(i + 1).to_string()];
            cells.extend(days.iter().map(|d| d.desil[i].to_string()));
            cells.push(row.to_string());
            cells.push("#".repeat(width));
            cells
        })
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    println!("{}", text::table(&header, rows, 1));
    let scorecards: usize = days.iter().map(|d| d.scorecards).sum();
    if scorecards > 0 {
        println!("   (+{scorecards} pratinjau dari model skor kartu, tanpa desil)");
    }
}

fn sanggahan(days: &[AgentDay], dups: &[CrossDuplicate], decided: &[Decided]) {
    let filed: usize = days.iter().map(|d| d.filed.len()).sum();
    let reused: usize = days
        .iter()
        .flat_map(|d| &d.filed)
        .filter(|f| f.reused > 0)
        .count();
    println!("\n   Sanggahan");
    println!("   Diajukan dan dikirim: {filed}");
    for d in days {
        for (what, messages) in d.refused_registrations.iter().chain(&d.refused_sanggahan) {
            let codes: Vec<&str> = messages
                .iter()
                .filter_map(|m| m.strip_prefix('[')?.split(']').next())
                .collect();
            println!(
                "   Ditolak ponsel ({}): {what} [{}]",
                d.agent_id,
                codes.join(", ")
            );
        }
    }
    println!("   Foto dipakai ulang, ditandai ponsel: {reused}");
    println!(
        "   Foto sama lintas ponsel, ditandai server: {}",
        dups.len()
    );
    for d in decided {
        println!(
            "   Diputus dinas: {} ({}) {}",
            short(&d.id),
            d.agent_id,
            d.decision
        );
    }
}

fn photos(days: &[AgentDay]) {
    println!("\n   Foto bukti: dari kamera → setelah normalisasi (tegak, sisi panjang 1600, JPEG q80, tanpa metadata)");
    let mut seen: Vec<&str> = Vec::new();
    let (mut before, mut after) = (0u64, 0u64);
    let mut rows = Vec::new();
    for p in days.iter().flat_map(|d| &d.photos) {
        if seen.contains(&p.sha256.as_str()) {
            continue;
        }
        seen.push(&p.sha256);
        before += p.source_bytes;
        after += p.bytes;
        rows.push(vec![
            p.file.to_string(),
            format!("{} B", count(p.source_bytes)),
            format!("{} B", count(p.bytes)),
            format!("{}×{}", p.width, p.height),
            format!("{}…", &p.sha256[..12]),
        ]);
    }
    if before > 0 {
        rows.push(vec![
            "Jumlah".into(),
            format!("{} B", count(before)),
            format!("{} B", count(after)),
            text::percent(after as f64 / before as f64),
            String::new(),
        ]);
        println!(
            "{}",
            text::table(
                &["Foto", "Dari kamera", "Disimpan", "Ukuran", "SHA-256"],
                rows,
                1
            )
        );
    }
}

fn links(title: &str, reports: &[LinkReport]) {
    println!("\n   {title}");
    let rows = reports
        .iter()
        .map(|r| {
            vec![
                r.agent_id.clone(),
                text::seconds(r.seconds),
                r.passes.to_string(),
                r.retries.to_string(),
                r.faults.to_string(),
                r.connections.to_string(),
                text::bytes(r.bytes_up),
                text::bytes(r.bytes_down),
            ]
        })
        .collect();
    println!(
        "{}",
        text::table(
            &[
                "Agen",
                "Waktu",
                "Lintasan",
                "Ulang",
                "Gangguan",
                "Koneksi",
                "↑ kabel",
                "↓ kabel"
            ],
            rows,
            1
        )
    );
}

pub struct Rounds<'a> {
    pub first: &'a [LinkReport],
    pub second: &'a [LinkReport],
}

pub fn print(days: &[AgentDay], rounds: Rounds<'_>, dups: &[CrossDuplicate], decided: &[Decided]) {
    registrations(days);
    desil(days);
    sanggahan(days, dups, decided);
    photos(days);
    links(
        "Sinkron 1 lewat 3G buruk (data hari lapangan)",
        rounds.first,
    );
    links("Sinkron 2 lewat 3G buruk (putusan dinas)", rounds.second);
    println!(
        "   Lintasan = putaran sinkron; Ulang = putaran terputus lalu diulang setelah jeda; \
         Gangguan = koneksi diputus, dijawab galat atau dikirim ganda oleh jaringan; \
         kabel = byte TCP, termasuk header HTTP."
    );
}
