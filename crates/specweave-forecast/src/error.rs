//! The crate's error type, with the context a user needs to fix the input.

use thiserror::Error;

/// Everything that can go wrong while fitting, forecasting, backtesting or testing a series.
#[derive(Debug, Error)]
pub enum ForecastError {
    /// A hyperparameter violates its documented range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// What is wrong with its value.
        reason: String,
    },
    /// The series is too short for the requested model or test.
    #[error("{what} needs at least {needed} observations, the series has {got}")]
    TooShort {
        /// The model or test that needs more data.
        what: String,
        /// The minimum number of observations.
        needed: usize,
        /// The number given.
        got: usize,
    },
    /// `forecast` or `to_bytes` was called before `fit`.
    #[error("{model} has not been fitted; call fit first")]
    NotFitted {
        /// The forecaster's name.
        model: String,
    },
    /// The data cannot be handled by the model (e.g. multiplicative seasonality on values <= 0).
    #[error("{what}: {reason}")]
    InvalidData {
        /// The model or test that rejected the data.
        what: String,
        /// Why, with the offending position or value.
        reason: String,
    },
    /// A numerical procedure failed (singular regression, non-finite loss everywhere, ...).
    #[error("{what} failed numerically: {reason}")]
    Numerical {
        /// The procedure.
        what: String,
        /// What went wrong.
        reason: String,
    },
    /// An error from the shared vocabulary (series construction, model files, learners).
    #[error(transparent)]
    Core(#[from] specweave_core::Error),
}

impl ForecastError {
    /// Shorthand for [`ForecastError::InvalidParameter`].
    pub(crate) fn parameter(name: &'static str, reason: impl Into<String>) -> ForecastError {
        ForecastError::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }

    /// Shorthand for [`ForecastError::TooShort`].
    pub(crate) fn too_short(what: impl Into<String>, needed: usize, got: usize) -> ForecastError {
        ForecastError::TooShort {
            what: what.into(),
            needed,
            got,
        }
    }

    /// Shorthand for [`ForecastError::NotFitted`].
    pub(crate) fn not_fitted(model: impl Into<String>) -> ForecastError {
        ForecastError::NotFitted {
            model: model.into(),
        }
    }
}

impl From<ForecastError> for specweave_core::Error {
    fn from(error: ForecastError) -> Self {
        match error {
            ForecastError::Core(inner) => inner,
            ForecastError::InvalidParameter { .. }
            | ForecastError::TooShort { .. }
            | ForecastError::InvalidData { .. } => {
                specweave_core::Error::InvalidInput(error.to_string())
            }
            ForecastError::NotFitted { ref model }
            | ForecastError::Numerical {
                what: ref model, ..
            } => specweave_core::Error::model(model.clone(), &error),
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = ForecastError> = std::result::Result<T, E>;
