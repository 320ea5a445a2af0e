//! A smaller end-to-end example until the field-day demo lands: one agent's visits on a real
//! encrypted device store, an app kill in the middle of a registration, a PMT preview, an
//! evidence photo, and the checks a district operator runs.
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use perlinsos_core::crypt::{Cipher, DataKey};
use perlinsos_core::date::now_millis;
use perlinsos_core::evidence::book::{Capture, EvidenceBook};
use perlinsos_core::evidence::{self, attest, Gps, Options};
use perlinsos_core::pmt::{model::Model, Answers, Preview};
use perlinsos_core::registration::{Consent, IkdStatus, Registry};
use perlinsos_core::sample::Generator;
use perlinsos_core::store::Store;
use perlinsos_core::{outbox, Date, Error, Result};
use ring::signature::{Ed25519KeyPair, KeyPair};

const MATARAM_MODEL: &str = include_str!("../../core/models/ilustratif-kota-mataram.json");
const PHOTOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/data/photos");

pub fn run(dir: Option<PathBuf>) -> ExitCode {
    match demo(dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("demo gagal: {error}");
            ExitCode::FAILURE
        }
    }
}

fn open(path: &std::path::Path, cipher: &Arc<Cipher>) -> Result<(Arc<Store>, Registry)> {
    let store = Arc::new(Store::open(path)?);
    store.verify_key(cipher)?;
    Ok((store.clone(), Registry::new(store, cipher.clone())))
}

/// The agents issue keeps this key sealed on the phone; here it lives for one run.
fn demo_device_key() -> Result<Ed25519KeyPair> {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
        .map_err(|_| Error::Crypto)?;
    Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| Error::Crypto)
}

