//! The crate's error type.

use std::path::{Path, PathBuf};

/// Errors from reading an increment's records or writing its documents.
#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A JSON record or artifact does not have the documented shape.
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line and column where serde knows them.
        message: String,
    },
    /// Input data for a plot or calculation is unusable.
    #[error("invalid {what}: {message}")]
    InvalidInput {
        /// The argument or series.
        what: String,
        /// Why.
        message: String,
    },
    /// The plotting backend failed.
    #[error("plot `{plot}`: {message}")]
    Plot {
        /// The plot's name.
        plot: String,
        /// The backend's message.
        message: String,
    },
    /// Reading the increment through the spec crate failed.
    #[error(transparent)]
    Spec(#[from] specweave_spec::Error),
    /// Reading runs through the tracking crate failed.
    #[error(transparent)]
    Tracking(#[from] specweave_tracking::TrackingError),
    /// An evaluation calculation failed.
    #[error(transparent)]
    Eval(#[from] specweave_eval::EvalError),
}

/// Result with [`DocsError`].
pub type Result<T, E = DocsError> = std::result::Result<T, E>;

impl DocsError {
    /// A closure turning an I/O error on `path` into [`DocsError::Io`].
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DocsError + '_ {
        move |source| DocsError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// [`DocsError::InvalidInput`] from two displayable parts.
    pub(crate) fn invalid(what: impl Into<String>, message: impl Into<String>) -> DocsError {
        DocsError::InvalidInput {
            what: what.into(),
            message: message.into(),
        }
    }
}
