//! Random forests (classification and regression) over histogram CART trees: bootstrap
//! rows per tree, features drawn per node, trees grown fully in parallel. Leaves hold class
//! fractions (or means) and covers are bootstrap-weighted sample counts, as scikit-learn's
//! `weighted_n_node_samples`.

use super::binning::BinMapper;
use super::grow::{Gradients, GrowConfig, grow_tree};
use crate::common::{
    FRAMEWORK, check_columns, encode_model, model_info, problem_of, require_rows, weights_or_ones,
};
use crate::error::{Result, TrainError};
use ndarray::ArrayView2;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use specweave_core::{
    Aggregation, Dataset, Learner, Model, ModelInfo, OutputLink, Predictions, ProblemKind, Target,
    TreeEnsemble, TreeModel,
};

/// How many features each split considers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum MaxFeatures {
    /// `ceil(sqrt(n_features))` (scikit-learn's classification default).
    Sqrt,
    /// `ceil(log2(n_features))`.
    Log2,
    /// All features (scikit-learn's regression default).
    All,
    /// A fraction of the features.
    Fraction(f64),
}

impl MaxFeatures {
    fn count(self, n_features: usize) -> usize {
        let n = n_features as f64;
        let count = match self {
            MaxFeatures::Sqrt => n.sqrt().ceil(),
            MaxFeatures::Log2 => n.log2().ceil(),
            MaxFeatures::All => n,
            MaxFeatures::Fraction(f) => (n * f).ceil(),
        };
        (count as usize).clamp(1, n_features.max(1))
    }
}

/// Hyperparameters of [`RandomForest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RandomForestParams {
    /// Number of trees.
    pub n_estimators: usize,
    /// Maximum depth; 0 grows until leaves are pure or too small.
    pub max_depth: usize,
    /// Minimum rows in a leaf.
    pub min_samples_leaf: usize,
    /// Features per split; `None` is `sqrt` for classification and `all` for regression.
    pub max_features: Option<MaxFeatures>,
    /// Draw a bootstrap sample of rows for each tree.
    pub bootstrap: bool,
    /// Bins per feature (2..=255).
    pub max_bins: usize,
    /// Seed of bootstraps and feature draws.
    pub seed: u64,
}

impl Default for RandomForestParams {
    fn default() -> Self {
        RandomForestParams {
            n_estimators: 100,
            max_depth: 0,
            min_samples_leaf: 1,
            max_features: None,
            bootstrap: true,
            max_bins: 255,
            seed: 0,
        }
    }
}

impl RandomForestParams {
    fn validate(&self) -> Result<()> {
        let name = RandomForest::NAME;
        if self.n_estimators == 0 {
            return Err(TrainError::param(
                name,
                "n_estimators",
                "must be at least 1",
            ));
        }
        if self.min_samples_leaf == 0 {
            return Err(TrainError::param(
                name,
                "min_samples_leaf",
                "must be at least 1",
            ));
        }
        if !(2..=255).contains(&self.max_bins) {
            return Err(TrainError::param(
                name,
                "max_bins",
                format!("must be in 2..=255, got {}", self.max_bins),
            ));
        }
        if let Some(MaxFeatures::Fraction(f)) = self.max_features {
            crate::common::check_fraction(name, "max_features", f)?;
        }
        Ok(())
    }
}

/// A random forest classifier or regressor (the target decides) whose trees are exposed
/// with covers for TreeSHAP.
///
/// ```
/// use ndarray::{Array1, Array2};
/// use specweave_core::{Dataset, Learner, Target};
/// use specweave_train::{RandomForest, RandomForestParams};
///
/// let x = Array2::from_shape_fn((100, 3), |(i, j)| ((i * (j + 7)) % 23) as f64);
/// let y: Array1<f64> = x.rows().into_iter().map(|r| r[0] * 2.0).collect();
/// let data = Dataset::builder(x).target(Target::Continuous(y)).build()?;
/// let params = RandomForestParams { n_estimators: 10, ..Default::default() };
/// let model = RandomForest::new(params)?.fit(&data)?;
/// let trees = model.as_tree_model().unwrap().tree_ensemble();
/// assert_eq!(trees.trees().len(), 10);
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct RandomForest {
    params: RandomForestParams,
}

impl RandomForest {
    /// Registered name.
    pub const NAME: &'static str = "random_forest";

