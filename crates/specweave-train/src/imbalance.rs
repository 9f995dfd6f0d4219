//! Imbalanced classification: class weights, random under- and over-sampling, and decision
//! thresholds tuned on out-of-fold predictions (never on the test set) and stored with the
//! model.

use crate::common::class_target;
use crate::cv::CrossValidation;
use crate::error::{Result, TrainError};
use crate::registry::load_model;
use ndarray::{Array1, ArrayView2};
use rand::RngExt;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use specweave_core::{
    Dataset, Learner, Model, ModelFile, ModelInfo, PayloadEncoding, Predictions, ProblemKind,
    Splitter, TreeModel,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Per-class weights multiplied into the sample weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "weights")]
pub enum ClassWeight {
    /// `n_rows / (n_classes × class_count)`, as scikit-learn's `"balanced"`.
    Balanced,
    /// A weight per class name; classes not listed keep weight 1.
    Custom(BTreeMap<String, f64>),
}

/// The dataset with its sample weights multiplied by class weights.
///
/// ```
/// use ndarray::array;
/// use specweave_core::{Dataset, Target};
/// use specweave_train::{ClassWeight, with_class_weights};
///
/// let data = Dataset::builder(array![[0.0], [1.0], [2.0], [3.0]])
///     .target(Target::Classes { labels: vec![0, 0, 0, 1], class_names: vec!["a".into(), "b".into()] })
///     .build()?;
/// let weighted = with_class_weights(&data, &ClassWeight::Balanced)?;
/// assert_eq!(weighted.weights().unwrap().to_vec(), vec![4.0 / 6.0, 4.0 / 6.0, 4.0 / 6.0, 2.0]);
/// # Ok::<(), specweave_train::TrainError>(())
/// ```
pub fn with_class_weights(data: &Dataset, class_weight: &ClassWeight) -> Result<Dataset> {
    let (labels, class_names) = class_target("class weights", data)?;
    let k = class_names.len();
    let per_class: Vec<f64> = match class_weight {
        ClassWeight::Balanced => {
            let mut counts = vec![0usize; k];
            labels.iter().for_each(|&l| counts[l] += 1);
            counts
                .iter()
                .map(|&c| {
                    if c == 0 {
                        0.0
                    } else {
                        labels.len() as f64 / (k as f64 * c as f64)
                    }
                })
                .collect()
        }
        ClassWeight::Custom(map) => {
            for (name, &w) in map {
                if !class_names.contains(name) {
                    return Err(TrainError::param(
                        "class weights",
                        name,
                        format!("is not a class; classes: {}", class_names.join(", ")),
                    ));
                }
                crate::common::check_non_negative("class weights", name, w)?;
            }
            class_names
                .iter()
                .map(|c| map.get(c).copied().unwrap_or(1.0))
                .collect()
        }
    };
    let base = crate::common::weights_or_ones(data);
    let weights: Array1<f64> = labels
        .iter()
        .zip(base)
        .map(|(&l, w)| w * per_class[l])
        .collect();
    rebuild_with_weights(data, weights)
}

fn rebuild_with_weights(data: &Dataset, weights: Array1<f64>) -> Result<Dataset> {
    let mut builder = Dataset::builder(data.features().to_owned())
        .feature_names(data.feature_names().iter().cloned())
        .feature_kinds(data.feature_kinds().to_vec())
        .target(data.target().clone())
        .weights(weights);
    if let Some(name) = data.target_name() {
        builder = builder.target_name(name);
    }
    if let Some(groups) = data.groups() {
        builder = builder.groups(groups.to_vec());
    }
    if let Some(timestamps) = data.timestamps() {
        builder = builder.timestamps(timestamps.to_vec());
    }
    Ok(builder.build()?)
}

