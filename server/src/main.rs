//! `perlinsos-server`: the district server and its operator commands. Every flag can also be
//! given as an environment variable (PERLINSOS_DATA, PERLINSOS_LISTEN).
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use perlinsos_server::console::accounts::{self, Role};
use perlinsos_server::{families, operator, registrations, review, staff_audit, AppState};

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
enum UserCommand {
    /// Adds an account (or resets its password and role); the password is read from the
    /// first line of standard input, never from the command line.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long, value_parser = ["peninjau", "admin"])]
        role: String,
        /// A peninjau's regions: kelurahan or kecamatan codes (comma-separated). An admin sees
        /// the whole district.
        #[arg(long, value_delimiter = ',')]
        scope: Vec<String>,
    },
    /// Sets a peninjau's regions (audited).
    Scope {
        #[arg(long)]
        username: String,
        #[arg(long, value_delimiter = ',', required = true)]
        scope: Vec<String>,
    },
}

#[derive(Subcommand)]
enum QuarantineCommand {
    /// A device's held entries: entry id, kind, kelurahan, status (and the failed check's code).
    List {
        #[arg(long)]
        device: String,
        /// The last entry id of the previous page.
        #[arg(long, default_value = "")]
        after: String,
    },
    /// Admits one held entry.
    Admit {
        #[arg(long)]
        device: String,
        #[arg(long)]
        entry: String,
    },
    /// Rejects one held entry; nothing of it is applied.
    Reject {
        #[arg(long)]
        device: String,
        #[arg(long)]
        entry: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(clap::Args)]
#[group(skip)]
struct AssignTarget {
    #[arg(long)]
    agent: String,
    #[arg(
        long,
        required_unless_present = "families",
        conflicts_with = "families"
    )]
    kelurahan: Option<String>,
    #[arg(long, requires = "kelurahan")]
    rw: Option<u16>,
    #[arg(long, requires = "rw")]
    rt: Option<u16>,
    /// A file of family ids, one per line.
    #[arg(long)]
    families: Option<PathBuf>,
}

