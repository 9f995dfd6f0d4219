//! Subcommand groups. Each module defines its clap arguments and a `run` function; this
//! module only lists them.

use std::process::ExitCode;

pub mod data;
pub mod docs;
pub mod eval;
pub mod explain;
pub mod increment;
pub mod pipeline;
pub mod serve;
pub mod tracking;

/// Errors from any command, boxed: each library crate has its own error type.
pub type CommandError = Box<dyn std::error::Error + Send + Sync>;

/// Every subcommand of `specweave`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print the versions of the specweave crates.
    Version,
    #[command(flatten)]
    Increment(increment::IncrementCommand),
    /// Experiment tracking: runs, compare, export-mlflow, sync-mlflow, models.
    #[command(flatten)]
    Tracking(tracking::TrackingCommand),
    /// Data stage: profile, infer a schema, validate against it.
    #[command(subcommand)]
    Data(data::DataCommand),
    /// Write or update an increment's reports, plots, notebooks and living docs.
    SyncDocs(docs::SyncDocsArgs),
    /// Evaluate a predictions file: every metric of a task with bootstrap intervals.
    Eval(eval::EvalArgs),
    /// Explain a model on a data file: SHAP values, LIME weights or permutation importances.
    Explain(explain::ExplainArgs),
    /// Serve a registered model version over HTTP.
    Serve(serve::ServeArgs),
    #[command(flatten)]
    Pipeline(pipeline::PipelineCommand),
}

/// Runs one command; `Ok(code)` carries the exit code of commands that check something.
pub fn run(command: Command) -> Result<ExitCode, CommandError> {
    match command {
        Command::Version => {
            println!("specweave {}", env!("CARGO_PKG_VERSION"));
            Ok(ExitCode::SUCCESS)
        }
        Command::Increment(command) => increment::run(command),
        Command::Data(command) => data::run(command),
        Command::Tracking(command) => tracking::run(command),
        Command::SyncDocs(args) => docs::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Pipeline(command) => pipeline::run(command),
    }
}
