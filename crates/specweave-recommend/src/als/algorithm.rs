//! Fitting and scoring implicit ALS.

use super::AlsParams;
use super::linalg::{axpy, dot, matvec};
use crate::explain::{self, Contribution, ExplainRecommendation, ItemExplanation};
use crate::{CsrMatrix, Error, Result, history, persist, topk};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use specweave_core::{Interactions, MetricSink, Recommender};

/// Squared residual norm below which a CG solve counts as converged.
const CG_TOLERANCE: f32 = 1e-20;

/// Implicit-feedback matrix factorisation (Hu, Koren and Volinsky 2008), fitted by
/// alternating least squares where each user's and item's factors are updated with a few
/// warm-started conjugate-gradient steps (Takács, Pilászy and Tikk 2011), the `cg` variant of
/// the `implicit` library. Users and items are updated in parallel.
///
/// The score of item `i` for user `u` is `x_u · y_i`.
///
/// ```
/// use specweave_core::{Interactions, MetricSink, Recommender};
/// use specweave_recommend::{Als, AlsParams};
///
/// let log = Interactions::from_indices(
///     vec![0, 0, 1, 1, 2], vec![0, 1, 0, 1, 0], vec![1.0; 5], vec![0; 5],
///     vec!["a".into(), "b".into(), "c".into()], vec!["x".into(), "y".into(), "z".into()],
/// )?;
/// let mut als = Als::new(AlsParams::default().factors(4).iterations(10).alpha(10.0))?;
/// als.fit(&log)?;
/// // User 2 took item 0; users who took item 0 also took item 1.
/// assert_eq!(als.recommend(2, 1, true)?[0].0, 1);
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Als {
    params: AlsParams,
    fitted: Option<AlsState>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct AlsState {
    user_items: CsrMatrix,
    /// Row-major `n_users × factors`.
    user_factors: Vec<f32>,
    /// Row-major `n_items × factors`.
    item_factors: Vec<f32>,
}

/// The fixed inputs of one half-sweep: the other side's factors and their regularised Gram
/// matrix `YᵀY + λI`.
struct Side<'a> {
    factors: &'a [f32],
    gram: Vec<f32>,
    dim: usize,
    alpha: f32,
}

impl Side<'_> {
    fn row(&self, i: u32) -> &[f32] {
        let start = i as usize * self.dim;
        &self.factors[start..start + self.dim]
    }

    /// `out = (YᵀY + λI + Σ_i α r_i y_i y_iᵀ) v` for one row's observed entries.
    fn apply(&self, cols: &[u32], vals: &[f32], v: &[f32], out: &mut [f32]) {
        matvec(&self.gram, v, out);
        for (&i, &r) in cols.iter().zip(vals) {
            let y = self.row(i);
            axpy(out, self.alpha * r * dot(y, v), y);
        }
    }

    /// Improves `x` towards the solution of `A x = Σ_i (1 + α r_i) y_i` with `steps` CG steps.
    fn cg_update(&self, cols: &[u32], vals: &[f32], x: &mut [f32], steps: usize) {
        let dim = self.dim;
        let mut residual = vec![0f32; dim];
        // residual = b − A x, with b = Σ (1 + c) y and A x = Gram x + Σ c (y·x) y.
        matvec(&self.gram, x, &mut residual);
        for value in residual.iter_mut() {
            *value = -*value;
        }
        for (&i, &r) in cols.iter().zip(vals) {
            let y = self.row(i);
            let confidence = self.alpha * r;
            axpy(&mut residual, 1.0 + confidence - confidence * dot(y, x), y);
        }
        self.cg_steps(cols, vals, x, residual, steps);
    }

    /// Runs CG from `x` with its current `residual`.
    fn cg_steps(
        &self,
        cols: &[u32],
        vals: &[f32],
        x: &mut [f32],
        mut residual: Vec<f32>,
        steps: usize,
    ) {
        let mut direction = residual.clone();
        let mut a_direction = vec![0f32; self.dim];
        let mut rs_old = dot(&residual, &residual);
        if rs_old < CG_TOLERANCE {
            return;
        }
        for _ in 0..steps {
            self.apply(cols, vals, &direction, &mut a_direction);
            let curvature = dot(&direction, &a_direction);
            if curvature <= 0.0 || !curvature.is_finite() {
                return;
            }
            let step = rs_old / curvature;
            axpy(x, step, &direction);
            axpy(&mut residual, -step, &a_direction);
            let rs_new = dot(&residual, &residual);
            if rs_new < CG_TOLERANCE {
                return;
            }
            let beta = rs_new / rs_old;
            for (d, r) in direction.iter_mut().zip(&residual) {
                *d = r + beta * *d;
            }
            rs_old = rs_new;
        }
    }
}

