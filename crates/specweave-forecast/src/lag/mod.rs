//! Forecasting with any tabular learner (gradient boosting in practice) on lag, rolling-window,
//! seasonal and calendar features, one step at a time: each prediction becomes the newest lag
//! of the next step (the recursive multi-step strategy).

mod algorithm;
mod features;

pub use algorithm::{LagForecaster, ModelLoader};
pub use features::LagFeatures;
