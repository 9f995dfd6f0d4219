//! Neural networks trained natively with burn, on the CPU or a GPU chosen at run time.
//!
//! - [`MlpClassifier`] and [`MlpRegressor`]: multilayer perceptrons implementing
//!   [`Learner`](specweave_core::Learner); their fitted models implement
//!   [`Differentiable`](specweave_core::Differentiable) with burn's autodiff.
//! - [`BprMatrixFactorization`]: a matrix-factorization
//!   [`Recommender`](specweave_core::Recommender) trained with the BPR loss.
//! - [`load_neural_model`] / [`load_neural_recommender`]: model files holding burn's record
//!   bytes and the architecture, loadable without the training code.
//! - [`DeviceChoice`]: `SPECWEAVE_DEVICE=cpu|cuda:N|wgpu`, falling back to the CPU.
//!
//! burn types never leave this module: the public API speaks ndarray and core types only.
//! Networks compute in `f32`; inputs are cast at the boundary.

mod device;
mod file;
mod hyperparams;
mod mlp;
mod network;
mod recommender;

pub use device::{DEVICE_ENV, DeviceChoice};
pub use file::{
    ALGORITHM_BPR, ALGORITHM_CLASSIFIER, ALGORITHM_REGRESSOR, load_neural_model,
    load_neural_recommender,
};
pub use hyperparams::{Activation, EarlyStopping, LrSchedule, MlpParams, OptimizerKind};
pub use mlp::{FittedMlp, MlpClassifier, MlpRegressor};
pub use recommender::{BprMatrixFactorization, BprParams, RankingLoss};
