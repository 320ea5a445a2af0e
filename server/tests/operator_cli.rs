//! The operator commands, run as the real binary on a data folder: an enrollment code, a model
//! published, a recipient list imported, the counts; and a clear refusal of a bad file.
use std::process::Command;

fn server(data: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_perlinsos-server"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("PERLINSOS_DATABASE_URL")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn operators_enroll_publish_import_and_count() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (ok, printed, _) = server(
        &data,
        &[
            "enroll-code",
            "--agent",
            "agen-01",
            "--scope",
            "52.71.01.1004,52.71.01.1009",
            "--url",
            "https://perlinsos.dinsos.example.go.id",
        ],
    );
    assert!(ok);
    // The code, the server and the district key's fingerprint, and all three as one QR payload.
    let line = |label: &str| {
        printed
            .lines()
            .find(|l| l.starts_with(label))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let code = line("Kode pendaftaran");
    let code = code.split(' ').next().unwrap_or_default();
    assert_eq!(code.len(), 14, "{printed}");
    assert!(code.chars().all(|c| c == '-' || c.is_ascii_alphanumeric()));
    let ticket = perlinsos_protocol::enrollment::Ticket::parse(&line("QR")).expect("QR payload");
    assert_eq!(ticket.code, code);
    assert_eq!(ticket.server_url, "https://perlinsos.dinsos.example.go.id");
    assert_eq!(
        line("Sidik kunci dinas").replace(' ', ""),
        ticket.district_key_sha256
    );
    // A plain-http address (not loopback) is refused, and so is an absurd validity.
    for bad in [
        vec!["--url", "http://perlinsos.dinsos.example.go.id"],
        vec![
            "--url",
            "https://x.example",
            "--hours",
            "9223372036854775807",
        ],
    ] {
        let mut args = vec![
            "enroll-code",
            "--agent",
            "agen-01",
            "--scope",
            "52.71.01.1004",
        ];
        args.extend(bad);
        let (ok, _, err) = server(&data, &args);
        assert!(!ok, "{err}");
    }

    let model = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../core/models/ilustratif-kota-mataram.json"
    );
    let (ok, out, _) = server(&data, &["publish-model", model]);
    assert!(ok);
    assert!(
        out.starts_with("published ilustratif-kota-mataram v"),
        "{out}"
    );

    let csv = dir.path().join("recipients.csv");
    std::fs::write(
        &csv,
        "recipient_id,kelurahan_code,programme,name,nik,rt,rw\n\
         R-1,52.71.01.1004,PKH,Baiq Nurul,5271010101900001,1,2\n\
         R-2,52.71.01.1009,BPNT,Lalu Ahmad,5271010101900002,3,4\n",
    )
    .unwrap();
    let (ok, out, _) = server(&data, &["import-recipients", csv.to_str().unwrap()]);
    assert!(ok);
    assert_eq!(out.trim(), "imported 2 recipients");

    let (ok, out, _) = server(&data, &["status"]);
    assert!(ok);
    assert!(out.contains("enroll_codes.unused\t1"), "{out}");
    assert!(
        out.contains("changes\t4"),
        "the record key made at start, a model and two kelurahan lists: {out}"
    );
    // The district key was made once and is private to the server's user.
    let key = std::fs::metadata(data.join("district-key.pk8")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&key.permissions()) & 0o077,
        0
    );

    // A bad list is refused with its row and nothing is imported; no NIK appears in the error.
    std::fs::write(
        &csv,
        "recipient_id,kelurahan_code,programme,name,nik,rt,rw\nR-3,52.71.01.1004,Beras,X,5271010101900003,1,2\n",
    )
    .unwrap();
    let (ok, _, err) = server(&data, &["import-recipients", csv.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("recipients[0].programme"), "{err}");
    assert!(!err.contains("5271010101900003"));
    let (_, out, _) = server(&data, &["status"]);
    assert!(out.contains("changes\t4"), "{out}");
}

