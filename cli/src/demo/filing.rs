//! The residents' sanggahan on a field day: against recipients of their own kelurahan's list,
//! with photos of the recipient's house. The script reuses a photo on one phone (the phone
//! flags it) and sends one photo from both phones (the server flags it); then a sanggahan the
//! phone must refuse: a resident of another kelurahan, or a photo older than 30 days.
use perlinsos_core::date::now_millis;
use perlinsos_core::evidence::Gps;
use perlinsos_core::sample::{photo_taken_on, Rng, SampleHousehold};
use perlinsos_core::sanggahan::{
    Filing, FilingPhoto, PhotoRole, Reason, Reporter, SanggahanBook, Summary,
};
use perlinsos_core::{Date, Error};

use super::district::{recipient_id, short};
use super::field_day::AgentDay;
use super::phone::Phone;
use super::text::{self, masked};
use super::{kelurahan_label, DemoResult, Stop};

const PHOTO_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/data/photos");
const PHOTO_FILES: [&str; 3] = ["cam1_kleiber_o6.jpg", "cam2_wood.jpg", "cam3_ladybird.jpg"];

/// The sample camera photos, their EXIF date moved to today (evidence must be recent).
pub struct Photos {
    today: Vec<Vec<u8>>,
    originals: Vec<Vec<u8>>,
}

impl Photos {
    pub fn load() -> DemoResult<Photos> {
        let today = Date::of_unix_millis(now_millis());
        let mut originals = Vec::new();
        for file in PHOTO_FILES {
            let path = std::path::Path::new(PHOTO_DIR).join(file);
            originals.push(
                std::fs::read(&path).map_err(|e| {
                    Stop(format!("foto contoh {} tidak terbaca: {e}", path.display()))
                })?,
            );
        }
        Ok(Photos {
            today: originals.iter().map(|o| photo_taken_on(o, today)).collect(),
            originals,
        })
    }

    /// The last sample photo, dated today.
    pub fn last_today(&self) -> &[u8] {
        self.today.last().map(Vec::as_slice).unwrap_or_default()
    }

    /// Photo `i` as if the camera took it `days` ago.
    fn taken_days_ago(&self, i: usize, days: i64) -> Vec<u8> {
        let day = Date::from_days_since_epoch(
            Date::of_unix_millis(now_millis()).days_since_epoch() - days,
        );
        photo_taken_on(&self.originals[i], day)
    }
}

/// A sanggahan the phone took.
pub struct Filed {
    pub id: String,
    pub recipient_id: String,
    /// Photos flagged as already used for another sanggahan on this phone.
    pub reused: usize,
}

/// One normalized photo: the camera's file and what the phone keeps.
pub struct PhotoStat {
    pub file: &'static str,
    pub source_bytes: u64,
    pub bytes: u64,
    pub width: u32,
    pub height: u32,
    pub sha256: String,
}

/// A sanggahan the day's script files: the listed recipient, the photos, why.
struct Planned {
    recipient: usize,
    photos: &'static [usize],
    reason: Reason,
    statement: &'static str,
}

const STATEMENTS: [(Reason, &str); 3] = [
    (
        Reason::Mampu,
        "Rumahnya bertingkat dua dan keluarga ini membeli mobil baru tahun ini.",
    ),
    (
        Reason::Pindah,
        "Keluarga penerima sudah pindah ke Lombok Tengah sejak awal tahun; rumahnya kosong.",
    ),
    (
        Reason::Mampu,
        "Penerima membuka toko bangunan besar di depan rumahnya dan punya dua truk.",
    ),
];

/// The first phone reuses one photo (the phone flags it); the second sends a photo the first
/// also sent (the server flags it across phones).
fn plan(phone_index: usize) -> Vec<Planned> {
    let planned = |recipient, photos, statement: usize| Planned {
        recipient,
        photos,
        reason: STATEMENTS[statement].0,
        statement: STATEMENTS[statement].1,
    };
    if phone_index == 0 {
        vec![
            planned(0, &[0], 0),
            planned(1, &[1], 1),
            planned(2, &[0], 2),
        ]
    } else {
        vec![planned(0, &[2], 0), planned(1, &[1], 2)]
    }
}

/// A resident of a kelurahan: the head of a household there.
pub fn reporter(sample: &SampleHousehold) -> Reporter {
    Reporter {
        nik: sample.members[0].nik.clone(),
        full_name: sample.members[0].full_name.clone(),
        address: sample.household.address.clone(),
    }
}

