//! `perlinsos-server`: the district server and its operator commands. Every flag can also be
//! given as an environment variable (PERLINSOS_DATA, PERLINSOS_LISTEN).
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use perlinsos_server::{operator, AppState};

#[derive(Parser)]
#[command(
    name = "perlinsos-server",
    version,
    about = "Perlinsos district server"
)]
struct Cli {
    /// Data folder: the database, the evidence blobs and the district key.
    #[arg(
        long,
        env = "PERLINSOS_DATA",
        default_value = "perlinsos-data",
        global = true
    )]
    data: PathBuf,
    /// A PostgreSQL database (postgres://user@host/db) instead of SQLite in the data folder;
    /// blobs and the district key stay in the data folder.
    #[arg(long, env = "PERLINSOS_DATABASE_URL", global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serves the sync API.
    Serve {
        #[arg(long, env = "PERLINSOS_LISTEN", default_value = "127.0.0.1:8750")]
        listen: String,
    },
    /// Prints a one-time enrollment code for an agent's phone.
    EnrollCode {
        #[arg(long)]
        agent: String,
        /// Kelurahan codes the phone may write for (comma-separated).
        #[arg(long, value_delimiter = ',')]
        scope: Vec<String>,
        /// Hours the code stays valid.
        #[arg(long, default_value_t = 72)]
        hours: i64,
    },
    /// Signs a PMT model file with the district key and publishes it to the phones.
    PublishModel { file: PathBuf },
    /// Imports a recipient list (CSV with a header row, or JSON).
    ImportRecipients { file: PathBuf },
    /// Counts of devices, codes, blobs and records by kind.
    Status,
    /// The district's decision on a sanggahan; it reaches the phone on its next sync.
    Review {
        #[arg(long)]
        sanggahan: String,
        /// diverifikasi or ditolak
        #[arg(long, value_parser = ["diverifikasi", "ditolak"])]
        decision: String,
        /// Required for ditolak: the resident reads it.
        #[arg(long)]
        reason: Option<String>,
    },
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("perlinsos-server: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let state = AppState::open_with(
        &cli.data,
        cli.database_url.as_deref(),
        Arc::new(perlinsos_server::now_millis),
    )
    .map_err(|e| format!("cannot open {}: {e}", cli.data.display()))?;
    match cli.command {
        Command::Serve { listen } => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let listener = tokio::net::TcpListener::bind(&listen)
                    .await
                    .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
                let addr = listener.local_addr().map_err(|e| e.to_string())?;
                tracing::info!(event = "listening", %addr);
                println!("listening on {addr}");
                perlinsos_server::serve(listener, state)
                    .await
                    .map_err(|e| e.to_string())
            })
        }
        Command::EnrollCode {
            agent,
            scope,
            hours,
        } => {
            let code = operator::enroll_code(&state, &agent, &scope, hours * 3_600_000)?;
            println!("{code}");
            Ok(())
        }
        Command::PublishModel { file } => {
            let text = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
            let (id, version) = operator::publish_model(&state, &text)?;
            println!("published {id} v{version}");
            Ok(())
        }
        Command::ImportRecipients { file } => {
            let bytes = std::fs::read(&file).map_err(|e| e.to_string())?;
            let count = operator::import_recipients(&state, &bytes)?;
            println!("imported {count} recipients");
            Ok(())
        }
        Command::Review {
            sanggahan,
            decision,
            reason,
        } => {
            let reason = reason.filter(|r| !r.trim().is_empty());
            if decision == "ditolak" && reason.is_none() {
                return Err("ditolak needs --reason".into());
            }
            operator::set_status(
                &state,
                "sanggahan",
                &sanggahan,
                &decision,
                reason.as_deref(),
            )?;
            println!("{sanggahan} {decision}");
            Ok(())
        }
        Command::Status => {
            for (label, count) in operator::status(&state)? {
                println!("{label}\t{count}");
            }
            Ok(())
        }
    }
}
