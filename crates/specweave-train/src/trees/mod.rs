//! Tree learners: a linfa decision tree, and our histogram random forest and gradient
//! boosting, all exposing their trees in the uniform format with covers.

mod binning;
pub(crate) mod boosting;
pub(crate) mod decision_tree;
pub(crate) mod forest;
mod grow;

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rayon::prelude::*;
use specweave_core::{OutputLink, Predictions, ProblemKind, TreeEnsemble};

/// Rows per parallel prediction chunk; small batches stay on the calling thread.
const PREDICT_CHUNK: usize = 1024;

/// Raw ensemble outputs for a batch, in parallel over row chunks.
pub(crate) fn predict_raw_parallel(
    ensemble: &TreeEnsemble,
    features: ArrayView2<'_, f64>,
) -> specweave_core::Result<Array2<f64>> {
    if features.nrows() <= PREDICT_CHUNK {
        return ensemble.predict_raw(features);
    }
    let parts: Vec<Array2<f64>> = features
        .axis_chunks_iter(Axis(0), PREDICT_CHUNK)
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|chunk| ensemble.predict_raw(chunk))
        .collect::<specweave_core::Result<_>>()?;
    let views: Vec<_> = parts.iter().map(|p| p.view()).collect();
    ndarray::concatenate(Axis(0), &views)
        .map_err(|e| specweave_core::Error::InvalidInput(format!("cannot join predictions: {e}")))
}

/// Predictions of a tree ensemble: the link applied to raw outputs.
pub(crate) fn ensemble_predictions(
    ensemble: &TreeEnsemble,
    features: ArrayView2<'_, f64>,
    problem: ProblemKind,
    class_names: &[String],
) -> specweave_core::Result<Predictions> {
    let mut raw = predict_raw_parallel(ensemble, features)?;
    if problem != ProblemKind::Classification {
        return Ok(Predictions::Values(raw.column(0).to_owned()));
    }
    let probabilities = match ensemble.link() {
        OutputLink::Logistic => {
            let p: Array1<f64> = raw.column(0).mapv(crate::common::sigmoid);
            let mut out = Array2::zeros((p.len(), 2));
            out.column_mut(0).assign(&p.mapv(|v| 1.0 - v));
            out.column_mut(1).assign(&p);
            out
        }
        OutputLink::Softmax => {
            crate::common::softmax_rows(&mut raw);
            raw
        }
        // Averaged class fractions are probabilities up to rounding: a sum of n fractions
        // divided by n can pass 1 by an ulp.
        OutputLink::Identity => raw.mapv(|p| p.clamp(0.0, 1.0)),
    };
    Ok(Predictions::Probabilities {
        probabilities,
        class_names: class_names.to_vec(),
    })
}
