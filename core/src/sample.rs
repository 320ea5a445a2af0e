//! Deterministic, plausible (entirely fictitious) households for the demo, tests and
//! benchmarks. Every NIK and KK it makes passes validation; none belongs to a real person.
use std::collections::HashSet;

use crate::date::Date;
use crate::error::Result;
use crate::identity::Sex;
use crate::registration::*;
use perlinsos_rules::dtsen::{Family, FamilyMember};
use perlinsos_rules::pmt::{Answer, Answers};
use perlinsos_rules::sanggahan::recipients::Programme;

/// splitmix64: tiny, seeded, good enough to vary test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// The pilot's kelurahan the generator draws from: eight in Kota Mataram (52.71), then two in
/// Lombok Timur (52.03).
pub const KELURAHAN: &[&str] = &[
    "52.71.01.1004",
    "52.71.01.1009",
    "52.71.02.1001",
    "52.71.02.1013",
    "52.71.03.1005",
    "52.71.04.1002",
    "52.71.05.1007",
    "52.71.06.1003",
    "52.03.01.2001",
    "52.03.02.2003",
];
const MALE: &[&str] = &[
    "Lalu Muhammad",
    "Ahmad",
    "Zainul",
    "Sahnan",
    "I Made",
    "Ma'ruf",
    "Abdul",
    "Ketut",
    "Hamzanwadi",
    "Saprudin",
];
const FEMALE: &[&str] = &[
    "Baiq",
    "Siti",
    "Nurhayati",
    "Ni Luh",
    "Sri",
    "Nur-Aini",
    "Inaq",
    "Halimah",
    "Rohani",
    "Zahrā",
];
const FAMILY: &[&str] = &[
    "Hidayat",
    "Sasmita",
    "Rahman",
    "Wiranata",
    "Fauzi",
    "Suparman",
    "Anggraini",
    "Jayadi",
    "Zulkifli",
    "Putra",
    "Asmawati",
    "Ramdhani",
    "Mustiadi",
    "Ṣāliḥ",
];
const OCCUPATIONS: &[&str] = &[
    "Petani",
    "Buruh tani",
    "Nelayan",
    "Pedagang",
    "Ibu rumah tangga",
    "Pelajar",
    "Tidak bekerja",
    "Buruh harian lepas",
    "Penenun",
];

