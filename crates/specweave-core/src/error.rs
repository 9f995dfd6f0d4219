//! The error type shared by the vocabulary of `specweave-core`.

use thiserror::Error;

/// Everything that can go wrong when building or using the shared vocabulary.
///
/// Library code returns these instead of panicking on user input; other crates wrap them
/// (`#[from]`) in their own error types and add context.
#[derive(Debug, Error)]
pub enum Error {
    /// Two arrays that must agree in shape do not.
    #[error("shape mismatch in {what}: expected {expected}, got {actual}")]
    ShapeMismatch {
        /// What was being checked, e.g. `"target length vs rows"`.
        what: String,
        /// The expected shape or length.
        expected: String,
        /// The shape or length that was given.
        actual: String,
    },
    /// A value that must be finite (a label, a weight, a feature the model cannot handle) is not.
    #[error("non-finite value in {what} at row {row}: {value}")]
    NonFinite {
        /// The array that holds the value.
        what: String,
        /// Row index (0-based) of the value.
        row: usize,
        /// The offending value.
        value: f64,
    },
    /// An argument violates a documented rule.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A model name that no learner or loader knows.
    #[error("unknown model `{name}`; known models: {known}")]
    UnknownModel {
        /// The requested name.
        name: String,
        /// Comma-separated list of the names that exist.
        known: String,
    },
    /// A model file that cannot be read: wrong magic, unsupported version, bad checksum, truncated.
    #[error("model file is invalid: {0}")]
    ModelFile(String),
    /// A model or learner failed for a reason of its own (fitting diverged, library error, ...).
    #[error("{model}: {message}")]
    Model {
        /// Name of the model or learner.
        model: String,
        /// What went wrong.
        message: String,
    },
    /// JSON (de)serialization failed.
    #[error("serialization failed: {0}")]
    Serialization(#[from] serde_json::Error),
    /// An I/O error, with the path or operation that caused it.
    #[error("{context}: {source}")]
    Io {
        /// The file or operation involved.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Builds an [`Error::Io`] with context, for use in `map_err`.
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let context = context.into();
        move |source| Error::Io { context, source }
    }

    /// Builds an [`Error::Model`] from a model name and any displayable error.
    pub fn model(model: impl Into<String>, message: impl std::fmt::Display) -> Error {
        Error::Model {
            model: model.into(),
            message: message.to_string(),
        }
    }

    /// Builds an [`Error::ShapeMismatch`].
    pub fn shape(
        what: impl Into<String>,
        expected: impl std::fmt::Display,
        actual: impl std::fmt::Display,
    ) -> Error {
        Error::ShapeMismatch {
            what: what.into(),
            expected: expected.to_string(),
            actual: actual.to_string(),
        }
    }
}

/// Result alias for `specweave-core`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
