//! The feature pipeline: imputation, scaling, categorical encoding, date parts, lags and
//! rolling windows. Fitted on training data only, serializable, and applied identically at
//! inference; feature names flow through every step.
//!
//! Categorical columns are matched by category *name*, not code, so data loaded separately at
//! inference (whose own category list may differ) is encoded exactly as in training.

mod apply;
mod fit;

use crate::error::{DataError, Result};
use crate::load::format_number;
use apply::apply_step;
use fit::fit_step;
use serde::{Deserialize, Serialize};
use specweave_core::{Dataset, FeatureKind};

/// How missing values are filled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Imputation {
    /// The training mean (numeric columns).
    Mean,
    /// The training median (numeric columns).
    Median,
    /// The most frequent training value (numeric or categorical; ties to the smallest).
    MostFrequent,
    /// A fixed number.
    Constant(f64),
}

/// What encoders do with a category never seen in training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum UnseenCategory {
    /// Fail, naming the column, row and value.
    #[default]
    Error,
    /// Encode as all zeros (one-hot) or missing (ordinal).
    Ignore,
}

/// A calendar part of a timestamp column (epoch milliseconds, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatePart {
    /// Calendar year.
    Year,
    /// Month 1–12.
    Month,
    /// Day of the month 1–31.
    Day,
    /// Day of the week, Monday = 0.
    Weekday,
    /// Hour 0–23.
    Hour,
    /// Day of the year 1–366.
    DayOfYear,
}

/// A statistic over a rolling window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RollingStat {
    /// Mean of the window.
    Mean,
    /// Sample standard deviation of the window.
    Std,
    /// Minimum of the window.
    Min,
    /// Maximum of the window.
    Max,
}

/// One configured step. An empty column list means every column the step applies to
/// (numeric columns for imputation and scaling, categorical ones for the encoders).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Fill missing values.
    Impute {
        /// Columns.
        columns: Vec<String>,
        /// Strategy.
        strategy: Imputation,
    },
    /// `(x − mean) / std` with the training mean and population std (std 0 counts as 1).
    StandardScale {
        /// Columns.
        columns: Vec<String>,
    },
    /// `(x − min) / (max − min)` with the training range (a zero range counts as 1).
    MinMaxScale {
        /// Columns.
        columns: Vec<String>,
    },
    /// One 0/1 column per training category, named `column=category`.
    OneHot {
        /// Columns.
        columns: Vec<String>,
        /// Unseen-category policy.
        unseen: UnseenCategory,
    },
    /// Codes of the training categories, in sorted order.
    Ordinal {
        /// Columns.
        columns: Vec<String>,
        /// Unseen-category policy.
        unseen: UnseenCategory,
    },
    /// Calendar parts of timestamp columns, named `column_part`; the original is dropped.
    DateParts {
        /// Columns.
        columns: Vec<String>,
        /// Parts to extract.
        parts: Vec<DatePart>,
    },
    /// Values `k` rows earlier, named `column_lag_k` (rows must be in time order).
    Lag {
        /// Columns.
        columns: Vec<String>,
        /// Lags in rows (each ≥ 1).
        lags: Vec<usize>,
    },
    /// Statistics of the previous `window` rows (the current row excluded, so no leakage),
    /// named `column_roll{window}_{stat}`.
    Rolling {
        /// Columns.
        columns: Vec<String>,
        /// Window length in rows (≥ 1).
        window: usize,
        /// Statistics.
        stats: Vec<RollingStat>,
    },
}

