//! Nothing personal lies in clear on the server: after phones register households and file a
//! sanggahan with photos, and the district imports its recipient list, every NIK and name sent
//! or imported is searched in the raw SQLite file, its WAL and shared memory, the blob folder
//! and the key files (and, on PostgreSQL, a `pg_dump` of the database): none may appear. Photos
//! are not JPEGs on disk; the district key is not a plain PKCS#8 file; the data folder is 0700
//! and its files 0600.
use std::path::Path;

use perlinsos_e2e::field::{FieldPhone, Server};
use perlinsos_protocol::wire::PushEntry;

const CAM2: &[u8] = include_bytes!("../../core/data/photos/cam2_wood.jpg");
const CAM3: &[u8] = include_bytes!("../../core/data/photos/cam3_ladybird.jpg");

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every NIK and name in a phone's pending records.
fn personal(entries: &[perlinsos_e2e::PlainEntry], out: &mut Vec<String>) {
    for e in entries {
        for m in e.body["members"].as_array().into_iter().flatten() {
            out.push(m["nik"].as_str().unwrap().to_owned());
            out.push(m["full_name"].as_str().unwrap().to_owned());
        }
        if let Some(r) = e.body.get("reporter") {
            out.push(r["nik"].as_str().unwrap().to_owned());
            out.push(r["full_name"].as_str().unwrap().to_owned());
        }
        if let Some(kk) = e.body.get("kk").and_then(|k| k.as_str()) {
            out.push(kk.to_owned());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_nik_name_or_photo_lies_in_clear_on_the_server() {
    let server = Server::start().await;
    let scope = perlinsos_core::sample::KELURAHAN;
    server.import_recipients(scope);
    let phone = FieldPhone::enrolled(&server, "agen-01", scope).await;
    for seed in 0..6 {
        phone.register(100 + seed, 4);
    }
    phone.file_sanggahan(7, scope, &[CAM2, CAM3]);
    let sealed: Vec<PushEntry> =
        serde_json::from_slice(&phone.syncer().wire_records().unwrap()).unwrap();
    let pending: Vec<perlinsos_e2e::PlainEntry> = sealed
        .iter()
        .map(|e| perlinsos_e2e::PlainEntry::open(&server.state, e))
        .collect();
    let mut secrets = Vec::new();
    personal(&pending, &mut secrets);
    // The recipient list Server::import_recipients published (names and NIKs).
    secrets.extend(["Baiq Nurul".to_owned(), "Lalu Ahmad".to_owned()]);
    secrets.push("5271010101900000".to_owned());
    assert!(secrets.len() > 40, "{}", secrets.len());
    let report = phone.sync().await;
    assert!(report.records_accepted >= 7, "{report:?}");
    // The console reads them back, opened with the key.
    let listed = perlinsos_server::review::list(&server.state, &Default::default()).unwrap();
    let detail = perlinsos_server::review::detail(&server.state, &listed.lines[0].id)
        .unwrap()
        .unwrap();
    assert!(secrets.contains(&detail.reporter.full_name));
    assert_eq!(detail.photos.len(), 2);
    assert!(detail.photos.iter().all(|p| p.attestation_valid));

    let data = server.state.data_dir.clone();
    let mut all = Vec::new();
    files(&data, &mut all);
    let mut dumps: Vec<(String, Vec<u8>)> = all
        .iter()
        .map(|p| (p.display().to_string(), std::fs::read(p).unwrap()))
        .collect();
    if let Some(url) = &server.state.database_url {
        let bindir = std::fs::read_dir("/usr/lib/postgresql")
            .unwrap()
            .flatten()
            .map(|e| e.path().join("bin/pg_dump"))
            .find(|p| p.exists())
            .expect("pg_dump");
        let out = std::process::Command::new(bindir)
            .args(["--no-owner", "-d", url])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.len() > 10_000);
        dumps.push(("pg_dump".into(), out.stdout));
    }
    assert!(dumps.iter().map(|(_, b)| b.len()).sum::<usize>() > 100_000);
    for (name, bytes) in &dumps {
        for secret in &secrets {
            assert!(
                !contains(bytes, secret.as_bytes()),
                "{name} holds a NIK or name"
            );
        }
    }
    // No blob is a JPEG, and none holds the normalized photo's bytes.
    let blobs: Vec<_> = all
        .iter()
        .filter(|p| p.parent().is_some_and(|d| d.ends_with("blobs")))
        .collect();
    assert_eq!(blobs.len(), 2);
    for blob in &blobs {
        let bytes = std::fs::read(blob).unwrap();
        assert_ne!(&bytes[..2], &[0xFF, 0xD8], "{}", blob.display());
    }
    let key = std::fs::read(data.join("district-key.pk8")).unwrap();
    assert!(ring::signature::Ed25519KeyPair::from_pkcs8(&key).is_err());

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("blobs")), 0o700);
        for file in &all {
            assert_eq!(mode(file), 0o600, "{}", file.display());
        }
    }
}