/// CG steps that solve a `dim`-dimensional system exactly: `dim` in exact arithmetic, a few
/// more absorb rounding.
fn exact_steps(dim: usize) -> usize {
    2 * dim + 10
}

/// `YᵀY + λI` of a row-major `n × dim` factor matrix, accumulated in parallel.
fn regularised_gram(factors: &[f32], dim: usize, regularization: f32) -> Vec<f32> {
    let mut gram = factors
        .par_chunks(dim * 256)
        .map(|block| {
            let mut partial = vec![0f32; dim * dim];
            for y in block.chunks_exact(dim) {
                for (a, &ya) in y.iter().enumerate() {
                    axpy(&mut partial[a * dim..(a + 1) * dim], ya, y);
                }
            }
            partial
        })
        .reduce(
            || vec![0f32; dim * dim],
            |mut left, right| {
                axpy(&mut left, 1.0, &right);
                left
            },
        );
    for d in 0..dim {
        gram[d * dim + d] += regularization;
    }
    gram
}

impl Als {
    /// Registered algorithm name.
    pub const NAME: &'static str = "als";

    /// An unfitted ALS; fails on invalid parameters.
    pub fn new(params: AlsParams) -> Result<Als> {
        params.check()?;
        Ok(Als {
            params,
            fitted: None,
        })
    }

    /// Restores a fitted model from [`Recommender::to_bytes`] output.
    pub fn from_bytes(bytes: &[u8]) -> Result<Als> {
        let model: Als = persist::decode(bytes, Self::NAME)?;
        model.validate_state()?;
        Ok(model)
    }

    /// `(users, items)` the model was fitted on, `None` before fitting.
    pub(crate) fn fitted_shape(&self) -> Option<(usize, usize)> {
        self.fitted
            .as_ref()
            .map(|s| (s.user_items.n_rows(), s.user_items.n_cols()))
    }

    /// Checks a deserialised model before use.
    pub(crate) fn validate_state(&self) -> Result<()> {
        self.params.check()?;
        if let Some(state) = &self.fitted {
            state.user_items.validate(Self::NAME)?;
            let f = self.params.get_factors();
            if state.user_factors.len() != state.user_items.n_rows() * f
                || state.item_factors.len() != state.user_items.n_cols() * f
            {
                return Err(Error::CorruptState {
                    algorithm: Self::NAME.into(),
                    message: "factor matrices do not match the user and item counts".into(),
                });
            }
        }
        Ok(())
    }

    /// Fits like [`Recommender::fit`] and logs the training loss after every sweep to
    /// `metrics` as `als_training_loss` (step = sweep, from 1).
    ///
    /// The loss is the full implicit objective divided by the total confidence
    /// (`Σ_obs (1 + α r) + unobserved pairs`, as `implicit` reports it):
    /// `Σ_{u,i} c_ui (p_ui − x_u·y_i)² + λ (Σ‖x_u‖² + Σ‖y_i‖²)`. Computing it costs about
    /// one more sweep, so plain [`Recommender::fit`] skips it.
    ///
    /// ```
    /// use specweave_core::{Interactions, MetricSink};
    /// use specweave_recommend::{Als, AlsParams};
    /// use std::sync::Mutex;
    ///
    /// struct Losses(Mutex<Vec<f64>>);
    /// impl MetricSink for Losses {
    ///     fn log_metric(&self, _key: &str, value: f64, _step: u64) {
    ///         self.0.lock().expect("not poisoned").push(value);
    ///     }
    /// }
    /// let log = Interactions::from_indices(
    ///     vec![0, 0, 1, 2], vec![0, 1, 1, 2], vec![1.0; 4], vec![0; 4],
    ///     vec!["a".into(), "b".into(), "c".into()], vec!["x".into(), "y".into(), "z".into()],
    /// )?;
    /// let losses = Losses(Mutex::new(Vec::new()));
    /// let mut als = Als::new(AlsParams::default().factors(4).iterations(5))?;
    /// als.fit_with_metrics(&log, &losses)?;
    /// let losses = losses.0.into_inner().expect("not poisoned");
    /// assert_eq!(losses.len(), 5);
    /// assert!(losses[4] < losses[0]);
    /// # Ok::<(), specweave_core::Error>(())
    /// ```
    pub fn fit_with_metrics(
        &mut self,
        interactions: &Interactions,
        metrics: &dyn MetricSink,
    ) -> specweave_core::Result<()> {
        self.fit_logging(interactions, Some(metrics))
    }

