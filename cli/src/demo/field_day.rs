//! A field day without signal: an agent visits households of their kelurahan, registers each
//! one (household, members, consent, IKD of every adult, the PMT questionnaire and its preview),
//! and residents file sanggahan with photos of a recipient's house (`filing`). Some entries are
//! wrong on purpose and the phone refuses them with its Indonesian messages.
use std::time::Instant;

use perlinsos_core::date::now_millis;
use perlinsos_core::identity::Sex;
use perlinsos_core::pmt::model::Model;
use perlinsos_core::pmt::{self, Preview};
use perlinsos_core::registration::{validate, Consent, IkdStatus, MemberInput, Registry};
use perlinsos_core::sample::{Generator, Rng, SampleHousehold};
use perlinsos_core::{sync, Date, Error};

use super::draw;
use super::filing::{self, Filed, PhotoStat, Photos};
use super::phone::Phone;
use super::text::{self, masked};
use super::{kelurahan_label, DemoResult, Stop};

/// What one agent did during the day.
pub struct AgentDay {
    pub agent_id: String,
    pub kelurahan: String,
    pub model: String,
    pub households: usize,
    pub members: usize,
    pub adults: usize,
    /// Adults by IKD status, in the order of `IkdStatus::ALL`.
    pub ikd: [usize; 4],
    /// Log-linear previews by desil 1..10.
    pub desil: [usize; 10],
    /// Previews from a scorecard model (no desil), when that was the active model.
    pub scorecards: usize,
    pub filed: Vec<Filed>,
    /// Entries the phone refused: what was tried, and its messages.
    pub refused_registrations: Vec<(String, Vec<String>)>,
    pub refused_sanggahan: Vec<(String, Vec<String>)>,
    pub photos: Vec<PhotoStat>,
    /// Every NIK and name the agent typed, to look for in the phone's files afterwards.
    pub personal: Vec<String>,
    pub seconds: f64,
}

/// A mistake the agent makes while typing a member, refused by the phone, then corrected.
#[derive(Clone, Copy)]
enum Mistake {
    /// The birth date one day off the date the NIK encodes.
    BirthDate,
    /// The other sex than the NIK's day of birth encodes.
    Sex,
}

impl Mistake {
    fn apply(self, member: &MemberInput) -> MemberInput {
        let mut wrong = member.clone();
        match self {
            Mistake::BirthDate => {
                wrong.birth_date =
                    Date::from_days_since_epoch(member.birth_date.days_since_epoch() + 1);
            }
            Mistake::Sex => {
                wrong.sex = if member.sex == Sex::L { Sex::P } else { Sex::L };
            }
        }
        wrong
    }

    fn describe(self, nik: &str) -> String {
        match self {
            Mistake::BirthDate => format!(
                "Tanggal lahir kepala keluarga salah ketik satu hari (NIK {})",
                masked(nik)
            ),
            Mistake::Sex => format!(
                "Jenis kelamin kepala keluarga salah pilih (NIK {})",
                masked(nik)
            ),
        }
    }
}

struct Registered {
    preview: Preview,
    ikd: Vec<IkdStatus>,
}

/// Walks the whole assisted flow for one household, a draft saved at every step.
fn register(
    registry: &Registry,
    model: &Model,
    sample: &SampleHousehold,
    rng: &mut Rng,
    mistake: Option<Mistake>,
    day: &mut AgentDay,
) -> DemoResult<Registered> {
    let draft = registry.start_draft(sample.visit.clone())?;
    registry.set_household(&draft, sample.household.clone())?;
    let mut ids = Vec::new();
    for (i, member) in sample.members.iter().enumerate() {
        if let (0, Some(mistake)) = (i, mistake) {
            match registry.put_member(&draft, None, mistake.apply(member)) {
                Err(e @ Error::Invalid(_)) => day
                    .refused_registrations
                    .push((mistake.describe(&member.nik), text::refusal(&e))),
                Err(e) => return Err(e.into()),
                Ok(_) => return Err(Stop("data salah ternyata diterima ponsel".into())),
            }
        }
        ids.push(registry.put_member(&draft, None, member.clone())?);
    }
    registry.set_consent(
        &draft,
        Consent {
            given_by: ids[0].clone(),
            given_at: now_millis(),
            notice_version: "PDP-2026.1".to_owned(),
        },
    )?;
    let visit_day = Date::of_unix_millis(sample.visit.started_at);
    let mut ikd = Vec::new();
    for (id, member) in ids.iter().zip(&sample.members) {
        if validate::is_adult(member, visit_day) {
            let status = draw::ikd(rng);
            registry.set_ikd(&draft, id, status)?;
            ikd.push(status);
        }
    }
    let preview = registry.set_pmt(&draft, model, draw::answers(model, rng))?;
    registry.submit(&draft)?;
    Ok(Registered { preview, ikd })
}

