//! The multi-stage chain: candidate generation from several recommenders, then a reranker
//! trained on candidate features through any [`Learner`](specweave_core::Learner).

mod algorithm;
mod features;
mod hyperparams;

pub use algorithm::MultiStage;
pub use features::CANDIDATE_FEATURES;
pub use hyperparams::MultiStageParams;
