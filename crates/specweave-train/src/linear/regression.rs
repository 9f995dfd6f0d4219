//! Linear regression: ordinary least squares (linfa-linear), ridge in closed form, and lasso /
//! elastic net by coordinate descent (scikit-learn's objective), all honouring sample weights
//! except linfa's OLS, which is used for unweighted data only.

use super::{LinearLink, LinearModel};
use crate::common::{
    FRAMEWORK, check_non_negative, continuous_target, require_finite, weights_or_ones, with_nd16,
};
use crate::error::{Result, TrainError};
use linfa::prelude::Fit;
use ndarray::{Array1, Array2, Axis};
use serde::{Deserialize, Serialize};
use specweave_core::{Dataset, Learner, Model, ProblemKind};

/// Hyperparameters of [`LinearRegression`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinearRegressionParams {
    /// Fit an intercept.
    pub fit_intercept: bool,
}

impl Default for LinearRegressionParams {
    fn default() -> Self {
        LinearRegressionParams {
            fit_intercept: true,
        }
    }
}

/// Hyperparameters of [`Ridge`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RidgeParams {
    /// L2 penalty `α` in `‖y − Xβ‖²_W + α‖β‖²` (the intercept is not penalised).
    pub alpha: f64,
}

impl Default for RidgeParams {
    fn default() -> Self {
        RidgeParams { alpha: 1.0 }
    }
}

/// Hyperparameters of [`ElasticNet`] (scikit-learn's objective
/// `1/(2n)‖y − Xβ‖² + α·l1_ratio‖β‖₁ + α(1 − l1_ratio)/2‖β‖²`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ElasticNetParams {
    /// Penalty strength.
    pub alpha: f64,
    /// Share of the L1 penalty: 1 is the lasso, 0 is ridge.
    pub l1_ratio: f64,
    /// Maximum coordinate-descent sweeps.
    pub max_iterations: usize,
    /// Stop when no coefficient moves more than this.
    pub tolerance: f64,
}

impl Default for ElasticNetParams {
    fn default() -> Self {
        ElasticNetParams {
            alpha: 1.0,
            l1_ratio: 1.0,
            max_iterations: 1000,
            tolerance: 1e-4,
        }
    }
}

/// Ordinary least squares (linfa-linear); weighted data is solved in closed form instead.
///
/// ```
/// use ndarray::array;
/// use specweave_core::{Dataset, Learner, Target};
/// use specweave_train::LinearRegression;
///
/// let data = Dataset::builder(array![[0.0], [1.0], [2.0]])
///     .target(Target::Continuous(array![1.0, 3.0, 5.0]))
///     .build()?;
/// let model = LinearRegression::default().fit(&data)?;
/// let y = model.predict(ndarray::array![[3.0]].view())?.scores()?;
/// assert!((y[0] - 7.0).abs() < 1e-9);
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct LinearRegression {
    params: LinearRegressionParams,
}

/// Ridge regression in closed form (Cholesky of the weighted normal equations).
#[derive(Debug, Clone, Default)]
pub struct Ridge {
    params: RidgeParams,
}

/// Lasso and elastic net by cyclic coordinate descent; `l1_ratio = 1` is the lasso.
#[derive(Debug, Clone, Default)]
pub struct ElasticNet {
    params: ElasticNetParams,
}

impl LinearRegression {
    /// Registered name.
    pub const NAME: &'static str = "linear_regression";

    /// A learner with the given parameters.
    pub fn new(params: LinearRegressionParams) -> Result<Self> {
        Ok(LinearRegression { params })
    }
}

impl Ridge {
    /// Registered name.
    pub const NAME: &'static str = "ridge";

    /// A learner with validated parameters.
    pub fn new(params: RidgeParams) -> Result<Self> {
        check_non_negative(Self::NAME, "alpha", params.alpha)?;
        Ok(Ridge { params })
    }
}

impl ElasticNet {
    /// Registered name.
    pub const NAME: &'static str = "elastic_net";

    /// A learner with validated parameters.
    pub fn new(params: ElasticNetParams) -> Result<Self> {
        check_non_negative(Self::NAME, "alpha", params.alpha)?;
        if !(0.0..=1.0).contains(&params.l1_ratio) {
            return Err(TrainError::param(
                Self::NAME,
                "l1_ratio",
                format!("must be in [0, 1], got {}", params.l1_ratio),
            ));
        }
        if params.max_iterations == 0 {
            return Err(TrainError::param(
                Self::NAME,
                "max_iterations",
                "must be at least 1",
            ));
        }
        if params.tolerance.is_nan() || params.tolerance <= 0.0 {
            return Err(TrainError::param(Self::NAME, "tolerance", "must be > 0"));
        }
        Ok(ElasticNet { params })
    }

