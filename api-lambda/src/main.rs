use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use noctis_api::{bootstrap, jobs, router};
use noctis_core::usecases::reindex::{Pass, ReindexMode};
use noctis_core::usecases::retention::{ExpiredStudy, RetentionMode};

/// Noctis management API: serves on Lambda when started by the Lambda runtime,
/// as a local HTTP server otherwise.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Configuration file (default: ./noctis.toml when present).
    #[arg(long, env = "NOCTIS_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Create an administrator; the password is read from NOCTIS_ADMIN_PASSWORD or stdin.
    CreateAdmin {
        #[arg(long)]
        username: String,
    },
    /// Register a facility (AE title generated from the name unless given); prints its DICOM settings.
    CreateFacility {
        #[arg(long)]
        name: String,
        #[arg(long)]
        license_number: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        ae_title: Option<String>,
    },
    /// Delete every study older than its facility's retention period, counted
    /// from its last receipt; prints each one. Run it daily (on AWS, an
    /// EventBridge schedule does).
    Retention {
        /// List what would be deleted, and delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Rebuild the index from the objects in storage: index every instance no
    /// row names (reading only its header), remove rows whose object is gone,
    /// and report objects no facility owns. Idempotent; resumable with
    /// --progress-file.
    Reindex {
        /// Report what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Keep where the run got to here, and resume from it when it exists;
        /// removed once the run completes.
        #[arg(long)]
        progress_file: Option<PathBuf>,
        /// Stop (resumable) after examining this many objects.
        #[arg(long)]
        max_objects: Option<u64>,
        /// Objects listed per page.
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=1000))]
        page_size: u64,
        /// Objects examined at once.
        #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=256))]
        concurrency: u64,
    },
    /// Write the registry (facilities, users with their password hashes,
    /// reports, bans in force, the audit trail) as a JSON Lines archive.
    /// Images are not in it: copy the objects, then `reindex`.
    Export {
        /// The archive to write (written beside and renamed into place); stdout when absent.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Restore a registry archive into an empty backend (no facility, no user).
    Import {
        /// The archive to read; `-` for stdin.
        #[arg(long)]
        input: PathBuf,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = noctis_core::Config::load(cli.config.as_deref())?;
    noctis_core::telemetry::init(&config.log);
    // The jobs need storage alone; the rest the API's whole state, its token key included.
    let state = || bootstrap::state(config.clone());
    let on_lambda = std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Retention { dry_run } => retention(&open_ports(&config).await?, dry_run).await,
        Command::Reindex { dry_run, progress_file, max_objects, page_size, concurrency } => {
            let mode = if dry_run { ReindexMode::DryRun } else { ReindexMode::Repair };
            let run = jobs::reindex::ReindexRun {
                mode,
                progress_file,
                max_objects,
                page_size: page_size as usize,
                concurrency: concurrency as usize,
            };
            reindex(&open_ports(&config).await?, run).await
        }
        Command::Export { output } => {
            let counts = jobs::backup::run_export(&open_ports(&config).await?, output.as_deref()).await?;
            eprintln!("exported {}", describe(&counts));
            Ok(())
        }
        Command::Import { input } => {
            let counts = jobs::backup::run_import(&open_ports(&config).await?, &input).await?;
            println!("imported {}", describe(&counts));
            Ok(())
        }
        Command::Serve
            if on_lambda && std::env::var("NOCTIS_LAMBDA_JOB").is_ok_and(|job| job == jobs::retention::LAMBDA_JOB) =>
        {
            jobs::retention::serve_on_lambda(open_ports(&config).await?).await
        }
        Command::CreateAdmin { username } => {
            let password = admin_password()?;
            bootstrap::create_admin(&state().await?, &username, password, false).await?;
            println!("administrator {username} created");
            Ok(())
        }
        Command::CreateFacility { name, license_number, email, ae_title } => {
            let facility =
                bootstrap::create_facility(&state().await?, &name, &license_number, &email, ae_title.as_deref())
                    .await?;
            println!(
                "facility {} registered: calling AE title {}, called AE title {}",
                facility.name, facility.ae_title, config.dicom.ae_title
            );
            Ok(())
        }
        Command::Serve if on_lambda => {
            let state = state().await?;
            if let (Some(username), Ok(password)) =
                (&config.api.bootstrap_admin, std::env::var("NOCTIS_ADMIN_PASSWORD"))
            {
                bootstrap::create_admin(&state, username, password, true).await?;
            }
            lambda_http::run(router(state)).await.map_err(|e| anyhow::anyhow!(e))
        }
        Command::Serve => {
            let state = state().await?;
            // Listening for SIGTERM before announcing readiness: whoever starts us may stop us at once.
            let stop = noctis_core::telemetry::shutdown_signal();
            let address = SocketAddr::new(config.api.bind, config.api.port);
            let listener = tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("could not listen on {address}"))?;
            tracing::info!(address = %listener.local_addr()?, api_port = listener.local_addr()?.port(), "api listening");
            axum::serve(listener, router(state).into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(stop)
                .await?;
            Ok(())
        }
    }
}

fn describe(counts: &noctis_core::domain::ArchiveCounts) -> String {
    format!(
        "{} facilities, {} users, {} reports, {} bans, {} audit events",
        counts.facilities, counts.users, counts.reports, counts.bans, counts.audit_events
    )
}

async fn open_ports(config: &noctis_core::Config) -> anyhow::Result<noctis_core::Ports> {
    Ok(noctis_core::wiring::open_ports(config).await?)
}

async fn retention(ports: &noctis_core::Ports, dry_run: bool) -> anyhow::Result<()> {
    let mode = if dry_run { RetentionMode::DryRun } else { RetentionMode::Delete };
    let verb = if dry_run { "would delete" } else { "deleted" };
    let mut print = |study: &ExpiredStudy| {
        println!(
            "{verb} study {} (facility {}, UID {}): last received {}, {} instances, {} bytes, retention {} days",
            study.study_id,
            study.facility_id,
            study.study_instance_uid,
            study.last_received_at.to_rfc3339(),
            study.instances,
            study.bytes,
            study.retention_days
        );
    };
    let summary = jobs::retention::run(ports, mode, &mut print).await?;
    println!(
        "{verb} {} studies ({} instances, {} bytes) of {} facilities with a retention period",
        summary.studies, summary.instances, summary.bytes, summary.facilities
    );
    Ok(())
}

async fn reindex(ports: &noctis_core::Ports, run: jobs::reindex::ReindexRun) -> anyhow::Result<()> {
    let verb = if run.mode == ReindexMode::DryRun { "would index" } else { "indexed" };
    let outcome = jobs::reindex::run(ports, run).await?;
    let c = &outcome.progress.counts;
    let state_of_run = if outcome.progress.pass == Pass::Done { "complete" } else { "stopped, to be resumed" };
    println!(
        "reindex {state_of_run}: {} objects ({} already indexed, {verb} {}, {} orphaned, {} foreign, {} unreadable, \
         {} mismatched), {} rows checked ({} without their object), {} header bytes read, {:.0} objects/s",
        c.objects,
        c.already_indexed,
        c.indexed,
        c.orphaned,
        c.foreign,
        c.unreadable,
        c.mismatched,
        c.rows,
        c.rows_without_object,
        c.header_bytes,
        outcome.objects_per_second
    );
    Ok(())
}

fn admin_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("NOCTIS_ADMIN_PASSWORD") {
        return Ok(password);
    }
    let mut password = String::new();
    std::io::stdin().read_to_string(&mut password).context("reading the password from stdin")?;
    Ok(password.trim_end_matches(['\r', '\n']).to_owned())
}
