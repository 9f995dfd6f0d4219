//! Increment commands: `inc`, `list`, `tasks`, `task`, `status`, `validate` and `done`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use specweave::core::ProblemKind;
use specweave::pipeline::config::PipelineSettings;
use specweave::spec::{
    DoneOptions, Error as SpecError, Increment, Status, TaskStatus, VALIDATION_REPORT,
    infer_problem, lineage, list_increments, slugify,
};

use super::CommandError;

/// Output format of commands that print structured results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// JSON for tools.
    Json,
}

/// Arguments every increment command shares.
#[derive(Debug, Clone, clap::Args)]
pub struct RootArg {
    /// The specweave folder holding `increments/`.
    #[arg(long, default_value = ".specweave")]
    root: PathBuf,
}

/// Increment subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum IncrementCommand {
    /// Create an increment: `specweave inc "build recommendation model"`.
    Inc {
        /// Title of the increment.
        title: String,
        /// Problem kind; inferred from the title when omitted.
        #[arg(long, value_parser = parse_problem)]
        problem: Option<ProblemKind>,
        /// Parent increment (id or number) in a multi-increment project.
        #[arg(long)]
        parent: Option<String>,
        /// The data file the pipeline will use (recorded in the increment's pipeline.yaml).
        #[arg(long)]
        data: Option<PathBuf>,
        /// The column to predict in `--data`.
        #[arg(long, requires = "data")]
        target: Option<String>,
        #[command(flatten)]
        root: RootArg,
    },
    /// List increments with status, problem kind and lineage.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        root: RootArg,
    },
    /// Show the tasks of an increment; exits 1 when tasks.md has errors (listed on stderr).
    Tasks {
        /// Increment id (`0042`, `42` or the folder name).
        id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        root: RootArg,
    },
    /// Set the status of one task: `specweave task 0042 T-003 --status completed`.
    Task {
        /// Increment id.
        id: String,
        /// Task id, e.g. `T-003`.
        task: String,
        /// New status: pending, in_progress, completed or canceled.
        #[arg(long, value_parser = parse_task_status)]
        status: TaskStatus,
        #[command(flatten)]
        root: RootArg,
    },
    /// Show the lifecycle status of an increment, or move it (`--set paused`).
    Status {
        /// Increment id.
        id: String,
        /// New status: planning, active, ready_for_review, completed, paused, abandoned.
        #[arg(long, value_parser = parse_status)]
        set: Option<Status>,
        /// Why, recorded in the status history.
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        root: RootArg,
    },
    /// Check an increment against its spec; exits 1 when a rule fails.
    Validate {
        /// Increment id.
        id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        root: RootArg,
    },
    /// Close an increment: validate, write COMPLETION-SUMMARY.md, set status completed.
    Done {
        /// Increment id.
        id: String,
        /// Close even though validation fails (needs --reason).
        #[arg(long, requires = "reason")]
        force: bool,
        /// Why the failing rules are accepted.
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        root: RootArg,
    },
}

fn parse_problem(value: &str) -> Result<ProblemKind, String> {
    value
        .parse()
        .map_err(|e: specweave::core::Error| e.to_string())
}

fn parse_task_status(value: &str) -> Result<TaskStatus, String> {
    value.parse().map_err(|e: SpecError| e.to_string())
}

fn parse_status(value: &str) -> Result<Status, String> {
    value.parse().map_err(|e: SpecError| e.to_string())
}

