//! Hyperparameters of item-kNN, validated before fitting.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// How two items' user sets are compared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Similarity {
    /// `a·b / (‖a‖‖b‖ + shrinkage)` over the items' weighted user vectors.
    #[default]
    Cosine,
    /// `|A∩B| / (|A∪B| + shrinkage)` over the items' user sets.
    Jaccard,
}

/// Item-kNN configuration (builder style).
///
/// ```
/// use specweave_recommend::{ItemKnnParams, Similarity};
///
/// let params = ItemKnnParams::default().similarity(Similarity::Jaccard).neighbours(50).shrinkage(10.0);
/// assert_eq!(params.get_neighbours(), 50);
/// assert!(ItemKnnParams::default().neighbours(0).check().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemKnnParams {
    similarity: Similarity,
    shrinkage: f64,
    neighbours: usize,
}

impl Default for ItemKnnParams {
    /// Cosine, no shrinkage, 20 neighbours per item (implicit's default `K`).
    fn default() -> Self {
        ItemKnnParams {
            similarity: Similarity::Cosine,
            shrinkage: 0.0,
            neighbours: 20,
        }
    }
}

impl ItemKnnParams {
    /// The similarity measure.
    pub fn similarity(mut self, similarity: Similarity) -> Self {
        self.similarity = similarity;
        self
    }

    /// Shrinkage added to the denominator (≥ 0); damps similarities built on few users.
    pub fn shrinkage(mut self, shrinkage: f64) -> Self {
        self.shrinkage = shrinkage;
        self
    }

    /// How many neighbours each item keeps (≥ 1).
    pub fn neighbours(mut self, neighbours: usize) -> Self {
        self.neighbours = neighbours;
        self
    }

    /// The similarity measure.
    pub fn get_similarity(&self) -> Similarity {
        self.similarity
    }

    /// The shrinkage.
    pub fn get_shrinkage(&self) -> f64 {
        self.shrinkage
    }

    /// Neighbours kept per item.
    pub fn get_neighbours(&self) -> usize {
        self.neighbours
    }

    /// Validates the configuration.
    pub fn check(&self) -> Result<()> {
        let invalid = |param, message: String| Error::InvalidParam {
            model: super::ItemKnn::NAME,
            param,
            message,
        };
        if !(self.shrinkage.is_finite() && self.shrinkage >= 0.0) {
            return Err(invalid(
                "shrinkage",
                format!("must be finite and >= 0, got {}", self.shrinkage),
            ));
        }
        if self.neighbours == 0 {
            return Err(invalid("neighbours", "must be at least 1".into()));
        }
        Ok(())
    }
}
