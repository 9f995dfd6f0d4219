//! The single error type of `specweave-eval`, with the context needed to find bad input.

use thiserror::Error;

/// Everything that can go wrong while evaluating.
#[derive(Debug, Error)]
pub enum EvalError {
    /// Two inputs that must have one entry per row differ in length.
    #[error("length mismatch: {what} has {actual} entries, expected {expected}")]
    LengthMismatch {
        /// The input that has the wrong length, e.g. `"scores"`.
        what: String,
        /// The length of the reference input (usually the labels).
        expected: usize,
        /// The length that was given.
        actual: usize,
    },
    /// A value is NaN or infinite where a finite number is required.
    #[error("non-finite value in {what} at row {row}: {value}")]
    NonFinite {
        /// The input that holds the value.
        what: String,
        /// Row index (0-based).
        row: usize,
        /// The offending value.
        value: f64,
    },
    /// A value is finite but outside what the metric accepts (a label of 2 for a binary
    /// metric, a negative weight, a probability above 1).
    #[error("invalid value in {what} at row {row}: {message}")]
    InvalidValue {
        /// The input that holds the value.
        what: String,
        /// Row index (0-based).
        row: usize,
        /// What is wrong with it.
        message: String,
    },
    /// The input has no rows (or no rows with positive weight).
    #[error("empty input: {0}")]
    Empty(String),
    /// A parameter violates a documented rule.
    #[error("invalid parameter `{name}`: {message}")]
    InvalidParameter {
        /// Parameter name, e.g. `"k"`.
        name: String,
        /// What is wrong with it.
        message: String,
    },
    /// A metric name that the registry does not know for this task.
    #[error("unknown metric `{name}` for {task}; known metrics: {known}")]
    UnknownMetric {
        /// The requested name.
        name: String,
        /// The task it was requested for.
        task: String,
        /// Comma-separated list of the known names.
        known: String,
    },
    /// A model failed while being timed or analysed.
    #[error(transparent)]
    Core(#[from] specweave_core::Error),
}

impl EvalError {
    pub(crate) fn param(name: &str, message: impl Into<String>) -> Self {
        EvalError::InvalidParameter {
            name: name.to_string(),
            message: message.into(),
        }
    }

    pub(crate) fn invalid(what: &str, row: usize, message: impl Into<String>) -> Self {
        EvalError::InvalidValue {
            what: what.to_string(),
            row,
            message: message.into(),
        }
    }
}

/// Result alias for `specweave-eval`.
pub type Result<T, E = EvalError> = std::result::Result<T, E>;

/// Fails unless `actual == expected`.
pub(crate) fn check_len(what: &str, expected: usize, actual: usize) -> Result<()> {
    if expected == actual {
        Ok(())
    } else {
        Err(EvalError::LengthMismatch {
            what: what.to_string(),
            expected,
            actual,
        })
    }
}

/// Fails on the first non-finite value.
pub(crate) fn check_finite(what: &str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(row) => Err(EvalError::NonFinite {
            what: what.to_string(),
            row,
            value: values[row],
        }),
    }
}

/// Checks optional sample weights: one per row, finite and not negative.
pub(crate) fn check_weights(weights: Option<&[f64]>, n: usize) -> Result<()> {
    if let Some(w) = weights {
        check_len("sample weights", n, w.len())?;
        check_finite("sample weights", w)?;
        if let Some(row) = w.iter().position(|&x| x < 0.0) {
            return Err(EvalError::invalid(
                "sample weights",
                row,
                format!("weight {} is negative", w[row]),
            ));
        }
    }
    Ok(())
}

/// The weight of row `i`: the given weight or 1.
#[inline]
pub(crate) fn weight_at(weights: Option<&[f64]>, i: usize) -> f64 {
    weights.map_or(1.0, |w| w[i])
}
