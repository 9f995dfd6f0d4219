//! specweave: spec-driven machine learning increments in Rust.
//!
//! This facade re-exports the focused crates of the workspace.
#![warn(missing_docs)]

pub use specweave_core as core;
pub use specweave_data as data;
pub use specweave_docs as docs;
pub use specweave_eval as eval;
pub use specweave_explain as explain;
pub use specweave_forecast as forecast;
pub use specweave_recommend as recommend;
pub use specweave_serve as serve;
pub use specweave_spec as spec;
pub use specweave_tracking as tracking;
pub use specweave_train as train;

mod error;
pub mod experiments;
pub mod pipeline;

pub use error::{Error, Result};
pub use experiments::{
    Experiment, ExperimentData, ExperimentsOutcome, ForecastData, ForecasterExperiment,
    RecommenderData, RecommenderExperiment, run_experiments, run_forecaster_experiments,
    run_recommender_experiments,
};
