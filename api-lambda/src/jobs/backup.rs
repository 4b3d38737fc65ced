//! `noctis-api export` and `import`: the registry archive (JSON Lines) to a
//! file or stdout, and from one into an empty backend.

use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::Context;
use noctis_core::Ports;
use noctis_core::domain::{ArchiveCounts, ArchiveLine, now};
use noctis_core::usecases::backup::{BackupPorts, export, import};

fn backup_ports(ports: &Ports) -> BackupPorts<'_> {
    BackupPorts {
        facilities: ports.facilities.as_ref(),
        users: ports.users.as_ref(),
        reports: ports.reports.as_ref(),
        bans: ports.bans.as_ref(),
        audit: ports.audit.as_ref(),
        index: ports.studies.as_ref(),
    }
}

/// Exports to `output` (stdout when `None`). A file is written beside,
/// synced and renamed into place: a failed export leaves no archive that
/// looks whole.
pub async fn run_export(ports: &Ports, output: Option<&Path>) -> anyhow::Result<ArchiveCounts> {
    let Some(path) = output else {
        let mut out = std::io::BufWriter::new(std::io::stdout());
        let counts = export_to(ports, &mut out).await?;
        out.flush()?;
        return Ok(counts);
    };
    let temp = path.with_extension("partial");
    let file = std::fs::File::create(&temp).with_context(|| format!("creating {}", temp.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let counts = export_to(ports, &mut out).await?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    std::fs::rename(&temp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(counts)
}

async fn export_to(ports: &Ports, out: &mut (dyn Write + Send)) -> anyhow::Result<ArchiveCounts> {
    let mut write = |line: &ArchiveLine| -> std::io::Result<()> {
        serde_json::to_writer(&mut *out, line).map_err(std::io::Error::other)?;
        out.write_all(b"\n")
    };
    export(backup_ports(ports), now(), &mut write).await.map_err(|e| anyhow::anyhow!("{e}"))
}

/// Imports the archive at `input` (stdin for `-`).
pub async fn run_import(ports: &Ports, input: &Path) -> anyhow::Result<ArchiveCounts> {
    let reader: Box<dyn BufRead + Send> = if input == Path::new("-") {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let file = std::fs::File::open(input).with_context(|| format!("opening {}", input.display()))?;
        Box::new(std::io::BufReader::new(file))
    };
    let lines = reader.lines().map(|line| {
        let line = line.map_err(|e| e.to_string())?;
        serde_json::from_str::<ArchiveLine>(&line).map_err(|e| e.to_string())
    });
    import(backup_ports(ports), lines).await.map_err(|e| anyhow::anyhow!("{e}"))
}
