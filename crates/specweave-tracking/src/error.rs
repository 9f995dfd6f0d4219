//! The one error type of the tracking crate, with the file, key or line that caused it.

use std::path::PathBuf;
use thiserror::Error;

/// Everything that can go wrong while tracking, reading, registering or syncing runs.
#[derive(Debug, Error)]
pub enum TrackingError {
    /// A file or folder could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done (`create`, `read`, `write`, `rename`, `lock`, ...).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A JSON file or line could not be parsed or written.
    #[error("invalid JSON in {path}{}: {source}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Json {
        /// The file.
        path: PathBuf,
        /// 1-based line for JSON-lines files.
        line: Option<usize>,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A name, key or value breaks a naming rule; the rule is named.
    #[error("invalid {what} `{value}`: {rule}")]
    InvalidName {
        /// What kind of name (`metric key`, `experiment name`, `artifact name`, ...).
        what: &'static str,
        /// The offending value (shortened when very long).
        value: String,
        /// The rule it breaks.
        rule: String,
    },
    /// A param was logged again with a different value, which MLflow forbids.
    #[error("param `{key}` already logged as `{old}`; cannot change it to `{new}`")]
    ParamChanged {
        /// The param key.
        key: String,
        /// The value already logged.
        old: String,
        /// The new value.
        new: String,
    },
    /// A run, experiment or model version that does not exist.
    #[error("{what} `{id}` not found in {path}")]
    NotFound {
        /// Kind of thing (`run`, `model version`, ...).
        what: &'static str,
        /// What was asked for.
        id: String,
        /// Where it was looked for.
        path: PathBuf,
    },
    /// An operation on a run that has already ended.
    #[error("run `{0}` has already ended")]
    RunEnded(String),
    /// A search filter or order clause that cannot be parsed.
    #[error("invalid {clause} at column {column}: {message}")]
    Query {
        /// `filter` or `order by`.
        clause: &'static str,
        /// 1-based column of the problem.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A value could not be serialized for an artifact or param.
    #[error("cannot serialize {what}: {source}")]
    Serialize {
        /// What was being serialized.
        what: String,
        /// The serializer's error.
        #[source]
        source: serde_json::Error,
    },
    /// The MLflow server answered with an error or could not be reached after all retries.
    #[error("MLflow {endpoint}: {message}")]
    Mlflow {
        /// The REST endpoint, e.g. `runs/log-batch`.
        endpoint: String,
        /// The server's error code and message, or the transport error.
        message: String,
    },
    /// A shared-vocabulary error (e.g. from a dataset).
    #[error(transparent)]
    Core(#[from] specweave_core::Error),
}

impl TrackingError {
    /// Builds a closure that wraps an I/O error with the action and path, for `map_err`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> TrackingError {
        let path = path.into();
        move |source| TrackingError::Io {
            action,
            path,
            source,
        }
    }

    /// Builds a closure that wraps a JSON error with the file (and line), for `map_err`.
    pub(crate) fn json(
        path: impl Into<PathBuf>,
        line: Option<usize>,
    ) -> impl FnOnce(serde_json::Error) -> TrackingError {
        let path = path.into();
        move |source| TrackingError::Json { path, line, source }
    }
}

/// Result alias for the tracking crate.
pub type Result<T, E = TrackingError> = std::result::Result<T, E>;