/// The recipient's house, somewhere in Kota Mataram; the phone's location at capture.
fn house_location(rng: &mut Rng) -> Gps {
    Gps {
        latitude: -8.57 - rng.below(300) as f64 / 10_000.0,
        longitude: 116.08 + rng.below(600) as f64 / 10_000.0,
    }
}

fn file(
    book: &SanggahanBook,
    agent_id: &str,
    reporter: Reporter,
    recipient_id: String,
    (reason, statement): (Reason, &str),
    photos: &[Vec<u8>],
    rng: &mut Rng,
) -> perlinsos_core::Result<Summary> {
    let now = now_millis();
    let photos: Vec<FilingPhoto<'_>> = photos
        .iter()
        .map(|bytes| FilingPhoto {
            bytes,
            role: PhotoRole::RumahPenerima,
            captured_at: now,
            gps: Some(house_location(rng)),
        })
        .collect();
    book.file(
        &Filing {
            id: None,
            agent_id: agent_id.to_owned(),
            recipient_id,
            reporter,
            reason,
            statement: statement.to_owned(),
        },
        &photos,
    )
}

/// The sanggahan of the script on the `index`-th phone, by the `reporters` (residents whose
/// households were registered), then the one the phone must refuse: on the first phone by the
/// `outsider`, a resident of another kelurahan.
pub fn file_day(
    phone: &Phone,
    index: usize,
    reporters: &[Reporter],
    outsider: &SampleHousehold,
    photos: &Photos,
    rng: &mut Rng,
    day: &mut AgentDay,
) -> DemoResult<()> {
    let book = phone.sanggahan()?;
    for (j, planned) in plan(index).iter().enumerate() {
        let filed = file(
            &book,
            &phone.agent_id,
            reporters[j % reporters.len()].clone(),
            recipient_id(&phone.kelurahan, planned.recipient),
            (planned.reason, planned.statement),
            &planned
                .photos
                .iter()
                .map(|&p| photos.today[p].clone())
                .collect::<Vec<_>>(),
            rng,
        )?;
        let mut line = format!(
            "   Sanggahan {} diajukan warga terhadap penerima {} ({}; foto {})",
            short(&filed.id),
            filed.recipient_id,
            planned.reason.label().to_lowercase(),
            planned
                .photos
                .iter()
                .map(|&p| PHOTO_FILES[p])
                .collect::<Vec<_>>()
                .join(", ")
        );
        for reused in &filed.reused_photos {
            line += &format!(
                "\n     ⚑ Foto sama dengan bukti sanggahan {} di ponsel ini (beda {} bit dari 64): ditandai",
                short(&reused.other_sanggahan_id),
                reused.distance
            );
        }
        println!("{line}");
        for (record, &p) in book
            .evidence()
            .for_record("sanggahan", &filed.id)?
            .iter()
            .zip(planned.photos)
        {
            if !day.photos.iter().any(|s| s.sha256 == record.sha256) {
                day.photos.push(PhotoStat {
                    file: PHOTO_FILES[p],
                    source_bytes: record.source_bytes,
                    bytes: record.bytes,
                    width: record.width,
                    height: record.height,
                    sha256: record.sha256.clone(),
                });
            }
        }
        day.filed.push(Filed {
            id: filed.id,
            recipient_id: filed.recipient_id,
            reused: filed.reused_photos.len(),
        });
    }

    // The mistakes: a resident of another kelurahan, and a photo from last month's gallery.
    let attempt = if index == 0 {
        (
            format!(
                "Sanggahan oleh warga {} (NIK {}) terhadap penerima di kelurahan ini",
                kelurahan_label(&outsider.household.address.kelurahan_code),
                masked(&outsider.members[0].nik)
            ),
            reporter(outsider),
            photos.today[1].clone(),
        )
    } else {
        (
            "Sanggahan dengan foto rumah dari galeri, diambil 45 hari lalu".to_owned(),
            reporters[0].clone(),
            photos.taken_days_ago(2, 45),
        )
    };
    let (what, reporter, photo) = attempt;
    match file(
        &book,
        &phone.agent_id,
        reporter,
        recipient_id(&phone.kelurahan, 3),
        STATEMENTS[0],
        &[photo],
        rng,
    ) {
        Err(e @ Error::Invalid(_)) => {
            println!("   Ditolak ponsel: {what}");
            let messages = text::refusal(&e);
            for message in &messages {
                println!("     → {message}");
            }
            day.refused_sanggahan.push((what, messages));
        }
        Err(e) => return Err(e.into()),
        Ok(_) => return Err(Stop("sanggahan yang salah ternyata diterima ponsel".into())),
    }
    Ok(())
}
