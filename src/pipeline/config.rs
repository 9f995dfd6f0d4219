//! `pipeline.yaml`: an increment's pipeline settings (data source, target, seed, candidate
//! models, budgets), and [`run_pipeline`], which runs the pipeline of the increment's
//! problem kind with them. Every key is optional: defaults per problem kind apply, and
//! without a data file the pipelines use generated data.
//!
//! ```yaml
//! data: /data/churn.csv        # CSV or Parquet; MovieLens u.data for recommendation
//! target: churned              # the column to predict (the value column for forecasting)
//! timestamp: week              # forecasting: the time column (epoch milliseconds)
//! seed: 42
//! folds: 3
//! test_fraction: 0.2
//! precision_target: 0.99       # classification: tune the threshold to this precision
//! class_weight: balanced       # classification: or {fraud: 50.0}; rare classes count more
//! horizon: 12                  # forecasting
//! period: 52                   # forecasting: season length
//! candidates:
//!   - {name: random-forest, learner: random_forest, params: {n_estimators: 200}}
//! ```

use super::TaskSelection;
use super::forecasting::{ForecastConfig, run_forecasting_tasks};
use super::recommendation::{RecommendationConfig, run_recommendation_tasks};
use super::tabular::{LearnerSpec, TabularConfig, run_tabular_tasks};
use crate::error::{Error, Result, write_atomic};
use serde::{Deserialize, Serialize};
use specweave_core::ProblemKind;
use specweave_data::synth::{ClassificationSpec, RegressionSpec, SeriesSpec};
use specweave_spec::{Increment, ValidationReport};
use specweave_train::{ClassWeighted, ThresholdObjective};
use std::path::{Path, PathBuf};

/// File name of the settings inside an increment.
pub const PIPELINE_FILE: &str = "pipeline.yaml";

/// A candidate model in `pipeline.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidateEntry {
    /// Experiment name.
    pub name: String,
    /// Registered learner name, e.g. `gradient_boosting`.
    pub learner: String,
    /// Parameters (defaults when omitted).
    #[serde(default)]
    pub params: serde_json::Value,
}

/// The contents of `pipeline.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSettings {
    /// The data file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<PathBuf>,
    /// The column to predict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Forecasting: the time column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Seed of splits, models and resampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Cross-validation folds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folds: Option<usize>,
    /// Fraction of rows held out as the test set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_fraction: Option<f64>,
    /// Classification: tune the decision threshold out of fold to this precision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision_target: Option<f64>,
    /// Classification: class weights for the candidates that fit with sample weights,
    /// `balanced` or a map of class name to weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_weight: Option<serde_json::Value>,
    /// Forecasting: steps forecast and held out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizon: Option<usize>,
    /// Forecasting: season length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<usize>,
    /// Candidate models replacing the defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidates: Option<Vec<CandidateEntry>>,
}