    /// A forest with validated parameters.
    pub fn new(params: RandomForestParams) -> Result<Self> {
        params.validate()?;
        Ok(RandomForest { params })
    }

    /// Fits and returns the concrete model.
    pub fn fit_forest(&self, data: &Dataset) -> Result<RandomForestModel> {
        fit_forest(Self::NAME, &self.params, data)
    }
}

/// Fits a forest (also used, with one unbootstrapped tree, by the regression decision tree).
pub(crate) fn fit_forest(
    name: &str,
    p: &RandomForestParams,
    data: &Dataset,
) -> Result<RandomForestModel> {
    p.validate()?;
    require_rows(name, data)?;
    let problem = problem_of(name, data)?;
    let n = data.n_rows();
    let weights = weights_or_ones(data);
    let (width, class_names, targets): (usize, Vec<String>, Vec<f64>) = match data.target() {
        Target::Classes {
            labels,
            class_names,
        } => {
            let k = class_names.len();
            let mut onehot = vec![0.0; n * k];
            labels
                .iter()
                .enumerate()
                .for_each(|(r, &l)| onehot[r * k + l] = 1.0);
            (k, class_names.clone(), onehot)
        }
        Target::Continuous(values) => (1, Vec::new(), values.to_vec()),
        Target::None => return Err(TrainError::data(name, "the dataset has no target")),
    };
    let n_features = data.n_features();
    let default_features = if problem == ProblemKind::Classification {
        MaxFeatures::Sqrt
    } else {
        MaxFeatures::All
    };
    let per_node = p.max_features.unwrap_or(default_features).count(n_features);
    let mapper = BinMapper::fit(data.features(), p.max_bins);
    let binned = mapper.transform(data.features());
    let config = GrowConfig {
        max_leaves: 0,
        max_depth: p.max_depth,
        min_samples_leaf: p.min_samples_leaf,
        min_hessian_leaf: 0.0,
        lambda: 0.0,
        min_gain: 1e-12,
        features_per_node: if per_node >= n_features { 0 } else { per_node },
        value_scale: 1.0,
        parallel: p.n_estimators == 1,
    };
    let all_features: Vec<usize> = (0..n_features).collect();
    let trees: Vec<specweave_core::Tree> = (0..p.n_estimators)
        .into_par_iter()
        .map(|t| {
            // One stream per tree keeps the forest identical whatever the thread count.
            let mut rng = ChaCha8Rng::seed_from_u64(
                p.seed
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .wrapping_add(t as u64),
            );
            let mut counts = vec![0u32; n];
            if p.bootstrap {
                for _ in 0..n {
                    counts[rng.random_range(0..n)] += 1;
                }
            } else {
                counts.fill(1);
            }
            let mut grad = vec![0.0; n * width];
            let mut hess = vec![0.0; n];
            let mut rows = Vec::with_capacity(n);
            for r in 0..n {
                let w = counts[r] as f64 * weights[r];
                if w > 0.0 {
                    rows.push(r as u32);
                    hess[r] = w;
                    for k in 0..width {
                        grad[r * width + k] = -w * targets[r * width + k];
                    }
                }
            }
            let gradients = Gradients {
                width,
                grad: &grad,
                hess: &hess,
            };
            grow_tree(
                &binned,
                &mapper,
                &gradients,
                rows,
                &all_features,
                &config,
                &mut rng,
            )
            .tree
        })
        .collect();
    let base_score = vec![0.0; width];
    let ensemble = TreeEnsemble::new(
        trees,
        n_features,
        base_score,
        Aggregation::Mean,
        OutputLink::Identity,
    )?;
    Ok(RandomForestModel {
        algorithm: name.to_string(),
        params: p.clone(),
        ensemble,
        problem,
        feature_names: data.feature_names().to_vec(),
        class_names,
    })
}

impl Learner for RandomForest {
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
        Ok(Box::new(self.fit_forest(data)?))
    }
}

/// A fitted [`RandomForest`]: the mean of its trees' class fractions (or values).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RandomForestModel {
    algorithm: String,
    params: RandomForestParams,
    ensemble: TreeEnsemble,
    problem: ProblemKind,
    feature_names: Vec<String>,
    class_names: Vec<String>,
}

impl TreeModel for RandomForestModel {
    fn tree_ensemble(&self) -> &TreeEnsemble {
        &self.ensemble
    }
}

impl Model for RandomForestModel {
    fn info(&self) -> ModelInfo {
        model_info(
            &self.algorithm,
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
