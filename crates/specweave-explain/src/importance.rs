//! Global feature importance: permutation importance for any [`Model`] and metric, and
//! impurity importance read from the structure of a [`TreeEnsemble`].

use crate::{ExplainError, Result, model_output};
use ndarray::{Array2, ArrayView2};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use specweave_core::{Model, Predictions, TreeEnsemble};

/// Importance of each feature, with its spread over repeats (permutation) or trees (impurity).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureImportance {
    /// Feature names in column order.
    pub feature_names: Vec<String>,
    /// Mean importance per feature.
    pub mean: Vec<f64>,
    /// Standard deviation per feature (population, as scikit-learn reports it).
    pub std: Vec<f64>,
    /// Every measurement, features × repeats (or × trees).
    pub raw: Array2<f64>,
}

impl FeatureImportance {
    fn from_raw(feature_names: Vec<String>, raw: Array2<f64>) -> FeatureImportance {
        let n = raw.ncols().max(1) as f64;
        let mean: Vec<f64> = raw.rows().into_iter().map(|r| r.sum() / n).collect();
        let std = raw
            .rows()
            .into_iter()
            .zip(&mean)
            .map(|(r, m)| (r.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n).sqrt())
            .collect();
        FeatureImportance {
            feature_names,
            mean,
            std,
            raw,
        }
    }

    /// `(feature, mean, std)` sorted by mean importance, largest first.
    pub fn ranked(&self) -> Vec<(&str, f64, f64)> {
        let mut ranked: Vec<(&str, f64, f64)> = self
            .feature_names
            .iter()
            .zip(self.mean.iter().zip(&self.std))
            .map(|(n, (m, s))| (n.as_str(), *m, *s))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked
    }
}

/// Permutation importance settings: the drop in a score when one column is shuffled.
///
/// ```
/// # use ndarray::{array, ArrayView2};
/// # use specweave_core::{Model, ModelInfo, Predictions, ProblemKind, Result};
/// # #[derive(Debug)] struct FirstColumn;
/// # impl Model for FirstColumn {
/// #     fn info(&self) -> ModelInfo { ModelInfo { algorithm: "first".into(), problem: ProblemKind::Regression,
/// #         params: serde_json::json!({}), feature_names: vec!["signal".into(), "noise".into()],
/// #         class_names: vec![], framework: "doc".into() } }
/// #     fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Predictions> { Ok(Predictions::Values(x.column(0).to_owned())) }
/// #     fn to_bytes(&self) -> Result<Vec<u8>> { Ok(vec![]) }
/// # }
/// use specweave_explain::PermutationImportance;
///
/// let x = array![[0.0, 5.0], [1.0, 3.0], [2.0, 9.0], [3.0, 1.0]];
/// let y = array![0.0, 1.0, 2.0, 3.0];
/// // Higher is better: the negative mean squared error.
/// let score = |p: &Predictions| Ok(-(&p.scores()? - &y).mapv(|e| e * e).mean().unwrap_or(0.0));
/// let importance = PermutationImportance::new().repeats(10).compute(&FirstColumn, x.view(), score)?;
/// assert!(importance.mean[0] > 0.0);
/// assert_eq!(importance.mean[1], 0.0);
/// assert_eq!(importance.ranked()[0].0, "signal");
/// # Ok::<(), specweave_explain::ExplainError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PermutationImportance {
    repeats: usize,
    seed: u64,
}

impl Default for PermutationImportance {
    fn default() -> Self {
        PermutationImportance {
            repeats: 5,
            seed: 0,
        }
    }
}

impl PermutationImportance {
    /// Five repeats (scikit-learn's default), seed 0.
    pub fn new() -> PermutationImportance {
        PermutationImportance::default()
    }

    /// Shuffles per feature (at least 1).
    pub fn repeats(mut self, repeats: usize) -> Self {
        self.repeats = repeats;
        self
    }

