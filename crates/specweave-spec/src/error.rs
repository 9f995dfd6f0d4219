//! The one error type of `specweave-spec`, with the file and line of every problem.

use std::fmt;
use std::path::PathBuf;
use thiserror::Error;

use crate::locate::LocateError;

/// Where in a document a problem was found: file and 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub file: PathBuf,
    /// 1-based line number.
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// Everything that can go wrong with increments.
#[derive(Debug, Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An increment id matched nothing.
    #[error(transparent)]
    Locate(#[from] LocateError),
    /// A document could not be parsed; the location names file and line.
    #[error("{location}: {message}")]
    Parse {
        /// File and line.
        location: Location,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A JSON file is malformed.
    #[error("{path}: invalid JSON: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The error, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// A title reduces to an empty slug.
    #[error("title `{title}` makes an empty slug; use letters or digits in the title")]
    EmptySlug {
        /// The title given.
        title: String,
    },
    /// No problem kind could be inferred from the title.
    #[error(
        "cannot infer the problem kind from `{title}`; pass --problem with one of classification, regression, recommendation, forecasting"
    )]
    UnknownProblem {
        /// The title given.
        title: String,
    },
    /// A lifecycle transition that is not allowed.
    #[error(
        "cannot move increment {increment} from {from} to {to}; allowed from {from}: {allowed}"
    )]
    Transition {
        /// The increment id.
        increment: String,
        /// Current status.
        from: crate::Status,
        /// Requested status.
        to: crate::Status,
        /// Comma-separated allowed targets (or "none, it is final").
        allowed: String,
    },
    /// A task id that does not exist (or is ambiguous) in tasks.md.
    #[error("{file}: {message}")]
    Task {
        /// The tasks file.
        file: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The done gate refused to close the increment.
    #[error(
        "increment {increment} is not ready: {failed} validation rule(s) failed ({rules}); fix them or pass --force --reason \"...\""
    )]
    NotReady {
        /// The increment id.
        increment: String,
        /// Number of failed rules.
        failed: usize,
        /// Comma-separated names of the failed rules.
        rules: String,
    },
    /// An argument violates a documented rule.
    #[error("invalid input: {0}")]
    InvalidInput(String),
}

impl Error {
    /// Builds an [`Error::Io`] for `path`, for use in `map_err`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }

    /// Builds an [`Error::Json`] for `path`, for use in `map_err`.
    pub fn json(path: impl Into<PathBuf>) -> impl FnOnce(serde_json::Error) -> Error {
        let path = path.into();
        move |source| Error::Json { path, source }
    }
}

/// Result alias for `specweave-spec`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
