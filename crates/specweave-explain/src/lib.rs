//! # specweave-explain
//!
//! Explanations for specweave models, all through the capability traits of
//! `specweave-core`, so that no model crate is needed:
//!
//! - [`TreeExplainer`]: exact path-dependent TreeSHAP (recursive or with precomputed
//!   per-leaf tables), SHAP interaction values and interventional TreeSHAP for any
//!   [`TreeEnsemble`](specweave_core::TreeEnsemble), in parallel over rows;
//! - [`KernelExplainer`] (KernelSHAP with weighted k-means backgrounds) and [`LimeTabular`]
//!   for any [`Model`](specweave_core::Model);
//! - [`IntegratedGradients`] and [`GradientShap`] for
//!   [`Differentiable`](specweave_core::Differentiable) models;
//! - [`PermutationImportance`] for any model and metric, [`impurity_importance`] for trees;
//! - [`import_lightgbm`], [`import_xgboost`] and [`import_xgboost_dump`] to explain models
//!   trained elsewhere;
//! - [`ShapValues`] with global summaries, per-row rationales and named columns for table
//!   writers, and [`RecommendationExplainer`] for a user's top items.
//!
//! ```
//! use ndarray::array;
//! use specweave_core::{Aggregation, OutputLink, SplitRule, Tree, TreeEnsemble, TreeOutput, LEAF};
//! use specweave_explain::TreeExplainer;
//!
//! // income <= 50 ? -1.0 : 2.0, with 30 and 10 training rows.
//! let tree = Tree {
//!     left: vec![1, LEAF, LEAF], right: vec![2, LEAF, LEAF], feature: vec![0, 0, 0],
//!     threshold: vec![50.0, 0.0, 0.0], missing_left: vec![true, false, false],
//!     cover: vec![40.0, 30.0, 10.0], values: vec![0.0, -1.0, 2.0], value_width: 1,
//!     split_rule: SplitRule::LessOrEqual, output: TreeOutput::All,
//! };
//! let model = TreeEnsemble::new(vec![tree], 2, vec![0.5], Aggregation::Sum, OutputLink::Logistic)?;
//! let shap = TreeExplainer::new(&model)?
//!     .feature_names(["income", "age"])
//!     .shap_values(array![[80.0, 31.0]].view())?;
//! let row = shap.explain_row(0, 0, 3)?;
//! assert_eq!(row.rationale(), "value 2.5000 (expected 0.2500): up by income = 80 (+2.2500)");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod error;
mod gradients;
mod import;
mod importance;
mod kernel_shap;
mod kmeans;
mod lime;
mod model_output;
mod recommendation;
mod shap_values;
mod tree_shap;

pub use error::{ExplainError, Result};
pub use gradients::{GradientAttributions, GradientShap, IntegratedGradients, IntegrationRule};
pub use import::{
    ImportedModel, XgboostDumpOptions, import_lightgbm, import_xgboost, import_xgboost_dump,
};
pub use importance::{FeatureImportance, PermutationImportance, impurity_importance};
pub use kernel_shap::KernelExplainer;
pub use kmeans::{WeightedRows, kmeans_summary};
pub use lime::{LimeExplanation, LimeFeature, LimeTabular};
pub use recommendation::{
    FactorSimilarity, HistoryContribution, ItemExplanation, ItemSimilarity,
    RecommendationExplainer, UserExplanation,
};
pub use shap_values::{Contribution, Direction, FeatureSummary, RowExplanation, ShapValues};
pub use tree_shap::{ShapInteractionValues, TreeExplainer, TreeShapAlgorithm};
