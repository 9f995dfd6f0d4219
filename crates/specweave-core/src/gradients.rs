//! Input gradients, the capability gradient-based attributions consume.

use crate::Result;
use ndarray::{Array2, ArrayView2};

/// A model whose output can be differentiated with respect to its inputs.
pub trait Differentiable: Send + Sync {
    /// Gradients of output `output` (a class index for classifiers, `0` for regressors) with
    /// respect to each input feature, for each row: rows × features.
    ///
    /// The output is the model's raw score before any final link (logit for classifiers),
    /// so attributions sum to the raw score difference.
    fn input_gradients(&self, features: ArrayView2<'_, f64>, output: usize) -> Result<Array2<f64>>;

    /// The raw score of output `output` for each row (what the gradients differentiate).
    fn raw_output(&self, features: ArrayView2<'_, f64>, output: usize) -> Result<Vec<f64>>;
}