impl PipelineSettings {
    /// Reads `pipeline.yaml` from an increment folder; defaults when there is none.
    pub fn read(increment_dir: &Path) -> Result<PipelineSettings> {
        let path = increment_dir.join(PIPELINE_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_norway::from_str(&text).map_err(|e| {
                Error::invalid(path.display().to_string(), format!("invalid settings: {e}"))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(PipelineSettings::default()),
            Err(e) => Err(Error::invalid(path.display().to_string(), e.to_string())),
        }
    }

    /// Writes `pipeline.yaml` into an increment folder (atomically).
    pub fn write(&self, increment_dir: &Path) -> Result<PathBuf> {
        let path = increment_dir.join(PIPELINE_FILE);
        let text = serde_norway::to_string(self)
            .map_err(|e| Error::invalid("pipeline settings", e.to_string()))?;
        write_atomic(&path, text.as_bytes())?;
        Ok(path)
    }

    /// Sets the data file, made absolute so the settings hold from any working directory.
    pub fn with_data(mut self, path: &Path, target: Option<String>) -> Result<PipelineSettings> {
        let absolute = std::fs::canonicalize(path)
            .map_err(|e| Error::invalid("data", format!("{}: {e}", path.display())))?;
        self.data = Some(absolute);
        if target.is_some() {
            self.target = target;
        }
        Ok(self)
    }
}

/// What any pipeline reports at the end.
#[derive(Debug)]
pub struct PipelineSummary {
    /// The increment folder.
    pub increment_dir: PathBuf,
    /// A short table of the runs and the final model.
    pub table: String,
    /// The validation report at closing time.
    pub validation: ValidationReport,
    /// `COMPLETION-SUMMARY.md`, when the increment was closed.
    pub summary_path: Option<PathBuf>,
}

/// Runs the pipeline of the increment's problem kind with `settings`, resuming at the first
/// task that is not completed unless `selection` says otherwise; `None` when the selection
/// stopped the run before the increment could be closed.
pub fn run_pipeline(
    increment: &mut Increment,
    settings: &PipelineSettings,
    selection: &TaskSelection,
) -> Result<Option<PipelineSummary>> {
    let problem = increment.metadata().problem;
    let seed = settings.seed.unwrap_or(42);
    match problem {
        ProblemKind::Recommendation => {
            let mut config = RecommendationConfig::default().seed(seed);
            if let Some(path) = &settings.data {
                config = config.movielens(path);
            }
            Ok(
                run_recommendation_tasks(increment, &config, selection)?.map(|outcome| {
                    PipelineSummary {
                        table: outcome.summary_table(),
                        increment_dir: outcome.increment_dir,
                        validation: outcome.validation,
                        summary_path: outcome.summary_path,
                    }
                }),
            )
        }
        ProblemKind::Classification | ProblemKind::Regression => {
            let mut config = match (&settings.data, &settings.target) {
                (Some(path), Some(target)) => TabularConfig::from_file(path, target),
                (Some(path), None) => {
                    return Err(Error::invalid(
                        "pipeline settings",
                        format!(
                            "{} needs the column to predict: --target COL (or `target:` in {PIPELINE_FILE})",
                            path.display()
                        ),
                    ));
                }
                (None, _) if problem == ProblemKind::Regression => TabularConfig::from_rows(
                    RegressionSpec::new(5_000).seed(seed).generate()?,
                ),
                (None, _) => TabularConfig::from_rows(
                    ClassificationSpec::new(5_000)
                        .nonlinear(true)
                        .seed(seed)
                        .generate()?,
                ),
            }
            .seed(seed);
            if let Some(folds) = settings.folds {
                config = config.folds(folds);
            }
            if let Some(fraction) = settings.test_fraction {
                config = config.test_fraction(fraction);
            }
            if let Some(precision) = settings.precision_target {
                config = config.threshold(ThresholdObjective::MinPrecision(precision));
            }
            if let Some(weights) = settings
                .class_weight
                .as_ref()
                .map(ClassWeighted::parse)
                .transpose()?
                .flatten()
            {
                config = config.class_weight(weights);
            }
            if let Some(candidates) = &settings.candidates {
                config = config.candidates(
                    candidates
                        .iter()
                        .map(|c| LearnerSpec::new(&c.name, &c.learner, c.params.clone()))
                        .collect(),
                );
            }
            Ok(
                run_tabular_tasks(increment, &config, selection)?.map(|outcome| PipelineSummary {
                    table: outcome.summary_table(),
                    increment_dir: outcome.increment_dir,
                    validation: outcome.validation,
                    summary_path: outcome.summary_path,
                }),
            )
        }
        ProblemKind::Forecasting => {
            let period = settings.period.unwrap_or(52);
            let series = match &settings.data {
                Some(path) => specweave_data::load_series(
                    path,
                    settings.timestamp.as_deref().unwrap_or("timestamp"),
                    settings.target.as_deref().unwrap_or("value"),
                )?,
                None => SeriesSpec::new(4 * period)
                    .period(period)
                    .seed(seed)
                    .generate()?,
            };
            let mut config = ForecastConfig::new(series, period).seed(seed);
            if let Some(horizon) = settings.horizon {
                config = config.horizon(horizon);
            }
            Ok(
                run_forecasting_tasks(increment, &config, selection)?.map(|outcome| {
                    PipelineSummary {
                        table: outcome.summary_table(),
                        increment_dir: outcome.increment_dir,
                        validation: outcome.validation,
                        summary_path: outcome.summary_path,
                    }
                }),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_unknown_keys_are_refused() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::invalid("tempdir", e.to_string()))?;
        let settings = PipelineSettings {
            target: Some("churned".into()),
            precision_target: Some(0.99),
            class_weight: Some(serde_json::json!("balanced")),
            candidates: Some(vec![CandidateEntry {
                name: "forest".into(),
                learner: "random_forest".into(),
                params: serde_json::json!({"n_estimators": 50}),
            }]),
            ..PipelineSettings::default()
        };
        settings.write(dir.path())?;
        assert_eq!(PipelineSettings::read(dir.path())?, settings);
        std::fs::write(dir.path().join(PIPELINE_FILE), "targte: churned\n")
            .map_err(|e| Error::invalid("write", e.to_string()))?;
        let error = PipelineSettings::read(dir.path())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("targte"), "{error}");
        Ok(())
    }
}