/// An unfitted sequence of steps; each step is fitted on the output of the ones before it.
///
/// ```
/// use ndarray::array;
/// use specweave_core::{Dataset, FeatureKind};
/// use specweave_data::pipeline::{FeaturePipeline, Imputation, UnseenCategory};
///
/// let train = Dataset::builder(array![[1.0, 0.0], [f64::NAN, 1.0], [3.0, 0.0]])
///     .feature_names(["income", "plan"])
///     .feature_kinds(vec![FeatureKind::Numeric, FeatureKind::Categorical { categories: vec!["basic".into(), "pro".into()] }])
///     .build()?;
/// let fitted = FeaturePipeline::new()
///     .impute(["income"], Imputation::Mean)
///     .standard_scale(["income"])
///     .one_hot(["plan"], UnseenCategory::Ignore)
///     .fit(&train)?;
/// assert_eq!(fitted.output_names(), ["income", "plan=basic", "plan=pro"]);
/// let out = fitted.transform(&train)?;
/// assert_eq!(out.features()[[1, 0]], 0.0); // imputed to the mean, then centred
/// // The fitted pipeline is data: it round-trips through JSON.
/// let again = specweave_data::pipeline::FittedPipeline::from_json(&fitted.to_json()?)?;
/// assert_eq!(again.transform(&train)?.features(), out.features());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeaturePipeline {
    steps: Vec<Step>,
}

fn names<I, S>(columns: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    columns.into_iter().map(Into::into).collect()
}

impl FeaturePipeline {
    /// An empty pipeline.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds any step.
    pub fn step(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }
    /// Adds imputation.
    pub fn impute<I: IntoIterator<Item = S>, S: Into<String>>(
        self,
        columns: I,
        strategy: Imputation,
    ) -> Self {
        self.step(Step::Impute {
            columns: names(columns),
            strategy,
        })
    }
    /// Adds standard scaling.
    pub fn standard_scale<I: IntoIterator<Item = S>, S: Into<String>>(self, columns: I) -> Self {
        self.step(Step::StandardScale {
            columns: names(columns),
        })
    }
    /// Adds min-max scaling.
    pub fn min_max_scale<I: IntoIterator<Item = S>, S: Into<String>>(self, columns: I) -> Self {
        self.step(Step::MinMaxScale {
            columns: names(columns),
        })
    }
    /// Adds one-hot encoding.
    pub fn one_hot<I: IntoIterator<Item = S>, S: Into<String>>(
        self,
        columns: I,
        unseen: UnseenCategory,
    ) -> Self {
        self.step(Step::OneHot {
            columns: names(columns),
            unseen,
        })
    }
    /// Adds ordinal encoding.
    pub fn ordinal<I: IntoIterator<Item = S>, S: Into<String>>(
        self,
        columns: I,
        unseen: UnseenCategory,
    ) -> Self {
        self.step(Step::Ordinal {
            columns: names(columns),
            unseen,
        })
    }
    /// Adds date parts.
    pub fn date_parts<I: IntoIterator<Item = S>, S: Into<String>>(
        self,
        columns: I,
        parts: Vec<DatePart>,
    ) -> Self {
        self.step(Step::DateParts {
            columns: names(columns),
            parts,
        })
    }
    /// Adds lag features.
    pub fn lags<I: IntoIterator<Item = S>, S: Into<String>>(
        self,
        columns: I,
        lags: Vec<usize>,
    ) -> Self {
        self.step(Step::Lag {
            columns: names(columns),
            lags,
        })
    }
    /// Adds rolling-window features.
    pub fn rolling<I: IntoIterator<Item = S>, S: Into<String>>(
        self,
        columns: I,
        window: usize,
        stats: Vec<RollingStat>,
    ) -> Self {
        self.step(Step::Rolling {
            columns: names(columns),
            window,
            stats,
        })
    }

    /// Fits every step on `train` (each on the output of the previous steps).
    pub fn fit(&self, train: &Dataset) -> Result<FittedPipeline> {
        let mut current = train.clone();
        let mut fitted = Vec::with_capacity(self.steps.len());
        for step in &self.steps {
            let step = fit_step(step, &current)?;
            current = apply_step(&step, &current)?;
            fitted.push(step);
        }
        Ok(FittedPipeline {
            input_names: train.feature_names().to_vec(),
            output_names: current.feature_names().to_vec(),
            steps: fitted,
        })
    }
}

