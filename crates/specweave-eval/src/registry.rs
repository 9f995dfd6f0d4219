//! Every metric of a task by name: the registry that runners and reports use to evaluate
//! "all metrics for this task" into a name → value map.
//!
//! Names are lowercase; ranking names carry the cutoff (`ndcg@10`).

use crate::classification::{
    Average, ConfusionMatrix, OvrAverage, average_precision_unchecked, binary_labels, brier,
    brier_multiclass, check_binary, log_loss, log_loss_multiclass, pr_auc_unchecked, roc_auc_ovr,
    roc_auc_unchecked, threshold_labels,
};
use crate::error::{EvalError, Result, check_len};
use crate::forecasting::{interval_coverage, mase};
use crate::ranking::{Gain, RankingInput, evaluate_ranking};
use crate::regression;
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// What kind of predictions are evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Class labels with a score per row (binary) or class probabilities (multiclass).
    Classification,
    /// Continuous labels and predictions.
    Regression,
    /// Scored candidates per user (recommendation, search).
    Ranking,
    /// Forecast values, optionally with intervals and the training series.
    Forecasting,
}

impl Task {
    /// All tasks.
    pub const ALL: [Task; 4] = [
        Task::Classification,
        Task::Regression,
        Task::Ranking,
        Task::Forecasting,
    ];

    /// The lowercase name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Task::Classification => "classification",
            Task::Regression => "regression",
            Task::Ranking => "ranking",
            Task::Forecasting => "forecasting",
        }
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Task {
    type Err = EvalError;

    /// Parses a task name; `recommendation` is accepted for ranking.
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim().to_ascii_lowercase();
        if s == "recommendation" {
            return Ok(Task::Ranking);
        }
        Task::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| {
            EvalError::param("task", format!("unknown task `{s}`; expected classification, regression, ranking or forecasting"))
        })
    }
}

impl From<specweave_core::ProblemKind> for Task {
    fn from(kind: specweave_core::ProblemKind) -> Self {
        match kind {
            specweave_core::ProblemKind::Classification => Task::Classification,
            specweave_core::ProblemKind::Regression => Task::Regression,
            specweave_core::ProblemKind::Recommendation => Task::Ranking,
            specweave_core::ProblemKind::Forecasting => Task::Forecasting,
        }
    }
}

/// Predictions and labels of one evaluation as in-memory columns.
///
/// - classification: `labels` 0/1 with `scores` (probability of class 1 or any score), or
///   class indices with `probabilities` (rows × classes) for multiclass;
/// - regression and forecasting: `labels` are actuals, `scores` predictions;
/// - ranking: `labels` are relevance grades, `scores` model scores, plus `users` and `items`.
#[derive(Debug, Clone, Copy)]
pub struct EvalInput<'a> {
    /// Label per row (class, actual value or relevance grade).
    pub labels: &'a [f64],
    /// Score or prediction per row.
    pub scores: &'a [f64],
    /// Multiclass probabilities (rows × classes); when set, `scores` is ignored.
    pub probabilities: Option<ArrayView2<'a, f64>>,
    /// Sample weights (classification and regression).
    pub weights: Option<&'a [f64]>,
    /// User (query) id per row, for ranking.
    pub users: Option<&'a [u64]>,
    /// Item id per row, for ranking.
    pub items: Option<&'a [u64]>,
    /// Lower bound of the prediction interval per row, for forecasting.
    pub lower: Option<&'a [f64]>,
    /// Upper bound of the prediction interval per row, for forecasting.
    pub upper: Option<&'a [f64]>,
    /// The training series, for MASE.
    pub training_series: Option<&'a [f64]>,
}

impl<'a> EvalInput<'a> {
    /// Labels and one score or prediction per row; everything else unset.
    pub fn scored(labels: &'a [f64], scores: &'a [f64]) -> Self {
        EvalInput {
            labels,
            scores,
            probabilities: None,
            weights: None,
            users: None,
            items: None,
            lower: None,
            upper: None,
            training_series: None,
        }
    }

    /// Ranking input: relevance, scores, users and items per row.
    pub fn ranking(
        relevance: &'a [f64],
        scores: &'a [f64],
        users: &'a [u64],
        items: &'a [u64],
    ) -> Self {
        EvalInput {
            users: Some(users),
            items: Some(items),
            ..Self::scored(relevance, scores)
        }
    }

