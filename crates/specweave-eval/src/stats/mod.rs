//! Statistics over metrics: bootstrap intervals, tests between two models and
//! cross-validation summaries.

mod bootstrap;
mod cv;
pub mod distributions;
mod tests;

pub use bootstrap::{Bootstrap, Interval, IntervalMethod, PairedBootstrap, quantile_sorted};
pub use cv::{CvSummary, UNSTABLE_STD};
pub use tests::{DelongResult, TestResult, delong, mcnemar, permutation_test};