    fn fit_logging(
        &mut self,
        interactions: &Interactions,
        metrics: Option<&dyn MetricSink>,
    ) -> specweave_core::Result<()> {
        let user_items = history::user_item_matrix(interactions, Self::NAME)?;
        let item_users = user_items.transpose();
        let f = self.params.get_factors();
        let mut rng = ChaCha8Rng::seed_from_u64(self.params.get_seed());
        // Small positive values, as in implicit, so the first sweep starts near zero.
        let mut init =
            |n: usize| -> Vec<f32> { (0..n * f).map(|_| rng.random::<f32>() * 0.01).collect() };
        let mut user_factors = init(user_items.n_rows());
        let mut item_factors = init(user_items.n_cols());
        for sweep in 1..=self.params.get_iterations() {
            self.half_sweep(&user_items, &mut user_factors, &item_factors);
            self.half_sweep(&item_users, &mut item_factors, &user_factors);
            if let Some(metrics) = metrics {
                let loss = self.training_loss(&user_items, &user_factors, &item_factors);
                metrics.log_metric("als_training_loss", loss, sweep as u64);
                tracing::debug!(sweep, loss, "ALS sweep done");
            }
        }
        if let Some(bad) = user_factors
            .iter()
            .chain(&item_factors)
            .find(|v| !v.is_finite())
        {
            return Err(specweave_core::Error::model(
                Self::NAME,
                format!("factors diverged to {bad}; lower alpha or raise regularization"),
            ));
        }
        self.fitted = Some(AlsState {
            user_items,
            user_factors,
            item_factors,
        });
        Ok(())
    }

    /// The normalised implicit objective (see [`Als::fit_with_metrics`]). Unobserved pairs
    /// are summed in closed form as `x_u ᵀ (YᵀY) x_u` and corrected at the observed ones.
    fn training_loss(&self, user_items: &CsrMatrix, users: &[f32], items: &[f32]) -> f64 {
        let f = self.params.get_factors();
        let lambda = self.params.get_regularization();
        let alpha = self.params.get_alpha();
        // Gram matrix without regularisation.
        let gram = regularised_gram(items, f, 0.0);
        let (error, confidence) = users
            .par_chunks(f)
            .enumerate()
            .map(|(u, x)| {
                let mut gx = vec![0f32; f];
                matvec(&gram, x, &mut gx);
                let mut error = f64::from(dot(x, &gx));
                let mut confidence = 0.0;
                let (cols, vals) = user_items.row(u);
                for (&i, &r) in cols.iter().zip(vals) {
                    let start = i as usize * f;
                    let p = f64::from(dot(x, &items[start..start + f]));
                    let c = 1.0 + alpha * f64::from(r);
                    error += c * (1.0 - p) * (1.0 - p) - p * p;
                    confidence += c;
                }
                (error, confidence)
            })
            .reduce(|| (0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
        let norms: f64 = users.iter().chain(items).map(|&v| f64::from(v * v)).sum();
        let pairs = user_items.n_rows() as f64 * user_items.n_cols() as f64;
        let total_confidence = confidence + pairs - user_items.nnz() as f64;
        (error + lambda * norms) / total_confidence.max(1.0)
    }

    /// Dense scores `x_u · y_i` of every item for a user.
    pub(crate) fn user_scores(&self, user: u32) -> Result<Vec<f64>> {
        let state = self.state()?;
        topk::check_user(user, state.user_items.n_rows())?;
        let f = self.params.get_factors();
        let x = &state.user_factors[user as usize * f..(user as usize + 1) * f];
        Ok(state
            .item_factors
            .chunks_exact(f)
            .map(|y| f64::from(dot(x, y)))
            .collect())
    }

    /// The hyperparameters.
    pub fn hyperparams(&self) -> &AlsParams {
        &self.params
    }

    /// The user's latent factors.
    pub fn user_factors(&self, user: u32) -> specweave_core::Result<&[f32]> {
        let state = self.state()?;
        topk::check_user(user, state.user_items.n_rows())?;
        let f = self.params.get_factors();
        Ok(&state.user_factors[user as usize * f..(user as usize + 1) * f])
    }

    /// The item's latent factors.
    pub fn item_factors(&self, item: u32) -> specweave_core::Result<&[f32]> {
        let state = self.state()?;
        topk::check_items(&[item], state.user_items.n_cols())?;
        let f = self.params.get_factors();
        Ok(&state.item_factors[item as usize * f..(item as usize + 1) * f])
    }

    /// The exact least-squares factors of a user against the fitted item factors (what one
    /// more user half-sweep with a converged solver would give); the ALS explanation
    /// decomposes the score of these factors.
    pub fn recalculate_user_factors(&self, user: u32) -> specweave_core::Result<Vec<f32>> {
        let state = self.state()?;
        topk::check_user(user, state.user_items.n_rows())?;
        let side = self.side(&state.item_factors);
        let (cols, vals) = state.user_items.row(user as usize);
        let mut x = vec![0f32; side.dim];
        side.cg_update(cols, vals, &mut x, exact_steps(side.dim));
        Ok(x)
    }

    fn state(&self) -> Result<&AlsState> {
        self.fitted
            .as_ref()
            .ok_or(Error::NotFitted { model: Self::NAME })
    }

    fn side<'a>(&self, factors: &'a [f32]) -> Side<'a> {
        let dim = self.params.get_factors();
        Side {
            factors,
            gram: regularised_gram(factors, dim, self.params.get_regularization() as f32),
            dim,
            alpha: self.params.get_alpha() as f32,
        }
    }

