//! The error type of `specweave-recommend`, convertible into the shared core error.

use thiserror::Error;

/// Everything that can go wrong when configuring, fitting or querying a recommender.
#[derive(Debug, Error)]
pub enum Error {
    /// A hyperparameter violates its documented range; raised before any fitting starts.
    #[error("invalid hyperparameter `{param}` of {model}: {message}")]
    InvalidParam {
        /// The recommender being configured.
        model: &'static str,
        /// The offending hyperparameter.
        param: &'static str,
        /// What the rule is and what was given.
        message: String,
    },
    /// The recommender was queried before `fit` succeeded.
    #[error("{model} is not fitted; call fit first")]
    NotFitted {
        /// The recommender queried.
        model: &'static str,
    },
    /// Fitting was asked on an empty interaction log.
    #[error("{model} cannot be fitted on an empty interaction log")]
    EmptyInteractions {
        /// The recommender being fitted.
        model: &'static str,
    },
    /// A user index outside the fitted id space.
    #[error("unknown user {user}: the model was fitted on {n_users} users")]
    UnknownUser {
        /// The requested internal user id.
        user: u32,
        /// How many users the model knows.
        n_users: usize,
    },
    /// An item index outside the fitted id space.
    #[error("unknown item {item}: the model was fitted on {n_items} items")]
    UnknownItem {
        /// The requested internal item id.
        item: u32,
        /// How many items the model knows.
        n_items: usize,
    },
    /// A model file holds a state that contradicts itself (wrong lengths, bad indices).
    #[error("model file of `{algorithm}` is inconsistent: {message}")]
    CorruptState {
        /// The algorithm named in the file.
        algorithm: String,
        /// What does not fit together.
        message: String,
    },
    /// Any other argument that violates a documented rule.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// An error from the shared vocabulary (model files, datasets, learners).
    #[error(transparent)]
    Core(#[from] specweave_core::Error),
}

impl From<Error> for specweave_core::Error {
    fn from(error: Error) -> Self {
        match error {
            Error::Core(inner) => inner,
            Error::NotFitted { model } | Error::EmptyInteractions { model } => {
                specweave_core::Error::model(model, error)
            }
            Error::CorruptState { .. } => specweave_core::Error::ModelFile(error.to_string()),
            other => specweave_core::Error::InvalidInput(other.to_string()),
        }
    }
}

/// Result alias for `specweave-recommend`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
