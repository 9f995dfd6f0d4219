//! Hyperparameters of the multi-stage recommender, validated before fitting.

use crate::{AlsParams, Error, ItemKnnParams, Result};
use serde::{Deserialize, Serialize};

/// Multi-stage configuration (builder style).
///
/// ```
/// use specweave_recommend::{AlsParams, MultiStageParams};
///
/// let params = MultiStageParams::default()
///     .candidates_per_source(50)
///     .als(AlsParams::default().factors(16));
/// assert!(params.check().is_ok());
/// assert!(MultiStageParams::default().label_fraction(1.0).check().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiStageParams {
    candidates_per_source: usize,
    label_fraction: f64,
    recency_half_life: Option<i64>,
    knn: ItemKnnParams,
    als: AlsParams,
}

impl Default for MultiStageParams {
    /// 100 candidates from each source, the latest 20% of each user's events label the
    /// reranker's training rows, recency half-life a tenth of the log's time span.
    fn default() -> Self {
        MultiStageParams {
            candidates_per_source: 100,
            label_fraction: 0.2,
            recency_half_life: None,
            knn: ItemKnnParams::default(),
            als: AlsParams::default(),
        }
    }
}

impl MultiStageParams {
    /// Candidates taken from each of item-kNN, ALS and popularity (≥ 1); their union is ranked.
    pub fn candidates_per_source(mut self, n: usize) -> Self {
        self.candidates_per_source = n;
        self
    }

    /// Fraction (0 < f < 1) of each user's latest training events held out to label the
    /// reranker's training candidates.
    pub fn label_fraction(mut self, fraction: f64) -> Self {
        self.label_fraction = fraction;
        self
    }

    /// Half-life of the recency-popularity feature in timestamp units (> 0); `None` uses a
    /// tenth of the training log's time span.
    pub fn recency_half_life(mut self, half_life: Option<i64>) -> Self {
        self.recency_half_life = half_life;
        self
    }

    /// Item-kNN candidate generator configuration.
    pub fn knn(mut self, knn: ItemKnnParams) -> Self {
        self.knn = knn;
        self
    }

    /// ALS candidate generator configuration.
    pub fn als(mut self, als: AlsParams) -> Self {
        self.als = als;
        self
    }

    /// Candidates per source.
    pub fn get_candidates_per_source(&self) -> usize {
        self.candidates_per_source
    }

    /// Label fraction.
    pub fn get_label_fraction(&self) -> f64 {
        self.label_fraction
    }

    /// Recency half-life.
    pub fn get_recency_half_life(&self) -> Option<i64> {
        self.recency_half_life
    }

    /// Item-kNN configuration.
    pub fn get_knn(&self) -> &ItemKnnParams {
        &self.knn
    }

    /// ALS configuration.
    pub fn get_als(&self) -> &AlsParams {
        &self.als
    }

    /// Validates the configuration, including the stage configurations.
    pub fn check(&self) -> Result<()> {
        let invalid = |param, message: String| Error::InvalidParam {
            model: super::MultiStage::NAME,
            param,
            message,
        };
        if self.candidates_per_source == 0 {
            return Err(invalid(
                "candidates_per_source",
                "must be at least 1".into(),
            ));
        }
        if !(self.label_fraction > 0.0 && self.label_fraction < 1.0) {
            return Err(invalid(
                "label_fraction",
                format!(
                    "must lie strictly between 0 and 1, got {}",
                    self.label_fraction
                ),
            ));
        }
        if let Some(half_life) = self.recency_half_life
            && half_life <= 0
        {
            return Err(invalid(
                "recency_half_life",
                format!("must be positive, got {half_life}"),
            ));
        }
        self.knn.check()?;
        self.als.check()
    }
}