    /// Updates every row of `targets` against the fixed `other` side, in parallel.
    fn half_sweep(&self, rows: &CsrMatrix, targets: &mut [f32], other: &[f32]) {
        let side = self.side(other);
        let dim = side.dim;
        let steps = self.params.get_cg_steps();
        targets.par_chunks_mut(dim).enumerate().for_each(|(r, x)| {
            let (cols, vals) = rows.row(r);
            side.cg_update(cols, vals, x, steps);
        });
    }
}

impl Recommender for Als {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn params(&self) -> serde_json::Value {
        serde_json::to_value(&self.params).unwrap_or(serde_json::Value::Null)
    }

    fn fit(&mut self, interactions: &Interactions) -> specweave_core::Result<()> {
        self.fit_logging(interactions, None)
    }

    fn recommend(
        &self,
        user: u32,
        k: usize,
        exclude_seen: bool,
    ) -> specweave_core::Result<Vec<(u32, f64)>> {
        let state = self.state()?;
        let scores = self.user_scores(user)?;
        let seen = if exclude_seen {
            state.user_items.row(user as usize).0
        } else {
            &[]
        };
        Ok(topk::top_k(&scores, k, seen))
    }

    fn score(&self, user: u32, items: &[u32]) -> specweave_core::Result<Vec<f64>> {
        let x = self.user_factors(user)?;
        items
            .iter()
            .map(|&i| Ok(f64::from(dot(x, self.item_factors(i)?))))
            .collect()
    }

    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        persist::encode(Self::NAME, Recommender::params(self), self)
    }
}

impl ExplainRecommendation for Als {
    /// Decomposes the score exactly as `implicit`'s `explain` does: with
    /// `W = (YᵀC_uY + λI)⁻¹`, the least-squares user factors are `x_u = W Σ_h c_uh y_h`, so
    /// `x_u · y_i = Σ_h c_uh (y_hᵀ W y_i)`. `similarity` is `y_hᵀ W y_i` and `contribution`
    /// is `c_uh` times it. The contributions sum to the score of
    /// [`Als::recalculate_user_factors`]; `score` is the fitted model's score, which differs
    /// by the last item half-sweep and the truncated CG solves.
    fn explain(
        &self,
        user: u32,
        item: u32,
        top_n: usize,
    ) -> specweave_core::Result<ItemExplanation> {
        let state = self.state()?;
        let y_item = self.item_factors(item)?.to_vec();
        let score = f64::from(dot(self.user_factors(user)?, &y_item));
        let (cols, vals) = state.user_items.row(user as usize);
        let side = self.side(&state.item_factors);
        // Solve A z = y_i from zero.
        let mut weighted = vec![0f32; side.dim];
        side.cg_steps(cols, vals, &mut weighted, y_item, exact_steps(side.dim));
        let alpha = self.params.get_alpha();
        let all = cols
            .iter()
            .zip(vals)
            .map(|(&h, &r)| {
                let similarity = f64::from(dot(side.row(h), &weighted));
                Contribution {
                    item: h,
                    interaction_weight: f64::from(r),
                    similarity,
                    contribution: (1.0 + alpha * f64::from(r)) * similarity,
                }
            })
            .collect();
        Ok(ItemExplanation {
            user,
            item,
            score,
            contributions: explain::strongest(all, top_n),
        })
    }
}
