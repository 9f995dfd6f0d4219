//! # specweave-spec
//!
//! Increments: the folder layout under `.specweave/increments/`, the spec, plan, tasks and
//! tests documents, typed success criteria, the lifecycle kept in `metadata.json`, and the
//! validate and done gates that check an increment against its own spec.
//!
//! ```
//! use specweave_spec::{Increment, TaskStatus};
//!
//! let root = tempfile::tempdir()?;
//! let increment = Increment::create(root.path(), "build recommendation model", None)?;
//! assert!(increment.dir().ends_with("0001-recommendation-model"));
//! assert_eq!(increment.metadata().problem.as_str(), "recommendation");
//!
//! increment.set_task_status("T-001", TaskStatus::Completed)?;
//! let tasks = increment.tasks()?;
//! assert_eq!(tasks.get("T-001").map(|t| t.status), Some(TaskStatus::Completed));
//!
//! // With no experiments logged, validation fails and says what to do next.
//! let report = increment.validate()?;
//! assert!(!report.passed());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod criteria;
mod diagnostic;
mod done;
mod error;
mod experiments;
mod fsutil;
mod increment;
mod locate;
mod metadata;
mod naming;
mod spec_doc;
mod tasks;
mod templates;
mod tests_doc;
mod validate;

pub use criteria::{
    BaselineRef, Check, Comparison, Criterion, Margin, lower_is_better, parse_criteria_block,
    parse_criterion,
};
pub use diagnostic::{Diagnostic, Severity};
pub use done::{COMPLETION_SUMMARY, DoneOptions, DoneOutcome};
pub use error::{Error, Location, Result};
pub use experiments::{Experiment, RunRole, SavedModel, read_experiments, read_models};
pub use increment::{
    INCREMENT_FOLDERS, INCREMENTS_DIR, Increment, IncrementBuilder, ListedIncrement, PLAN_FILE,
    default_headline_metric, lineage, list_increments,
};
pub use locate::{LocateError, locate_increment};
pub use metadata::{CompletionOverride, METADATA_FILE, Metadata, Status, Transition};
pub use naming::{Inference, infer_problem, slugify};
pub use spec_doc::{
    SPEC_FILE, SUCCESS_CRITERIA, Section, SpecDocument, SpecFrontmatter, set_frontmatter_status,
};
pub use tasks::{TASKS_FILE, Task, TaskList, TaskStatus};
pub use tests_doc::{TESTS_FILE, TestCase, TestPlan};
pub use validate::{
    CV_STD_WARNING, DEFAULT_MIN_CANDIDATES, Outcome, RuleResult, VALIDATION_REPORT,
    ValidationReport,
};
