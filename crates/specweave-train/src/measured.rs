//! Fitting with the facts an experiment run records: the learner's name and parameters, the
//! fit time and the saved model's size.

use crate::error::Result;
use specweave_core::{Dataset, Learner, Model};
use std::time::Instant;

/// A fitted model with what tracking logs about it.
#[derive(Debug)]
pub struct MeasuredFit {
    /// The learner's registered name.
    pub learner: String,
    /// The learner's parameters.
    pub params: serde_json::Value,
    /// The model.
    pub model: Box<dyn Model>,
    /// Seconds spent in `fit`.
    pub fit_seconds: f64,
    /// The model file, when the model can be saved (closure rules cannot).
    pub model_bytes: Option<Vec<u8>>,
}

/// Fits `learner` on `data`, timing the fit and encoding the model file once.
///
/// ```
/// use ndarray::array;
/// use specweave_core::{Dataset, Target};
/// use specweave_train::{DummyRegressor, fit_measured};
///
/// let data = Dataset::builder(array![[1.0], [2.0]]).target(Target::Continuous(array![1.0, 3.0])).build()?;
/// let fit = fit_measured(&DummyRegressor::default(), &data)?;
/// assert_eq!(fit.learner, "dummy_regressor");
/// assert!(fit.model_bytes.is_some_and(|b| !b.is_empty()));
/// # Ok::<(), specweave_train::TrainError>(())
/// ```
pub fn fit_measured(learner: &dyn Learner, data: &Dataset) -> Result<MeasuredFit> {
    let started = Instant::now();
    let model = learner.fit(data)?;
    let fit_seconds = started.elapsed().as_secs_f64();
    let model_bytes = model.to_bytes().ok();
    Ok(MeasuredFit {
        learner: learner.name().to_string(),
        params: learner.params(),
        model,
        fit_seconds,
        model_bytes,
    })
}
