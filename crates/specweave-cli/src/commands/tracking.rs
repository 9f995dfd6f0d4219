//! Experiment tracking commands: `runs`, `compare`, `export-mlflow`, `sync-mlflow` and
//! `models`, each on one increment found under `--root` (default `.specweave`).

use super::CommandError;
use specweave::spec::locate_increment;
use specweave::tracking::{
    MlflowClient, ModelRegistry, RunSummary, SearchQuery, Tracker, export_mlruns, headline_metrics,
    sync_increment,
};
use std::path::PathBuf;
use std::process::ExitCode;

/// Tracking subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum TrackingCommand {
    /// List an increment's runs, optionally filtered and ordered like MLflow's search.
    Runs(RunsArgs),
    /// Compare an increment's runs: print and write experiments/comparison.md.
    Compare(IncrementArgs),
    /// Export an increment's runs to an MLflow `mlruns` folder.
    ExportMlflow(ExportArgs),
    /// Send to an MLflow tracking server whatever it is missing of an increment's runs.
    SyncMlflow(SyncArgs),
    /// List an increment's registered model versions.
    Models(IncrementArgs),
}

/// The increment to work on.
#[derive(Debug, clap::Args)]
pub struct IncrementArgs {
    /// Increment id: `0042`, `42` or the folder name.
    pub increment: String,
    /// The `.specweave` folder.
    #[arg(long, default_value = ".specweave")]
    pub root: PathBuf,
}

/// Arguments of `runs`.
#[derive(Debug, clap::Args)]
pub struct RunsArgs {
    #[command(flatten)]
    increment: IncrementArgs,
    /// Filter, e.g. "metrics.precision@10 > 0.2 and params.model = 'gbdt'".
    #[arg(long, default_value = "")]
    filter: String,
    /// Order, e.g. "metrics.precision@10 desc".
    #[arg(long, default_value = "")]
    order_by: String,
}

/// Arguments of `export-mlflow`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    increment: IncrementArgs,
    /// The `mlruns` folder to write (created when missing).
    #[arg(long)]
    out: PathBuf,
}

/// Arguments of `sync-mlflow`.
#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    #[command(flatten)]
    increment: IncrementArgs,
    /// Tracking server URI, e.g. http://127.0.0.1:5000.
    #[arg(long)]
    uri: String,
}

fn open(args: &IncrementArgs) -> Result<Tracker, CommandError> {
    let folder = locate_increment(&args.root, &args.increment)?;
    Ok(Tracker::open(folder)?)
}

fn format_value(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{v:.4}"))
}

/// Prints runs as an aligned table: experiment, status, duration and the headline metrics.
fn print_runs(runs: &[RunSummary]) {
    let metrics = headline_metrics(runs);
    let mut rows = vec![
        ["experiment", "status", "duration"]
            .iter()
            .map(|s| (*s).to_owned())
            .chain(metrics.iter().cloned())
            .collect::<Vec<_>>(),
    ];
    for run in runs {
        let mut row = vec![
            run.record.id.clone(),
            run.record.status.mlflow_name().to_ascii_lowercase(),
            run.duration_s()
                .map_or_else(|| "–".to_owned(), |s| format!("{s:.1} s")),
        ];
        row.extend(metrics.iter().map(|key| format_value(run.metric(key))));
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|column| {
            rows.iter()
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
}

/// Runs one tracking command.
pub fn run(command: TrackingCommand) -> Result<ExitCode, CommandError> {
    match command {
        TrackingCommand::Runs(args) => {
            let tracker = open(&args.increment)?;
            let query = SearchQuery::parse(&args.filter, &args.order_by)?;
            let runs = tracker.search(&query)?;
            if runs.is_empty() {
                println!("no runs match");
            } else {
                print_runs(&runs);
            }
        }
        TrackingCommand::Compare(args) => {
            let tracker = open(&args)?;
            let (path, markdown) = tracker.write_comparison()?;
            print!("{markdown}");
            eprintln!("wrote {}", path.display());
        }
        TrackingCommand::ExportMlflow(args) => {
            let tracker = open(&args.increment)?;
            let export = export_mlruns(&tracker, &args.out)?;
            for (run, mlflow_id) in &export.runs {
                println!("{run} -> {mlflow_id}");
            }
            println!(
                "exported {} runs to experiment {} in {} (read it with MLFLOW_ALLOW_FILE_STORE=true)",
                export.runs.len(),
                export.experiment_id,
                args.out.display()
            );
        }
        TrackingCommand::SyncMlflow(args) => {
            let tracker = open(&args.increment)?;
            let client = MlflowClient::new(&args.uri)?;
            let outcomes = sync_increment(&tracker, &client)?;
            for outcome in &outcomes {
                println!(
                    "{} -> {}{}: {} metric points, {} params, {} tags{}",
                    outcome.run,
                    outcome.mlflow_run_id,
                    if outcome.created { " (new)" } else { "" },
                    outcome.metrics_sent,
                    outcome.params_sent,
                    outcome.tags_sent,
                    if outcome.status_sent { ", status" } else { "" }
                );
            }
            println!("synced {} runs to {}", outcomes.len(), client.uri());
        }
        TrackingCommand::Models(args) => {
            let tracker = open(&args)?;
            let versions = ModelRegistry::new(&tracker).list()?;
            if versions.is_empty() {
                println!("no registered models");
            }
            for version in versions {
                let m = &version.metadata;
                println!(
                    "model-v{}  {}  {:?}  {}  {}  {}  {} bytes",
                    m.number,
                    m.version,
                    m.stage,
                    m.experiment,
                    m.algorithm,
                    m.framework,
                    m.size_bytes
                )
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
