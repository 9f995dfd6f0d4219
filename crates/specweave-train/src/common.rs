//! Helpers every learner shares: reading targets and weights, checking inputs, bridging to
//! ndarray 0.16 for linfa, and wrapping a model state into a model file.

use crate::error::{Result, TrainError};
use ndarray::{Array1, Array2, ArrayView2};
use serde::Serialize;
use specweave_core::{Dataset, ModelFile, ModelInfo, ProblemKind, Target};

/// The framework string of models implemented in this crate.
pub(crate) const FRAMEWORK: &str = concat!("specweave-train ", env!("CARGO_PKG_VERSION"));

/// Class labels and names of a classification dataset, or a clear error.
pub(crate) fn class_target<'a>(
    learner: &str,
    data: &'a Dataset,
) -> Result<(&'a [usize], &'a [String])> {
    match data.target() {
        Target::Classes {
            labels,
            class_names,
        } => Ok((labels, class_names)),
        other => Err(TrainError::data(
            learner,
            format!(
                "needs a classification target, got {}",
                target_kind_name(other)
            ),
        )),
    }
}

/// Continuous target values of a regression dataset, or a clear error.
pub(crate) fn continuous_target<'a>(learner: &str, data: &'a Dataset) -> Result<&'a Array1<f64>> {
    match data.target() {
        Target::Continuous(values) => Ok(values),
        other => Err(TrainError::data(
            learner,
            format!("needs a continuous target, got {}", target_kind_name(other)),
        )),
    }
}

fn target_kind_name(target: &Target) -> &'static str {
    match target {
        Target::Classes { .. } => "class labels",
        Target::Continuous(_) => "continuous values",
        Target::None => "no target",
    }
}

/// The problem a dataset's target poses.
pub(crate) fn problem_of(learner: &str, data: &Dataset) -> Result<ProblemKind> {
    match data.target() {
        Target::Classes { .. } => Ok(ProblemKind::Classification),
        Target::Continuous(_) => Ok(ProblemKind::Regression),
        Target::None => Err(TrainError::data(
            learner,
            "the dataset has no target to fit",
        )),
    }
}

/// Sample weights, ones when the dataset has none.
pub(crate) fn weights_or_ones(data: &Dataset) -> Vec<f64> {
    match data.weights() {
        Some(w) => w.to_vec(),
        None => vec![1.0; data.n_rows()],
    }
}

/// Fails unless the dataset has at least one row and every feature value is finite.
pub(crate) fn require_finite(learner: &str, data: &Dataset) -> Result<()> {
    require_rows(learner, data)?;
    require_finite_features(learner, data.features())
}

/// Fails unless every value is finite (for models that cannot route missing values).
pub(crate) fn require_finite_features(learner: &str, features: ArrayView2<'_, f64>) -> Result<()> {
    for (row, values) in features.rows().into_iter().enumerate() {
        if let Some((column, value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(TrainError::data(
                learner,
                format!(
                    "feature value {value} at row {row}, column {column} is not finite; impute it first or use a tree booster, which routes missing values"
                ),
            ));
        }
    }
    Ok(())
}

/// Fails on an empty dataset.
pub(crate) fn require_rows(learner: &str, data: &Dataset) -> Result<()> {
    if data.n_rows() == 0 {
        return Err(TrainError::data(learner, "the dataset has no rows"));
    }
    Ok(())
}

/// Fails when `features` has another column count than the model was fitted on.
pub(crate) fn check_columns(features: ArrayView2<'_, f64>, expected: usize) -> Result<()> {
    if features.ncols() != expected {
        return Err(
            specweave_core::Error::shape("feature columns", expected, features.ncols()).into(),
        );
    }
    Ok(())
}

/// Describes a fitted model.
pub(crate) fn model_info(
    algorithm: &str,
    problem: ProblemKind,
    params: serde_json::Value,
    feature_names: &[String],
    class_names: &[String],
    framework: &str,
) -> ModelInfo {
    ModelInfo {
        algorithm: algorithm.to_string(),
        problem,
        params,
        feature_names: feature_names.to_vec(),
        class_names: class_names.to_vec(),
        framework: framework.to_string(),
    }
}

/// Wraps a serde model state in a checksummed model file.
pub(crate) fn encode_model<T: Serialize>(
    info: ModelInfo,
    state: &T,
) -> specweave_core::Result<Vec<u8>> {
    Ok(ModelFile::from_json(info, state)?.encode())
}

/// Calls `f` with an ndarray 0.16 view of an ndarray 0.17 matrix (for linfa), borrowing the
/// data when the matrix is in standard layout and copying it once otherwise.
pub(crate) fn with_nd16<R>(
    features: ArrayView2<'_, f64>,
    f: impl FnOnce(ndarray16::ArrayView2<'_, f64>) -> R,
) -> Result<R> {
    let (rows, cols) = features.dim();
    let shape_error = |e: ndarray16::ShapeError| {
        TrainError::Core(specweave_core::Error::InvalidInput(format!(
            "cannot view a {rows}x{cols} matrix for linfa: {e}"
        )))
    };
    match features.as_slice() {
        Some(slice) => Ok(f(
            ndarray16::ArrayView2::from_shape((rows, cols), slice).map_err(shape_error)?
        )),
        None => {
            let owned: Vec<f64> = features.iter().copied().collect();
            let view =
                ndarray16::ArrayView2::from_shape((rows, cols), &owned[..]).map_err(shape_error)?;
            Ok(f(view))
        }
    }
}

/// Row-wise softmax in place.
pub(crate) fn softmax_rows(scores: &mut Array2<f64>) {
    for mut row in scores.rows_mut() {
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        row.mapv_inplace(|v| (v - max).exp());
        let sum: f64 = row.sum();
        if sum > 0.0 {
            row.mapv_inplace(|v| v / sum);
        }
    }
}

/// The logistic function.
#[inline]
pub(crate) fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Checks that a probability-like parameter is in `(0, 1]`.
pub(crate) fn check_fraction(learner: &str, param: &str, value: f64) -> Result<()> {
    if !(value > 0.0 && value <= 1.0) {
        return Err(TrainError::param(
            learner,
            param,
            format!("must be in (0, 1], got {value}"),
        ));
    }
    Ok(())
}

/// Checks that a parameter is finite and `>= 0`.
pub(crate) fn check_non_negative(learner: &str, param: &str, value: f64) -> Result<()> {
    if !(value.is_finite() && value >= 0.0) {
        return Err(TrainError::param(
            learner,
            param,
            format!("must be finite and >= 0, got {value}"),
        ));
    }
    Ok(())
}
