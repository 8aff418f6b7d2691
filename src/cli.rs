//! The `protection-portal` command line (product.md § 8).

use std::io::{BufRead, IsTerminal, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use secrecy::SecretString;

use crate::app::missions::{MissionInput, create_mission};
use crate::app::users::{UserInput, create_user_with_password};
use crate::app::{self, Acting, AppError};
use crate::auth::password::HashCost;
use crate::db;
use crate::settings::Settings;
use crate::startup::{self, Application};
use crate::telemetry;

#[derive(Debug, Parser)]
#[command(
    name = "protection-portal",
    version,
    about = "The portal through which foreign missions in Norway request external protection."
)]
pub struct Cli {
    /// Folder holding default.toml and the per-environment settings files.
    #[arg(long, global = true, default_value = "config", value_name = "DIR")]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve the web pages and the API.
    Serve {
        /// Address and port to listen on (overrides server.bind).
        #[arg(long, value_name = "ADDR")]
        bind: Option<String>,
        /// On an empty database, create two missions and one account per role, and print their sign-ins.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage missions.
    Mission {
        #[command(subcommand)]
        action: MissionCommand,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Deliver queued e-mail until stopped (SIGTERM/SIGINT), for deployments where the worker
    /// runs apart from `serve` (set worker.embedded = false there).
    Worker,
    /// The security log.
    Audit {
        #[command(subcommand)]
        action: AuditCommand,
    },
    /// Keys kept outside the database (the security log's key, the sealing keys).
    Keys {
        #[command(subcommand)]
        action: KeysCommand,
    },
    /// Print the life cycle of a request: its table, or with --dot a Graphviz graph
    /// (`protection-portal workflow --dot | dot -Tsvg > docs/life-cycle.svg`).
    Workflow {
        /// Print the table as a Graphviz graph, coloured by who takes each step.
        #[arg(long)]
        dot: bool,
    },
    /// The statistics' sums.
    Statistics {
        #[command(subcommand)]
        action: StatisticsCommand,
    },
    /// Manage personal access tokens for the API.
    Token {
        #[command(subcommand)]
        action: TokenCommand,
    },
    /// Development only: fill the database with missions, people and requests in every state
    /// (for benchmarks). Refuses a database holding requests it did not seed.
    #[command(hide = true)]
    Seed {
        /// How many requests.
        #[arg(long, default_value_t = 10_000)]
        requests: u64,
        /// Over how many missions (one staff member each).
        #[arg(long, default_value_t = 50)]
        missions: usize,
        /// Requests per transaction.
        #[arg(long, default_value_t = 5_000)]
        batch: u64,
        /// Only requests in this state (e.g. in_effect: with their measures' end dates mostly
        /// passed, a backlog for the portal's automatic end); every state when left out.
        #[arg(long)]
        state: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MissionCommand {
    /// Register a mission; prints its id as the last line.
    Create {
        /// The mission's name, e.g. "Embassy of Iceland".
        #[arg(long)]
        name: String,
        /// ISO 3166-1 alpha-2 code of the sending country, e.g. IS.
        #[arg(long)]
        country: String,
        /// embassy, consulate or international_organisation.
        #[arg(long, default_value = "embassy")]
        kind: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; reads the password from standard input and prints the id as the last line.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// mission_staff, mfa_officer, police_liaison, pst_analyst, admin or auditor.
        #[arg(long)]
        role: String,
        /// The mission's id (mission staff only).
        #[arg(long, value_name = "ID")]
        mission: Option<String>,
        /// none, restricted, confidential, secret or top_secret (MFA, police and PST only).
        #[arg(long, value_name = "LEVEL")]
        clearance: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the security log's keyed chain: exit 0 if intact, 1 naming the first broken entry.
    Verify {
        /// A checkpoint from the operator log (`security log checkpoint`, seq and hash), as
        /// SEQ:HASH: also prove that the log still holds that entry with that hash.
        #[arg(long, value_name = "SEQ:HASH")]
        from_checkpoint: Option<crate::audit::Checkpoint>,
    },
}

#[derive(Debug, Subcommand)]
pub enum StatisticsCommand {
    /// Make the statistics' sums again from the requests (after figures were changed in the
    /// database by hand, or a partial restore). It takes seconds at a million requests; a step
    /// taken meanwhile waits up to the database's lock timeout and is otherwise refused as
    /// busy (run it at a quiet moment).
    Recount,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a fresh log key and sealing key, in the key file's format (nothing is stored).
    Generate,
    /// Re-seal every sealed secret under the current key (keys.seal); afterwards the keys in
    /// keys.seal_previous are no longer needed. Changes nothing if any secret does not open.
    Rotate,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a personal access token for a user; prints the token as the last line.
    Create {
        #[arg(long, value_name = "EMAIL")]
        user: String,
        #[arg(long, value_name = "LABEL")]
        name: Option<String>,
    },
}

/// Prints the life-cycle table, as text or as a Graphviz graph.
fn print_workflow(dot: bool) {
    if dot {
        print!("{}", crate::diagram::dot());
    } else {
        print!("{}", crate::diagram::table());
    }
}

/// Runs a parsed command line; the exit code is 0 on success, 1 on failure, 2 on bad settings.
pub fn run(cli: Cli) -> ExitCode {
    if let Command::Keys {
        action: KeysCommand::Generate,
    } = cli.command
    {
        // Needs no settings: it is how production gets the keys it cannot start without.
        print!("{}", crate::auth::keys::generate_file_text());
        return ExitCode::SUCCESS;
    }
    if let Command::Workflow { dot } = cli.command {
        // Needs no settings: the table is the code's.
        print_workflow(dot);
        return ExitCode::SUCCESS;
    }
    let settings = match Settings::load(&cli.config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("protection-portal: {e:#}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log);
    let outcome = actix_web::rt::System::new().block_on(execute(cli.command, settings));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("protection-portal: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command, mut settings: Settings) -> anyhow::Result<()> {
    if !matches!(command, Command::Serve { .. } | Command::Worker) {
        // An operator's command may rightly run longer than a person's request (seeding a
        // million requests, verifying a long log, re-sealing every seed).
        settings = settings.for_maintenance();
    }
    match command {
        Command::Serve { bind, demo } => {
            if let Some(bind) = bind {
                settings.server.bind = bind;
                settings.validate()?;
            }
            if demo && settings.is_plain_http_loopback() {
                // The demo runs over plain HTTP on this machine: a `Secure` cookie would not
                // come back. Production (https public_url) is never affected.
                settings.security.cookie_secure = false;
            }
            serve(settings, demo).await
        }
        Command::Statistics {
            action: StatisticsCommand::Recount,
        } => {
            let database = settings.database.clone();
            startup::prepare(settings).await?;
            // On a connection of its own, without the statement limit of a person's request.
            tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
                let mut conn = db::open_unbounded(&database)?;
                db::write(&mut conn, db::statistics::recount)?;
                Ok(())
            })
            .await??;
            println!("The statistics were counted again from the requests.");
            Ok(())
        }
        Command::Keys {
            action: KeysCommand::Generate,
        } => {
            print!("{}", crate::auth::keys::generate_file_text());
            Ok(())
        }
        Command::Keys {
            action: KeysCommand::Rotate,
        } => {
            let prepared = startup::prepare(settings).await?;
            let outcome = db::run(&prepared.pool, |conn| app::keys::rotate(conn, app::now()))
                .await
                .map_err(explain)?;
            let done = outcome.map_err(|e| anyhow::anyhow!("{e}; nothing was changed"))?;
            println!(
                "Second-factor seeds under key {}: {} re-sealed, {} sealed from clear, {} already current.",
                crate::auth::keys::current().current_id(),
                done.resealed,
                done.sealed_from_clear,
                done.current
            );
            println!("The keys in keys.seal_previous are no longer needed and can be removed.");
            Ok(())
        }
        Command::Audit {
            action: AuditCommand::Verify { from_checkpoint },
        } => {
            let prepared = startup::prepare(settings).await?;
            let checkpoint = from_checkpoint.clone();
            let outcome = db::run(&prepared.pool, move |conn| {
                crate::audit::verify_from(conn, checkpoint.as_ref()).map_err(AppError::from)
            })
            .await
            .map_err(explain)?;
            match outcome {
                Ok(count) => {
                    println!("Security log intact: {count} entries, keyed chain verified.");
                    if let Some(c) = from_checkpoint {
                        println!(
                            "Checkpoint {} found with its hash; the chain from it to the newest entry is intact.",
                            c.seq
                        );
                    }
                    Ok(())
                }
                Err(broken) => Err(anyhow::anyhow!("{broken}")),
            }
        }
        Command::Worker => {
            let prepared = startup::prepare(settings).await?;
            let worker = startup::BackgroundWorker::start(&prepared)?;
            println!("Notification worker running; stop it with SIGTERM or Ctrl-C.");
            wait_for_signal().await?;
            tracing::info!("stopping after the send under way");
            actix_web::rt::task::spawn_blocking(move || worker.stop_and_join()).await?;
            Ok(())
        }
        Command::Migrate => {
            startup::prepare(settings).await?;
            println!("Database is up to date.");
            Ok(())
        }
        Command::Mission {
            action:
                MissionCommand::Create {
                    name,
                    country,
                    kind,
                },
        } => {
            let prepared = startup::prepare(settings).await?;
            let input = MissionInput {
                name,
                country,
                kind,
            };
            let mission = db::run(&prepared.pool, move |conn| {
                create_mission(conn, &Acting::command_line(), &input, app::now())
            })
            .await
            .map_err(explain)?;
            println!(
                "Created mission {} ({}, {}).",
                mission.name, mission.country, mission.kind
            );
            println!("{}", mission.id);
            Ok(())
        }
        Command::User {
            action:
                UserCommand::Create {
                    email,
                    name,
                    role,
                    mission,
                    clearance,
                },
        } => {
            let password = read_password()?;
            let prepared = startup::prepare(settings).await?;
            let cost = HashCost::from_settings(&prepared.settings.security);
            let input = UserInput {
                email,
                name,
                role,
                mission_id: mission,
                clearance,
            };
            let user = db::run(&prepared.pool, move |conn| {
                create_user_with_password(
                    conn,
                    &Acting::command_line(),
                    &input,
                    &password,
                    cost,
                    app::now(),
                )
            })
            .await
            .map_err(explain)?;
            println!("Created {} account for {}.", user.role, user.email);
            println!("{}", user.id);
            Ok(())
        }
        Command::Seed {
            requests,
            missions,
            batch,
            state,
        } => {
            if missions == 0 || batch == 0 {
                eprintln!("missions and batch must be at least 1");
                return Err(anyhow::anyhow!("invalid arguments"));
            }
            let only = match state
                .as_deref()
                .map(str::parse::<crate::domain::workflow::State>)
            {
                None => None,
                Some(Ok(state)) => Some(state),
                Some(Err(_)) => {
                    eprintln!(
                        "state: must be one of {}",
                        crate::domain::workflow::State::ALL
                            .iter()
                            .map(|s| s.code())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                    return Err(anyhow::anyhow!("invalid arguments"));
                }
            };
            let prepared = startup::prepare(settings).await?;
            let cost = crate::auth::password::HashCost::from_settings(&prepared.settings.security);
            let started = std::time::Instant::now();
            let seeded = db::run(&prepared.pool, move |conn| {
                app::seed::seed(
                    conn,
                    &app::seed::Plan {
                        requests,
                        missions,
                        batch,
                        only,
                    },
                    cost,
                    app::now(),
                    &mut |done| {
                        eprintln!("{done} of {requests} requests");
                    },
                )
            })
            .await
            .map_err(explain)?;
            println!(
                "Seeded {} requests over {} missions and {} people in {:.1} s; every password is \"password\", every authenticator key {}.",
                seeded.requests,
                seeded.missions,
                seeded.people,
                started.elapsed().as_secs_f64(),
                app::seed::SEEDED_TOTP_SECRET
            );
            for (email, role) in seeded
                .sign_ins
                .iter()
                .filter(|(_, r)| *r != "mission_staff")
                .chain(seeded.sign_ins.iter().take(1))
            {
                println!("  {role}: {email}");
            }
            Ok(())
        }
        Command::Workflow { dot } => {
            print_workflow(dot);
            Ok(())
        }
        Command::Token {
            action: TokenCommand::Create { user, name },
        } => {
            let prepared = startup::prepare(settings).await?;
            let created = db::run(&prepared.pool, move |conn| {
                let owner = app::tokens::user_by_email(conn, &user)?;
                app::tokens::create(
                    conn,
                    &Acting::command_line(),
                    &owner.id,
                    name.as_deref().unwrap_or("command line"),
                    None,
                    app::now(),
                )
            })
            .await
            .map_err(explain)?;
            println!(
                "Created personal access token {} ({}). It is shown only now; keep it secret.",
                created.row.prefix, created.row.name
            );
            println!("{}", created.token);
            Ok(())
        }
    }
}

async fn serve(settings: Settings, demo: bool) -> anyhow::Result<()> {
    let bind = settings.server_bind()?;
    let prepared = startup::prepare(settings).await?;
    let notes = startup::first_run(&prepared, demo).await?;
    let listener =
        TcpListener::bind(bind).map_err(|e| anyhow::anyhow!("cannot listen on {bind}: {e}"))?;
    let bound = listener.local_addr()?;
    let app = Application::build(&prepared, listener)?;
    actix_web::rt::spawn(startup::log_checkpoints(prepared.pool.clone()));
    if prepared.settings.scheduler.enabled {
        actix_web::rt::spawn(app::scheduler::run(
            prepared.pool.clone(),
            prepared.settings.clone(),
        ));
    }
    let base = prepared.settings.public_base().to_owned();
    let mut out = std::io::stdout().lock();
    if let Some(accounts) = &notes.demo_accounts {
        writeln!(
            out,
            "Demo data created. Sign-ins (shown once, not stored anywhere):"
        )?;
        for a in accounts {
            let mission = a
                .mission
                .as_deref()
                .map(|m| format!(" — {m}"))
                .unwrap_or_default();
            writeln!(
                out,
                "  {:<15} {:<32} {}{}",
                a.role, a.email, a.password, mission
            )?;
        }
    }
    if let Some(link) = &notes.first_admin_link {
        writeln!(
            out,
            "No accounts yet. Create the first administrator within {} hours at:",
            prepared.settings.security.first_admin_link_hours
        )?;
        writeln!(out, "  {link}")?;
    }
    writeln!(
        out,
        "Protection portal listening on http://{bound} (public address {base})."
    )?;
    drop(out);
    let worker = if prepared.settings.worker.embedded {
        Some(startup::BackgroundWorker::start(&prepared)?)
    } else {
        None
    };
    app.run_until_stopped().await?;
    if let Some(worker) = worker {
        actix_web::rt::task::spawn_blocking(move || worker.stop_and_join()).await?;
    }
    tracing::info!("stopped");
    Ok(())
}

/// Waits for SIGTERM or SIGINT.
async fn wait_for_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await?;
    Ok(())
}

/// Reads one line from standard input as the password (the trailing newline is not part of it).
fn read_password() -> anyhow::Result<SecretString> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password (12–128 characters): ");
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    Ok(SecretString::from(password.to_owned()))
}

/// Turns an application error into a message for the operator, naming fields and rules.
fn explain(e: AppError) -> anyhow::Error {
    match e {
        AppError::Invalid(errors) => anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        other => anyhow::anyhow!("{other}"),
    }
}