/// Runs one increment command.
pub fn run(command: IncrementCommand) -> Result<ExitCode, CommandError> {
    match command {
        IncrementCommand::Inc {
            title,
            problem,
            parent,
            data,
            target,
            root,
        } => create(&root.root, &title, problem, parent, data, target),
        IncrementCommand::List { format, root } => list(&root.root, format),
        IncrementCommand::Tasks { id, format, root } => tasks(&root.root, &id, format),
        IncrementCommand::Task {
            id,
            task,
            status,
            root,
        } => {
            let increment = Increment::open(&root.root, &id)?;
            increment.set_task_status(&task, status)?;
            println!(
                "{} {}: {}",
                increment.id(),
                task.to_uppercase(),
                status.markdown()
            );
            Ok(ExitCode::SUCCESS)
        }
        IncrementCommand::Status {
            id,
            set,
            reason,
            root,
        } => {
            let mut increment = Increment::open(&root.root, &id)?;
            if let Some(next) = set {
                increment.set_status(next, reason.as_deref())?;
            }
            let status = increment.metadata().status;
            let allowed: Vec<&str> = status.allowed_next().iter().map(|s| s.as_str()).collect();
            println!(
                "{}: {status} (next: {})",
                increment.id(),
                if allowed.is_empty() {
                    "none".to_string()
                } else {
                    allowed.join(", ")
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        IncrementCommand::Validate { id, format, root } => {
            let increment = Increment::open(&root.root, &id)?;
            let report = increment.validate_and_write()?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
                Format::Table => {
                    print!("{}", report.to_table());
                    println!(
                        "Report: {}",
                        increment.dir().join(VALIDATION_REPORT).display()
                    );
                }
            }
            Ok(if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        IncrementCommand::Done {
            id,
            force,
            reason,
            root,
        } => {
            let mut increment = Increment::open(&root.root, &id)?;
            match increment.done(&DoneOptions { force, reason }) {
                Ok(outcome) => {
                    if outcome.forced {
                        eprintln!(
                            "warning: closed despite failing rules: {}",
                            outcome
                                .report
                                .failures()
                                .map(|r| r.rule.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        );
                    }
                    println!("{} completed", increment.id());
                    println!("Summary: {}", outcome.summary_path.display());
                    Ok(ExitCode::SUCCESS)
                }
                Err(error @ SpecError::NotReady { .. }) => {
                    // Show why before refusing: the report was written but the status is unchanged.
                    if let Ok(report) = increment.validate() {
                        print!("{}", report.to_table());
                    }
                    eprintln!("error: {error}");
                    Ok(ExitCode::from(1))
                }
                Err(error) => Err(error.into()),
            }
        }
    }
}

fn create(
    root: &Path,
    title: &str,
    problem: Option<ProblemKind>,
    parent: Option<String>,
    data: Option<PathBuf>,
    target: Option<String>,
) -> Result<ExitCode, CommandError> {
    // An unusable title is the first thing to report, before guessing its problem kind.
    slugify(title)?;
    // A data file that is not there is reported before anything is created.
    let settings = match &data {
        Some(path) => Some(PipelineSettings::default().with_data(path, target)?),
        None => None,
    };
    let kind = match problem {
        Some(kind) => kind,
        None => {
            let inferred = infer_problem(title)?;
            println!(
                "Inferred problem kind: {} (from \"{}\"); pass --problem to choose another",
                inferred.kind, inferred.because_of
            );
            inferred.kind
        }
    };
    let mut builder = Increment::builder(root, title).problem(kind);
    if let Some(parent) = parent {
        builder = builder.parent(parent);
    }
    let increment = builder.create()?;
    if let Some(settings) = settings {
        let path = settings.write(increment.dir())?;
        println!("Pipeline settings: {}", path.display());
    }
    println!("{}", increment.dir().display());
    Ok(ExitCode::SUCCESS)
}

fn list(root: &Path, format: Format) -> Result<ExitCode, CommandError> {
    let listed = list_increments(root)?;
    if format == Format::Json {
        let rows: Vec<serde_json::Value> = listed
            .iter()
            .map(|l| match &l.metadata {
                Ok(m) => serde_json::json!({
                    "id": l.id, "title": m.title, "status": m.status, "problem": m.problem,
                    "parent": m.parent, "lineage": lineage(&listed, &l.id),
                }),
                Err(e) => serde_json::json!({ "id": l.id, "error": e }),
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    if listed.is_empty() {
        println!(
            "No increments under {}; create one with `specweave inc \"<title>\"`.",
            root.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let width = listed.iter().map(|l| l.id.len()).max().unwrap_or(2).max(2) + 2;
    println!("{:<width$}{:<18}{:<16}LINEAGE", "ID", "STATUS", "PROBLEM");
    for l in &listed {
        let chain = lineage(&listed, &l.id);
        let depth = chain.len() - 1;
        let name = format!("{}{}", "  ".repeat(depth), l.id);
        match &l.metadata {
            Ok(m) => println!(
                "{name:<width$}{:<18}{:<16}{}",
                m.status.as_str(),
                m.problem.as_str(),
                if depth == 0 {
                    "-".to_string()
                } else {
                    chain.join(" → ")
                }
            ),
            Err(e) => println!("{name:<width$}{:<18}{:<16}{e}", "unreadable", "-"),
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn tasks(root: &Path, id: &str, format: Format) -> Result<ExitCode, CommandError> {
    let increment = Increment::open(root, id)?;
    let list = increment.tasks()?;
    let has_errors = list.diagnostics.iter().any(|d| d.is_error());
    if format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&list.tasks)?);
    } else {
        println!("{} — {}", increment.id(), increment.metadata().title);
        for task in &list.tasks {
            let depends = if task.depends_on.is_empty() {
                String::new()
            } else {
                format!("  (after {})", task.depends_on.join(", "))
            };
            println!(
                "  {} {}  {}{depends}",
                task.status.checkbox(),
                task.id,
                task.title
            );
        }
        let counts: Vec<String> = list
            .counts()
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        println!("{} tasks: {}", list.tasks.len(), counts.join(", "));
    }
    for diagnostic in &list.diagnostics {
        eprintln!("{diagnostic}");
    }
    Ok(if has_errors {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