fn show_example(sample: &SampleHousehold, registered: &Registered) {
    let adults_ikd: Vec<&str> = registered.ikd.iter().map(|s| s.label()).collect();
    println!(
        "   Contoh kunjungan: KK {}, {} anggota, RT {:02}/RW {:02}; persetujuan dari kepala keluarga; IKD orang dewasa: {}",
        masked(&sample.household.kk),
        sample.members.len(),
        sample.household.address.rt,
        sample.household.address.rw,
        adults_ikd.join("; ")
    );
    let explanation = match &registered.preview {
        Preview::LogLinear { explanation, .. } | Preview::Scorecard { explanation, .. } => {
            explanation
        }
    };
    println!("   Pratinjau PMT yang dibaca warga:");
    println!("{}", text::wrapped(explanation, "     │ ", 92));
}

/// The agent's whole day on `phone` (the `index`-th phone): `households` registrations, then
/// the sanggahan of the script, the mistakes among them refused.
pub fn run(
    phone: &Phone,
    index: usize,
    households: usize,
    seed: u64,
    other_kelurahan: &str,
    photos: &Photos,
) -> DemoResult<AgentDay> {
    let started = Instant::now();
    let today = Date::of_unix_millis(now_millis());
    let models = sync::received_models(&phone.store)?;
    let model = pmt::signed::select_active(&models, &phone.kelurahan, today)?;
    let mut day = AgentDay {
        agent_id: phone.agent_id.clone(),
        kelurahan: phone.kelurahan.clone(),
        model: format!("{} v{}", model.id, model.version),
        households: 0,
        members: 0,
        adults: 0,
        ikd: [0; 4],
        desil: [0; 10],
        scorecards: 0,
        filed: Vec::new(),
        refused_registrations: Vec::new(),
        refused_sanggahan: Vec::new(),
        photos: Vec::new(),
        personal: Vec::new(),
        seconds: 0.0,
    };
    println!(
        "\n   {} — {} (model PMT aktif: {})",
        phone.agent_id,
        kelurahan_label(&phone.kelurahan),
        day.model
    );
    let mut generator = Generator::new(seed.wrapping_mul(0x9E37).wrapping_add(index as u64), today);
    let mut rng = Rng::new(seed ^ (0xF1E1_D000 + index as u64));
    let registry = phone.registry()?;
    let mistake_at = households.min(2) - 1;
    let mut reporters = Vec::new();
    for h in 0..households {
        let size = draw::household_size(&mut rng);
        let sample = generator.household_in(&phone.kelurahan, &phone.agent_id, size, now_millis());
        let mistake = (h == mistake_at).then_some(if index == 0 {
            Mistake::BirthDate
        } else {
            Mistake::Sex
        });
        let registered = register(&registry, model, &sample, &mut rng, mistake, &mut day)?;
        day.households += 1;
        day.members += sample.members.len();
        for member in &sample.members {
            day.personal.push(member.nik.clone());
            day.personal.push(member.full_name.clone());
        }
        day.adults += registered.ikd.len();
        for status in &registered.ikd {
            if let Some(i) = IkdStatus::ALL.iter().position(|s| s == status) {
                day.ikd[i] += 1;
            }
        }
        match &registered.preview {
            Preview::LogLinear { desil, .. } => {
                day.desil[usize::from((*desil).clamp(1, 10) - 1)] += 1;
            }
            Preview::Scorecard { .. } => day.scorecards += 1,
        }
        if h == 0 {
            show_example(&sample, &registered);
        }
        if reporters.len() < 3 {
            reporters.push(filing::reporter(&sample));
        }
    }
    for (what, messages) in &day.refused_registrations {
        println!("   Ditolak ponsel: {what}");
        for message in messages {
            println!("     → {message}");
        }
        println!("     Petugas memperbaikinya; anggota tersimpan.");
    }
    println!(
        "   {} rumah tangga terdaftar ({} anggota, {} dewasa) dengan pratinjau PMT",
        day.households, day.members, day.adults
    );

    let outsider = generator.household_in(other_kelurahan, &phone.agent_id, 1, now_millis());
    filing::file_day(
        phone, index, &reporters, &outsider, photos, &mut rng, &mut day,
    )?;
    day.seconds = started.elapsed().as_secs_f64();
    Ok(day)
}
