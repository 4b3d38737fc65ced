use std::path::PathBuf;

use clap::Parser;

/// Noctis management API.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Configuration file (default: ./noctis.toml when present).
    #[arg(long, env = "NOCTIS_CONFIG")]
    config: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = noctis_core::Config::load(cli.config.as_deref())?;
    println!("configuration loaded: backend {:?}, API port {}", config.storage.backend, config.api.port);
    Ok(())
}
