//! Item-based k-nearest-neighbours over sparse co-occurrence (cosine or Jaccard, shrunk).

mod algorithm;
mod hyperparams;

pub use algorithm::ItemKnn;
pub use hyperparams::{ItemKnnParams, Similarity};