/// A distinct, pronounceable name part for every number (digits are not allowed in names).
fn syllable_name(mut n: u64) -> String {
    const SYLLABLES: [&str; 10] = ["ra", "di", "ma", "su", "ti", "no", "ka", "la", "wa", "ni"];
    let mut out = String::new();
    loop {
        out.push_str(SYLLABLES[(n % 10) as usize]);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut chars = out.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A household as the agent would enter it, in order.
#[derive(Debug, Clone)]
pub struct SampleHousehold {
    pub visit: Visit,
    pub household: HouseholdInfo,
    pub members: Vec<MemberInput>,
}

pub struct Generator {
    rng: Rng,
    today: Date,
    issued: HashSet<String>,
    counter: u64,
}

impl Generator {
    pub fn new(seed: u64, today: Date) -> Generator {
        Generator {
            rng: Rng::new(seed),
            today,
            issued: HashSet::new(),
            counter: 0,
        }
    }

    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    fn unique_number(&mut self, kecamatan: &str, day: u8, date: Date) -> String {
        loop {
            let serial = 1 + self.rng.below(9999);
            let number = format!(
                "{kecamatan}{day:02}{:02}{:02}{serial:04}",
                date.month(),
                date.year().rem_euclid(100)
            );
            if self.issued.insert(number.clone()) {
                return number;
            }
        }
    }

    fn date_years_ago(&mut self, min_years: i64, max_years: i64) -> Date {
        let days = min_years * 365 + self.rng.below(((max_years - min_years) * 365) as u64) as i64;
        Date::from_days_since_epoch(self.today.days_since_epoch() - days)
    }

    fn member(
        &mut self,
        kecamatan: &str,
        relation: Relation,
        sex: Sex,
        age: (i64, i64),
        family: &str,
    ) -> MemberInput {
        let birth_date = self.date_years_ago(age.0, age.1);
        let day = birth_date.day() + if sex == Sex::P { 40 } else { 0 };
        let nik = self.unique_number(kecamatan, day, birth_date);
        let given = *self.rng.pick(if sex == Sex::L { MALE } else { FEMALE });
        let adult = age.0 >= 17;
        MemberInput {
            nik,
            full_name: format!("{given} {family} {}", syllable_name(self.counter)),
            relation,
            sex,
            birth_date,
            marital: if adult && relation != Relation::Anak {
                Marital::Kawin
            } else {
                Marital::BelumKawin
            },
            education: *self.rng.pick(Education::ALL),
            occupation: if adult {
                self.rng.pick(OCCUPATIONS).to_string()
            } else {
                "Pelajar".to_owned()
            },
            disability: if self.rng.below(20) == 0 {
                *self.rng.pick(&Disability::ALL[1..])
            } else {
                Disability::Tidak
            },
        }
    }

    /// A household of `size` members (at least 1): head, spouse, then children, in one of the
    /// pilot's kelurahan.
    pub fn household(
        &mut self,
        agent_id: &str,
        size: usize,
        visit_time: Millis,
    ) -> SampleHousehold {
        let kelurahan = *self.rng.pick(KELURAHAN);
        self.household_in(kelurahan, agent_id, size, visit_time)
    }

    /// As `household`, in the kelurahan `PP.KK.CC.DDDD` (its members' NIKs and the KK issued
    /// in its kecamatan).
    pub fn household_in(
        &mut self,
        kelurahan: &str,
        agent_id: &str,
        size: usize,
        visit_time: Millis,
    ) -> SampleHousehold {
        self.counter += 1;
        let kecamatan: String = kelurahan.get(..8).unwrap_or_default().replace('.', "");
        let family = *self.rng.pick(FAMILY);
        let mut members = vec![self.member(
            &kecamatan,
            Relation::KepalaKeluarga,
            Sex::L,
            (30, 65),
            family,
        )];
        if size > 1 {
            members.push(self.member(&kecamatan, Relation::Istri, Sex::P, (25, 60), family));
        }
        while members.len() < size {
            let sex = if self.rng.below(2) == 0 {
                Sex::L
            } else {
                Sex::P
            };
            members.push(self.member(&kecamatan, Relation::Anak, sex, (1, 16), family));
        }
        let issue = self.date_years_ago(1, 10);
        let kk = self.unique_number(&kecamatan, issue.day(), issue);
        let rt = 1 + self.rng.below(20) as u16;
        let rw = 1 + self.rng.below(10) as u16;
        SampleHousehold {
            visit: Visit {
                agent_id: agent_id.to_owned(),
                kelurahan_code: kelurahan.to_owned(),
                rt,
                rw,
                started_at: visit_time,
                gps: Some(Gps {
                    latitude: -8.58 - self.rng.below(1000) as f64 / 10_000.0,
                    longitude: 116.10 + self.rng.below(1000) as f64 / 10_000.0,
                    accuracy_m: 5.0 + self.rng.below(30) as f64,
                }),
            },
            household: HouseholdInfo {
                kk,
                address: Address {
                    kelurahan_code: kelurahan.to_owned(),
                    rt,
                    rw,
                    street: format!("Gg. Melati No. {}", 1 + self.rng.below(200)),
                },
            },
            members,
        }
    }
}

/// Fictitious DTSEN families for worklists: `count` families of 1..=6 members spread over
/// `kelurahan`, ids `DTSEN-<seed>-<n>`, version 1, some with a desil and programmes.
pub fn families(seed: u64, count: usize, kelurahan: &[&str], today: Date) -> Vec<Family> {
    families_sized(seed, count, kelurahan, today, 1..=6)
}

/// As [`families`], each family's size drawn from `sizes`.
pub fn families_sized(
    seed: u64,
    count: usize,
    kelurahan: &[&str],
    today: Date,
    sizes: std::ops::RangeInclusive<usize>,
) -> Vec<Family> {
    let mut generator = Generator::new(seed, today);
    let (low, high) = (
        *sizes.start().max(&1),
        *sizes.end().max(sizes.start()).max(&1),
    );
    (0..count)
        .map(|n| {
            let place = kelurahan[n % kelurahan.len().max(1)];
            let size = low + generator.rng().below((high - low + 1) as u64) as usize;
            generator.family_in(&format!("DTSEN-{seed}-{n:06}"), place, size)
        })
        .collect()
}

impl Generator {
    /// A DTSEN family as the district's extract would list it.
    pub fn family_in(&mut self, id: &str, kelurahan: &str, size: usize) -> Family {
        let sample = self.household_in(kelurahan, "-", size, 0);
        let desil = match self.rng.below(3) {
            0 => None,
            _ => Some(1 + self.rng.below(10) as u8),
        };
        let programmes = match desil {
            Some(d) if d <= 4 => vec![*self.rng.pick(&[Programme::Pkh, Programme::Bpnt])],
            _ => Vec::new(),
        };
        Family {
            id: id.to_owned(),
            version: 1,
            kk: sample.household.kk,
            kelurahan_code: kelurahan.to_owned(),
            rt: sample.visit.rt,
            rw: sample.visit.rw,
            address: sample.household.address.street,
            desil,
            programmes,
            members: sample
                .members
                .into_iter()
                .map(|m| FamilyMember {
                    nik: m.nik,
                    name: m.full_name,
                    relation: m.relation,
                    sex: m.sex,
                    birth_date: m.birth_date,
                })
                .collect(),
            pmt_answers: last_answers(id),
            revision: 0,
        }
    }
}

/// Household characteristics as DTSEN would hold them from the family's last survey, for the
/// questions of the shipped illustrative model. Drawn from the family id, so adding them left
/// every other generated value as it was.
fn last_answers(family_id: &str) -> Answers {
    let mut rng = Rng::new(family_id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    }));
    const CHOICES: [(&str, &[&str]); 5] = [
        ("lantai", &["tanah", "bambu_kayu", "semen", "keramik"]),
        ("dinding", &["bambu", "kayu", "tembok"]),
        ("atap", &["ijuk", "seng", "genteng"]),
        (
            "air_minum",
            &["tak_terlindung", "terlindung", "ledeng", "kemasan"],
        ),
        ("listrik", &["tidak_ada", "pln450", "pln900", "pln1300"]),
    ];
    let mut answers: Answers = CHOICES
        .iter()
        .map(|(id, options)| {
            let option = *rng.pick(options);
            (id.to_string(), Answer::Choice(option.to_owned()))
        })
        .collect();
    answers.insert("kulkas".to_owned(), Answer::YesNo(rng.below(3) == 0));
    answers.insert(
        "sepeda_motor".to_owned(),
        Answer::Number(rng.below(3) as f64),
    );
    answers
}