/// Random resampling of classes (rows are drawn, never synthesised).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Resampling {
    /// Drop rows of larger classes, without replacement, until each has at most
    /// `smallest / ratio` rows (`ratio = 1` balances the classes).
    RandomUnder {
        /// Target ratio of the smallest class to each other class, in (0, 1].
        ratio: f64,
    },
    /// Repeat rows of smaller classes, with replacement, until each has at least
    /// `ratio × largest` rows.
    RandomOver {
        /// Target ratio of each class to the largest, in (0, 1].
        ratio: f64,
    },
}

/// Resamples a classification dataset, deterministically under `seed`. Apply it to training
/// folds only; validation and test rows must keep the real class balance.
///
/// ```
/// use ndarray::Array2;
/// use specweave_core::{Dataset, Target};
/// use specweave_train::{Resampling, resample};
///
/// let labels: Vec<usize> = (0..100).map(|i| usize::from(i < 10)).collect();
/// let data = Dataset::builder(Array2::zeros((100, 1)))
///     .target(Target::Classes { labels, class_names: vec!["ok".into(), "fraud".into()] })
///     .build()?;
/// let balanced = resample(&data, Resampling::RandomUnder { ratio: 1.0 }, 7)?;
/// assert_eq!(balanced.n_rows(), 20);
/// # Ok::<(), specweave_train::TrainError>(())
/// ```
pub fn resample(data: &Dataset, resampling: Resampling, seed: u64) -> Result<Dataset> {
    let (labels, class_names) = class_target("resampling", data)?;
    let ratio = match resampling {
        Resampling::RandomUnder { ratio } | Resampling::RandomOver { ratio } => ratio,
    };
    crate::common::check_fraction("resampling", "ratio", ratio)?;
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); class_names.len()];
    labels
        .iter()
        .enumerate()
        .for_each(|(row, &l)| by_class[l].push(row));
    let present: Vec<usize> = by_class.iter().map(Vec::len).filter(|&c| c > 0).collect();
    let smallest = present.iter().copied().min().unwrap_or(0);
    let largest = present.iter().copied().max().unwrap_or(0);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut rows = Vec::new();
    for members in &mut by_class {
        match resampling {
            Resampling::RandomUnder { .. } => {
                let keep = ((smallest as f64 / ratio).ceil() as usize).min(members.len());
                members.shuffle(&mut rng);
                rows.extend_from_slice(&members[..keep]);
            }
            Resampling::RandomOver { .. } => {
                rows.extend_from_slice(members);
                let want = (ratio * largest as f64).ceil() as usize;
                if !members.is_empty() {
                    for _ in members.len()..want {
                        rows.push(members[rng.random_range(0..members.len())]);
                    }
                }
            }
        }
    }
    rows.sort_unstable();
    Ok(data.select_rows(&rows)?)
}

/// What a tuned decision threshold optimises (binary classification, class 1 positive).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum ThresholdObjective {
    /// The highest recall whose precision is at least this (e.g. `0.99`).
    MinPrecision(f64),
    /// The largest F-beta (β = 1 is F1).
    MaxFBeta(f64),
}

/// A chosen threshold and what it achieved on the rows it was tuned on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ThresholdChoice {
    /// Predict class 1 when its probability is at least this.
    pub threshold: f64,
    /// Precision at the threshold.
    pub precision: f64,
    /// Recall at the threshold.
    pub recall: f64,
    /// F1 at the threshold.
    pub f1: f64,
}

