//! Implicit-feedback alternating least squares with a conjugate-gradient solver.

mod algorithm;
mod hyperparams;
mod linalg;

pub use algorithm::Als;
pub use hyperparams::AlsParams;