impl SampleHousehold {
    /// Walks the whole assisted flow, saving the draft at every step, and submits.
    pub fn register(&self, registry: &Registry, consent_at: Millis) -> Result<String> {
        let draft = registry.start_draft(self.visit.clone())?;
        registry.set_household(&draft, self.household.clone())?;
        let mut ids = Vec::new();
        for member in &self.members {
            ids.push(registry.put_member(&draft, None, member.clone())?);
        }
        registry.set_consent(
            &draft,
            Consent {
                given_by: ids[0].clone(),
                given_at: consent_at,
                notice_version: "PDP-2026.1".to_owned(),
            },
        )?;
        let visit_day = Date::of_unix_millis(self.visit.started_at);
        for (id, member) in ids.iter().zip(&self.members) {
            if validate::is_adult(member, visit_day) {
                registry.set_ikd(&draft, id, IkdStatus::PerluKeDukcapil)?;
            }
        }
        registry.submit(&draft)
    }
}

/// A copy of a camera JPEG whose EXIF dates say it was taken on `day`. The sample photos were
/// taken on a fixed day and sanggahan evidence must be recent (30 days), so tests and the demo
/// that file "today" restamp them. The dates keep their length: nothing else in the file moves.
pub fn photo_taken_on(jpeg: &[u8], day: Date) -> Vec<u8> {
    let mut out = jpeg.to_vec();
    if !out.starts_with(&[0xFF, 0xD8]) {
        return out;
    }
    let stamp = format!("{:04}:{:02}:{:02}", day.year(), day.month(), day.day());
    // The segments before the image data: APP0 (JFIF), APP1 (EXIF, XMP), ..., and comments
    // (COM, which GIMP writes before the EXIF segment).
    let mut at = 2;
    while at + 4 <= out.len()
        && out[at] == 0xFF
        && ((0xE0..=0xEF).contains(&out[at + 1]) || out[at + 1] == 0xFE)
    {
        let end =
            (at + 2 + usize::from(u16::from_be_bytes([out[at + 2], out[at + 3]]))).min(out.len());
        if out[at + 1] == 0xE1 {
            let mut i = at + 4;
            while i + 19 <= end {
                if is_exif_time(&out[i..i + 19]) {
                    out[i..i + 10].copy_from_slice(stamp.as_bytes());
                    i += 19;
                } else {
                    i += 1;
                }
            }
        }
        at = end;
    }
    out
}

