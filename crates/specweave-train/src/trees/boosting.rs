//! Gradient-boosted trees of the LightGBM kind: histogram binning, leaf-wise growth with
//! second-order gains, shrinkage, row and column subsampling, early stopping, binary
//! logloss / multiclass softmax / L2 regression, learned default directions for missing
//! values and sample weights. Covers are hessian sums, as in LightGBM and XGBoost.

use super::binning::BinMapper;
use super::grow::{Gradients, GrowConfig, GrownTree, grow_tree};
use crate::common::{
    FRAMEWORK, check_columns, check_fraction, check_non_negative, encode_model, model_info,
    problem_of, require_rows, sigmoid, weights_or_ones,
};
use crate::error::{Result, TrainError};
use ndarray::ArrayView2;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use specweave_core::{
    Aggregation, Dataset, Learner, MetricSink, Model, ModelInfo, NoMetrics, OutputLink,
    Predictions, ProblemKind, Target, TreeEnsemble, TreeModel, TreeOutput,
};
use std::sync::Arc;

/// Hyperparameters of [`GradientBoosting`] (names follow LightGBM where they exist).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GradientBoostingParams {
    /// Boosting rounds (trees per class).
    pub n_estimators: usize,
    /// Shrinkage applied to every tree.
    pub learning_rate: f64,
    /// Maximum leaves per tree (leaf-wise growth).
    pub num_leaves: usize,
    /// Maximum depth; 0 for no limit.
    pub max_depth: usize,
    /// Minimum rows per leaf.
    pub min_data_in_leaf: usize,
    /// Minimum hessian sum per leaf.
    pub min_sum_hessian_in_leaf: f64,
    /// L2 regularisation of leaf values.
    pub lambda_l2: f64,
    /// Minimum gain to split.
    pub min_split_gain: f64,
    /// Bins per feature (2..=255).
    pub max_bins: usize,
    /// Fraction of rows drawn (without replacement) for each round.
    pub subsample: f64,
    /// Fraction of features drawn for each tree.
    pub colsample_bytree: f64,
    /// Stop when the validation loss has not improved for this many rounds; 0 disables.
    pub early_stopping_rounds: usize,
    /// Fraction of the training rows held out to monitor early stopping.
    pub validation_fraction: f64,
    /// Seed of subsampling and the validation hold-out.
    pub seed: u64,
}

impl Default for GradientBoostingParams {
    fn default() -> Self {
        GradientBoostingParams {
            n_estimators: 100,
            learning_rate: 0.1,
            num_leaves: 31,
            max_depth: 0,
            min_data_in_leaf: 20,
            min_sum_hessian_in_leaf: 1e-3,
            lambda_l2: 0.0,
            min_split_gain: 0.0,
            max_bins: 255,
            subsample: 1.0,
            colsample_bytree: 1.0,
            early_stopping_rounds: 0,
            validation_fraction: 0.1,
            seed: 0,
        }
    }
}

impl GradientBoostingParams {
    fn validate(&self) -> Result<()> {
        let name = GradientBoosting::NAME;
        if self.n_estimators == 0 {
            return Err(TrainError::param(
                name,
                "n_estimators",
                "must be at least 1",
            ));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(TrainError::param(
                name,
                "learning_rate",
                format!("must be > 0, got {}", self.learning_rate),
            ));
        }
        if self.num_leaves < 2 {
            return Err(TrainError::param(name, "num_leaves", "must be at least 2"));
        }
        if !(2..=255).contains(&self.max_bins) {
            return Err(TrainError::param(
                name,
                "max_bins",
                format!("must be in 2..=255, got {}", self.max_bins),
            ));
        }
        check_non_negative(
            name,
            "min_sum_hessian_in_leaf",
            self.min_sum_hessian_in_leaf,
        )?;
        check_non_negative(name, "lambda_l2", self.lambda_l2)?;
        check_non_negative(name, "min_split_gain", self.min_split_gain)?;
        check_fraction(name, "subsample", self.subsample)?;
        check_fraction(name, "colsample_bytree", self.colsample_bytree)?;
        if self.early_stopping_rounds > 0
            && !(self.validation_fraction > 0.0 && self.validation_fraction < 1.0)
        {
            return Err(TrainError::param(
                name,
                "validation_fraction",
                format!(
                    "must be in (0, 1) with early stopping, got {}",
                    self.validation_fraction
                ),
            ));
        }
        Ok(())
    }
}