impl AssignTarget {
    fn selection(&self) -> Result<families::Selection, String> {
        if let Some(path) = &self.families {
            let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
            let ids = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect();
            return Ok(families::Selection::Ids(ids));
        }
        Ok(families::Selection::Place {
            kelurahan_code: self.kelurahan.clone().unwrap_or_default(),
            rw: self.rw,
            rt: self.rt,
        })
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serves the sync API and the review console (/review).
    Serve {
        #[arg(long, env = "PERLINSOS_LISTEN", default_value = "127.0.0.1:8750")]
        listen: String,
        /// Mark console cookies Secure even without an X-Forwarded-Proto: https proxy header.
        #[arg(long, env = "PERLINSOS_SECURE_COOKIES")]
        secure_cookies: bool,
        /// A reverse proxy in front of the server (repeatable): its X-Forwarded-For names the
        /// console's client for the login throttle. Without it every officer behind the proxy
        /// would share one address.
        #[arg(long = "trusted-proxy")]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// Serve HTTPS with this certificate chain (PEM, the server's own certificate first).
        /// Without it the server speaks plain HTTP: to loopback (tests, the demo) or behind a
        /// reverse proxy that terminates TLS.
        #[arg(long, env = "PERLINSOS_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
        #[arg(long, env = "PERLINSOS_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
    },
    /// Console accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Sanggahan still undecided 14 days after filing become kedaluwarsa (serve does this by
    /// itself every ten minutes).
    Expire,
    /// Announces, signed, the certificates the server may show from now on to phones that
    /// pinned one at enrollment (a certificate rollover without enrolling again): first the
    /// current and the next side by side; once the phones have synced, serve with the next
    /// one; then announce the next alone.
    AnnounceCertificates {
        /// A certificate (PEM; the first one in the file), repeatable.
        #[arg(long = "cert", required = true)]
        certs: Vec<PathBuf>,
    },
    /// Makes a new record key: phones seal for it once they have synced; records sealed for
    /// older keys still open. Rotate when a key may have leaked, or yearly.
    RotateRecordKey,
    /// Makes the next data key and reseals everything under it: every sealed value, blind
    /// index, photo and the district key. Stop the server first; it does not start again until
    /// this has finished. Interrupted, run it again: it takes up where it stopped. The new key
    /// replaces data.key (the old one stays in data.key.previous until the end), or, when
    /// PERLINSOS_DATA_KEY holds the key, comes from PERLINSOS_NEW_DATA_KEY or --new-key-file.
    RotateDataKey {
        /// A file holding the new key (64 hex digits); made at random when not given.
        #[arg(long)]
        new_key_file: Option<PathBuf>,
        /// Rows resealed per transaction.
        #[arg(long, default_value_t = perlinsos_server::data_key_rotation::DEFAULT_BATCH)]
        batch_size: usize,
    },
    /// The registrations as CSV for SIKS-NG (columns in docs/siks-ng-export.md).
    ExportRegistrations {
        #[arg(long)]
        kelurahan: Option<String>,
        /// Written here (created only if absent); stdout when not given.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The newest entries of the operators' audit log.
    Audit {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Prints a one-time enrollment code for an agent's phone. With --replaces, for the phone
    /// that replaces a revoked device (re-enrolled under a new key, or its Keystore lost the
    /// old one): it gets the old device's agent and scope, and it alone may hand over the
    /// old device's queue as held entries. Audited.
    EnrollCode {
        #[arg(
            long,
            required_unless_present = "replaces",
            conflicts_with = "replaces"
        )]
        agent: Option<String>,
        /// Kelurahan codes the phone may write for (comma-separated).
        #[arg(long, value_delimiter = ',', conflicts_with = "replaces")]
        scope: Vec<String>,
        /// The revoked device id the new phone replaces (revoke-device it first).
        #[arg(long)]
        replaces: Option<String>,
        /// Hours the code stays valid.
        #[arg(long, default_value_t = 72)]
        hours: i64,
        /// The server's address as phones reach it (https://...; http:// only to loopback).
        #[arg(long)]
        url: String,
        /// Pin this certificate (PEM; the first one in the file): the phone then trusts only
        /// it for --url, instead of the certificates public CAs sign. For a self-signed
        /// certificate; move phones to a new one with announce-certificates.
        #[arg(long)]
        pin_cert: Option<PathBuf>,
    },
    /// Revokes a device (a lost or stolen phone): its requests are refused from now on and it
    /// locks at its next contact; what it still pushes is kept for officers. Audited.
    RevokeDevice {
        #[arg(long)]
        device: String,
    },
    /// What a revoked device still pushed, held apart: list it, admit an entry (applied with
    /// the same checks as a push; a failed check leaves it held with its code) or reject it
    /// with a reason. Audited under "cli"; the same as the console's Perangkat page.
    Quarantine {
        #[command(subcommand)]
        command: QuarantineCommand,
    },
    /// Signs a PMT model file with the district key and publishes it to the phones.
    PublishModel { file: PathBuf },
    /// Imports a recipient list (CSV with a header row, or JSON).
    ImportRecipients { file: PathBuf },
    /// Imports a DTSEN extract (CSV, one row per member; columns in docs/dtsen-extract.md).
    /// Every row is checked first: one bad row and nothing is imported. A family already held
    /// is replaced only by a higher version; its agents' phones receive the new one.
    ImportFamilies { file: PathBuf },
    /// Puts families on an agent's worklist (audited): a kelurahan (optionally one RW, RT), or
    /// the family ids listed in a file, one per line.
    Assign {
        #[command(flatten)]
        target: AssignTarget,
    },
    /// Takes families off an agent's worklist (audited); the phones drop them.
    Unassign {
        #[command(flatten)]
        target: AssignTarget,
    },
    /// Publishes results per family (CSV: family_id,hasil,desil,programmes,alasan; hasil is
    /// layak or tidak_layak; programmes and alasan separated by |) with the announcement date
    /// and the objection window; the agents' phones receive them. Audited.
    PublishResults {
        file: PathBuf,
        /// The announcement date (YYYY-MM-DD, local midnight WITA); today when not given.
        #[arg(long)]
        announced: Option<String>,
        /// Days the families have to object.
        #[arg(long, default_value_t = perlinsos_rules::dtsen::result::DEFAULT_OBJECTION_DAYS)]
        objection_days: i64,
    },
    /// Objections to results waiting for a decision.
    Objections,
    /// The decision on an objection to a result: dikabulkan (re-verify/correct) or ditolak.
    DecideObjection {
        #[arg(long)]
        objection: String,
        #[arg(long, value_parser = ["dikabulkan", "ditolak"])]
        decision: String,
        #[arg(long)]
        reason: String,
    },
    /// Visits of one family by two agents that wait for an officer.
    Conflicts,
    /// Keeps one of a family's conflicting visits; the others are superseded with the reason.
    /// Both phones hear it on their next sync. Audited.
    ResolveVisit {
        #[arg(long)]
        visit: String,
        #[arg(long)]
        reason: String,
    },
    /// Checks a receipt a resident shows: its short code or its QR payload.
    CheckReceipt { receipt: String },
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

#[global_allocator]
static ALLOCATOR: perlinsos_server::Allocator = perlinsos_server::Allocator;

fn main() -> std::process::ExitCode {
    // JSON lines: every value escaped, so nothing a client sends can forge a log line.
    tracing_subscriber::fmt()
        .json()
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
    // Run with the server stopped, before anything opens the folder as the server does.
    if let Command::RotateDataKey {
        new_key_file,
        batch_size,
    } = &cli.command
    {
        return rotate_data_key(&cli, new_key_file.as_deref(), *batch_size);
    }
    let state = AppState::open_with(
        &cli.data,
        cli.database_url.as_deref(),
        Arc::new(perlinsos_server::now_millis),
    )
    .map_err(|e| format!("cannot open {}: {e}", cli.data.display()))?;
    match cli.command {
        Command::Serve {
            listen,
            secure_cookies,
            trusted_proxies,
            tls_cert,
            tls_key,
        } => {
            // Read before anything listens: a wrong file stops the start, not the first phone.
            let tls = match (&tls_cert, &tls_key) {
                (Some(cert), Some(key)) => Some(perlinsos_server::tls::acceptor(cert, key)?),
                _ => None,
            };
            let mut state = state;
            state.secure_cookies = secure_cookies;
            state.trusted_proxies = trusted_proxies;
            if let Ok(n) = review::expire_overdue(&state) {
                if n > 0 {
                    tracing::info!(event = "sanggahan_lapsed", count = n);
                }
            }
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
                let tls_on = tls.is_some();
                tracing::info!(event = "listening", %addr, tls = tls_on);
                println!("listening on {addr}");
                match tls {
                    Some(tls) => perlinsos_server::serve_tls(listener, state, tls).await,
                    None => perlinsos_server::serve(listener, state).await,
                }
                .map_err(|e| e.to_string())
            })
        }
        Command::EnrollCode {
            agent,
            scope,
            replaces,
            hours,
            url,
            pin_cert,
        } => {
            let ttl = hours
                .checked_mul(3_600_000)
                .filter(|t| *t > 0)
                .ok_or("--hours must be a positive number of hours")?;
            let pinned = pin_cert
                .as_deref()
                .map(perlinsos_server::tls::end_entity)
                .transpose()?;
            let ticket = match (replaces, agent) {
                (Some(old), _) => {
                    operator::replacement_ticket(&state, &old, ttl, &url, pinned.as_deref(), "cli")?
                }
                (None, agent) => operator::enroll_ticket(
                    &state,
                    agent.as_deref().unwrap_or_default(),
                    &scope,
                    ttl,
                    &url,
                    pinned.as_deref(),
                )?,
            };
            println!("Kode pendaftaran : {} (berlaku {hours} jam)", ticket.code);
            println!("Server           : {}", ticket.server_url);
            println!("Sidik kunci dinas: {}", ticket.fingerprint_groups());
            if let Some(groups) = ticket.certificate_groups() {
                println!("Sidik sertifikat : {groups}");
            }
            println!("QR               : {}", ticket.payload());
            Ok(())
        }
        Command::RevokeDevice { device } => {
            operator::revoke_device(&state, &device, "cli")?;
            println!("revoked {device}");
            Ok(())
        }
        Command::Quarantine { command } => quarantine_command(&state, command),
        Command::PublishModel { file } => {
            let text = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
            let (id, version) = operator::publish_model(&state, &text)?;
            println!("published {id} v{version}");
            Ok(())
        }
        Command::PublishResults {
            file,
            announced,
            objection_days,
        } => {
            if !(1..=perlinsos_rules::dtsen::result::MAX_OBJECTION_DAYS).contains(&objection_days) {
                return Err("--objection-days must be 1..120".into());
            }
            let announced_at = match announced {
                Some(day) => perlinsos_rules::Date::parse_iso(&day)
                    .map(|d| d.days_since_epoch() * perlinsos_rules::date::DAY_MS - 8 * 3_600_000)
                    .ok_or("--announced must be YYYY-MM-DD")?,
                None => perlinsos_server::now_millis(),
            };
            let bytes = std::fs::read(&file).map_err(|e| e.to_string())?;
            let results = perlinsos_server::results::parse(&bytes, announced_at, objection_days)
                .map_err(|errors| format!("nothing published:\n  {}", errors.join("\n  ")))?;
            let published = perlinsos_server::results::publish(&state, "cli", &results)?;
            println!(
                "published {} results; {} changes queued for agents",
                published.results, published.changes
            );
            Ok(())
        }
        Command::Objections => {
            let rows = state
                .db
                .read(perlinsos_server::objections::open)
                .map_err(|e| e.0)?;
            for r in &rows {
                println!(
                    "{}  family {}  {}  agent {}",
                    r.id, r.family_id, r.reason, r.agent_id
                );
            }
            println!("{} objections waiting", rows.len());
            Ok(())
        }
        Command::DecideObjection {
            objection,
            decision,
            reason,
        } => {
            perlinsos_server::objections::decide(
                &state,
                "cli",
                &objection,
                decision == "dikabulkan",
                &reason,
            )
            .map_err(|e| format!("{e:?}"))?;
            println!("{objection}: {decision}");
            Ok(())
        }
        Command::Conflicts => {
            let rows = state
                .db
                .read(|tx| perlinsos_server::visits::conflicts(tx, None))
                .map_err(|e| e.0)?;
            for r in &rows {
                println!(
                    "{}  family {}  agent {}  {}  {}",
                    r.id, r.family_id, r.agent_id, r.outcome, r.kelurahan_code
                );
            }
            println!("{} visits in conflict", rows.len());
            Ok(())
        }
        Command::ResolveVisit { visit, reason } => {
            let n = perlinsos_server::visits::resolve(&state, "cli", &visit, &reason)
                .map_err(|e| e.to_string())?;
            println!("kept {visit}; {} visits decided", n);
            Ok(())
        }
        Command::CheckReceipt { receipt } => {
            match perlinsos_server::receipts::check(&state, &receipt) {
                Ok(found) => {
                    for c in found {
                        println!(
                            "SAH  {}  {} {}  ponsel {}  status {}",
                            c.code,
                            c.record_kind,
                            c.record_id,
                            c.device_id,
                            c.status.as_deref().unwrap_or("-")
                        );
                    }
                    Ok(())
                }
                Err(e) => Err(e.message().to_owned()),
            }
        }
        Command::ImportFamilies { file } => {
            let file = std::fs::File::open(&file).map_err(|e| e.to_string())?;
            let imported = families::import(&state, std::io::BufReader::new(file), "cli")
                .map_err(|e| e.to_string())?;
            println!(
                "imported {} families: {} new, {} updated, {} unchanged, {} older than held; \
                 {} worklist changes queued",
                imported.families,
                imported.added,
                imported.updated,
                imported.unchanged,
                imported.older,
                imported.changes
            );
            Ok(())
        }
        Command::Assign { target } => {
            let done = families::assign(&state, "cli", &target.agent, &target.selection()?)?;
            print_assigned(&done, "assigned to", &target.agent)
        }
        Command::Unassign { target } => {
            let done = families::unassign(&state, "cli", &target.agent, &target.selection()?)?;
            print_assigned(&done, "withdrawn from", &target.agent)
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
            let status = review::decide(&state, "cli", &sanggahan, &decision, reason.as_deref())
                .map_err(|r| format!("{}: {}", r.code, r.message))?;
            println!("{sanggahan} {}", status.as_str());
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    role,
                    scope,
                },
        } => {
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .map_err(|e| e.to_string())?;
            let role = Role::parse(&role).ok_or("role: peninjau or admin")?;
            accounts::add(
                &state,
                &username,
                role,
                password.trim_end_matches(['\r', '\n']),
                &scope,
            )?;
            println!("{username} ({})", role.as_str());
            Ok(())
        }
        Command::User {
            command: UserCommand::Scope { username, scope },
        } => {
            accounts::set_scope(&state, &username, &scope, "cli")?;
            println!("{username}: {}", scope.join(","));
            Ok(())
        }
        Command::AnnounceCertificates { certs } => {
            let ders = certs
                .iter()
                .map(|path| perlinsos_server::tls::end_entity(path))
                .collect::<Result<Vec<_>, _>>()?;
            for pin in operator::announce_certificates(&state, &ders, "cli")? {
                println!("{pin}");
            }
            Ok(())
        }
        Command::RotateRecordKey => {
            let now = perlinsos_server::now_millis();
            let key_id = state
                .db
                .write(|tx| {
                    perlinsos_server::record_keys::rotate(tx, &state.keys, &state.district_key, now)
                })
                .map_err(|e: perlinsos_server::db::DbError| e.0)?;
            println!("{key_id}");
            Ok(())
        }
        Command::RotateDataKey { .. } => Ok(()),
        Command::Expire => {
            let n = review::expire_overdue(&state).map_err(|e| e.0)?;
            println!("{n} kedaluwarsa");
            Ok(())
        }
        Command::ExportRegistrations { kelurahan, out } => {
            let (households, _) =
                registrations::list(&state, kelurahan.as_deref(), None, &accounts::Scope::All)
                    .map_err(|e| e.0)?;
            // The operator at the server's own console: the whole district, full numbers.
            let csv = registrations::csv(&households, true);
            let now = perlinsos_server::now_millis();
            state
                .db
                .write(|tx| {
                    staff_audit::record(
                        tx,
                        now,
                        "cli",
                        "registrations_exported",
                        kelurahan.as_deref(),
                        Some(&format!("{} keluarga", households.len())),
                    )
                })
                .map_err(|e| e.0)?;
            match out {
                Some(path) => {
                    use std::io::Write;
                    let mut file = std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .open(&path)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    file.write_all(&csv).map_err(|e| e.to_string())?;
                    eprintln!("{} keluarga -> {}", households.len(), path.display());
                }
                None => {
                    use std::io::Write;
                    std::io::stdout()
                        .write_all(&csv)
                        .map_err(|e| e.to_string())?;
                }
            }
            Ok(())
        }
        Command::Audit { limit } => {
            let entries = state
                .db
                .read(|tx| staff_audit::recent(tx, limit))
                .map_err(|e| e.0)?;
            for line in entries {
                let record = line.record_id.unwrap_or_default();
                println!("{}\t{}\t{}\t{record}", line.at, line.username, line.action);
            }
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

fn rotate_data_key(
    cli: &Cli,
    new_key_file: Option<&std::path::Path>,
    batch: usize,
) -> Result<(), String> {
    use perlinsos_server::data_key_rotation::{self, Options, NEW_KEY_ENV};
    let new_key = match new_key_file {
        Some(path) => Some(zeroize::Zeroizing::new(
            std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?,
        )),
        None => std::env::var(NEW_KEY_ENV).ok().map(zeroize::Zeroizing::new),
    };
    data_key_rotation::rotate(
        &cli.data,
        cli.database_url.as_deref(),
        &Options { batch, new_key },
        &mut |line| println!("{line}"),
    )
}

fn print_assigned(done: &families::Assigned, verb: &str, agent: &str) -> Result<(), String> {
    println!(
        "{} families {verb} {agent} ({} already so)",
        done.changed, done.already
    );
    if !done.unknown.is_empty() {
        return Err(format!(
            "{} family ids are not imported: {}",
            done.unknown.len(),
            done.unknown.join(", ")
        ));
    }
    Ok(())
}

fn quarantine_command(state: &AppState, command: QuarantineCommand) -> Result<(), String> {
    use perlinsos_server::quarantine::{self, Decided};
    let decided = match command {
        QuarantineCommand::List { device, after } => {
            let held = state
                .db
                .read(|tx| quarantine::list(tx, &device, &after))
                .map_err(|e| e.0)?;
            for h in held {
                let status = match (h.decision.as_deref(), h.last_code) {
                    (Some(decision), _) => decision.to_owned(),
                    (None, Some(code)) => format!("held ({})", code.name()),
                    (None, None) => "held".to_owned(),
                };
                println!(
                    "{}\t{}\t{}\t{}",
                    h.entry_id,
                    h.kind,
                    h.kelurahan_code.as_deref().unwrap_or("-"),
                    status
                );
            }
            return Ok(());
        }
        QuarantineCommand::Admit { device, entry } => {
            quarantine::admit(state, &device, &entry, "cli")
        }
        QuarantineCommand::Reject {
            device,
            entry,
            reason,
        } => quarantine::reject(state, &device, &entry, "cli", &reason),
    };
    match decided.map_err(|e| e.message().to_owned())? {
        Decided::Admitted => println!("admitted"),
        Decided::Rejected => println!("rejected"),
        Decided::AlreadyAdmitted => println!("admitted already: nothing changed"),
        Decided::AlreadyRejected => println!("rejected already: nothing changed"),
        Decided::Refused(code) => {
            return Err(format!(
                "not admitted, still held: {} ({})",
                code.name(),
                code.message()
            ))
        }
    }
    Ok(())
}