fn demo(dir: Option<PathBuf>) -> Result<()> {
    let temp = tempfile::tempdir()?;
    let dir = dir.unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("perangkat.db");
    if path.exists() {
        eprintln!(
            "demo: {} already exists; use an empty directory",
            path.display()
        );
        return Err(Error::Corrupt("demo directory is not empty"));
    }
    // The agents issue wraps this key under the agent's PIN; here it lives for one run.
    let cipher = Arc::new(Cipher::new(&DataKey::generate()?)?);
    let (store, registry) = open(&path, &cipher)?;
    let now = now_millis();
    let mut generator = Generator::new(52_71, Date::today());
    println!("Perlinsos demo: device store {}", path.display());
    println!("Agent agen-mataram-01 visits three households in Kota Mataram / Lombok Timur.\n");

    // Visit 1: the whole assisted flow, a draft saved at every step.
    let first = generator.household("agen-mataram-01", 5, now);
    let first_id = first.register(&registry, now)?;
    println!(
        "1. Registered household {first_id}: {} members, KK and NIKs validated, consent and IKD recorded.",
        first.members.len()
    );

    // Visit 2: the phone kills the app after the members step.
    let second = generator.household("agen-mataram-01", 4, now);
    let draft = registry.start_draft(second.visit.clone())?;
    registry.set_household(&draft, second.household.clone())?;
    let mut ids = Vec::new();
    for member in &second.members {
        ids.push(registry.put_member(&draft, None, member.clone())?);
    }
    let mut wrong = second.members[1].clone();
    wrong.sex = perlinsos_core::identity::Sex::L;
    if let Err(Error::Invalid(errors)) = registry.put_member(&draft, Some(&ids[1]), wrong) {
        println!(
            "2. The agent picks the wrong sex for a member; the app answers: [{}] {}",
            errors[0].code.as_str(),
            errors[0].message
        );
    }
    drop(registry);
    drop(store);
    println!("   ... the app is killed (incoming call, low memory) ...");
    let (store, registry) = open(&path, &cipher)?;
    let drafts = registry.list_drafts()?;
    println!(
        "   Reopened: {} draft waiting at step '{}' (revision {}, {} members). Nothing was lost.",
        drafts.len(),
        drafts[0].step.as_str(),
        drafts[0].revision,
        drafts[0].member_count
    );
    registry.set_consent(
        &draft,
        Consent {
            given_by: ids[0].clone(),
            given_at: now,
            notice_version: "PDP-2026.1".into(),
        },
    )?;
    for id in &ids[..2] {
        registry.set_ikd(&draft, id, IkdStatus::DibantuAktivasi)?;
    }
    // The household-characteristics questions, then the preview the resident is shown.
    let model = Model::parse(MATARAM_MODEL.as_bytes())?;
    let answers: Answers = serde_json::from_str(
        r#"{"lantai": "semen", "dinding": "tembok", "atap": "seng", "air_minum": "terlindung",
            "jamban": "bersama", "bahan_bakar": "lpg3", "listrik": "pln450", "kulkas": false,
            "sepeda_motor": 1, "gas_12kg": false, "lahan": false,
            "pendidikan_kepala": "sd", "pekerjaan_kepala": "informal"}"#,
    )
    .map_err(|_| Error::Corrupt("demo answers"))?;
    if let Preview::LogLinear {
        desil, explanation, ..
    } = registry.set_pmt(&draft, &model, answers)?
    {
        println!(
            "   PMT preview ({}, desil {desil}): {explanation}",
            model.id
        );
    }
    let second_id = registry.submit(&draft)?;
    println!("   Resumed and submitted household {second_id}, with its answers and preview.");

    // A photo of the house, with the resident's consent to keep its location.
    let device_key = demo_device_key()?;
    let book = EvidenceBook::open(store.clone(), cipher.clone(), dir.join("bukti"))?;
    let original = std::fs::read(format!("{PHOTOS}/cam2_wood.jpg"))?;
    let photo = book.capture(
        &original,
        &Options {
            keep_gps: true,
            ..Options::default()
        },
        Capture {
            record_kind: "household",
            record_id: &second_id,
            captured_at: now,
            gps: Some(Gps {
                latitude: -8.5833,
                longitude: 116.1167,
            }),
            device_id: "hp-demo-01",
            device_key: &device_key,
            agent_id: "agen-mataram-01",
        },
    )?;
    let stored = book.photo(&photo.id)?;
    attest::verify(
        &photo.attestation,
        &stored,
        device_key.public_key().as_ref(),
    )?;
    println!(
        "   Photo of the house: {} bytes from the camera, {} bytes ({}x{}) stored sealed, no EXIF; \
         SHA-256 {}..., perceptual hash {:016x}; attestation verified.",
        original.len(),
        photo.bytes,
        photo.width,
        photo.height,
        &photo.sha256[..12],
        photo.phash
    );
    match evidence::ingest(b"<!DOCTYPE html><html>", &Options::default()) {
        Err(Error::Invalid(errors)) => println!(
            "   A web page saved as foto.jpg is refused: [{}] {}",
            errors[0].code.as_str(),
            errors[0].message
        ),
        other => println!("   unexpected: {:?}", other.map(|p| p.width)),
    }

    // Visit 3: a member already registered elsewhere on this phone.
    let mut third = generator.household("agen-mataram-01", 3, now);
    third.members[2] = first.members[3].clone();
    match third.register(&registry, now) {
        Err(Error::Invalid(errors)) => println!(
            "3. A child is already listed in another family: [{}] {}",
            errors[0].code.as_str(),
            errors[0].message
        ),
        other => println!("3. unexpected: {other:?}"),
    }

    let entries = store.read(outbox::entries)?;
    println!(
        "\nOutbox: {} entries waiting for the district server ({}).",
        entries.len(),
        entries
            .iter()
            .map(|e| e.kind.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );

    let mut bytes = std::fs::read(&path)?;
    bytes.extend(std::fs::read(dir.join("perangkat.db-wal")).unwrap_or_default());
    let personal: Vec<&str> = first
        .members
        .iter()
        .chain(&second.members)
        .flat_map(|m| [m.nik.as_str(), m.full_name.as_str()])
        .collect();
    let in_clear = personal
        .iter()
        .filter(|value| memchr::memmem::find(&bytes, value.as_bytes()).is_some())
        .count();
    println!(
        "At rest: {} of {} NIKs and names found in clear in the {} bytes of database + WAL.",
        in_clear,
        personal.len(),
        bytes.len()
    );

    println!("\nOperator check of a list (perlinsos nik check):");
    for nik in [
        first.members[0].nik.as_str(),
        "5271015702000000",
        "5271994101990001",
        "9101011705850001",
    ] {
        println!(
            "  {}",
            crate::check::check(crate::check::Kind::Nik, nik, Date::today()).1
        );
    }
    if in_clear > 0 {
        return Err(Error::Corrupt("personal data found in clear"));
    }
    Ok(())
}
