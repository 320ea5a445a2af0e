//! `perlinsos`: operator tools and the field-day demo.
mod check;
mod demo;
mod evidence;
mod pmt;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "perlinsos", version, about = "Perlinsos field tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// NIK tools
    Nik {
        #[command(subcommand)]
        command: CheckCommand,
    },
    /// KK (Kartu Keluarga) number tools
    Kk {
        #[command(subcommand)]
        command: CheckCommand,
    },
    /// PMT models: the questionnaire and the preview
    Pmt {
        #[command(subcommand)]
        command: PmtCommand,
    },
    /// Evidence photos: normalize them, check an attestation
    Evidence {
        #[command(subcommand)]
        command: EvidenceCommand,
    },
    /// The field-day demo, end to end: an embedded district server, two agents' phones
    /// registering households offline, sync through a faulty 3G-shaped link, the district's
    /// decisions, and a final check that the server holds exactly what the phones sent
    /// (exit 1 if it does not)
    Demo {
        /// Households each of the two agents registers
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=5000))]
        households: u32,
        /// Seed of the synthetic people, answers and network faults
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Folder for the server's and the phones' data (new or empty; default: a temporary
        /// folder, removed at the end unless --keep)
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Leave the server running (until Ctrl-C) to look at it: its status and its review
        /// console, with an admin account made for the demo
        #[arg(long)]
        keep: bool,
    },
}

#[derive(Subcommand)]
enum PmtCommand {
    /// Prints the questions a model asks, as JSON
    Questions {
        #[arg(long)]
        model: PathBuf,
        /// Hex Ed25519 public key, for a signed model file
        #[arg(long)]
        public_key: Option<String>,
    },
    /// Prints the preview for a household's answers (a JSON object of question id -> answer)
    Preview {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        public_key: Option<String>,
        #[arg(long)]
        answers: PathBuf,
        /// Scorecard poverty line (default: the model's)
        #[arg(long)]
        line: Option<String>,
        /// Region code of the household, to derive answers such as the province
        #[arg(long, requires = "household_size")]
        region: Option<String>,
        /// Number of registered members, to derive the household-size answer
        #[arg(long, requires = "region")]
        household_size: Option<u32>,
    },
}

#[derive(Subcommand)]
enum EvidenceCommand {
    /// Normalizes photos (upright, long side 1600, JPEG q80, no metadata) into DIR as
    /// <sha256>.jpg; prints one JSON object per photo. Exit 1 if any photo was refused.
    Ingest {
        #[arg(required = true)]
        photos: Vec<PathBuf>,
        #[arg(long)]
        out: PathBuf,
        /// Report the photo's GPS (only where the person consented)
        #[arg(long)]
        keep_gps: bool,
    },
    /// Checks a normalized photo against its attestation (JSON) and the device's public key
    Verify {
        photo: PathBuf,
        #[arg(long)]
        attestation: PathBuf,
        /// Hex Ed25519 public key of the device
        #[arg(long)]
        public_key: String,
    },
}

#[derive(Subcommand)]
enum CheckCommand {
    /// Validates numbers; prints one JSON object per number. Exit 0 only if all are valid.
    Check {
        /// Numbers to check
        numbers: Vec<String>,
        /// Also read one number per line from this file (`-` for standard input)
        #[arg(long)]
        file: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Nik {
            command: CheckCommand::Check { numbers, file },
        } => check::run(check::Kind::Nik, numbers, file),
        Command::Kk {
            command: CheckCommand::Check { numbers, file },
        } => check::run(check::Kind::Kk, numbers, file),
        Command::Demo {
            households,
            seed,
            dir,
            keep,
        } => demo::run(demo::Options {
            households: households as usize,
            seed,
            dir,
            keep,
        }),
        Command::Evidence {
            command:
                EvidenceCommand::Ingest {
                    photos,
                    out,
                    keep_gps,
                },
        } => evidence::ingest(&photos, &out, keep_gps),
        Command::Evidence {
            command:
                EvidenceCommand::Verify {
                    photo,
                    attestation,
                    public_key,
                },
        } => evidence::verify(&photo, &attestation, &public_key),
        Command::Pmt {
            command: PmtCommand::Questions { model, public_key },
        } => pmt::questions(&model, public_key.as_deref()),
        Command::Pmt {
            command:
                PmtCommand::Preview {
                    model,
                    public_key,
                    answers,
                    line,
                    region,
                    household_size,
                },
        } => pmt::preview(pmt::PreviewArgs {
            model: &model,
            public_key: public_key.as_deref(),
            answers: &answers,
            line: line.as_deref(),
            region: region.as_deref(),
            household_size,
        }),
    }
}
