//! Fitting and querying the multi-stage recommender.

use super::MultiStageParams;
use super::features::{CANDIDATE_FEATURES, Stages};
use crate::explain::{ExplainRecommendation, ItemExplanation};
use crate::{Error, Result, persist, protocol, topk};
use ndarray::{Array2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use specweave_core::{Dataset, Interactions, Learner, Model, ProblemKind, Recommender, Target};
use std::sync::Arc;

/// Candidate generation followed by a learned reranker.
///
/// Fitting holds out the latest [`label_fraction`](MultiStageParams::label_fraction) of every
/// user's events, fits the stages (popularity, recency popularity, item-kNN, ALS) on the
/// rest, and builds one training row per (user, candidate) with label 1 when the candidate
/// is among the user's held-out items. The learner (a classifier or a regressor) fits the
/// ranking model on these rows, grouped by user; then the stages are refitted on the whole
/// log for serving. Recommendations rank the union of the stages' candidates by the ranking
/// model's score (the probability of class 1 for classifiers).
///
/// ```
/// # use specweave_core::{Dataset, Learner, Model, ModelInfo, Predictions, ProblemKind, Result};
/// # #[derive(Debug)]
/// # struct FirstFeature;
/// # #[derive(Debug)]
/// # struct FirstFeatureModel;
/// # impl Learner for FirstFeature {
/// #     fn name(&self) -> &str { "first_feature" }
/// #     fn problem(&self) -> ProblemKind { ProblemKind::Regression }
/// #     fn params(&self) -> serde_json::Value { serde_json::Value::Null }
/// #     fn fit(&self, _: &Dataset) -> Result<Box<dyn Model>> { Ok(Box::new(FirstFeatureModel)) }
/// # }
/// # impl Model for FirstFeatureModel {
/// #     fn info(&self) -> ModelInfo {
/// #         ModelInfo { algorithm: "first_feature".into(), problem: ProblemKind::Regression,
/// #             params: serde_json::Value::Null, feature_names: vec![], class_names: vec![],
/// #             framework: "doc".into() }
/// #     }
/// #     fn predict(&self, x: ndarray::ArrayView2<'_, f64>) -> Result<Predictions> {
/// #         Ok(Predictions::Values(x.column(0).to_owned()))
/// #     }
/// #     fn to_bytes(&self) -> Result<Vec<u8>> { Ok(Vec::new()) }
/// # }
/// use specweave_core::{Interactions, Recommender};
/// use specweave_recommend::{AlsParams, MultiStage, MultiStageParams};
/// use std::sync::Arc;
///
/// let (mut users, mut items, mut times) = (vec![], vec![], vec![]);
/// for u in 0..6_u32 {
///     for (t, i) in [0_u32, 1, 2, 3].iter().enumerate() {
///         users.push(u); items.push((i + u) % 5); times.push(t as i64);
///     }
/// }
/// let n = users.len();
/// let log = Interactions::from_indices(users, items, vec![1.0; n], times,
///     (0..6).map(|u| u.to_string()).collect(), (0..5).map(|i| i.to_string()).collect())?;
/// // Any learner works; this one ranks by the first feature (popularity).
/// let params = MultiStageParams::default().als(AlsParams::default().factors(4).iterations(3));
/// let mut model = MultiStage::new(params, Arc::new(FirstFeature))?;
/// model.fit(&log)?;
/// let top = model.recommend(0, 1, true)?;
/// assert_eq!(top.len(), 1);
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Debug)]
pub struct MultiStage {
    params: MultiStageParams,
    learner: Option<Arc<dyn Learner>>,
    fitted: Option<Fitted>,
}

#[derive(Debug)]
struct Fitted {
    stages: Stages,
    ranker: Box<dyn Model>,
    training_rows: usize,
    training_positives: usize,
}

/// What the model file stores: the stages and the ranking model's own model file.
#[derive(Serialize, Deserialize)]
struct Saved {
    params: MultiStageParams,
    learner: Option<String>,
    stages: Stages,
    ranker: Vec<u8>,
    training_rows: usize,
    training_positives: usize,
}

const RELEVANCE_CLASSES: [&str; 2] = ["not_relevant", "relevant"];

impl MultiStage {
    /// Registered algorithm name.
    pub const NAME: &'static str = "multi_stage";