/// A fitted step: the configuration plus what was learnt from the training data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum FittedStep {
    /// Fill values per column.
    Impute {
        /// Column and fill value.
        fills: Vec<(String, Fill)>,
    },
    /// Per column: mean and scale.
    StandardScale {
        /// Column, mean, std.
        columns: Vec<(String, f64, f64)>,
    },
    /// Per column: min and range.
    MinMaxScale {
        /// Column, min, range.
        columns: Vec<(String, f64, f64)>,
    },
    /// Training categories per column.
    OneHot {
        /// Column and its categories.
        columns: Vec<(String, Vec<String>)>,
        /// Unseen-category policy.
        unseen: UnseenCategory,
    },
    /// Training categories per column.
    Ordinal {
        /// Column and its categories.
        columns: Vec<(String, Vec<String>)>,
        /// Unseen-category policy.
        unseen: UnseenCategory,
    },
    /// Stateless: date parts.
    DateParts {
        /// Columns.
        columns: Vec<String>,
        /// Parts.
        parts: Vec<DatePart>,
    },
    /// Stateless: lags.
    Lag {
        /// Columns.
        columns: Vec<String>,
        /// Lags.
        lags: Vec<usize>,
    },
    /// Stateless: rolling windows.
    Rolling {
        /// Columns.
        columns: Vec<String>,
        /// Window.
        window: usize,
        /// Statistics.
        stats: Vec<RollingStat>,
    },
}

/// A fill value: a number, or a category (by name) for categorical columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fill {
    /// A number.
    Number(f64),
    /// A category name.
    Category(String),
}

/// A fitted pipeline, applied identically to training and inference data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedPipeline {
    input_names: Vec<String>,
    output_names: Vec<String>,
    steps: Vec<FittedStep>,
}

impl FittedPipeline {
    /// Feature names the pipeline expects.
    pub fn input_names(&self) -> &[String] {
        &self.input_names
    }
    /// Feature names it produces.
    pub fn output_names(&self) -> &[String] {
        &self.output_names
    }
    /// The fitted steps.
    pub fn steps(&self) -> &[FittedStep] {
        &self.steps
    }
    /// Applies every step; the input needs the training feature columns (by name, any order).
    pub fn transform(&self, data: &Dataset) -> Result<Dataset> {
        let mut current = data.clone();
        for step in &self.steps {
            current = apply_step(step, &current)?;
        }
        Ok(current)
    }
    /// The pipeline as JSON.
    pub fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)?)
    }
    /// Reads a pipeline from JSON.
    pub fn from_json(json: &str) -> Result<FittedPipeline> {
        Ok(serde_json::from_str(json)?)
    }
}

fn index_of(data: &Dataset, column: &str) -> Result<usize> {
    data.feature_names()
        .iter()
        .position(|n| n == column)
        .ok_or_else(|| {
            DataError::Pipeline(format!(
                "column `{column}` not in the data; it has {}",
                data.feature_names().join(", ")
            ))
        })
}

fn is_categorical(kind: &FeatureKind) -> bool {
    matches!(kind, FeatureKind::Categorical { .. })
}

/// Columns named, or (when none are) every column of the wanted kind.
fn select(data: &Dataset, columns: &[String], categorical: bool) -> Vec<String> {
    if !columns.is_empty() {
        return columns.to_vec();
    }
    data.feature_names()
        .iter()
        .zip(data.feature_kinds())
        .filter(|(_, k)| is_categorical(k) == categorical)
        .map(|(n, _)| n.clone())
        .collect()
}

/// The category name of each row (None when missing); numeric columns are read as names.
fn category_names(data: &Dataset, col: usize) -> Vec<Option<String>> {
    let kind = &data.feature_kinds()[col];
    data.features()
        .column(col)
        .iter()
        .map(|&v| {
            if v.is_nan() {
                return None;
            }
            match kind {
                FeatureKind::Categorical { categories } => categories.get(v as usize).cloned(),
                _ => Some(format_number(v)),
            }
        })
        .collect()
}

fn finite(data: &Dataset, col: usize) -> Vec<f64> {
    data.features()
        .column(col)
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect()
}
