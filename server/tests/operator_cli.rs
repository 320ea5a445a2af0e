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
    let (ok, code, _) = server(
        &data,
        &[
            "enroll-code",
            "--agent",
            "agen-01",
            "--scope",
            "52.71.01.1004,52.71.01.1009",
        ],
    );
    assert!(ok);
    let code = code.trim();
    assert_eq!(code.len(), 14, "{code}");
    assert!(code.chars().all(|c| c == '-' || c.is_ascii_alphanumeric()));

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
