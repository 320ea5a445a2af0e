//! `perlinsos evidence ingest|verify`: normalize photos as the phone does, and check a photo
//! against its signed attestation as the server does.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use perlinsos_core::evidence::{self, attest::Attestation, Options};
use perlinsos_core::Error;
use serde_json::json;

/// One line: the stable code(s) and the Indonesian message; never the photo's content.
fn describe(error: &Error) -> String {
    match error {
        Error::Invalid(errors) => errors
            .iter()
            .map(|e| format!("{} {}", e.code.as_str(), e.message))
            .collect::<Vec<_>>()
            .join("; "),
        Error::Io(e) => format!("IO berkas tidak dapat dibaca atau ditulis ({})", e.kind()),
        other => other.to_string(),
    }
}

/// Writes `bytes` to `path` whole or not at all.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temp = path.with_extension("jpg.tmp");
    let mut file = std::fs::File::create(&temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temp, path)
}

pub fn ingest(photos: &[PathBuf], out: &Path, keep_gps: bool) -> ExitCode {
    if let Err(e) = std::fs::create_dir_all(out) {
        eprintln!(
            "perlinsos: folder keluaran tidak dapat dibuat ({})",
            e.kind()
        );
        return ExitCode::from(2);
    }
    let options = Options {
        keep_gps,
        ..Options::default()
    };
    let mut failed = false;
    for photo in photos {
        let result = evidence::ingest_path(photo, &options).and_then(|n| {
            let file = out.join(format!("{}.jpg", n.sha256_hex()));
            write_atomically(&file, &n.jpeg)?;
            Ok((n, file))
        });
        match result {
            Ok((n, file)) => println!(
                "{}",
                json!({
                    "input": photo,
                    "file": file,
                    "sha256": n.sha256_hex(),
                    "phash": n.phash_hex(),
                    "width": n.width,
                    "height": n.height,
                    "bytes": n.jpeg.len(),
                    "source_format": n.source_format.as_str(),
                    "source_bytes": n.source_bytes,
                    "source_width": n.source_width,
                    "source_height": n.source_height,
                    "captured_at": n.captured_at,
                    "gps": n.gps,
                })
            ),
            Err(e) => {
                failed = true;
                eprintln!("perlinsos: {}: {}", photo.display(), describe(&e));
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

pub fn verify(photo: &Path, attestation: &Path, public_key: &str) -> ExitCode {
    let Some(key) = perlinsos_core::hex::decode(public_key) else {
        eprintln!("perlinsos: --public-key harus berupa hex");
        return ExitCode::from(2);
    };
    let read = |path: &Path| {
        std::fs::read(path).map_err(|e| {
            eprintln!(
                "perlinsos: {}: tidak dapat dibaca ({})",
                path.display(),
                e.kind()
            );
            ExitCode::from(2)
        })
    };
    let (jpeg, text) = match (read(photo), read(attestation)) {
        (Ok(j), Ok(t)) => (j, t),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let Ok(attestation) = serde_json::from_slice::<Attestation>(&text) else {
        eprintln!("perlinsos: EVIDENCE_ATTESTATION_INVALID berkas pengesahan bukan JSON yang sah");
        return ExitCode::from(1);
    };
    match evidence::attest::verify(&attestation, &jpeg, &key) {
        Ok(()) => {
            println!(
                "{}",
                json!({"valid": true, "sha256": attestation.sha256, "record_id": attestation.record_id})
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("perlinsos: {}", describe(&e));
            ExitCode::from(1)
        }
    }
}