    /// The lasso with penalty `alpha`.
    pub fn lasso(alpha: f64) -> Result<Self> {
        Self::new(ElasticNetParams {
            alpha,
            ..Default::default()
        })
    }
}

/// Weighted means of the columns and of `y`, and the centred copies.
struct Centred {
    x: Array2<f64>,
    y: Array1<f64>,
    x_mean: Array1<f64>,
    y_mean: f64,
    weights: Array1<f64>,
}

fn centre(name: &str, data: &Dataset, y: &Array1<f64>) -> Result<Centred> {
    let weights = Array1::from(weights_or_ones(data));
    let total = weights.sum();
    if total <= 0.0 {
        return Err(TrainError::data(name, "all sample weights are zero"));
    }
    let x = data.features();
    let x_mean = x.t().dot(&weights) / total;
    let y_mean = y.dot(&weights) / total;
    let xc = &x - &x_mean.view().insert_axis(Axis(0));
    let yc = y - y_mean;
    Ok(Centred {
        x: xc,
        y: yc,
        x_mean,
        y_mean,
        weights,
    })
}

/// Solves the symmetric positive definite system `a·x = b` by Cholesky decomposition.
fn cholesky_solve(name: &str, mut a: Array2<f64>, b: Array1<f64>) -> Result<Array1<f64>> {
    let n = a.nrows();
    for j in 0..n {
        let mut diagonal = a[[j, j]];
        for k in 0..j {
            diagonal -= a[[j, k]] * a[[j, k]];
        }
        if diagonal <= 1e-12 * (1.0 + a[[j, j]].abs()) {
            return Err(TrainError::data(
                name,
                format!(
                    "the normal equations are singular at feature {j} (collinear or constant columns); use alpha > 0"
                ),
            ));
        }
        let pivot = diagonal.sqrt();
        a[[j, j]] = pivot;
        for i in j + 1..n {
            let mut value = a[[i, j]];
            for k in 0..j {
                value -= a[[i, k]] * a[[j, k]];
            }
            a[[i, j]] = value / pivot;
        }
    }
    let mut z = b;
    for i in 0..n {
        for k in 0..i {
            z[i] -= a[[i, k]] * z[k];
        }
        z[i] /= a[[i, i]];
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            z[i] -= a[[k, i]] * z[k];
        }
        z[i] /= a[[i, i]];
    }
    Ok(z)
}

fn ridge_solution(name: &str, data: &Dataset, alpha: f64) -> Result<(Array1<f64>, f64)> {
    require_finite(name, data)?;
    let y = continuous_target(name, data)?;
    let c = centre(name, data, y)?;
    let weighted_x = &c.x * &c.weights.view().insert_axis(Axis(1));
    let mut gram = weighted_x.t().dot(&c.x);
    for j in 0..gram.nrows() {
        gram[[j, j]] += alpha;
    }
    let rhs = weighted_x.t().dot(&c.y);
    let beta = cholesky_solve(name, gram, rhs)?;
    let intercept = c.y_mean - c.x_mean.dot(&beta);
    Ok((beta, intercept))
}

fn regression_model(
    algorithm: &str,
    params: serde_json::Value,
    framework: &str,
    beta: Array1<f64>,
    intercept: f64,
    data: &Dataset,
) -> LinearModel {
    let n = beta.len();
    LinearModel {
        algorithm: algorithm.into(),
        params,
        framework: framework.into(),
        coefficients: beta
            .into_shape_with_order((n, 1))
            .unwrap_or_else(|_| Array2::zeros((n, 1))),
        intercepts: vec![intercept],
        link: LinearLink::Identity,
        feature_names: data.feature_names().to_vec(),
        class_names: Vec::new(),
    }
}