    /// An unfitted multi-stage recommender whose reranker is fitted by `learner`; fails on
    /// invalid parameters or a learner that is neither a classifier nor a regressor.
    pub fn new(params: MultiStageParams, learner: Arc<dyn Learner>) -> Result<MultiStage> {
        params.check()?;
        check_learner(learner.as_ref())?;
        Ok(MultiStage {
            params,
            learner: Some(learner),
            fitted: None,
        })
    }

    /// Restores a fitted model; `load_ranker` turns the ranking model's own model file back
    /// into a model (the training crate's loader). The restored recommender serves
    /// recommendations; refitting it needs [`MultiStage::with_learner`].
    pub fn from_bytes(
        bytes: &[u8],
        load_ranker: impl Fn(&[u8]) -> specweave_core::Result<Box<dyn Model>>,
    ) -> Result<MultiStage> {
        let saved: Saved = persist::decode(bytes, Self::NAME)?;
        saved.params.check()?;
        saved.stages.validate(Self::NAME)?;
        let ranker = load_ranker(&saved.ranker)?;
        Ok(MultiStage {
            params: saved.params,
            learner: None,
            fitted: Some(Fitted {
                stages: saved.stages,
                ranker,
                training_rows: saved.training_rows,
                training_positives: saved.training_positives,
            }),
        })
    }

    /// Attaches (or replaces) the learner used by the next `fit`.
    pub fn with_learner(mut self, learner: Arc<dyn Learner>) -> Result<MultiStage> {
        check_learner(learner.as_ref())?;
        self.learner = Some(learner);
        Ok(self)
    }

    /// The hyperparameters.
    pub fn hyperparams(&self) -> &MultiStageParams {
        &self.params
    }

    /// The fitted ranking model.
    pub fn ranker(&self) -> specweave_core::Result<&dyn Model> {
        Ok(self.state()?.ranker.as_ref())
    }

    /// `(rows, positives)` of the reranker's training set.
    pub fn training_rows(&self) -> specweave_core::Result<(usize, usize)> {
        let state = self.state()?;
        Ok((state.training_rows, state.training_positives))
    }

    /// The candidates of a user (union of the sources, sorted by item id) with their feature
    /// rows in [`CANDIDATE_FEATURES`] order, for inspection and explanation.
    pub fn candidate_features(
        &self,
        user: u32,
        exclude_seen: bool,
    ) -> specweave_core::Result<(Vec<u32>, Array2<f64>)> {
        let stages = &self.state()?.stages;
        let view = stages.user_view(user, exclude_seen)?;
        let features = stages.features(user, &view, &view.candidates)?;
        Ok((view.candidates, features))
    }

    fn state(&self) -> Result<&Fitted> {
        self.fitted
            .as_ref()
            .ok_or(Error::NotFitted { model: Self::NAME })
    }

    fn rank_scores(&self, features: Array2<f64>) -> Result<Vec<f64>> {
        let rows = features.nrows();
        if rows == 0 {
            return Ok(Vec::new());
        }
        let scores = self.state()?.ranker.predict(features.view())?.scores()?;
        if scores.len() != rows {
            return Err(Error::InvalidInput(format!(
                "the ranking model returned {} scores for {rows} candidates",
                scores.len()
            )));
        }
        Ok(scores.to_vec())
    }
}

fn check_learner(learner: &dyn Learner) -> Result<()> {
    match learner.problem() {
        ProblemKind::Classification | ProblemKind::Regression => Ok(()),
        other => Err(Error::InvalidInput(format!(
            "the reranker learner `{}` solves {other}; it must be a classifier or a regressor",
            learner.name()
        ))),
    }
}