/// Histogram gradient boosting for classification (binary logloss, multiclass softmax) and
/// regression (L2).
///
/// ```
/// use ndarray::Array2;
/// use specweave_core::{Dataset, Learner, Target};
/// use specweave_train::{GradientBoosting, GradientBoostingParams};
///
/// let x = Array2::from_shape_fn((200, 2), |(i, j)| ((i * (j + 3)) % 17) as f64);
/// let y: Vec<usize> = x.rows().into_iter().map(|r| usize::from(r[0] > 8.0)).collect();
/// let data = Dataset::builder(x)
///     .target(Target::Classes { labels: y.clone(), class_names: vec!["a".into(), "b".into()] })
///     .build()?;
/// let params = GradientBoostingParams { n_estimators: 20, ..Default::default() };
/// let model = GradientBoosting::new(params)?.fit(&data)?;
/// assert_eq!(model.predict(data.features())?.labels(), Some(y));
/// assert!(model.as_tree_model().is_some());
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct GradientBoosting {
    params: GradientBoostingParams,
    sink: Option<Arc<dyn MetricSink>>,
}

impl std::fmt::Debug for GradientBoosting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GradientBoosting")
            .field("params", &self.params)
            .finish()
    }
}

impl GradientBoosting {
    /// Registered name.
    pub const NAME: &'static str = "gradient_boosting";

    /// A booster with validated parameters.
    pub fn new(params: GradientBoostingParams) -> Result<Self> {
        params.validate()?;
        Ok(GradientBoosting { params, sink: None })
    }

    /// Reports `train_loss` (and `valid_loss` with early stopping) per round to `sink`.
    pub fn metric_sink(mut self, sink: Arc<dyn MetricSink>) -> Self {
        self.sink = Some(sink);
        self
    }

