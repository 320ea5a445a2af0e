//! The phone side of the sync kill test: registers households (some with a photo) and syncs
//! after each, forever, until the test SIGKILLs it; or, with `drain`, syncs until nothing is
//! pending and exits 0, printing `CHANGES <n>` after each page of changes it applied.
//!
//! `sync-worker DIR URL SEED [drain]`; DIR holds `device.db` (already enrolled) and
//! `evidence/`. Prints `REGISTERED <id>` and `SYNCED` lines, flushed.
use std::io::Write;
use std::sync::Arc;

use perlinsos_core::crypt::{Cipher, DataKey};
use perlinsos_core::date::now_millis;
use perlinsos_core::evidence::book::EvidenceBook;
use perlinsos_core::registration::Registry;
use perlinsos_core::sample::Generator;
use perlinsos_core::session::device::Device;
use perlinsos_core::store::Store;
use perlinsos_core::sync::{Progress, Syncer};
use perlinsos_core::Date;
use perlinsos_e2e::{attach_household_photo, photo_sized, TEST_KEY};

const CAM2: &[u8] = include_bytes!("../../../core/data/photos/cam2_wood.jpg");

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    // The server is the one the phone was enrolled with (bound at enrollment).
    let (dir, seed) = match (args.get(1), args.get(2).and_then(|s| s.parse::<u64>().ok())) {
        (Some(dir), Some(seed)) => (std::path::PathBuf::from(dir), seed),
        _ => {
            eprintln!("usage: sync-worker DIR SEED [drain]");
            std::process::exit(2);
        }
    };
    let drain = args.get(3).is_some_and(|a| a == "drain");
    let store = Arc::new(Store::open(dir.join("device.db")).expect("open store"));
    let device = Arc::new(Device::open_or_create(&store, b"keystore").expect("device"));
    let cipher = Arc::new(Cipher::new(&DataKey::from_bytes(TEST_KEY)).expect("cipher"));
    let syncer = Syncer::new(
        store.clone(),
        device.clone(),
        cipher.clone(),
        dir.join("evidence"),
        Arc::new(now_millis),
    )
    .expect("syncer")
    .with_backoff(5, 100);
    if drain {
        // Each page of changes applied, so a test can kill the process mid-download.
        let syncer = syncer.on_progress(|p| {
            if let Progress::Changes { applied } = p {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "CHANGES {applied}");
                let _ = out.flush();
            }
        });
        syncer.run(100).await.expect("drain");
        println!("SYNCED");
        return;
    }
    let mut out = std::io::stdout().lock();
    let registry = Registry::new(store.clone(), cipher.clone())
        .for_agent("agen-01")
        .with_audit(device.signer());
    let book = EvidenceBook::open(store.clone(), cipher, dir.join("evidence"))
        .expect("evidence")
        .with_audit(device.signer());
    let mut generator = Generator::new(seed, Date::of_unix_millis(now_millis()));
    for round in 0u32.. {
        let now = now_millis();
        let id = generator
            .household("agen-01", 3, now)
            .register(&registry, now)
            .expect("register");
        if generator.rng().below(3) == 0 {
            // A photo of its own size: a new blob each time.
            let photo = photo_sized(CAM2, 500 + (seed as u32 * 7 + round) % 900);
            attach_household_photo(&book, &device, &id, &photo, now);
        }
        writeln!(out, "REGISTERED {id}").expect("stdout");
        out.flush().expect("flush");
        let _ = syncer.sync().await;
        writeln!(out, "SYNCED").expect("stdout");
        out.flush().expect("flush");
    }
}