    /// Seed of the shuffles.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Importance of each column of `features`: the baseline score minus the score with the
    /// column shuffled. `score` must be higher-is-better (negate losses) and typically
    /// closes over the targets. Features run in parallel.
    pub fn compute<F>(
        &self,
        model: &dyn Model,
        features: ArrayView2<'_, f64>,
        score: F,
    ) -> Result<FeatureImportance>
    where
        F: Fn(&Predictions) -> specweave_core::Result<f64> + Sync,
    {
        if self.repeats == 0 {
            return Err(ExplainError::param("repeats", "needs at least one repeat"));
        }
        if features.nrows() < 2 {
            return Err(ExplainError::param(
                "features",
                format!("shuffling needs at least 2 rows, got {}", features.nrows()),
            ));
        }
        let baseline = score(&model.predict(features)?)?;
        let m = features.ncols();
        let columns: Vec<Vec<f64>> = (0..m)
            .into_par_iter()
            .map(|j| {
                let mut shuffled = features.to_owned();
                let mut column: Vec<f64> = features.column(j).to_vec();
                let mut rng = ChaCha8Rng::seed_from_u64(self.seed.wrapping_add((j as u64) << 32));
                (0..self.repeats)
                    .map(|_| {
                        column.shuffle(&mut rng);
                        shuffled
                            .column_mut(j)
                            .iter_mut()
                            .zip(&column)
                            .for_each(|(s, v)| *s = *v);
                        Ok(baseline - score(&model.predict(shuffled.view())?)?)
                    })
                    .collect::<Result<Vec<f64>>>()
            })
            .collect::<Result<_>>()?;
        let raw = Array2::from_shape_vec((m, self.repeats), columns.concat())
            .map_err(|e| ExplainError::shape("importances", "features x repeats", e))?;
        Ok(FeatureImportance::from_raw(
            model_output::feature_names(model, m),
            raw,
        ))
    }
}

/// Impurity importance of a tree ensemble: for each split, the cover-weighted decrease of
/// squared error of the node values,
/// `cover_l·|v_l − v|² + cover_r·|v_r − v|²` with `v` the cover-weighted mean of the
/// children, summed per feature, normalised per tree, averaged over trees and normalised.
///
/// Node values are recomputed from the leaves, so imported trees without internal values
/// work too. When leaves hold class fractions this is exactly the Gini decrease and when
/// they hold means it is the variance decrease, which makes it scikit-learn's
/// `feature_importances_` for forests; for boosted trees it is the analogous decrease of the
/// fitted leaf values. `raw` holds the per-tree importances (features × trees).
///
/// ```
/// use specweave_core::{Aggregation, OutputLink, SplitRule, Tree, TreeEnsemble, TreeOutput, LEAF};
///
/// let tree = Tree {
///     left: vec![1, LEAF, LEAF], right: vec![2, LEAF, LEAF], feature: vec![1, 0, 0],
///     threshold: vec![0.5, 0.0, 0.0], missing_left: vec![true, false, false],
///     cover: vec![10.0, 5.0, 5.0], values: vec![0.0, 0.0, 1.0], value_width: 1,
///     split_rule: SplitRule::LessOrEqual, output: TreeOutput::All,
/// };
/// let forest = TreeEnsemble::new(vec![tree], 2, vec![0.0], Aggregation::Mean, OutputLink::Identity)?;
/// let importance = specweave_explain::impurity_importance(&forest, &["a".into(), "b".into()])?;
/// assert_eq!(importance.mean, vec![0.0, 1.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn impurity_importance(
    ensemble: &TreeEnsemble,
    feature_names: &[String],
) -> Result<FeatureImportance> {
    let m = ensemble.n_features();
    if feature_names.len() != m {
        return Err(ExplainError::shape("feature names", m, feature_names.len()));
    }
    let trees = ensemble.trees();
    let mut raw = Array2::zeros((m, trees.len()));
    for (t, tree) in trees.iter().enumerate() {
        let width = tree.value_width;
        let mut values = tree.values.clone();
        for node in (0..tree.n_nodes()).rev() {
            if tree.is_leaf(node) {
                continue;
            }
            let (l, r) = (tree.left[node] as usize, tree.right[node] as usize);
            let (cl, cr) = (tree.cover[l], tree.cover[r]);
            let total = cl + cr;
            let mut decrease = 0.0;
            for k in 0..width {
                let (vl, vr) = (values[l * width + k], values[r * width + k]);
                let v = if total > 0.0 {
                    (cl * vl + cr * vr) / total
                } else {
                    (vl + vr) / 2.0
                };
                values[node * width + k] = v;
                decrease += cl * (vl - v).powi(2) + cr * (vr - v).powi(2);
            }
            raw[[tree.feature[node] as usize, t]] += decrease;
        }
        let sum: f64 = raw.column(t).sum();
        if sum > 0.0 {
            raw.column_mut(t).mapv_inplace(|v| v / sum);
        }
    }
    let mut importance = FeatureImportance::from_raw(feature_names.to_vec(), raw);
    let total: f64 = importance.mean.iter().sum();
    if total > 0.0 {
        importance.mean.iter_mut().for_each(|v| *v /= total);
    }
    Ok(importance)
}
