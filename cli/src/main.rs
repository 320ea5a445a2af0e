//! `perlinsos`: operator tools and the field-day demo.
mod check;
mod demo;

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
    /// Runs the end-to-end example: a day of assisted registrations on a real device store
    Demo {
        /// Keep the device database here (default: a temporary directory)
        #[arg(long)]
        dir: Option<PathBuf>,
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
        Command::Demo { dir } => demo::run(dir),
    }
}
