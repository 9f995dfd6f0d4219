//! The facade's error type: every crate's error, with the stage or experiment it came from.

use std::path::PathBuf;

/// Result with the facade's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Anything that can go wrong while running experiments or a pipeline.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Shared vocabulary (datasets, models, recommenders).
    #[error(transparent)]
    Core(#[from] specweave_core::Error),
    /// Data stage (files, schema, profile).
    #[error(transparent)]
    Data(#[from] specweave_data::DataError),
    /// Increment documents and gates.
    #[error(transparent)]
    Spec(#[from] specweave_spec::Error),
    /// Experiment tracking and the model registry.
    #[error(transparent)]
    Tracking(#[from] specweave_tracking::TrackingError),
    /// Training and cross-validation.
    #[error(transparent)]
    Train(#[from] specweave_train::TrainError),
    /// Metrics, intervals and latency.
    #[error(transparent)]
    Eval(#[from] specweave_eval::EvalError),
    /// Recommendation models.
    #[error(transparent)]
    Recommend(#[from] specweave_recommend::Error),
    /// Forecasting models and diagnostics.
    #[error(transparent)]
    Forecast(#[from] specweave_forecast::ForecastError),
    /// Living docs (reports, plots, A/B plan, monitoring).
    #[error(transparent)]
    Docs(#[from] specweave_docs::DocsError),
    /// Serialising a document or an artifact.
    #[error("could not encode {what}: {source}")]
    Json {
        /// What was being encoded.
        what: String,
        /// The encoder's error.
        source: serde_json::Error,
    },
    /// A file could not be read or written.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A setting or an input the pipeline cannot work with.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// The setting or input.
        what: String,
        /// Why it is rejected.
        reason: String,
    },
    /// A pipeline task failed; earlier tasks stay completed.
    #[error("task {task} ({title}) failed: {source}")]
    Task {
        /// Task id, e.g. `T-004`.
        task: String,
        /// Task title.
        title: String,
        /// The cause.
        source: Box<Error>,
    },
}

impl Error {
    /// An [`Error::Io`] maker for `map_err`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }

    /// An [`Error::Json`] maker for `map_err`.
    pub(crate) fn json(what: impl Into<String>) -> impl FnOnce(serde_json::Error) -> Error {
        let what = what.into();
        move |source| Error::Json { what, source }
    }

    /// An [`Error::Invalid`].
    pub(crate) fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::Invalid {
            what: what.into(),
            reason: reason.into(),
        }
    }
}

impl<E: Into<Error>> From<specweave_tracking::ExperimentError<E>> for Error {
    fn from(error: specweave_tracking::ExperimentError<E>) -> Error {
        match error {
            specweave_tracking::ExperimentError::Failed(inner) => inner.into(),
            specweave_tracking::ExperimentError::Tracking(inner) => Error::Tracking(inner),
        }
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so a
/// crash never leaves a half-written file.
pub(crate) fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(Error::io("create folder", parent))?;
    }
    let mut temp = path.as_os_str().to_owned();
    temp.push(".tmp");
    let temp = PathBuf::from(temp);
    std::fs::write(&temp, bytes).map_err(Error::io("write", &temp))?;
    std::fs::rename(&temp, path).map_err(Error::io("rename into", path))
}
