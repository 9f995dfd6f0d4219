//! `specweave do`: runs an increment's pipeline end to end.

use super::CommandError;
use specweave::core::ProblemKind;
use specweave::pipeline::recommendation::{RecommendationConfig, run_recommendation};
use specweave::spec::Increment;
use std::path::PathBuf;
use std::process::ExitCode;

/// Pipeline subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PipelineCommand {
    /// Run every task of an increment: `specweave do 0001 [--data u.data]`.
    Do {
        /// Increment id or number, e.g. `0001`.
        id: String,
        /// A MovieLens `u.data` file for recommendation increments (generated data otherwise).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Seed of data generation, models and resampling.
        #[arg(long, default_value_t = 42)]
        seed: u64,
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
        seed,
        root,
    } = command;
    let mut increment = Increment::open(&root, &id)?;
    let problem = increment.metadata().problem;
    if problem != ProblemKind::Recommendation {
        return Err(format!(
            "`specweave do` runs recommendation increments; {} is a {} increment",
            increment.id(),
            problem.as_str()
        )
        .into());
    }
    let mut config = RecommendationConfig::default().seed(seed);
    if let Some(path) = data {
        config = config.movielens(path);
    }
    let outcome = run_recommendation(&mut increment, &config)?;
    println!("{}", outcome.summary_table());
    println!("{}", outcome.validation.to_table());
    Ok(match outcome.summary_path {
        Some(path) => {
            println!("completed: {}", path.display());
            ExitCode::SUCCESS
        }
        None => ExitCode::from(1),
    })
}
