//! Hyperparameters of implicit ALS, validated before fitting.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Implicit ALS configuration (builder style).
///
/// Confidence of an observed pair is `1 + alpha · r` (Hu, Koren and Volinsky 2008); every
/// unobserved pair has confidence 1 and preference 0.
///
/// ```
/// use specweave_recommend::AlsParams;
///
/// let params = AlsParams::default().factors(32).iterations(10).alpha(20.0).seed(7);
/// assert_eq!(params.get_factors(), 32);
/// assert!(AlsParams::default().regularization(-1.0).check().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlsParams {
    factors: usize,
    regularization: f64,
    alpha: f64,
    iterations: usize,
    cg_steps: usize,
    seed: u64,
}

impl Default for AlsParams {
    /// 64 factors, λ = 0.01, α = 1, 15 iterations of 3 CG steps, seed 0.
    fn default() -> Self {
        AlsParams {
            factors: 64,
            regularization: 0.01,
            alpha: 1.0,
            iterations: 15,
            cg_steps: 3,
            seed: 0,
        }
    }
}

impl AlsParams {
    /// Latent dimensions (≥ 1).
    pub fn factors(mut self, factors: usize) -> Self {
        self.factors = factors;
        self
    }

    /// L2 regularisation λ (finite, ≥ 0).
    pub fn regularization(mut self, regularization: f64) -> Self {
        self.regularization = regularization;
        self
    }

    /// Confidence scale α (finite, ≥ 0).
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Alternating sweeps over users and items (≥ 1).
    pub fn iterations(mut self, iterations: usize) -> Self {
        self.iterations = iterations;
        self
    }

    /// Conjugate-gradient steps per factor update, warm-started from the previous value (≥ 1).
    pub fn cg_steps(mut self, cg_steps: usize) -> Self {
        self.cg_steps = cg_steps;
        self
    }

    /// Seed of the factor initialisation.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Latent dimensions.
    pub fn get_factors(&self) -> usize {
        self.factors
    }

    /// Regularisation λ.
    pub fn get_regularization(&self) -> f64 {
        self.regularization
    }

    /// Confidence scale α.
    pub fn get_alpha(&self) -> f64 {
        self.alpha
    }

    /// Sweeps.
    pub fn get_iterations(&self) -> usize {
        self.iterations
    }

    /// CG steps per update.
    pub fn get_cg_steps(&self) -> usize {
        self.cg_steps
    }

    /// Initialisation seed.
    pub fn get_seed(&self) -> u64 {
        self.seed
    }

    /// Validates the configuration.
    pub fn check(&self) -> Result<()> {
        let invalid = |param, message: String| Error::InvalidParam {
            model: super::Als::NAME,
            param,
            message,
        };
        if self.factors == 0 {
            return Err(invalid("factors", "must be at least 1".into()));
        }
        if !(self.regularization.is_finite() && self.regularization >= 0.0) {
            return Err(invalid(
                "regularization",
                format!("must be finite and >= 0, got {}", self.regularization),
            ));
        }
        if !(self.alpha.is_finite() && self.alpha >= 0.0) {
            return Err(invalid(
                "alpha",
                format!("must be finite and >= 0, got {}", self.alpha),
            ));
        }
        if self.iterations == 0 {
            return Err(invalid("iterations", "must be at least 1".into()));
        }
        if self.cg_steps == 0 {
            return Err(invalid("cg_steps", "must be at least 1".into()));
        }
        Ok(())
    }
}