    /// Sets sample weights.
    pub fn with_weights(mut self, weights: &'a [f64]) -> Self {
        self.weights = Some(weights);
        self
    }

    /// Sets multiclass probabilities.
    pub fn with_probabilities(mut self, probabilities: ArrayView2<'a, f64>) -> Self {
        self.probabilities = Some(probabilities);
        self
    }

    /// Sets forecast intervals.
    pub fn with_interval(mut self, lower: &'a [f64], upper: &'a [f64]) -> Self {
        self.lower = Some(lower);
        self.upper = Some(upper);
        self
    }

    /// Sets the training series for MASE.
    pub fn with_training_series(mut self, series: &'a [f64]) -> Self {
        self.training_series = Some(series);
        self
    }

    /// Checks that every column present has one entry per row. `scores` may be empty when
    /// multiclass probabilities are given.
    pub fn validate(&self) -> Result<()> {
        let n = self.labels.len();
        if n == 0 {
            return Err(EvalError::Empty("no rows to evaluate".into()));
        }
        if !(self.probabilities.is_some() && self.scores.is_empty()) {
            check_len("scores", n, self.scores.len())?;
        }
        if let Some(p) = self.probabilities {
            check_len("probability rows", n, p.nrows())?;
        }
        for (what, column) in [
            ("sample weights", self.weights),
            ("lower bounds", self.lower),
            ("upper bounds", self.upper),
        ] {
            if let Some(c) = column {
                check_len(what, n, c.len())?;
            }
        }
        for (what, column) in [("users", self.users), ("items", self.items)] {
            if let Some(c) = column {
                check_len(what, n, c.len())?;
            }
        }
        Ok(())
    }

