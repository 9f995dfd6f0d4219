//! `sync-docs`: writes or updates an increment's living docs (reports, plots, model card,
//! A/B test plan, monitoring, ADR, runbook, notebooks, index.html).

use super::CommandError;
use specweave::docs::sync_docs;
use specweave::spec::Increment;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `sync-docs`.
#[derive(Debug, clap::Args)]
pub struct SyncDocsArgs {
    /// Increment id: `0042`, `42` or the folder name.
    pub increment: String,
    /// The `.specweave` folder.
    #[arg(long, default_value = ".specweave")]
    pub root: PathBuf,
}

/// Regenerates the documents and lists what changed.
pub fn run(args: SyncDocsArgs) -> Result<ExitCode, CommandError> {
    let increment = Increment::open(&args.root, &args.increment)?;
    let report = sync_docs(&increment)?;
    for path in &report.written {
        println!("updated {}", path.display());
    }
    println!(
        "{}: {} documents updated, {} unchanged",
        increment.id(),
        report.written.len(),
        report.unchanged.len()
    );
    Ok(ExitCode::SUCCESS)
}
