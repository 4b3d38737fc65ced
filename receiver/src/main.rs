use std::path::PathBuf;

use clap::Parser;

/// Noctis DICOM receiver.
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
    println!("configuration loaded: backend {:?}, AE title {}", config.storage.backend, config.dicom.ae_title);
    Ok(())
}
