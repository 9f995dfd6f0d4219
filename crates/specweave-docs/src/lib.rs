//! # specweave-docs
//!
//! Living docs for an increment, generated only from what it stores (runs, metrics,
//! artifacts, registered models, the spec): evaluation and explainability reports with SVG
//! plots, a model card, an A/B test plan with a power analysis, monitoring with a drift
//! profile and Prometheus alert rules, `ml-models.md`, an ADR and a runbook under
//! `.specweave/docs/internal/`, three Jupyter notebooks and a self-contained `index.html`.
//! [`sync_docs`] writes them all; running it again changes nothing.
//!
//! ```
//! use specweave_docs::power::{mean_plan, proportion_plan};
//!
//! let conversion = proportion_plan(0.10, 0.02, 0.05, 0.8)?;
//! assert_eq!(conversion.per_arm, 3835); // statsmodels NormalIndPower: 3834.6
//! let revenue = mean_plan(0.5, 1.0, 0.05, 0.8)?;
//! assert_eq!(revenue.per_arm, 64); // statsmodels TTestIndPower: 63.77
//!
//! let svg = specweave_docs::plots::calibration(&[0.1, 0.5, 0.9], &[0.12, 0.45, 0.93])?;
//! assert!(svg.contains("Calibration"));
//! # Ok::<(), specweave_docs::DocsError>(())
//! ```
#![warn(missing_docs)]

pub mod artifacts;
mod error;
mod html;
mod living;
mod monitoring;
mod notebooks;
pub mod plots;
pub mod power;
mod sync;

pub use error::{DocsError, Result};
pub use living::{ADR_DIR, ML_MODELS_FILE, RUNBOOKS_DIR, next_adr_number};
pub use monitoring::{DriftProfile, FeatureDrift, ks_critical_value, psi};
pub use notebooks::{NOTEBOOKS, notebook};
pub use sync::{SyncOptions, SyncReport, sync_docs, sync_docs_with};
