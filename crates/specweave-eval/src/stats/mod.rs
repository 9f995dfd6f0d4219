//! Statistics over metrics: bootstrap intervals, tests between two models and
//! cross-validation summaries.

mod bootstrap;
mod cv;
pub mod distributions;
mod two_models;

pub use bootstrap::{Bootstrap, Interval, IntervalMethod, PairedBootstrap, quantile_sorted};
pub use cv::{CvSummary, UNSTABLE_STD};
pub use two_models::{DelongResult, TestResult, delong, mcnemar, permutation_test};
