//! The crate's one error type, with the context a caller needs to fix the problem.

use std::path::PathBuf;

/// Result with [`ServeError`].
pub type Result<T, E = ServeError> = std::result::Result<T, E>;

/// Everything that can go wrong while bundling, loading or serving a model.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A bundle file is not what the manifest recorded.
    #[error("{path}: checksum mismatch (manifest says {expected}, file has {actual})")]
    Checksum {
        /// The file.
        path: PathBuf,
        /// SHA-256 recorded in the manifest.
        expected: String,
        /// SHA-256 of the file as read.
        actual: String,
    },
    /// A bundle is incomplete or inconsistent.
    #[error("{path}: invalid bundle: {message}")]
    Bundle {
        /// The bundle folder or file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A JSON document could not be parsed.
    #[error("{path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// An input record breaks a rule of the input schema.
    #[error("record {row}: field `{field}`: {rule}: {message}")]
    Input {
        /// 0-based record in the request.
        row: usize,
        /// The offending field.
        field: String,
        /// The rule broken, e.g. `missing_column` or `type_mismatch`.
        rule: &'static str,
        /// Details.
        message: String,
    },
    /// A request is malformed as a whole (not a record's field).
    #[error("{0}")]
    Request(String),
    /// The feature pipeline failed.
    #[error("feature pipeline: {0}")]
    Data(#[from] specweave_data::DataError),
    /// The model or a shared routine failed.
    #[error("model: {0}")]
    Core(#[from] specweave_core::Error),
    /// The model could not be loaded.
    #[error("model file: {0}")]
    Train(#[from] specweave_train::TrainError),
    /// Explaining a prediction failed.
    #[error("explainer: {0}")]
    Explain(#[from] specweave_explain::ExplainError),
    /// The server could not start or stopped with an error.
    #[error("server: {0}")]
    Server(String),
}

impl ServeError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> ServeError {
        ServeError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn bundle(path: impl Into<PathBuf>, message: impl Into<String>) -> ServeError {
        ServeError::Bundle {
            path: path.into(),
            message: message.into(),
        }
    }
}
