//! The seam where the living-docs stage (A/B test plan, monitoring runbook, reports,
//! notebooks, architecture docs) plugs into a pipeline run.
//!
//! A pipeline hands the stage what it measured; the stage writes its documents and returns
//! their paths. Without a stage, the pipeline records the A/B-plan task as canceled with the
//! reason, rather than pretending documents exist.

use crate::error::Result;
use specweave_docs::{SyncOptions, sync_docs_with};
use specweave_spec::{
    COMPLETION_SUMMARY, DoneOptions, Increment, Status, TaskStatus, ValidationReport,
};
use std::path::PathBuf;

/// What the pipeline measured, for the documents the living-docs stage writes.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineFacts {
    /// The headline metric, e.g. `precision@10`.
    pub headline_metric: String,
    /// The best model's value of the headline metric on the test split.
    pub best_value: f64,
    /// The best baseline's value of the headline metric.
    pub baseline_value: f64,
    /// Run id of the best model, e.g. `exp-012-als-tuned`.
    pub best_run: String,
    /// Registered model version, e.g. `0001-v1`.
    pub model_version: String,
    /// Measured p99 latency of one request, in milliseconds.
    pub latency_p99_ms: f64,
    /// Measured throughput, requests per second.
    pub throughput_rps: f64,
}

/// A living-docs stage: writes the increment's A/B test plan, monitoring runbook and other
/// documents from the facts, and returns the files it wrote.
pub trait LivingDocs: Send + Sync {
    /// Writes the documents.
    fn write(&self, increment: &Increment, facts: &PipelineFacts) -> Result<Vec<PathBuf>>;
}

/// The single call site of the living-docs stage in every pipeline: `None` when no stage is
/// configured.
pub fn write_living_docs(
    stage: Option<&dyn LivingDocs>,
    increment: &Increment,
    facts: &PipelineFacts,
) -> Result<Option<Vec<PathBuf>>> {
    stage.map(|s| s.write(increment, facts)).transpose()
}

/// The living-docs stage of `specweave-docs`: every report, plot, notebook, the A/B test
/// plan, monitoring and the internal docs, generated from the increment's runs and
/// artifacts (the facts are already stored there by the pipeline's runs).
#[derive(Debug, Clone, Default)]
pub struct SyncedDocs {
    options: SyncOptions,
}

impl SyncedDocs {
    /// A stage with the given A/B plan and monitoring options.
    pub fn new(options: SyncOptions) -> SyncedDocs {
        SyncedDocs { options }
    }
}

impl LivingDocs for SyncedDocs {
    fn write(&self, increment: &Increment, _facts: &PipelineFacts) -> Result<Vec<PathBuf>> {
        let report = sync_docs_with(increment, &self.options)?;
        let mut files = report.written;
        files.extend(report.unchanged);
        files.sort();
        Ok(files)
    }
}

/// How a pipeline run ended: the documents written, the verdicts, and the completion summary
/// when the increment was closed.
#[derive(Debug)]
pub(crate) struct Closing {
    /// Living docs written, `None` without a stage.
    pub living_docs: Option<Vec<PathBuf>>,
    /// The validation report.
    pub validation: ValidationReport,
    /// `COMPLETION-SUMMARY.md`, when validation passed and the increment was closed.
    pub summary_path: Option<PathBuf>,
}

/// The end of every pipeline: T-009 (the living docs, or the task canceled when no stage is
/// configured), validation written to the increment, and `done` when it passes.
pub(crate) fn close_increment(
    increment: &mut Increment,
    stage: Option<&dyn LivingDocs>,
    facts: &PipelineFacts,
) -> Result<Closing> {
    let living_docs = write_living_docs(stage, increment, facts)?;
    increment.set_task_status(
        "T-009",
        if living_docs.is_some() {
            TaskStatus::Completed
        } else {
            TaskStatus::Canceled
        },
    )?;
    let validation = increment.validate_and_write()?;
    // The first write ran while T-009 was still open, so the verdicts it shows (index page,
    // evaluation report) said the tasks were incomplete; writing again shows the final
    // ones and rewrites only the documents whose content changed.
    let living_docs = match living_docs {
        Some(_) => write_living_docs(stage, increment, facts)?,
        None => None,
    };
    let summary_path = if increment.metadata().status == Status::Completed {
        // a resumed run of an increment closed earlier: done already wrote its summary
        Some(increment.dir().join(COMPLETION_SUMMARY)).filter(|path| path.is_file())
    } else if validation.passed() {
        Some(increment.done(&DoneOptions::default())?.summary_path)
    } else {
        None
    };
    Ok(Closing {
        living_docs,
        validation,
        summary_path,
    })
}
