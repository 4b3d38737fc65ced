//! `noctis-api reindex`: the index rebuilt from the objects in storage, with
//! its findings on stdout, its progress on a terminal's progress line (JSON
//! logs otherwise), and where it got to kept in a progress file so that a run
//! stopped, or bounded by `--max-objects`, resumes where it left off.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use noctis_core::Ports;
use noctis_core::usecases::reindex::{
    Finding, Pass, ReindexMode, ReindexObserver, ReindexOptions, ReindexPorts, ReindexProgress, reindex,
};

#[derive(Debug)]
pub struct ReindexRun {
    pub mode: ReindexMode,
    /// Where progress is kept between runs; none to start afresh every time.
    pub progress_file: Option<PathBuf>,
    pub max_objects: Option<u64>,
    pub page_size: usize,
    pub concurrency: usize,
}

/// What the run came to: finished, or stopped to be resumed.
#[derive(Debug)]
pub struct ReindexOutcome {
    pub progress: ReindexProgress,
    pub objects_per_second: f64,
}

pub async fn run(ports: &Ports, run: ReindexRun) -> anyhow::Result<ReindexOutcome> {
    let progress = match &run.progress_file {
        Some(path) => read_progress(path)?,
        None => ReindexProgress::start(),
    };
    if progress.pass != Pass::Objects || progress.objects_after.is_some() {
        println!("resuming: {} objects examined before, {:?} pass", progress.counts.objects, progress.pass);
    }
    let started = Instant::now();
    let before = progress.counts.objects;
    let mut observer = Printer::new(run.mode, run.progress_file.clone());
    let ports = ReindexPorts {
        facilities: ports.facilities.as_ref(),
        index: ports.studies.as_ref(),
        objects: ports.objects.as_ref(),
        audit: ports.audit.as_ref(),
    };
    let options = ReindexOptions {
        mode: run.mode,
        page_size: run.page_size,
        concurrency: run.concurrency,
        max_objects: run.max_objects,
    };
    let progress = reindex(ports, options, progress, &mut observer).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    observer.finish();
    if progress.pass == Pass::Done
        && let Some(path) = &run.progress_file
    {
        // Finished: the next run starts afresh.
        std::fs::remove_file(path).or_else(ignore_missing).with_context(|| format!("removing {}", path.display()))?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let objects_per_second = (progress.counts.objects - before) as f64 / seconds.max(f64::EPSILON);
    Ok(ReindexOutcome { progress, objects_per_second })
}

fn ignore_missing(e: std::io::Error) -> std::io::Result<()> {
    if e.kind() == std::io::ErrorKind::NotFound { Ok(()) } else { Err(e) }
}

fn read_progress(path: &Path) -> anyhow::Result<ReindexProgress> {
    match std::fs::read(path) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes).with_context(|| format!("{} is not a reindex progress file", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ReindexProgress::start()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Written beside, synced, then renamed over: a crash leaves the old progress or the new.
fn write_progress(path: &Path, progress: &ReindexProgress) -> std::io::Result<()> {
    use std::io::Write;
    let temp = path.with_extension("partial");
    let mut file = std::fs::File::create(&temp)?;
    file.write_all(&serde_json::to_vec_pretty(progress).map_err(std::io::Error::other)?)?;
    file.sync_all()?;
    std::fs::rename(&temp, path)
}

/// Prints findings, shows progress, keeps the progress file.
struct Printer {
    mode: ReindexMode,
    progress_file: Option<PathBuf>,
    /// On a terminal: a live line of counts. Otherwise a log line per page.
    bar: Option<indicatif::ProgressBar>,
}

impl Printer {
    fn new(mode: ReindexMode, progress_file: Option<PathBuf>) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            bar
        });
        Self { mode, progress_file, bar }
    }

    fn say(&self, line: String) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => println!("{line}"),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl ReindexObserver for Printer {
    fn found(&mut self, finding: &Finding) {
        let dry = self.mode == ReindexMode::DryRun;
        let line = match finding {
            // Indexing what had no row is the point of a run; listed only when asked what a run would do.
            Finding::Indexed { key } if dry => format!("would index {key}"),
            Finding::Indexed { .. } => return,
            Finding::Orphaned { key } => format!("orphaned {key}: no registered facility owns it; left alone"),
            Finding::Foreign { key } => format!("foreign {key}: not an instance key Noctis writes; left alone"),
            Finding::Unreadable { key, why } => format!("unreadable {key}: {why}; left alone"),
            Finding::Mismatched { key } => format!("mismatched {key}: its header names another instance; left alone"),
            Finding::RowWithoutObject { study, key } => {
                let verb = if dry { "would remove" } else { "removed" };
                format!("{verb} the row of {key} (study {study}): its object is gone")
            }
        };
        self.say(line);
    }

    fn reached(&mut self, progress: &ReindexProgress) -> std::io::Result<()> {
        if let Some(path) = &self.progress_file {
            write_progress(path, progress)?;
        }
        let c = &progress.counts;
        match &self.bar {
            Some(bar) => bar.set_message(format!(
                "{:?} pass: {} objects ({} indexed, {} already), {} rows checked",
                progress.pass, c.objects, c.indexed, c.already_indexed, c.rows
            )),
            None => tracing::info!(
                pass = ?progress.pass,
                objects = c.objects,
                indexed = c.indexed,
                already_indexed = c.already_indexed,
                rows = c.rows,
                rows_without_object = c.rows_without_object,
                "reindex progress"
            ),
        }
        Ok(())
    }
}