/// Chooses a threshold on scores (probabilities of class 1) against true labels.
///
/// Candidate thresholds are the distinct scores; a row is positive when its score is at
/// least the threshold.
///
/// ```
/// use specweave_train::{ThresholdObjective, choose_threshold};
///
/// let labels = [0, 0, 1, 0, 1, 1];
/// let scores = [0.1, 0.4, 0.35, 0.8, 0.7, 0.9];
/// let choice = choose_threshold(&labels, &scores, ThresholdObjective::MinPrecision(1.0))?;
/// assert_eq!(choice.threshold, 0.9);
/// let f1 = choose_threshold(&labels, &scores, ThresholdObjective::MaxFBeta(1.0))?;
/// assert_eq!(f1.threshold, 0.35);
/// # Ok::<(), specweave_train::TrainError>(())
/// ```
pub fn choose_threshold(
    labels: &[usize],
    scores: &[f64],
    objective: ThresholdObjective,
) -> Result<ThresholdChoice> {
    let name = "threshold tuning";
    if labels.len() != scores.len() {
        return Err(
            specweave_core::Error::shape("labels vs scores", labels.len(), scores.len()).into(),
        );
    }
    if let Some((row, &s)) = scores.iter().enumerate().find(|(_, s)| !s.is_finite()) {
        return Err(specweave_core::Error::NonFinite {
            what: "scores".into(),
            row,
            value: s,
        }
        .into());
    }
    let positives = labels.iter().filter(|&&l| l == 1).count() as f64;
    if positives == 0.0 {
        return Err(TrainError::data(
            name,
            "no positive rows (class 1) to tune a threshold on",
        ));
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut best: Option<(f64, ThresholdChoice)> = None;
    let mut best_precision = 0.0f64;
    let mut i = 0;
    while i < order.len() {
        let threshold = scores[order[i]];
        while i < order.len() && scores[order[i]] == threshold {
            if labels[order[i]] == 1 {
                tp += 1.0
            } else {
                fp += 1.0
            }
            i += 1;
        }
        let precision = tp / (tp + fp);
        let recall = tp / positives;
        let f1 = if tp > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        best_precision = best_precision.max(precision);
        let score = match objective {
            ThresholdObjective::MinPrecision(target) => {
                if precision + 1e-12 < target {
                    continue;
                }
                recall
            }
            ThresholdObjective::MaxFBeta(beta) => {
                let b2 = beta * beta;
                if tp > 0.0 {
                    (1.0 + b2) * precision * recall / (b2 * precision + recall)
                } else {
                    0.0
                }
            }
        };
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((
                score,
                ThresholdChoice {
                    threshold,
                    precision,
                    recall,
                    f1,
                },
            ));
        }
    }
    best.map(|(_, c)| c).ok_or_else(|| {
        TrainError::data(name, format!("no threshold reaches the precision target; the best precision is {best_precision:.4}"))
    })
}

/// A classifier fitted on class-weighted rows, as scikit-learn's `class_weight=`: the sample
/// weights are multiplied by [`ClassWeight`] before `inner` fits, so a rare class counts as
/// much as a common one. The fitted model is `inner`'s own; weights matter only in fitting.
///
/// In [`crate::learner_from_params`], a `class_weight` parameter (`"balanced"` or a map of
/// class name to weight) wraps any learner that honours sample weights.
///
/// ```
/// use specweave_core::Learner;
/// use specweave_train::{ClassWeight, ClassWeighted, learner_from_params};
///
/// let learner = learner_from_params(
///     "gradient_boosting",
///     &serde_json::json!({"n_estimators": 20, "class_weight": "balanced"}),
/// )?;
/// assert_eq!(learner.params()["class_weight"], "balanced");
/// # let _ = ClassWeighted::new(std::sync::Arc::from(learner), ClassWeight::Balanced);
/// # Ok::<(), specweave_train::TrainError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClassWeighted {
    inner: Arc<dyn Learner>,
    class_weight: ClassWeight,
}

impl ClassWeighted {
    /// `inner` fitted with `class_weight`.
    pub fn new(inner: Arc<dyn Learner>, class_weight: ClassWeight) -> Self {
        ClassWeighted {
            inner,
            class_weight,
        }
    }