    /// The parameters.
    pub fn hyperparams(&self) -> &GradientBoostingParams {
        &self.params
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Objective {
    Binary,
    Multiclass(usize),
    Regression,
}

impl Objective {
    fn n_outputs(self) -> usize {
        match self {
            Objective::Multiclass(k) => k,
            _ => 1,
        }
    }
}

/// Per-row loss of raw scores `raw` (one row) for target `row`.
fn row_loss(objective: Objective, raw: &[f64], label: usize, value: f64) -> f64 {
    const EPS: f64 = 1e-15;
    match objective {
        Objective::Binary => {
            let p = sigmoid(raw[0]).clamp(EPS, 1.0 - EPS);
            if label == 1 { -p.ln() } else { -(1.0 - p).ln() }
        }
        Objective::Multiclass(_) => {
            let max = raw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let log_sum = raw.iter().map(|v| (v - max).exp()).sum::<f64>().ln() + max;
            log_sum - raw[label]
        }
        Objective::Regression => (raw[0] - value).powi(2),
    }
}

impl Learner for GradientBoosting {
    fn name(&self) -> &str {
        Self::NAME
    }
    fn problem(&self) -> ProblemKind {
        ProblemKind::Classification
    }
    fn supports(&self, problem: ProblemKind) -> bool {
        matches!(
            problem,
            ProblemKind::Classification | ProblemKind::Regression
        )
    }
    fn params(&self) -> serde_json::Value {
        serde_json::to_value(&self.params).unwrap_or_default()
    }
    fn fit(&self, data: &Dataset) -> specweave_core::Result<Box<dyn Model>> {
        Ok(Box::new(self.fit_booster(data)?))
    }
    fn with_metric_sink(&self, sink: Arc<dyn MetricSink>) -> Option<Box<dyn Learner>> {
        Some(Box::new(self.clone().metric_sink(sink)))
    }
}

impl GradientBoosting {
    /// Fits and returns the concrete model.
    pub fn fit_booster(&self, data: &Dataset) -> Result<GradientBoostingModel> {
        let p = &self.params;
        p.validate()?;
        require_rows(Self::NAME, data)?;
        let problem = problem_of(Self::NAME, data)?;
        let n = data.n_rows();
        let (labels, values, class_names): (Vec<usize>, Vec<f64>, Vec<String>) = match data.target()
        {
            Target::Classes {
                labels,
                class_names,
            } => (labels.clone(), Vec::new(), class_names.clone()),
            Target::Continuous(v) => (Vec::new(), v.to_vec(), Vec::new()),
            Target::None => return Err(TrainError::data(Self::NAME, "the dataset has no target")),
        };
        let objective = match problem {
            ProblemKind::Classification if class_names.len() <= 2 => Objective::Binary,
            ProblemKind::Classification => Objective::Multiclass(class_names.len()),
            _ => Objective::Regression,
        };
        let weights = weights_or_ones(data);
        let mut rng = ChaCha8Rng::seed_from_u64(p.seed);

        let mut order: Vec<u32> = (0..n as u32).collect();
        let mut validation: Vec<u32> = Vec::new();
        if p.early_stopping_rounds > 0 {
            order.shuffle(&mut rng);
            let n_valid = ((n as f64) * p.validation_fraction).round() as usize;
            if n_valid == 0 || n_valid >= n {
                return Err(TrainError::data(
                    Self::NAME,
                    format!(
                        "{n} rows are too few to hold out a validation fraction of {}",
                        p.validation_fraction
                    ),
                ));
            }
            validation = order.split_off(n - n_valid);
            validation.sort_unstable();
            order.sort_unstable();
        }
        let train_rows = order;
        let label_of = |r: usize| labels.get(r).copied().unwrap_or(0);
        let value_of = |r: usize| values.get(r).copied().unwrap_or(0.0);

        let total_weight: f64 = train_rows.iter().map(|&r| weights[r as usize]).sum();
        if total_weight <= 0.0 {
            return Err(TrainError::data(
                Self::NAME,
                "all training sample weights are zero",
            ));
        }
        let k = objective.n_outputs();
        let base_score: Vec<f64> = match objective {
            Objective::Binary => {
                let positive: f64 = train_rows
                    .iter()
                    .map(|&r| weights[r as usize] * (label_of(r as usize) == 1) as u8 as f64)
                    .sum();
                let mean = (positive / total_weight).clamp(1e-12, 1.0 - 1e-12);
                vec![(mean / (1.0 - mean)).ln()]
            }
            Objective::Multiclass(classes) => {
                let mut prior = vec![0.0; classes];
                train_rows
                    .iter()
                    .for_each(|&r| prior[label_of(r as usize)] += weights[r as usize]);
                prior
                    .iter()
                    .map(|c| (c / total_weight).max(1e-12).ln())
                    .collect()
            }
            Objective::Regression => {
                vec![
                    train_rows
                        .iter()
                        .map(|&r| weights[r as usize] * value_of(r as usize))
                        .sum::<f64>()
                        / total_weight,
                ]
            }
        };

        let mapper = BinMapper::fit(data.features(), p.max_bins);
        let binned = mapper.transform(data.features());
        let config = GrowConfig {
            max_leaves: p.num_leaves,
            max_depth: p.max_depth,
            min_samples_leaf: p.min_data_in_leaf.max(1),
            min_hessian_leaf: p.min_sum_hessian_in_leaf,
            lambda: p.lambda_l2,
            min_gain: p.min_split_gain,
            features_per_node: 0,
            value_scale: p.learning_rate,
            parallel: true,
        };
        let n_features = data.n_features();
        let n_tree_features =
            ((n_features as f64 * p.colsample_bytree).ceil() as usize).clamp(1, n_features.max(1));
        let sink: &dyn MetricSink = self.sink.as_deref().unwrap_or(&NoMetrics);

        let mut raw: Vec<f64> = (0..n).flat_map(|_| base_score.iter().copied()).collect();
        let mut grad = vec![0.0; n];
        let mut hess = vec![0.0; n];
        let mut trees: Vec<specweave_core::Tree> = Vec::new();
        let mut best_loss = f64::INFINITY;
        let mut best_round = 0usize;
        let mut rounds_done = 0usize;

        for round in 0..p.n_estimators {
            let rows: Vec<u32> = if p.subsample < 1.0 {
                let mut drawn = train_rows.clone();
                drawn.shuffle(&mut rng);
                drawn.truncate(((train_rows.len() as f64) * p.subsample).ceil() as usize);
                drawn.sort_unstable();
                drawn
            } else {
                train_rows.clone()
            };
            let mut tree_features: Vec<usize> = (0..n_features).collect();
            if n_tree_features < n_features {
                tree_features.shuffle(&mut rng);
                tree_features.truncate(n_tree_features);
                tree_features.sort_unstable();
            }
            // Gradients for every output come from the scores before this round.
            let probabilities: Option<Vec<f64>> = match objective {
                Objective::Multiclass(_) => Some(
                    raw.par_chunks(k)
                        .flat_map_iter(|row| {
                            let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                            let exp: Vec<f64> = row.iter().map(|v| (v - max).exp()).collect();
                            let sum: f64 = exp.iter().sum();
                            exp.into_iter().map(move |e| e / sum)
                        })
                        .collect(),
                ),
                _ => None,
            };
            for output in 0..k {
                grad.par_iter_mut()
                    .zip(hess.par_iter_mut())
                    .enumerate()
                    .for_each(|(r, (g, h))| {
                        let w = weights[r];
                        match objective {
                            Objective::Binary => {
                                let prob = sigmoid(raw[r]);
                                *g = (prob - (label_of(r) == 1) as u8 as f64) * w;
                                *h = (prob * (1.0 - prob)).max(1e-16) * w;
                            }
                            Objective::Multiclass(_) => {
                                let prob =
                                    probabilities.as_ref().map_or(0.0, |pr| pr[r * k + output]);
                                *g = (prob - (label_of(r) == output) as u8 as f64) * w;
                                *h = (prob * (1.0 - prob)).max(1e-16) * w;
                            }
                            Objective::Regression => {
                                *g = (raw[r] - value_of(r)) * w;
                                *h = w;
                            }
                        }
                    });
                let gradients = Gradients {
                    width: 1,
                    grad: &grad,
                    hess: &hess,
                };
                let rows_for_tree: Vec<u32> = rows
                    .iter()
                    .copied()
                    .filter(|&r| weights[r as usize] > 0.0)
                    .collect();
                let mut grown = grow_tree(
                    &binned,
                    &mapper,
                    &gradients,
                    rows_for_tree,
                    &tree_features,
                    &config,
                    &mut rng,
                );
                apply_tree(&grown, &binned, &mut raw, k, output);
                if objective.n_outputs() > 1 {
                    grown.tree.output = TreeOutput::Single { output };
                }
                trees.push(grown.tree);
            }
            rounds_done = round + 1;
            let loss_over = |rows: &[u32]| -> f64 {
                let (sum, weight) = rows
                    .par_iter()
                    .map(|&r| {
                        let r = r as usize;
                        (
                            weights[r]
                                * row_loss(
                                    objective,
                                    &raw[r * k..(r + 1) * k],
                                    label_of(r),
                                    value_of(r),
                                ),
                            weights[r],
                        )
                    })
                    .reduce(|| (0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
                if weight > 0.0 { sum / weight } else { 0.0 }
            };
            if self.sink.is_some() {
                sink.log_metric("train_loss", loss_over(&train_rows), round as u64);
            }
            if p.early_stopping_rounds > 0 {
                let valid_loss = loss_over(&validation);
                sink.log_metric("valid_loss", valid_loss, round as u64);
                if valid_loss < best_loss - 1e-12 {
                    best_loss = valid_loss;
                    best_round = round + 1;
                } else if round + 1 - best_round >= p.early_stopping_rounds {
                    break;
                }
            }
        }
        let kept_rounds = if p.early_stopping_rounds > 0 {
            best_round.max(1)
        } else {
            rounds_done
        };
        trees.truncate(kept_rounds * k);
        let link = match objective {
            Objective::Binary => OutputLink::Logistic,
            Objective::Multiclass(_) => OutputLink::Softmax,
            Objective::Regression => OutputLink::Identity,
        };
        let ensemble = TreeEnsemble::new(trees, n_features, base_score, Aggregation::Sum, link)?;
        Ok(GradientBoostingModel {
            params: p.clone(),
            ensemble,
            problem,
            best_iteration: kept_rounds,
            feature_names: data.feature_names().to_vec(),
            class_names,
        })
    }
}

/// Adds a tree's leaf values to output `output` of every row's raw scores.
fn apply_tree(
    grown: &GrownTree,
    binned: &super::binning::BinnedData,
    raw: &mut [f64],
    k: usize,
    output: usize,
) {
    let width = grown.tree.value_width;
    raw.par_chunks_mut(k).enumerate().for_each(|(r, scores)| {
        let leaf = grown.leaf_for_binned(binned, r);
        scores[output] += grown.tree.values[leaf * width];
    });
    debug_assert_eq!(binned.n_rows() * k, raw.len());
}

/// A fitted [`GradientBoosting`] model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradientBoostingModel {
    params: GradientBoostingParams,
    ensemble: TreeEnsemble,
    problem: ProblemKind,
    best_iteration: usize,
    feature_names: Vec<String>,
    class_names: Vec<String>,
}

impl GradientBoostingModel {
    /// Rounds kept (the best round under early stopping).
    pub fn best_iteration(&self) -> usize {
        self.best_iteration
    }

    /// Raw scores (log-odds, class scores or values) of one row, the fast single-row path.
    pub fn predict_raw_row(&self, row: &[f64]) -> Result<Vec<f64>> {
        if row.len() != self.feature_names.len() {
            return Err(specweave_core::Error::shape(
                "feature columns",
                self.feature_names.len(),
                row.len(),
            )
            .into());
        }
        Ok(self.ensemble.predict_raw_row(row))
    }
}

impl TreeModel for GradientBoostingModel {
    fn tree_ensemble(&self) -> &TreeEnsemble {
        &self.ensemble
    }
}

impl Model for GradientBoostingModel {
    fn info(&self) -> ModelInfo {
        model_info(
            GradientBoosting::NAME,
            self.problem,
            serde_json::to_value(&self.params).unwrap_or_default(),
            &self.feature_names,
            &self.class_names,
            FRAMEWORK,
        )
    }
    fn predict(&self, features: ArrayView2<'_, f64>) -> specweave_core::Result<Predictions> {
        check_columns(features, self.feature_names.len())?;
        super::ensemble_predictions(&self.ensemble, features, self.problem, &self.class_names)
    }
    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        encode_model(self.info(), self)
    }
    fn as_tree_model(&self) -> Option<&dyn TreeModel> {
        Some(self)
    }
}