    /// The rows `rows` of every column (for resampling and slicing), as owned columns.
    pub(crate) fn gather(&self, rows: &[usize]) -> GatheredInput {
        let gather = |v: &[f64]| {
            if v.is_empty() {
                Vec::new()
            } else {
                rows.iter().map(|&i| v[i]).collect()
            }
        };
        let gather_ids = |v: &[u64]| rows.iter().map(|&i| v[i]).collect::<Vec<u64>>();
        GatheredInput {
            labels: gather(self.labels),
            scores: gather(self.scores),
            probabilities: self.probabilities.map(|p| {
                let mut out = ndarray::Array2::zeros((rows.len(), p.ncols()));
                for (r, &i) in rows.iter().enumerate() {
                    out.row_mut(r).assign(&p.row(i));
                }
                out
            }),
            weights: self.weights.map(gather),
            users: self.users.map(gather_ids),
            items: self.items.map(gather_ids),
            lower: self.lower.map(gather),
            upper: self.upper.map(gather),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True without rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// Owned columns of a subset of rows; [`GatheredInput::view`] lends them as an input.
#[derive(Debug, Clone)]
pub(crate) struct GatheredInput {
    labels: Vec<f64>,
    scores: Vec<f64>,
    probabilities: Option<ndarray::Array2<f64>>,
    weights: Option<Vec<f64>>,
    users: Option<Vec<u64>>,
    items: Option<Vec<u64>>,
    lower: Option<Vec<f64>>,
    upper: Option<Vec<f64>>,
}

impl GatheredInput {
    /// The subset as an input; the training series is shared with the original.
    pub(crate) fn view<'a>(&'a self, training_series: Option<&'a [f64]>) -> EvalInput<'a> {
        EvalInput {
            labels: &self.labels,
            scores: &self.scores,
            probabilities: self.probabilities.as_ref().map(|p| p.view()),
            weights: self.weights.as_deref(),
            users: self.users.as_deref(),
            items: self.items.as_deref(),
            lower: self.lower.as_deref(),
            upper: self.upper.as_deref(),
            training_series,
        }
    }
}

/// Settings of the metrics themselves (not of the intervals).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MetricSettings {
    /// Ranking cutoff.
    pub k: usize,
    /// DCG gain.
    pub gain: Gain,
    /// Binary decision threshold: class 1 when the score is above it.
    pub threshold: f64,
    /// Seasonal period for MASE.
    pub season: usize,
}

impl Default for MetricSettings {
    fn default() -> Self {
        MetricSettings {
            k: 10,
            gain: Gain::Linear,
            threshold: 0.5,
            season: 1,
        }
    }
}

/// The metric names a task reports (ranking names for cutoff `k`).
///
/// ```
/// use specweave_eval::registry::{metric_names, Task};
/// assert!(metric_names(Task::Ranking, 5).contains(&"ndcg@5".to_string()));
/// assert!(metric_names(Task::Classification, 10).contains(&"roc_auc".to_string()));
/// ```
pub fn metric_names(task: Task, k: usize) -> Vec<String> {
    let fixed: &[&str] = match task {
        Task::Classification => &[
            "accuracy",
            "balanced_accuracy",
            "precision",
            "recall",
            "f1",
            "roc_auc",
            "average_precision",
            "pr_auc",
            "log_loss",
            "brier",
            "mcc",
        ],
        Task::Regression => &[
            "mse",
            "rmse",
            "mae",
            "medae",
            "max_error",
            "r2",
            "explained_variance",
            "mape",
            "smape",
        ],
        Task::Forecasting => &["mape", "smape", "rmse", "mae", "mase", "interval_coverage"],
        Task::Ranking => {
            return ["precision", "recall", "ndcg", "map", "mrr", "hit_rate"]
                .iter()
                .map(|m| format!("{m}@{k}"))
                .chain(std::iter::once("coverage".to_string()))
                .collect();
        }
    };
    fixed.iter().map(|s| s.to_string()).collect()
}

/// Evaluates every metric of `task` that the input supports into a name → value map.
///
/// Metrics that need something the input lacks are left out (log loss and Brier score
/// when binary scores are not probabilities, MASE without the training series, interval
/// coverage without intervals; average precision and PR AUC for multiclass).
///
/// ```
/// use specweave_eval::registry::{evaluate_metrics, EvalInput, MetricSettings, Task};
/// let m = evaluate_metrics(Task::Regression, &EvalInput::scored(&[3.0, -0.5, 2.0, 7.0], &[2.5, 0.0, 2.0, 8.0]), &MetricSettings::default())?;
/// assert_eq!(m["mse"], 0.375);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn evaluate_metrics(
    task: Task,
    input: &EvalInput<'_>,
    settings: &MetricSettings,
) -> Result<BTreeMap<String, f64>> {
    match task {
        Task::Classification => match input.probabilities {
            Some(p) => multiclass(input, p, settings),
            None => binary(input, settings),
        },
        Task::Regression => regression_metrics(input),
        Task::Forecasting => forecasting_metrics(input, settings),
        Task::Ranking => {
            let scores = evaluate_ranking(&ranking_input(input)?, settings.k, settings.gain)?;
            Ok(scores.named().into_iter().collect())
        }
    }
}

pub(crate) fn ranking_input<'a>(input: &EvalInput<'a>) -> Result<RankingInput<'a>> {
    let users = input
        .users
        .ok_or_else(|| EvalError::param("users", "ranking needs a user id per row"))?;
    let items = input
        .items
        .ok_or_else(|| EvalError::param("items", "ranking needs an item id per row"))?;
    Ok(RankingInput {
        users,
        items,
        relevance: input.labels,
        scores: input.scores,
    })
}

fn binary(input: &EvalInput<'_>, settings: &MetricSettings) -> Result<BTreeMap<String, f64>> {
    let (y, s, w) = (input.labels, input.scores, input.weights);
    check_binary(y, s, w)?;
    let truth = binary_labels(y)?;
    let predicted = threshold_labels(s, settings.threshold);
    let cm = ConfusionMatrix::new(&truth, &predicted, w)?;
    let positive = Average::Binary { positive: 1 };
    let mut m = BTreeMap::new();
    m.insert("accuracy".into(), cm.accuracy());
    m.insert("balanced_accuracy".into(), cm.balanced_accuracy());
    m.insert("precision".into(), cm.precision(positive)?);
    m.insert("recall".into(), cm.recall(positive)?);
    m.insert("f1".into(), cm.fbeta(1.0, positive)?);
    m.insert("mcc".into(), cm.mcc());
    m.insert("roc_auc".into(), roc_auc_unchecked(y, s, w)?);
    m.insert(
        "average_precision".into(),
        average_precision_unchecked(y, s, w)?,
    );
    m.insert("pr_auc".into(), pr_auc_unchecked(y, s, w)?);
    if s.iter().all(|p| (0.0..=1.0).contains(p)) {
        m.insert("log_loss".into(), log_loss(y, s, w)?);
        m.insert("brier".into(), brier(y, s, w)?);
    }
    Ok(m)
}

