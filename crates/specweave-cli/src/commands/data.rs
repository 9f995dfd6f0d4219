//! `specweave data`: profile a file, infer its schema, validate a file against a schema.

use super::CommandError;
use specweave::data::{
    ColumnRole, DataSchema, ProfileOptions, SchemaOptions, infer_schema, profile_file,
    validate_file,
};
use std::path::PathBuf;
use std::process::ExitCode;

/// The data-stage commands.
#[derive(Debug, clap::Subcommand)]
pub enum DataCommand {
    /// Profile a CSV or Parquet file: writes profile.json and eda-summary.md.
    Profile {
        /// The CSV or Parquet file.
        file: PathBuf,
        /// The target column (class balance and leakage checks).
        #[arg(long)]
        target: Option<String>,
        /// Folder for profile.json and eda-summary.md.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Infer schema.yaml from a CSV or Parquet file.
    Schema {
        /// The CSV or Parquet file.
        file: PathBuf,
        /// The target column.
        #[arg(long)]
        target: Option<String>,
        /// Id columns (repeatable).
        #[arg(long)]
        id: Vec<String>,
        /// The timestamp column.
        #[arg(long)]
        timestamp: Option<String>,
        /// Where to write the schema.
        #[arg(short, long, default_value = "schema.yaml")]
        output: PathBuf,
    },
    /// Check a file against schema.yaml; exits 1 when it does not conform.
    Validate {
        /// The CSV or Parquet file.
        file: PathBuf,
        /// The schema to check against.
        #[arg(long)]
        schema: PathBuf,
        /// Examples shown per rule and column.
        #[arg(long, default_value_t = 5)]
        max_examples: usize,
    },
}

/// Runs one data command.
pub fn run(command: DataCommand) -> Result<ExitCode, CommandError> {
    match command {
        DataCommand::Profile { file, target, out } => {
            let mut options = ProfileOptions::new();
            if let Some(target) = target {
                options = options.target(target);
            }
            let profile = profile_file(&file, &options)?;
            profile.write_to(&out)?;
            println!(
                "profiled {} rows × {} columns of {}; wrote {} and {}",
                profile.rows,
                profile.columns.len(),
                file.display(),
                out.join("profile.json").display(),
                out.join("eda-summary.md").display()
            );
            Ok(ExitCode::SUCCESS)
        }
        DataCommand::Schema {
            file,
            target,
            id,
            timestamp,
            output,
        } => {
            let mut options = SchemaOptions::new();
            if let Some(target) = target {
                options = options.target(target);
            }
            for column in id {
                options = options.role(column, ColumnRole::Id);
            }
            if let Some(column) = timestamp {
                options = options.role(column, ColumnRole::Timestamp);
            }
            let schema = infer_schema(&file, &options)?;
            schema.write(&output)?;
            println!(
                "inferred a schema of {} columns from {}; wrote {}",
                schema.columns.len(),
                file.display(),
                output.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        DataCommand::Validate {
            file,
            schema,
            max_examples,
        } => {
            let schema = DataSchema::read(&schema)?;
            let report = validate_file(&file, &schema, max_examples)?;
            print!("{report}");
            Ok(if report.is_conforming() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}