    /// Reads the `class_weight` parameter: `"balanced"`, or an object of class name to
    /// weight; `null` means no weighting.
    pub fn parse(value: &serde_json::Value) -> Result<Option<ClassWeight>> {
        match value {
            serde_json::Value::Null => Ok(None),
            serde_json::Value::String(s) if s == "balanced" => Ok(Some(ClassWeight::Balanced)),
            serde_json::Value::Object(map) => map
                .iter()
                .map(|(class, weight)| {
                    weight.as_f64().map(|w| (class.clone(), w)).ok_or_else(|| {
                        TrainError::param(
                            "class_weight",
                            class,
                            format!("must be a number, got {weight}"),
                        )
                    })
                })
                .collect::<Result<BTreeMap<_, _>>>()
                .map(|weights| Some(ClassWeight::Custom(weights))),
            other => Err(TrainError::param(
                "class_weight",
                "class_weight",
                format!("must be \"balanced\" or an object of class name to weight, got {other}"),
            )),
        }
    }

    /// `class_weight` as the parameter value [`ClassWeighted::parse`] reads.
    pub fn param(class_weight: &ClassWeight) -> serde_json::Value {
        match class_weight {
            ClassWeight::Balanced => serde_json::Value::from("balanced"),
            ClassWeight::Custom(weights) => serde_json::json!(weights),
        }
    }
}

impl Learner for ClassWeighted {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn problem(&self) -> ProblemKind {
        ProblemKind::Classification
    }
    fn params(&self) -> serde_json::Value {
        let mut params = self.inner.params();
        if let Some(map) = params.as_object_mut() {
            map.insert(
                "class_weight".into(),
                ClassWeighted::param(&self.class_weight),
            );
        }
        params
    }
    fn fit(&self, data: &Dataset) -> specweave_core::Result<Box<dyn Model>> {
        self.inner
            .fit(&with_class_weights(data, &self.class_weight)?)
    }
    fn with_metric_sink(
        &self,
        sink: Arc<dyn specweave_core::MetricSink>,
    ) -> Option<Box<dyn Learner>> {
        let inner = self.inner.with_metric_sink(sink)?;
        Some(Box::new(ClassWeighted::new(
            Arc::from(inner),
            self.class_weight.clone(),
        )))
    }
}

/// A learner that tunes its decision threshold on out-of-fold predictions of `inner`, then
/// fits `inner` on all rows and stores the threshold with the model.
#[derive(Debug, Clone)]
pub struct ThresholdTuned {
    inner: Arc<dyn Learner>,
    splitter: Arc<dyn Splitter>,
    objective: ThresholdObjective,
}

impl ThresholdTuned {
    /// Tunes `inner`'s threshold with folds from `splitter`.
    pub fn new(
        inner: Arc<dyn Learner>,
        splitter: Arc<dyn Splitter>,
        objective: ThresholdObjective,
    ) -> Self {
        ThresholdTuned {
            inner,
            splitter,
            objective,
        }
    }

    /// Fits and returns the concrete model.
    pub fn fit_thresholded(&self, data: &Dataset) -> Result<ThresholdedModel> {
        let (labels, class_names) = class_target(ThresholdedModel::NAME, data)?;
        if class_names.len() != 2 {
            return Err(TrainError::data(
                ThresholdedModel::NAME,
                "threshold tuning is for binary classification",
            ));
        }
        let cv = CrossValidation::new(Vec::new()).progress(false).run(
            self.inner.as_ref(),
            data,
            self.splitter.as_ref(),
        )?;
        let scores = cv.oof_predictions.scores()?;
        let oof_labels: Vec<usize> = cv.oof_rows.iter().map(|&r| labels[r]).collect();
        let choice = choose_threshold(
            &oof_labels,
            scores.as_slice().unwrap_or(&scores.to_vec()),
            self.objective,
        )?;
        let inner = self.inner.fit(data)?;
        Ok(ThresholdedModel {
            inner,
            choice,
            objective: self.objective,
        })
    }
}

