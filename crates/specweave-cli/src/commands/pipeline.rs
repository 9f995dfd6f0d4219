//! `specweave do`: runs an increment's pipeline end to end with its `pipeline.yaml`
//! settings, overridden by the command line.

use super::CommandError;
use specweave::pipeline::config::{PIPELINE_FILE, PipelineSettings, run_pipeline};
use specweave::spec::{Increment, Status};
use std::path::PathBuf;
use std::process::ExitCode;

/// Pipeline subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PipelineCommand {
    /// Run every task of an increment: `specweave do 0001 [--data FILE --target COL]`.
    Do {
        /// Increment id or number, e.g. `0001`.
        id: String,
        /// The data file (CSV or Parquet; a MovieLens `u.data` for recommendation);
        /// recorded in the increment's pipeline.yaml. Generated data when never given.
        #[arg(long)]
        data: Option<PathBuf>,
        /// The column to predict (the value column for forecasting).
        #[arg(long)]
        target: Option<String>,
        /// Seed of splits, models and resampling.
        #[arg(long)]
        seed: Option<u64>,
        /// The specweave folder holding `increments/`.
        #[arg(long, default_value = ".specweave")]
        root: PathBuf,
    },
}

/// Runs a pipeline command; exits with 1 when the increment does not validate.
pub fn run(command: PipelineCommand) -> Result<ExitCode, CommandError> {
    let PipelineCommand::Do {
        id,
        data,
        target,
        seed,
        root,
    } = command;
    let mut increment = Increment::open(&root, &id)?;
    if increment.metadata().status == Status::Completed {
        return Err(format!(
            "{} is already completed; create a new increment (`specweave inc ... --parent {}`) to iterate",
            increment.id(),
            increment.id()
        )
        .into());
    }
    let mut settings = PipelineSettings::read(increment.dir())?;
    if let Some(path) = data {
        settings = settings.with_data(&path, target)?;
    } else if target.is_some() {
        settings.target = target;
    }
    if seed.is_some() {
        settings.seed = seed;
    }
    let written = settings.write(increment.dir())?;
    eprintln!(
        "running {} ({}) with {}",
        increment.id(),
        increment.metadata().problem.as_str(),
        written.display()
    );
    let summary = run_pipeline(&mut increment, &settings)?;
    println!("{}", summary.table);
    println!("{}", summary.validation.to_table());
    Ok(match summary.summary_path {
        Some(path) => {
            println!("completed: {}", path.display());
            ExitCode::SUCCESS
        }
        None => {
            println!(
                "not completed: fix what failed, then `specweave do {}` again (settings in {PIPELINE_FILE})",
                increment.id()
            );
            ExitCode::from(1)
        }
    })
}
