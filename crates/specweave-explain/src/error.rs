//! The error type of `specweave-explain`.

use thiserror::Error;

/// Everything that can go wrong while explaining a model or importing one.
#[derive(Debug, Error)]
pub enum ExplainError {
    /// An error from the shared vocabulary (shapes, model failures, ...).
    #[error(transparent)]
    Core(#[from] specweave_core::Error),
    /// A setting of an explainer violates its rule.
    #[error("invalid parameter `{name}`: {message}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// Arrays that must agree in shape do not.
    #[error("shape mismatch in {what}: expected {expected}, got {actual}")]
    Shape {
        /// What was checked.
        what: String,
        /// The expected shape or length.
        expected: String,
        /// The shape or length given.
        actual: String,
    },
    /// A tree cannot be explained as given (for example a split node without cover).
    #[error("tree {tree}, node {node}: {message}")]
    Tree {
        /// Index of the tree in the ensemble.
        tree: usize,
        /// Index of the node in the tree.
        node: usize,
        /// What is wrong.
        message: String,
    },
    /// Expected value plus attributions does not reproduce the model output.
    #[error(
        "additivity check failed at row {row}, output {output}: expected value + attributions = {explained}, model output = {actual}"
    )]
    Additivity {
        /// Row index.
        row: usize,
        /// Output index.
        output: usize,
        /// Expected value plus the sum of the attributions.
        explained: f64,
        /// The model's raw output.
        actual: f64,
    },
    /// A model dump that cannot be imported.
    #[error("{format} model import, at {location}: {message}")]
    Import {
        /// `"LightGBM"` or `"XGBoost"`.
        format: &'static str,
        /// Where in the dump the problem is (a JSON path such as `tree_info[3].tree_structure`).
        location: String,
        /// What is wrong.
        message: String,
    },
    /// A model dump that is not valid JSON.
    #[error("{format} model import: invalid JSON at line {line}, column {column}: {message}")]
    Json {
        /// `"LightGBM"` or `"XGBoost"`.
        format: &'static str,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// The parser's message.
        message: String,
    },
}

impl ExplainError {
    /// Builds an [`ExplainError::InvalidParameter`].
    pub(crate) fn param(name: &'static str, message: impl Into<String>) -> ExplainError {
        ExplainError::InvalidParameter {
            name,
            message: message.into(),
        }
    }

    /// Builds an [`ExplainError::Shape`].
    pub(crate) fn shape(
        what: impl Into<String>,
        expected: impl std::fmt::Display,
        actual: impl std::fmt::Display,
    ) -> ExplainError {
        ExplainError::Shape {
            what: what.into(),
            expected: expected.to_string(),
            actual: actual.to_string(),
        }
    }
}

/// Result alias for `specweave-explain`.
pub type Result<T, E = ExplainError> = std::result::Result<T, E>;
