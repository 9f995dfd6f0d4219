//! The feature pipeline: imputation, scaling, categorical encoding, date parts, lags and
//! rolling windows. Fitted on training data only, serializable, and applied identically at
//! inference; feature names flow through every step.
//!
//! Categorical columns are matched by category *name*, not code, so data loaded separately at
//! inference (whose own category list may differ) is encoded exactly as in training.

use crate::error::{DataError, Result};
use crate::load::format_number;
use chrono::{DateTime, Datelike, Timelike};
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use specweave_core::{Dataset, FeatureKind};
use std::collections::{BTreeMap, HashMap};

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

fn fit_step(step: &Step, data: &Dataset) -> Result<FittedStep> {
    let no_values =
        |column: &str| DataError::Pipeline(format!("column `{column}` has no values to fit on"));
    Ok(match step {
        Step::Impute { columns, strategy } => {
            let mut fills = Vec::new();
            for name in select(data, columns, false).into_iter().chain(
                // Most-frequent also fills categorical columns when none are named.
                if columns.is_empty() && *strategy == Imputation::MostFrequent {
                    select(data, &[], true)
                } else {
                    Vec::new()
                },
            ) {
                let col = index_of(data, &name)?;
                let categorical = is_categorical(&data.feature_kinds()[col]);
                let fill = match strategy {
                    Imputation::Constant(v) => Fill::Number(*v),
                    Imputation::MostFrequent if categorical => {
                        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
                        for v in category_names(data, col).into_iter().flatten() {
                            *counts.entry(v).or_insert(0) += 1;
                        }
                        let best = counts.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)));
                        Fill::Category(
                            best.map(|(k, _)| k.clone())
                                .ok_or_else(|| no_values(&name))?,
                        )
                    }
                    _ if categorical => {
                        return Err(DataError::Pipeline(format!(
                            "column `{name}` is categorical; impute it with most_frequent or a constant"
                        )));
                    }
                    Imputation::Mean => {
                        let values = finite(data, col);
                        if values.is_empty() {
                            return Err(no_values(&name));
                        }
                        Fill::Number(values.iter().sum::<f64>() / values.len() as f64)
                    }
                    Imputation::Median => {
                        let mut values = finite(data, col);
                        if values.is_empty() {
                            return Err(no_values(&name));
                        }
                        values.sort_by(f64::total_cmp);
                        let mid = values.len() / 2;
                        Fill::Number(if values.len().is_multiple_of(2) {
                            (values[mid - 1] + values[mid]) / 2.0
                        } else {
                            values[mid]
                        })
                    }
                    Imputation::MostFrequent => {
                        let mut counts: BTreeMap<u64, (f64, usize)> = BTreeMap::new();
                        for v in finite(data, col) {
                            counts.entry(v.to_bits()).or_insert((v, 0)).1 += 1;
                        }
                        let best = counts
                            .values()
                            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.total_cmp(&a.0)))
                            .ok_or_else(|| no_values(&name))?;
                        Fill::Number(best.0)
                    }
                };
                fills.push((name, fill));
            }
            FittedStep::Impute { fills }
        }
        Step::StandardScale { columns } | Step::MinMaxScale { columns } => {
            let mut fitted = Vec::new();
            for name in select(data, columns, false) {
                let col = index_of(data, &name)?;
                let values = finite(data, col);
                if values.is_empty() {
                    return Err(no_values(&name));
                }
                let n = values.len() as f64;
                let (a, b) = if matches!(step, Step::StandardScale { .. }) {
                    let mean = values.iter().sum::<f64>() / n;
                    let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
                    (mean, if std > 0.0 { std } else { 1.0 })
                } else {
                    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
                    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    (min, if max > min { max - min } else { 1.0 })
                };
                fitted.push((name, a, b));
            }
            if matches!(step, Step::StandardScale { .. }) {
                FittedStep::StandardScale { columns: fitted }
            } else {
                FittedStep::MinMaxScale { columns: fitted }
            }
        }
        Step::OneHot { columns, unseen } | Step::Ordinal { columns, unseen } => {
            let mut fitted = Vec::new();
            for name in select(data, columns, true) {
                let col = index_of(data, &name)?;
                let mut categories: Vec<String> =
                    category_names(data, col).into_iter().flatten().collect();
                categories.sort();
                categories.dedup();
                fitted.push((name, categories));
            }
            if matches!(step, Step::OneHot { .. }) {
                FittedStep::OneHot {
                    columns: fitted,
                    unseen: *unseen,
                }
            } else {
                FittedStep::Ordinal {
                    columns: fitted,
                    unseen: *unseen,
                }
            }
        }
        Step::DateParts { columns, parts } => {
            if parts.is_empty() {
                return Err(DataError::Pipeline(
                    "date parts: name at least one part".into(),
                ));
            }
            FittedStep::DateParts {
                columns: columns.clone(),
                parts: parts.clone(),
            }
        }
        Step::Lag { columns, lags } => {
            if lags.is_empty() || lags.contains(&0) {
                return Err(DataError::Pipeline(
                    "lags must be at least 1 (and at least one lag)".into(),
                ));
            }
            FittedStep::Lag {
                columns: columns.clone(),
                lags: lags.clone(),
            }
        }
        Step::Rolling {
            columns,
            window,
            stats,
        } => {
            if *window == 0 || stats.is_empty() {
                return Err(DataError::Pipeline(
                    "a rolling window needs window >= 1 and a statistic".into(),
                ));
            }
            FittedStep::Rolling {
                columns: columns.clone(),
                window: *window,
                stats: stats.clone(),
            }
        }
    })
}