impl Learner for ThresholdTuned {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn problem(&self) -> ProblemKind {
        ProblemKind::Classification
    }
    fn params(&self) -> serde_json::Value {
        let mut params = self.inner.params();
        if let Some(map) = params.as_object_mut() {
            map.insert(
                "threshold_objective".into(),
                serde_json::to_value(self.objective).unwrap_or_default(),
            );
        }
        params
    }
    fn fit(&self, data: &Dataset) -> specweave_core::Result<Box<dyn Model>> {
        Ok(Box::new(self.fit_thresholded(data)?))
    }
}

/// A binary classifier with a tuned decision threshold. Probabilities are the inner model's;
/// [`ThresholdedModel::predict_labels`] applies the threshold.
#[derive(Debug)]
pub struct ThresholdedModel {
    inner: Box<dyn Model>,
    choice: ThresholdChoice,
    objective: ThresholdObjective,
}

#[derive(Serialize, Deserialize)]
struct ThresholdMeta {
    choice: ThresholdChoice,
    objective: ThresholdObjective,
}

impl ThresholdedModel {
    /// Registered name of the wrapper in model files.
    pub const NAME: &'static str = "thresholded";

    /// The chosen threshold and its out-of-fold precision and recall.
    pub fn choice(&self) -> ThresholdChoice {
        self.choice
    }

    /// The wrapped model.
    pub fn inner(&self) -> &dyn Model {
        self.inner.as_ref()
    }

    /// Labels: class 1 when its probability reaches the threshold.
    pub fn predict_labels(&self, features: ArrayView2<'_, f64>) -> Result<Vec<usize>> {
        let scores = self.inner.predict(features)?.scores()?;
        Ok(scores
            .iter()
            .map(|&s| usize::from(s >= self.choice.threshold))
            .collect())
    }

    pub(crate) fn from_file(file: &ModelFile) -> Result<ThresholdedModel> {
        let payload = &file.payload;
        let corrupt =
            || specweave_core::Error::ModelFile("thresholded payload is malformed".into());
        let meta_len = payload.get(..8).ok_or_else(corrupt)?;
        let meta_len = u64::from_le_bytes(meta_len.try_into().map_err(|_| corrupt())?) as usize;
        let meta_bytes = payload
            .get(8..8usize.saturating_add(meta_len))
            .ok_or_else(corrupt)?;
        let meta: ThresholdMeta = serde_json::from_slice(meta_bytes).map_err(|_| corrupt())?;
        let inner = load_model(&payload[8 + meta_len..])?;
        Ok(ThresholdedModel {
            inner,
            choice: meta.choice,
            objective: meta.objective,
        })
    }
}

impl Model for ThresholdedModel {
    fn info(&self) -> ModelInfo {
        let mut info = self.inner.info();
        if let Some(map) = info.params.as_object_mut() {
            map.insert("decision_threshold".into(), self.choice.threshold.into());
            map.insert(
                "threshold_objective".into(),
                serde_json::to_value(self.objective).unwrap_or_default(),
            );
            map.insert("inner_algorithm".into(), info.algorithm.clone().into());
        }
        info.algorithm = Self::NAME.into();
        info
    }
    fn predict(&self, features: ArrayView2<'_, f64>) -> specweave_core::Result<Predictions> {
        self.inner.predict(features)
    }
    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        let meta = serde_json::to_vec(&ThresholdMeta {
            choice: self.choice,
            objective: self.objective,
        })?;
        let inner = self.inner.to_bytes()?;
        let mut payload = Vec::with_capacity(8 + meta.len() + inner.len());
        payload.extend_from_slice(&(meta.len() as u64).to_le_bytes());
        payload.extend_from_slice(&meta);
        payload.extend_from_slice(&inner);
        Ok(ModelFile::new(self.info(), PayloadEncoding::Binary, payload).encode())
    }
    fn as_tree_model(&self) -> Option<&dyn TreeModel> {
        self.inner.as_tree_model()
    }
}
