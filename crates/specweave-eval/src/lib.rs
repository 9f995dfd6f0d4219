//! # specweave-eval
//!
//! Evaluation for specweave: metrics that agree with scikit-learn 1.9 and ranx 0.3,
//! bootstrap intervals and statistical tests, comparison rules with verdicts, a latency
//! harness and error analysis.
//!
//! - [`classification`], [`regression`], [`ranking`], [`forecasting`]: the metrics;
//! - [`stats`]: bootstrap intervals (percentile, BCa), paired bootstrap, permutation test,
//!   McNemar, DeLong, cross-validation summaries;
//! - [`compare`]: rules such as "beats the best baseline by ≥ 20%" with a verdict each;
//! - [`latency`]: p50/p95/p99/max latency and throughput of a model or closure;
//! - [`analysis`]: worst predictions and metrics per slice;
//! - [`synthetic`]: seeded data for benches and peer comparisons;
//! - [`registry`] and [`report`]: every metric of a task by name, with intervals, as a table
//!   or JSON.
//!
//! ```
//! use specweave_eval::{registry::Task, report::{EvalInput, EvalOptions, evaluate}};
//!
//! let labels = [0.0, 0.0, 1.0, 1.0, 1.0, 0.0];
//! let scores = [0.1, 0.4, 0.35, 0.8, 0.7, 0.2];
//! let report = evaluate(
//!     Task::Classification,
//!     &EvalInput::scored(&labels, &scores),
//!     &EvalOptions::default().bootstrap(200).seed(7),
//! )?;
//! let auc = report.value("roc_auc").expect("binary classification reports roc_auc");
//! assert!((auc - 8.0 / 9.0).abs() < 1e-12);
//! println!("{}", report.to_table());
//! # Ok::<(), specweave_eval::EvalError>(())
//! ```
#![warn(missing_docs)]

pub mod analysis;
pub mod classification;
pub mod compare;
mod error;
pub mod forecasting;
pub mod latency;
pub mod ranking;
pub mod registry;
pub mod regression;
pub mod report;
pub mod sort;
pub mod stats;
pub mod synthetic;

pub use error::{EvalError, Result};