/// Column-wise builder of a new feature table.
struct Columns {
    names: Vec<String>,
    kinds: Vec<FeatureKind>,
    values: Vec<Vec<f64>>,
}

impl Columns {
    fn from(data: &Dataset) -> Self {
        Columns {
            names: data.feature_names().to_vec(),
            kinds: data.feature_kinds().to_vec(),
            values: data
                .features()
                .columns()
                .into_iter()
                .map(|c| c.to_vec())
                .collect(),
        }
    }

    fn into_dataset(self, like: &Dataset) -> Result<Dataset> {
        let rows = like.n_rows();
        let mut matrix = Array2::<f64>::zeros((rows, self.values.len()));
        for (j, column) in self.values.into_iter().enumerate() {
            matrix.column_mut(j).assign(&ndarray::Array1::from(column));
        }
        let mut builder = Dataset::builder(matrix)
            .feature_names(self.names)
            .feature_kinds(self.kinds)
            .target(like.target().clone());
        if let Some(name) = like.target_name() {
            builder = builder.target_name(name);
        }
        if let Some(w) = like.weights() {
            builder = builder.weights(w.clone());
        }
        if let Some(g) = like.groups() {
            builder = builder.groups(g.to_vec());
        }
        if let Some(t) = like.timestamps() {
            builder = builder.timestamps(t.to_vec());
        }
        Ok(builder.build()?)
    }

    fn position(&self, name: &str) -> Result<usize> {
        self.names.iter().position(|n| n == name).ok_or_else(|| {
            DataError::Pipeline(format!(
                "column `{name}` not in the data; it has {}",
                self.names.join(", ")
            ))
        })
    }
}

fn date_part(ms: f64, part: DatePart) -> f64 {
    if !ms.is_finite() {
        return f64::NAN;
    }
    let Some(t) = DateTime::from_timestamp_millis(ms as i64) else {
        return f64::NAN;
    };
    f64::from(match part {
        DatePart::Year => t.year() as u32,
        DatePart::Month => t.month(),
        DatePart::Day => t.day(),
        DatePart::Weekday => t.weekday().num_days_from_monday(),
        DatePart::Hour => t.hour(),
        DatePart::DayOfYear => t.ordinal(),
    })
}

fn rolling(values: &[f64], row: usize, window: usize, stat: RollingStat) -> f64 {
    let start = row.saturating_sub(window);
    let past: Vec<f64> = values[start..row]
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    if past.is_empty() {
        return f64::NAN;
    }
    let n = past.len() as f64;
    match stat {
        RollingStat::Mean => past.iter().sum::<f64>() / n,
        RollingStat::Std => {
            if past.len() < 2 {
                return f64::NAN;
            }
            let mean = past.iter().sum::<f64>() / n;
            (past.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        }
        RollingStat::Min => past.iter().copied().fold(f64::INFINITY, f64::min),
        RollingStat::Max => past.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    }
}

fn stat_name(stat: RollingStat) -> &'static str {
    match stat {
        RollingStat::Mean => "mean",
        RollingStat::Std => "std",
        RollingStat::Min => "min",
        RollingStat::Max => "max",
    }
}

fn part_name(part: DatePart) -> &'static str {
    match part {
        DatePart::Year => "year",
        DatePart::Month => "month",
        DatePart::Day => "day",
        DatePart::Weekday => "weekday",
        DatePart::Hour => "hour",
        DatePart::DayOfYear => "dayofyear",
    }
}