/// `quarantine list | admit | reject` on what a revoked device sent: an entry that does not
/// open stays held with its code (exit 1), a rejection needs a reason, is kept once and
/// cannot be turned into an admission; every step audited under "cli".
#[test]
fn operators_decide_on_held_entries() {
    use perlinsos_server::db::{self, Db};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (ok, _, err) = server(&data, &["status"]);
    assert!(ok, "{err}");
    let database = Db::open_sqlite(&data.join("server.db")).unwrap();
    database
        .write(|tx| {
            tx.execute(
                "INSERT INTO devices (device_id, public_key, agent_id, scope, enrolled_at,
                                      revoked_at)
                 VALUES ('hp-1', ?1, 'agen-01', '[\"52.71.01.1004\"]', 1, 2)",
                &[db::blob(vec![1; 32])],
            )?;
            for entry in ["e-1", "e-2"] {
                tx.execute(
                    "INSERT INTO quarantined_entries (device_id, entry_id, kind, key_id, sealed,
                         received_at, entity_id, kelurahan_code, blobs, created_at)
                     VALUES ('hp-1', ?1, 'household.registered', 'no-such-key', 'abcd', 3,
                             'h-1', '52.71.01.1004', '[]', 3)",
                    &[db::text(entry)],
                )?;
            }
            Ok::<_, db::DbError>(())
        })
        .unwrap();
    let (ok, out, _) = server(&data, &["quarantine", "list", "--device", "hp-1"]);
    assert!(ok);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.contains("e-1\thousehold.registered\t52.71.01.1004\theld"));

    let (ok, _, err) = server(
        &data,
        &["quarantine", "admit", "--device", "hp-1", "--entry", "e-1"],
    );
    assert!(!ok);
    assert!(err.contains("SEAL_INVALID"), "{err}");
    let (_, out, _) = server(&data, &["quarantine", "list", "--device", "hp-1"]);
    assert!(out.contains("e-1\thousehold.registered\t52.71.01.1004\theld (SEAL_INVALID)"));

    let reject = ["quarantine", "reject", "--device", "hp-1", "--entry", "e-2"];
    let (ok, _, _) = server(&data, &[&reject[..], &["--reason", " "]].concat());
    assert!(!ok);
    let (ok, out, _) = server(
        &data,
        &[&reject[..], &["--reason", "tidak dikenal"]].concat(),
    );
    assert!(ok);
    assert_eq!(out.trim(), "rejected");
    let (ok, out, _) = server(
        &data,
        &[&reject[..], &["--reason", "tidak dikenal"]].concat(),
    );
    assert!(ok);
    assert!(out.starts_with("rejected already"), "{out}");
    let (ok, _, _) = server(
        &data,
        &["quarantine", "admit", "--device", "hp-1", "--entry", "e-2"],
    );
    assert!(!ok);
    let (ok, _, _) = server(
        &data,
        &["quarantine", "admit", "--device", "hp-1", "--entry", "e-9"],
    );
    assert!(!ok);
    let actions = |action: &str| {
        database
            .scalar(&format!(
                "SELECT count(*) FROM operator_audit WHERE username = 'cli' AND action = '{action}'"
            ))
            .unwrap()
    };
    assert_eq!(actions("quarantine_admit_refused"), 1);
    assert_eq!(actions("quarantine_rejected"), 1);
    assert_eq!(actions("quarantine_admitted"), 0);
}

#[test]
fn a_replacement_code_is_only_for_a_known_revoked_device() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let url = "https://perlinsos.dinsos.example.go.id";
    // No such device: refused, no code made.
    let (ok, _, err) = server(
        &data,
        &["enroll-code", "--replaces", "hp-unknown", "--url", url],
    );
    assert!(!ok);
    assert!(err.contains("no such device"), "{err}");
    // The replacement takes the old device's agent and scope: naming them too is refused.
    let (ok, _, err) = server(
        &data,
        &[
            "enroll-code",
            "--replaces",
            "hp-1",
            "--agent",
            "agen-01",
            "--url",
            url,
        ],
    );
    assert!(!ok, "{err}");
    let (ok, out, _) = server(&data, &["status"]);
    assert!(ok);
    assert!(out.contains("enroll_codes.unused\t0"), "{out}");
}