impl LinearRegression {
    fn fit_linear(&self, data: &Dataset) -> Result<LinearModel> {
        require_finite(Self::NAME, data)?;
        let y = continuous_target(Self::NAME, data)?;
        let params = serde_json::to_value(&self.params).unwrap_or_default();
        if data.weights().is_some() {
            if !self.params.fit_intercept {
                return Err(TrainError::data(
                    Self::NAME,
                    "weighted least squares needs fit_intercept = true",
                ));
            }
            let (beta, intercept) = ridge_solution(Self::NAME, data, 0.0)?;
            return Ok(regression_model(
                Self::NAME,
                params,
                FRAMEWORK,
                beta,
                intercept,
                data,
            ));
        }
        let targets = ndarray16::Array1::from(y.to_vec());
        let fitted = with_nd16(data.features(), |records| {
            let dataset = linfa::DatasetBase::new(records, targets);
            linfa_linear::LinearRegression::new()
                .with_intercept(self.params.fit_intercept)
                .fit(&dataset)
        })?
        .map_err(|e| TrainError::data(Self::NAME, format!("linfa-linear failed: {e}")))?;
        let beta = Array1::from(fitted.params().to_vec());
        Ok(regression_model(
            Self::NAME,
            params,
            "linfa-linear 0.8",
            beta,
            fitted.intercept(),
            data,
        ))
    }
}

impl ElasticNet {
    fn fit_linear(&self, data: &Dataset) -> Result<LinearModel> {
        require_finite(Self::NAME, data)?;
        let y = continuous_target(Self::NAME, data)?;
        let c = centre(Self::NAME, data, y)?;
        let p = &self.params;
        // Weights are normalised to sum to n, so unit weights give scikit-learn's objective.
        let n = data.n_rows() as f64;
        let w = &c.weights * (n / c.weights.sum());
        let n_features = c.x.ncols();
        let column_norms: Vec<f64> = (0..n_features)
            .map(|j| {
                c.x.column(j)
                    .iter()
                    .zip(&w)
                    .map(|(x, w)| w * x * x)
                    .sum::<f64>()
            })
            .collect();
        let mut beta = Array1::<f64>::zeros(n_features);
        let mut residual = c.y.clone();
        let l1 = n * p.alpha * p.l1_ratio;
        let l2 = n * p.alpha * (1.0 - p.l1_ratio);
        for _ in 0..p.max_iterations {
            let mut largest_step = 0.0f64;
            for j in 0..n_features {
                if column_norms[j] == 0.0 {
                    continue;
                }
                let column = c.x.column(j);
                let rho: f64 = column
                    .iter()
                    .zip(residual.iter())
                    .zip(&w)
                    .map(|((x, r), w)| w * x * r)
                    .sum::<f64>()
                    + column_norms[j] * beta[j];
                let updated = soft_threshold(rho, l1) / (column_norms[j] + l2);
                let step = updated - beta[j];
                if step != 0.0 {
                    residual
                        .iter_mut()
                        .zip(column.iter())
                        .for_each(|(r, x)| *r -= step * x);
                    beta[j] = updated;
                    largest_step = largest_step.max(step.abs());
                }
            }
            if largest_step < p.tolerance {
                break;
            }
        }
        let intercept = c.y_mean - c.x_mean.dot(&beta);
        Ok(regression_model(
            Self::NAME,
            serde_json::to_value(p).unwrap_or_default(),
            FRAMEWORK,
            beta,
            intercept,
            data,
        ))
    }
}

fn soft_threshold(x: f64, threshold: f64) -> f64 {
    if x > threshold {
        x - threshold
    } else if x < -threshold {
        x + threshold
    } else {
        0.0
    }
}

macro_rules! regression_learner {
    ($ty:ty, $fit:expr) => {
        impl Learner for $ty {
            fn name(&self) -> &str {
                Self::NAME
            }
            fn problem(&self) -> ProblemKind {
                ProblemKind::Regression
            }
            fn params(&self) -> serde_json::Value {
                serde_json::to_value(&self.params).unwrap_or_default()
            }
            fn fit(&self, data: &Dataset) -> specweave_core::Result<Box<dyn Model>> {
                let fit: fn(&$ty, &Dataset) -> Result<LinearModel> = $fit;
                Ok(Box::new(fit(self, data)?))
            }
        }
    };
}

regression_learner!(LinearRegression, |learner, data| learner.fit_linear(data));
regression_learner!(ElasticNet, |learner, data| learner.fit_linear(data));
regression_learner!(Ridge, |learner, data| {
    let (beta, intercept) = ridge_solution(Ridge::NAME, data, learner.params.alpha)?;
    Ok(regression_model(
        Ridge::NAME,
        serde_json::to_value(&learner.params).unwrap_or_default(),
        FRAMEWORK,
        beta,
        intercept,
        data,
    ))
});