fn apply_step(step: &FittedStep, data: &Dataset) -> Result<Dataset> {
    let mut table = Columns::from(data);
    let snapshot = Columns::from(data);
    let names_of = |col: usize| -> Vec<Option<String>> { category_names(data, col) };
    match step {
        FittedStep::Impute { fills } => {
            for (name, fill) in fills {
                let col = table.position(name)?;
                let value = match fill {
                    Fill::Number(v) => *v,
                    Fill::Category(category) => match &mut table.kinds[col] {
                        FeatureKind::Categorical { categories } => {
                            match categories.iter().position(|c| c == category) {
                                Some(code) => code as f64,
                                None => {
                                    categories.push(category.clone());
                                    (categories.len() - 1) as f64
                                }
                            }
                        }
                        _ => category.parse().unwrap_or(f64::NAN),
                    },
                };
                for v in table.values[col].iter_mut().filter(|v| v.is_nan()) {
                    *v = value;
                }
            }
        }
        FittedStep::StandardScale { columns } | FittedStep::MinMaxScale { columns } => {
            for (name, offset, scale) in columns {
                let col = table.position(name)?;
                for v in &mut table.values[col] {
                    *v = (*v - offset) / scale;
                }
            }
        }
        FittedStep::OneHot { columns, unseen } | FittedStep::Ordinal { columns, unseen } => {
            let one_hot = matches!(step, FittedStep::OneHot { .. });
            let mut replacements: HashMap<String, Vec<(String, FeatureKind, Vec<f64>)>> =
                HashMap::new();
            for (name, categories) in columns {
                let col = snapshot.position(name)?;
                let code: HashMap<&str, usize> = categories
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.as_str(), i))
                    .collect();
                let rows = names_of(col);
                let mut codes = Vec::with_capacity(rows.len());
                for (row, value) in rows.iter().enumerate() {
                    codes.push(match value {
                        None => None,
                        Some(v) => match code.get(v.as_str()) {
                            Some(&c) => Some(c),
                            None if *unseen == UnseenCategory::Ignore => None,
                            None => {
                                return Err(DataError::Pipeline(format!(
                                    "column `{name}`, row {row}: category `{v}` was not seen in training (policy: error)"
                                )));
                            }
                        },
                    });
                }
                let outputs = if one_hot {
                    categories
                        .iter()
                        .enumerate()
                        .map(|(c, category)| {
                            let values = codes
                                .iter()
                                .map(|code| f64::from(u8::from(*code == Some(c))))
                                .collect();
                            (format!("{name}={category}"), FeatureKind::Boolean, values)
                        })
                        .collect()
                } else {
                    let values = codes
                        .iter()
                        .map(|c| c.map_or(f64::NAN, |c| c as f64))
                        .collect();
                    vec![(
                        name.clone(),
                        FeatureKind::Categorical {
                            categories: categories.clone(),
                        },
                        values,
                    )]
                };
                replacements.insert(name.clone(), outputs);
            }
            table = expand(snapshot, replacements);
        }
        FittedStep::DateParts { columns, parts } => {
            let mut replacements = HashMap::new();
            for name in columns {
                let col = snapshot.position(name)?;
                let outputs = parts
                    .iter()
                    .map(|&part| {
                        let values = snapshot.values[col]
                            .iter()
                            .map(|&ms| date_part(ms, part))
                            .collect();
                        (
                            format!("{name}_{}", part_name(part)),
                            FeatureKind::Numeric,
                            values,
                        )
                    })
                    .collect();
                replacements.insert(name.clone(), outputs);
            }
            table = expand(snapshot, replacements);
        }
        FittedStep::Lag { columns, lags } => {
            for name in columns {
                let col = snapshot.position(name)?;
                let source = &snapshot.values[col];
                for &lag in lags {
                    table.names.push(format!("{name}_lag_{lag}"));
                    table.kinds.push(FeatureKind::Numeric);
                    table.values.push(
                        (0..source.len())
                            .map(|r| if r >= lag { source[r - lag] } else { f64::NAN })
                            .collect(),
                    );
                }
            }
        }
        FittedStep::Rolling {
            columns,
            window,
            stats,
        } => {
            for name in columns {
                let col = snapshot.position(name)?;
                let source = &snapshot.values[col];
                for &stat in stats {
                    table
                        .names
                        .push(format!("{name}_roll{window}_{}", stat_name(stat)));
                    table.kinds.push(FeatureKind::Numeric);
                    table.values.push(
                        (0..source.len())
                            .map(|r| rolling(source, r, *window, stat))
                            .collect(),
                    );
                }
            }
        }
    }
    table.into_dataset(data)
}

type Outputs = Vec<(String, FeatureKind, Vec<f64>)>;

/// Replaces each named column by its outputs, in place, keeping the other columns' order.
fn expand(input: Columns, mut replacements: HashMap<String, Outputs>) -> Columns {
    let mut out = Columns {
        names: Vec::new(),
        kinds: Vec::new(),
        values: Vec::new(),
    };
    for ((name, kind), values) in input.names.into_iter().zip(input.kinds).zip(input.values) {
        match replacements.remove(&name) {
            Some(outputs) => {
                for (n, k, v) in outputs {
                    out.names.push(n);
                    out.kinds.push(k);
                    out.values.push(v);
                }
            }
            None => {
                out.names.push(name);
                out.kinds.push(kind);
                out.values.push(values);
            }
        }
    }
    out
}
