//! The error type of `specweave-train`, convertible into the shared core error.

use thiserror::Error;

/// Everything that can go wrong while configuring, fitting, validating or tuning a learner.
#[derive(Debug, Error)]
pub enum TrainError {
    /// A hyperparameter is out of its documented range.
    #[error("{learner}: parameter `{param}` {message}")]
    InvalidParam {
        /// The learner whose parameter is wrong.
        learner: String,
        /// The parameter name.
        param: String,
        /// What is wrong with it.
        message: String,
    },
    /// The data does not fit the learner (wrong target kind, too few rows, a NaN it cannot use).
    #[error("{learner}: {message}")]
    BadData {
        /// The learner that refused the data.
        learner: String,
        /// What is wrong.
        message: String,
    },
    /// A search space or tuning configuration is inconsistent.
    #[error("search space: {0}")]
    SearchSpace(String),
    /// An error from the shared vocabulary (shapes, model files, ...).
    #[error(transparent)]
    Core(#[from] specweave_core::Error),
}

impl TrainError {
    /// A parameter error for `learner`.
    pub fn param(
        learner: impl Into<String>,
        param: impl Into<String>,
        message: impl Into<String>,
    ) -> TrainError {
        TrainError::InvalidParam {
            learner: learner.into(),
            param: param.into(),
            message: message.into(),
        }
    }

    /// A data error for `learner`.
    pub fn data(learner: impl Into<String>, message: impl Into<String>) -> TrainError {
        TrainError::BadData {
            learner: learner.into(),
            message: message.into(),
        }
    }
}

impl From<TrainError> for specweave_core::Error {
    fn from(error: TrainError) -> Self {
        match error {
            TrainError::Core(inner) => inner,
            TrainError::InvalidParam { .. } | TrainError::SearchSpace(_) => {
                specweave_core::Error::InvalidInput(error.to_string())
            }
            TrainError::BadData { learner, message } => specweave_core::Error::Model {
                model: learner,
                message,
            },
        }
    }
}

/// Result alias for `specweave-train`.
pub type Result<T, E = TrainError> = std::result::Result<T, E>;