fn multiclass(
    input: &EvalInput<'_>,
    p: ArrayView2<'_, f64>,
    settings: &MetricSettings,
) -> Result<BTreeMap<String, f64>> {
    let _ = settings;
    check_len("probability rows", input.labels.len(), p.nrows())?;
    let truth: Vec<usize> = input
        .labels
        .iter()
        .enumerate()
        .map(|(row, &y)| {
            if y >= 0.0 && y.fract() == 0.0 && (y as usize) < p.ncols() {
                Ok(y as usize)
            } else {
                Err(EvalError::invalid(
                    "labels",
                    row,
                    format!("{y} is not a class index below {}", p.ncols()),
                ))
            }
        })
        .collect::<Result<_>>()?;
    let predicted: Vec<usize> = p
        .rows()
        .into_iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .fold((0, f64::NEG_INFINITY), |best, (i, &v)| {
                    if v > best.1 { (i, v) } else { best }
                })
                .0
        })
        .collect();
    let w = input.weights;
    let cm = ConfusionMatrix::new(&truth, &predicted, w)?;
    let mut m = BTreeMap::new();
    m.insert("accuracy".into(), cm.accuracy());
    m.insert("balanced_accuracy".into(), cm.balanced_accuracy());
    m.insert("precision".into(), cm.precision(Average::Macro)?);
    m.insert("recall".into(), cm.recall(Average::Macro)?);
    m.insert("f1".into(), cm.fbeta(1.0, Average::Macro)?);
    m.insert("mcc".into(), cm.mcc());
    m.insert(
        "roc_auc".into(),
        roc_auc_ovr(&truth, p, w, OvrAverage::Macro)?,
    );
    m.insert("log_loss".into(), log_loss_multiclass(&truth, p, w)?);
    m.insert("brier".into(), brier_multiclass(&truth, p, w)?);
    Ok(m)
}

fn regression_metrics(input: &EvalInput<'_>) -> Result<BTreeMap<String, f64>> {
    let (y, p, w) = (input.labels, input.scores, input.weights);
    let mut m = BTreeMap::new();
    let mse = regression::mse(y, p, w)?;
    m.insert("mse".into(), mse);
    m.insert("rmse".into(), mse.sqrt());
    m.insert("mae".into(), regression::mae(y, p, w)?);
    m.insert("medae".into(), regression::medae(y, p)?);
    m.insert("max_error".into(), regression::max_error(y, p)?);
    m.insert("r2".into(), regression::r2(y, p, w)?);
    m.insert(
        "explained_variance".into(),
        regression::explained_variance(y, p, w)?,
    );
    m.insert("mape".into(), regression::mape(y, p, w)?);
    m.insert("smape".into(), regression::smape(y, p, w)?);
    Ok(m)
}

fn forecasting_metrics(
    input: &EvalInput<'_>,
    settings: &MetricSettings,
) -> Result<BTreeMap<String, f64>> {
    let (y, p) = (input.labels, input.scores);
    let mut m = BTreeMap::new();
    m.insert("mape".into(), regression::mape(y, p, None)?);
    m.insert("smape".into(), regression::smape(y, p, None)?);
    m.insert("rmse".into(), regression::rmse(y, p, None)?);
    m.insert("mae".into(), regression::mae(y, p, None)?);
    if let Some(train) = input.training_series {
        m.insert("mase".into(), mase(y, p, train, settings.season)?);
    }
    if let (Some(lower), Some(upper)) = (input.lower, input.upper) {
        m.insert(
            "interval_coverage".into(),
            interval_coverage(y, lower, upper)?,
        );
    }
    Ok(m)
}
