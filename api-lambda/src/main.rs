use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use noctis_api::{bootstrap, router};

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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = noctis_core::Config::load(cli.config.as_deref())?;
    noctis_core::telemetry::init(&config.log);
    let state = bootstrap::state(config.clone()).await?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::CreateAdmin { username } => {
            let password = admin_password()?;
            bootstrap::create_admin(&state, &username, password, false).await?;
            println!("administrator {username} created");
            Ok(())
        }
        Command::CreateFacility { name, license_number, email, ae_title } => {
            let facility =
                bootstrap::create_facility(&state, &name, &license_number, &email, ae_title.as_deref()).await?;
            println!(
                "facility {} registered: calling AE title {}, called AE title {}",
                facility.name, facility.ae_title, config.dicom.ae_title
            );
            Ok(())
        }
        Command::Serve if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() => {
            if let (Some(username), Ok(password)) =
                (&config.api.bootstrap_admin, std::env::var("NOCTIS_ADMIN_PASSWORD"))
            {
                bootstrap::create_admin(&state, username, password, true).await?;
            }
            lambda_http::run(router(state)).await.map_err(|e| anyhow::anyhow!(e))
        }
        Command::Serve => {
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

fn admin_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("NOCTIS_ADMIN_PASSWORD") {
        return Ok(password);
    }
    let mut password = String::new();
    std::io::stdin().read_to_string(&mut password).context("reading the password from stdin")?;
    Ok(password.trim_end_matches(['\r', '\n']).to_owned())
}
