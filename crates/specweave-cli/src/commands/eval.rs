//! `specweave eval`: every metric of a task, with bootstrap intervals, from a predictions file.
//!
//! The command only reads the columns it is pointed at and hands them to
//! `specweave_eval::report::evaluate`; the metrics and intervals are the library's.

use super::CommandError;
use specweave::data::{Table, read_table};
use specweave::eval::registry::Task;
use specweave::eval::report::{EvalInput, EvalOptions, evaluate};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// How the report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// An aligned text table.
    Table,
    /// The full report as JSON.
    Json,
}

/// Arguments of `specweave eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// classification, regression, ranking or forecasting.
    #[arg(long, value_parser = parse_task)]
    pub task: Task,
    /// The predictions file (CSV or Parquet).
    #[arg(long)]
    pub predictions: PathBuf,
    /// The column of labels (classes, actual values or relevance grades).
    #[arg(long)]
    pub label_col: String,
    /// The column of scores or predictions.
    #[arg(long)]
    pub score_col: String,
    /// The user (query) column, for ranking.
    #[arg(long)]
    pub user_col: Option<String>,
    /// The item column, for ranking.
    #[arg(long)]
    pub item_col: Option<String>,
    /// Ranking cutoff.
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// Bootstrap resamples; 0 reports point values only.
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: usize,
    /// Seed of the resampling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
}

fn parse_task(name: &str) -> Result<Task, String> {
    name.parse()
        .map_err(|e: specweave::eval::EvalError| e.to_string())
}

/// Runs `specweave eval`.
pub fn run(args: EvalArgs) -> Result<ExitCode, CommandError> {
    let table = read_table(&args.predictions)?;
    let path = args.predictions.as_path();
    let labels = finite_column(&table, path, &args.label_col, "label")?;
    let scores = finite_column(&table, path, &args.score_col, "score")?;
    let options = EvalOptions::default()
        .k(args.k)
        .bootstrap(args.bootstrap)
        .seed(args.seed);
    let report = if args.task == Task::Ranking {
        let (Some(user_col), Some(item_col)) = (&args.user_col, &args.item_col) else {
            return Err("ranking needs --user-col and --item-col".into());
        };
        let users = id_column(&table, path, user_col)?;
        let items = id_column(&table, path, item_col)?;
        evaluate(
            args.task,
            &EvalInput::ranking(&labels, &scores, &users, &items),
            &options,
        )?
    } else {
        evaluate(args.task, &EvalInput::scored(&labels, &scores), &options)?
    };
    match args.format {
        ReportFormat::Table => print!("{}", report.to_table()),
        ReportFormat::Json => println!("{}", report.to_json()?),
    }
    Ok(ExitCode::SUCCESS)
}

fn require_column(table: &Table, path: &Path, column: &str) -> Result<(), CommandError> {
    let names = table.column_names();
    if names.iter().any(|n| n == column) {
        Ok(())
    } else {
        Err(format!(
            "{}: no column `{column}` (columns: {})",
            path.display(),
            names.join(", ")
        )
        .into())
    }
}

/// A numeric column with every value finite; names the file, column and first bad row.
fn finite_column(
    table: &Table,
    path: &Path,
    column: &str,
    role: &str,
) -> Result<Vec<f64>, CommandError> {
    require_column(table, path, column)?;
    let values = table.f64_column(column).map_err(|e| {
        format!(
            "{}: {role} column `{column}` is not numeric ({e})",
            path.display()
        )
    })?;
    if let Some(row) = values.iter().position(|v| !v.is_finite()) {
        return Err(format!(
            "{}: {role} column `{column}` has a missing or non-finite value at row {} ({})",
            path.display(),
            row + 1,
            values[row]
        )
        .into());
    }
    Ok(values)
}

/// Ids of any type (numbers or text), numbered in order of first appearance.
fn id_column(table: &Table, path: &Path, column: &str) -> Result<Vec<u64>, CommandError> {
    require_column(table, path, column)?;
    let mut ids: HashMap<String, u64> = HashMap::new();
    table
        .string_column(column)?
        .into_iter()
        .enumerate()
        .map(|(row, value)| {
            let value = value.ok_or_else(|| {
                format!(
                    "{}: id column `{column}` is empty at row {}",
                    path.display(),
                    row + 1
                )
            })?;
            let next = ids.len() as u64;
            Ok(*ids.entry(value).or_insert(next))
        })
        .collect()
}
