//! The district officer's decisions, made with the real `perlinsos-server review` in its own
//! process against the same data folder while the embedded server keeps serving (SQLite in WAL
//! mode with a busy timeout lets the second process write). When that binary was not built
//! next to `perlinsos`, the same function is called in this process, and the demo says so.
use std::path::PathBuf;
use std::process::Command;

use perlinsos_server::review;

use super::district::{short, District};
use super::field_day::AgentDay;
use super::{DemoResult, Stop};

/// The reason the resident reads when the district rejects their sanggahan.
const REJECTION: &str = "Hasil kunjungan petugas: rumah penerima sesuai kriteria penerima PKH.";

pub struct Decided {
    pub id: String,
    pub agent_id: String,
    pub decision: &'static str,
    pub reason: Option<&'static str>,
}

/// `perlinsos-server` beside this executable (as cargo builds them), or where
/// PERLINSOS_SERVER_BIN says.
fn server_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PERLINSOS_SERVER_BIN") {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let exe = std::env::current_exe().ok()?;
    let path = exe
        .parent()?
        .join(format!("perlinsos-server{}", std::env::consts::EXE_SUFFIX));
    path.is_file().then_some(path)
}

/// The first sanggahan of the first phone is verified; the first of the second is rejected
/// with a reason.
pub async fn decide_two(district: &District, days: &[AgentDay]) -> DemoResult<Vec<Decided>> {
    let mut decisions = Vec::new();
    for (day, (decision, reason)) in days
        .iter()
        .zip([("diverifikasi", None), ("ditolak", Some(REJECTION))])
    {
        let Some(filed) = day.filed.first() else {
            continue;
        };
        decisions.push(Decided {
            id: filed.id.clone(),
            agent_id: day.agent_id.clone(),
            decision,
            reason,
        });
    }
    let binary = server_binary();
    if binary.is_none() {
        println!(
            "   (perlinsos-server tidak ditemukan di samping perlinsos: putusan dicatat di proses ini \
             dengan perlinsos_server::review::decide, fungsi yang sama yang dipanggil perintahnya)"
        );
    }
    for d in &decisions {
        match &binary {
            Some(binary) => run_binary(binary, district, d).await?,
            None => {
                let status = review::decide(&district.state, "cli", &d.id, d.decision, d.reason)
                    .map_err(|r| Stop(format!("{}: {}", r.code, r.message)))?;
                println!("   Sanggahan {} {}", short(&d.id), status.as_str());
            }
        }
    }
    Ok(decisions)
}

async fn run_binary(binary: &std::path::Path, district: &District, d: &Decided) -> DemoResult<()> {
    let data = &district.state.data_dir;
    let mut command = Command::new(binary);
    command
        .arg("review")
        .arg("--data")
        .arg(data)
        .args(["--sanggahan", &d.id, "--decision", d.decision])
        .env("RUST_LOG", "warn");
    let mut shown = format!(
        "   $ perlinsos-server review --data {} --sanggahan {} --decision {}",
        data.display(),
        d.id,
        d.decision
    );
    if let Some(reason) = d.reason {
        command.args(["--reason", reason]);
        shown += &format!(" --reason \"{reason}\"");
    }
    println!("{shown}");
    // The embedded server keeps answering on its own threads meanwhile.
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .map_err(|e| Stop(format!("perlinsos-server: {e}")))??;
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        println!("     {line}");
    }
    if !output.status.success() {
        return Err(Stop(format!(
            "perlinsos-server review gagal ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(())
}
