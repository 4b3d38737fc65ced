use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use noctis_core::telemetry;
use noctis_receiver::{Application, health_probe};

/// Noctis DICOM receiver: admits registered facilities by calling AE title and
/// stores their instances.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Configuration file (default: ./noctis.toml when present).
    #[arg(long, env = "NOCTIS_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Receive (the default).
    Serve,
    /// Exit 0 when the receiver on this host answers its health endpoint
    /// (`dicom.health_port`) with 200: the container image's health check.
    Healthcheck,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = noctis_core::Config::load(cli.config.as_deref())?;
    if let Some(Command::Healthcheck) = cli.command {
        health_probe::probe(config.dicom.health_port, Duration::from_secs(3)).await?;
        return Ok(());
    }
    telemetry::init(&config.log);
    let ae_title = config.dicom.ae_title.clone();
    let app = Application::build(config).await?;
    // Listening for SIGTERM before announcing readiness: whoever starts us may stop us at once.
    let stop = telemetry::shutdown_signal();
    tracing::info!(
        ae_title = %ae_title,
        dicom_port = app.dicom_port(),
        dicom_tls_port = app.dicom_tls_port(),
        health_port = app.health_port(),
        web_port = app.web_port(),
        "receiver listening"
    );
    app.run_until_stopped(stop).await;
    Ok(())
}
