//! `specweave do`: runs an increment's pipeline with its `pipeline.yaml` settings,
//! overridden by the command line. A re-run resumes at the first task that is not
//! completed; `--task` stops after one task, `--next` runs only the next pending one and
//! `--force` runs everything again.

use super::CommandError;
use crate::progress::TaskProgress;
use specweave::pipeline::TaskSelection;
use specweave::pipeline::config::{PIPELINE_FILE, PipelineSettings, run_pipeline};
use specweave::spec::{Increment, Status, TaskStatus};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Pipeline subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PipelineCommand {
    /// Run an increment's tasks: `specweave do 0001 [--task T-004 | --next | --force]
    /// [--data FILE --target COL]`. Completed tasks are resumed, not re-run.
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
        /// Run the tasks up to this one, e.g. `T-004`, re-running it even when completed,
        /// and stop there; later tasks go back to pending.
        #[arg(long, conflicts_with_all = ["next", "force"])]
        task: Option<String>,
        /// Run only the next pending task.
        #[arg(long, conflicts_with = "force")]
        next: bool,
        /// Run every task again, completed or not.
        #[arg(long)]
        force: bool,
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
        task,
        next,
        force,
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
    let tasks = increment.tasks()?;
    let mut selection = TaskSelection::default().force(force);
    let stop_after = if next {
        // the living docs (T-009) are written while closing, which needs every task
        tasks
            .tasks
            .iter()
            .find(|t| !matches!(t.status, TaskStatus::Completed | TaskStatus::Canceled))
            .map(|t| t.id.clone())
            .filter(|id| id != "T-009")
    } else {
        task
    };
    if let Some(id) = &stop_after {
        selection = selection.until(id.as_str());
    }
    let progress = Arc::new(TaskProgress::start(tasks.tasks.len() as u64));
    selection = selection.observer(progress.clone());
    let outcome = run_pipeline(&mut increment, &settings, &selection);
    drop(selection);
    drop(progress);
    let Some(summary) = outcome? else {
        println!(
            "stopped after {}: `specweave do {}` goes on from the next pending task",
            stop_after.as_deref().unwrap_or("the selected task"),
            increment.id()
        );
        return Ok(ExitCode::SUCCESS);
    };
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
