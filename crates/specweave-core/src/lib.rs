//! # specweave-core
//!
//! The shared vocabulary of specweave, small and cheap to compile: datasets and targets,
//! interactions and series, predictions, the object-safe traits every model family
//! implements ([`Learner`], [`Model`], [`Recommender`], [`Forecaster`]), the capability
//! traits explainers consume ([`TreeModel`] with the uniform [`Tree`] format, and
//! [`Differentiable`]), model files and the experiment records other crates share.
//!
//! ```
//! use ndarray::array;
//! use specweave_core::{Dataset, Predictions, Target};
//!
//! let data = Dataset::builder(array![[0.1, 1.0], [0.9, 0.0]])
//!     .feature_names(["score", "flag"])
//!     .target(Target::Continuous(array![1.0, 2.0]))
//!     .build()?;
//! assert_eq!((data.n_rows(), data.n_features()), (2, 2));
//!
//! let predictions = Predictions::Values(array![1.1, 1.9]);
//! assert_eq!(predictions.scores()?, array![1.1, 1.9]);
//! # Ok::<(), specweave_core::Error>(())
//! ```
#![warn(missing_docs)]

mod dataset;
mod error;
mod gradients;
mod interactions;
mod model;
mod model_file;
mod predictions;
mod problem;
pub mod records;
mod series;
mod split;
mod tree;

pub use dataset::{Dataset, DatasetBuilder, FeatureKind, Target};
pub use error::{Error, Result};
pub use gradients::Differentiable;
pub use interactions::{Interactions, InteractionsBuilder};
pub use model::{Forecaster, Learner, MetricSink, Model, ModelInfo, NoMetrics, Recommender};
pub use model_file::{MODEL_FILE_VERSION, ModelFile, ModelFileHeader, PayloadEncoding, sha256_hex};
pub use predictions::Predictions;
pub use problem::ProblemKind;
pub use series::{Forecast, Series};
pub use split::{Fold, Splitter};
pub use tree::{
    Aggregation, LEAF, OutputLink, SplitRule, Tree, TreeEnsemble, TreeModel, TreeOutput,
};

pub use ndarray;