/// The reranker's training rows: candidates of every user with held-out items, from stages
/// fitted on the earlier events.
fn training_set(
    split: &protocol::InteractionSplit,
    params: &MultiStageParams,
    problem: ProblemKind,
) -> Result<(Dataset, usize)> {
    let stages = Stages::fit(&split.train, params)?;
    let relevant = split.relevant_items();
    let users = split.test_users();
    let per_user: Vec<(Array2<f64>, Vec<usize>, u32)> = users
        .par_iter()
        .map(|&user| -> Result<_> {
            let view = stages.user_view(user, true)?;
            let features = stages.features(user, &view, &view.candidates)?;
            let held_out = &relevant[user as usize];
            let labels = view
                .candidates
                .iter()
                .map(|item| usize::from(held_out.binary_search(item).is_ok()))
                .collect();
            Ok((features, labels, user))
        })
        .collect::<Result<_>>()?;
    let views: Vec<_> = per_user.iter().map(|(f, _, _)| f.view()).collect();
    let features = ndarray::concatenate(Axis(0), &views)
        .map_err(|e| Error::InvalidInput(format!("candidate feature blocks do not stack: {e}")))?;
    let labels: Vec<usize> = per_user
        .iter()
        .flat_map(|(_, l, _)| l.iter().copied())
        .collect();
    let groups: Vec<String> = per_user
        .iter()
        .flat_map(|(_, l, u)| {
            std::iter::repeat_n(split.train.user_ids()[*u as usize].clone(), l.len())
        })
        .collect();
    let positives = labels.iter().sum();
    if positives == 0 {
        return Err(Error::InvalidInput(
            "no held-out interaction is among the candidates, so the reranker has nothing to learn; \
             raise candidates_per_source or label_fraction"
                .into(),
        ));
    }
    let target = match problem {
        ProblemKind::Classification => Target::Classes {
            labels,
            class_names: RELEVANCE_CLASSES.iter().map(|c| c.to_string()).collect(),
        },
        _ => Target::Continuous(labels.iter().map(|&l| l as f64).collect()),
    };
    let data = Dataset::builder(features)
        .feature_names(CANDIDATE_FEATURES)
        .target(target)
        .target_name("relevant")
        .groups(groups)
        .build()?;
    Ok((data, positives))
}

impl Recommender for MultiStage {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn params(&self) -> serde_json::Value {
        let mut params = serde_json::to_value(&self.params).unwrap_or(serde_json::Value::Null);
        if let (Some(map), Some(learner)) = (params.as_object_mut(), &self.learner) {
            map.insert(
                "reranker".into(),
                serde_json::json!({ "name": learner.name(), "params": learner.params() }),
            );
        }
        params
    }

    fn fit(&mut self, interactions: &Interactions) -> specweave_core::Result<()> {
        let learner = self.learner.clone().ok_or_else(|| {
            Error::InvalidInput(
                "this multi-stage recommender was loaded without a learner; attach one with with_learner before fitting"
                    .into(),
            )
        })?;
        if interactions.is_empty() {
            return Err(Error::EmptyInteractions { model: Self::NAME }.into());
        }
        let split = protocol::temporal_split(interactions, self.params.get_label_fraction())?;
        let (data, positives) = training_set(&split, &self.params, learner.problem())?;
        tracing::debug!(
            rows = data.n_rows(),
            positives,
            "reranker training set built"
        );
        let ranker = learner.fit(&data)?;
        let stages = Stages::fit(interactions, &self.params)?;
        self.fitted = Some(Fitted {
            stages,
            ranker,
            training_rows: data.n_rows(),
            training_positives: positives,
        });
        Ok(())
    }

    fn recommend(
        &self,
        user: u32,
        k: usize,
        exclude_seen: bool,
    ) -> specweave_core::Result<Vec<(u32, f64)>> {
        let (candidates, features) = self.candidate_features(user, exclude_seen)?;
        let scores = self.rank_scores(features)?;
        Ok(topk::top_k_of(
            candidates
                .into_iter()
                .zip(scores)
                .filter(|(_, s)| s.is_finite()),
            k,
        ))
    }

    fn score(&self, user: u32, items: &[u32]) -> specweave_core::Result<Vec<f64>> {
        let stages = &self.state()?.stages;
        let view = stages.user_view(user, true)?;
        let features = stages.features(user, &view, items)?;
        Ok(self.rank_scores(features)?)
    }

    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        let state = self.state()?;
        let saved = Saved {
            params: self.params.clone(),
            learner: self.learner.as_ref().map(|l| l.name().to_owned()),
            stages: state.stages.clone(),
            ranker: state.ranker.to_bytes()?,
            training_rows: state.training_rows,
            training_positives: state.training_positives,
        };
        persist::encode(Self::NAME, Recommender::params(self), &saved)
    }
}

impl ExplainRecommendation for MultiStage {
    /// The ranking model's score does not decompose over history items, so the contributions
    /// are those of the item-kNN stage: the history items whose neighbour similarity to
    /// `item` fed its `knn_score` feature. `score` is the ranking model's score.
    fn explain(
        &self,
        user: u32,
        item: u32,
        top_n: usize,
    ) -> specweave_core::Result<ItemExplanation> {
        let mut explanation = self.state()?.stages.knn().explain(user, item, top_n)?;
        explanation.score = self
            .score(user, &[item])?
            .into_iter()
            .next()
            .ok_or_else(|| Error::InvalidInput(format!("no score for item {item}")))?;
        Ok(explanation)
    }
}