/// "YYYY:MM:DD HH:MM:SS"
fn is_exif_time(text: &[u8]) -> bool {
    text.iter().enumerate().all(|(i, c)| match i {
        4 | 7 | 13 | 16 => *c == b':',
        10 => *c == b' ',
        _ => c.is_ascii_digit(),
    })
}

/// The answers of a verification visit that found the family (demo and tests): the last member
/// moved out, a baby girl was born 40 days ago, every NIK seen on the KK and every adult's IKD
/// active, a BRI account, the head's consent at `now`.
pub fn answer_found(draft: &mut crate::visits::VisitDraft, now: Millis) {
    use perlinsos_rules::dtsen::visit::{
        Bank, MemberChange, MemberCorrection, SavingsAccount, VerifiedMember, VisitOutcome,
    };
    draft.outcome = Some(VisitOutcome::Ditemukan);
    if draft.members.len() > 1 {
        let gone = draft.members.pop().expect("a member");
        draft.corrections.push(MemberCorrection {
            nik: gone.member.nik.clone(),
            change: MemberChange::PindahKeluar,
            reason: "Ikut suami ke Lombok Tengah".into(),
        });
    }
    let head = draft.members[0].member.clone();
    let born = Date::of_unix_millis(now - 40 * crate::date::DAY_MS);
    let nik = format!(
        "{}{:02}{:02}{:02}0777",
        &head.nik[..6],
        born.day() + 40,
        born.month(),
        born.year().rem_euclid(100)
    );
    draft.members.push(VerifiedMember {
        member: FamilyMember {
            nik: nik.clone(),
            name: "Bayi Nur Aini".into(),
            relation: Relation::Anak,
            sex: Sex::P,
            birth_date: born,
        },
        nik_confirmed: true,
        ikd: None,
    });
    draft.corrections.push(MemberCorrection {
        nik,
        change: MemberChange::Lahir,
        reason: "Lahir bulan lalu, sudah masuk KK baru".into(),
    });
    let visit = draft.visit.clone();
    for m in &mut draft.members {
        m.nik_confirmed = true;
        m.ikd = crate::visits::is_adult(m, &visit).then_some(IkdStatus::SudahAktif);
    }
    draft.account = Some(SavingsAccount {
        bank: Bank::Bri,
        number: "123401000567503".into(),
    });
    draft.consent = Some(Consent {
        given_by: head.nik,
        given_at: now,
        notice_version: "PDP-2026.1".into(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restamped_photo_reads_as_taken_on_the_new_day() {
        let day = Date::new(2027, 3, 9).unwrap();
        // cam3 has a comment segment (GIMP) between JFIF and EXIF.
        for camera in [
            &include_bytes!("../data/photos/cam1_kleiber_o6.jpg")[..],
            &include_bytes!("../data/photos/cam2_wood.jpg")[..],
            &include_bytes!("../data/photos/cam3_ladybird.jpg")[..],
        ] {
            let restamped = photo_taken_on(camera, day);
            assert_eq!(restamped.len(), camera.len());
            let normalized =
                crate::evidence::ingest(&restamped, &crate::evidence::Options::default()).unwrap();
            assert_eq!(
                normalized.captured_at.as_deref().and_then(|t| t.get(..10)),
                Some("2027-03-09")
            );
        }
        // Not a JPEG with EXIF first: returned as it was.
        assert_eq!(photo_taken_on(b"\x89PNG....", day), b"\x89PNG....");
    }
}
