//! Rule-based binary classifiers: a saveable threshold on one feature, and a user closure.

use crate::common::{
    FRAMEWORK, check_columns, class_target, encode_model, model_info, require_rows,
};
use crate::error::{Result, TrainError};
use ndarray::{Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};
use specweave_core::{Dataset, Learner, Model, ModelInfo, Predictions, ProblemKind};
use std::sync::Arc;

/// Hyperparameters of [`ThresholdRule`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdRuleParams {
    /// Name of the feature the rule reads.
    pub feature: String,
    /// Rows with `feature >= threshold` are predicted as class 1 (or `<` with `below`).
    pub threshold: f64,
    /// Predict class 1 below the threshold instead of at or above it.
    #[serde(default)]
    pub below: bool,
}

/// "Class 1 when feature ≥ threshold": a domain rule as a baseline, saveable like any model.
///
/// Missing feature values predict class 0.
///
/// ```
/// use ndarray::array;
/// use specweave_core::{Dataset, Learner, Target};
/// use specweave_train::ThresholdRule;
///
/// let data = Dataset::builder(array![[10.0], [500.0]])
///     .feature_names(["amount"])
///     .target(Target::Classes { labels: vec![0, 1], class_names: vec!["ok".into(), "fraud".into()] })
///     .build()?;
/// let model = ThresholdRule::new("amount", 100.0).fit(&data)?;
/// assert_eq!(model.predict(data.features())?.labels(), Some(vec![0, 1]));
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ThresholdRule {
    params: ThresholdRuleParams,
}

impl ThresholdRule {
    /// Registered name.
    pub const NAME: &'static str = "threshold_rule";

    /// Class 1 when `feature >= threshold`.
    pub fn new(feature: impl Into<String>, threshold: f64) -> Self {
        ThresholdRule {
            params: ThresholdRuleParams {
                feature: feature.into(),
                threshold,
                below: false,
            },
        }
    }

    /// From parameters, validated.
    pub fn from_params(params: ThresholdRuleParams) -> Result<Self> {
        if params.threshold.is_nan() {
            return Err(TrainError::param(
                Self::NAME,
                "threshold",
                "must not be NaN",
            ));
        }
        Ok(ThresholdRule { params })
    }

    /// Predict class 1 below the threshold instead.
    pub fn below(mut self, below: bool) -> Self {
        self.params.below = below;
        self
    }
}

impl Learner for ThresholdRule {
    fn name(&self) -> &str {
        Self::NAME
    }
    fn problem(&self) -> ProblemKind {
        ProblemKind::Classification
    }
    fn params(&self) -> serde_json::Value {
        serde_json::to_value(&self.params).unwrap_or_default()
    }
    fn fit(&self, data: &Dataset) -> specweave_core::Result<Box<dyn Model>> {
        let (_, class_names) = class_target(Self::NAME, data)?;
        if class_names.len() != 2 {
            return Err(TrainError::data(
                Self::NAME,
                format!(
                    "a threshold rule is binary; the target has {} classes",
                    class_names.len()
                ),
            )
            .into());
        }
        let column = data
            .feature_names()
            .iter()
            .position(|n| n == &self.params.feature)
            .ok_or_else(|| {
                TrainError::param(
                    Self::NAME,
                    "feature",
                    format!(
                        "`{}` is not a column; columns: {}",
                        self.params.feature,
                        data.feature_names().join(", ")
                    ),
                )
            })?;
        Ok(Box::new(ThresholdRuleModel {
            params: self.params.clone(),
            column,
            feature_names: data.feature_names().to_vec(),
            class_names: class_names.to_vec(),
        }))
    }
}

/// A fitted [`ThresholdRule`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdRuleModel {
    params: ThresholdRuleParams,
    column: usize,
    feature_names: Vec<String>,
    class_names: Vec<String>,
}

impl Model for ThresholdRuleModel {
    fn info(&self) -> ModelInfo {
        model_info(
            ThresholdRule::NAME,
            ProblemKind::Classification,
            serde_json::to_value(&self.params).unwrap_or_default(),
            &self.feature_names,
            &self.class_names,
            FRAMEWORK,
        )
    }
    fn predict(&self, features: ArrayView2<'_, f64>) -> specweave_core::Result<Predictions> {
        check_columns(features, self.feature_names.len())?;
        let mut probabilities = Array2::zeros((features.nrows(), 2));
        for (r, x) in features.column(self.column).iter().enumerate() {
            let positive = if self.params.below {
                *x < self.params.threshold
            } else {
                *x >= self.params.threshold
            };
            probabilities[[r, usize::from(positive)]] = 1.0;
        }
        Ok(Predictions::Probabilities {
            probabilities,
            class_names: self.class_names.clone(),
        })
    }
    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        encode_model(self.info(), self)
    }
}

/// A user rule: maps one row to the probability of class 1.
pub type RuleFn = Arc<dyn Fn(ArrayView1<'_, f64>) -> f64 + Send + Sync>;

/// A binary classifier from a user closure, for rules that a threshold cannot express.
///
/// A closure is code, and model files never hold code, so its model cannot be saved:
/// `to_bytes` fails with an error saying so. Use [`ThresholdRule`] for a saveable rule.
///
/// ```
/// use std::sync::Arc;
/// use ndarray::array;
/// use specweave_core::{Dataset, Learner, Target};
/// use specweave_train::RuleClassifier;
///
/// let data = Dataset::builder(array![[1.0, 5.0], [4.0, 1.0]])
///     .target(Target::Classes { labels: vec![1, 0], class_names: vec!["no".into(), "yes".into()] })
///     .build()?;
/// let rule = RuleClassifier::new("second_exceeds_first", Arc::new(|row| f64::from(u8::from(row[1] > row[0]))));
/// let model = rule.fit(&data)?;
/// assert_eq!(model.predict(data.features())?.labels(), Some(vec![1, 0]));
/// assert!(model.to_bytes().is_err());
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Clone)]
pub struct RuleClassifier {
    rule_name: String,
    rule: RuleFn,
}

impl std::fmt::Debug for RuleClassifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleClassifier")
            .field("rule_name", &self.rule_name)
            .finish()
    }
}

impl RuleClassifier {
    /// Registered name (the model cannot be loaded, but it is named in reports).
    pub const NAME: &'static str = "rule";

    /// A rule named `rule_name` (shown in params) computing the probability of class 1.
    pub fn new(rule_name: impl Into<String>, rule: RuleFn) -> Self {
        RuleClassifier {
            rule_name: rule_name.into(),
            rule,
        }
    }
}

impl Learner for RuleClassifier {
    fn name(&self) -> &str {
        Self::NAME
    }
    fn problem(&self) -> ProblemKind {
        ProblemKind::Classification
    }
    fn params(&self) -> serde_json::Value {
        serde_json::json!({ "rule": self.rule_name })
    }
    fn fit(&self, data: &Dataset) -> specweave_core::Result<Box<dyn Model>> {
        require_rows(Self::NAME, data)?;
        let (_, class_names) = class_target(Self::NAME, data)?;
        if class_names.len() != 2 {
            return Err(TrainError::data(Self::NAME, "a rule classifier is binary").into());
        }
        Ok(Box::new(RuleModel {
            rule: self.clone(),
            feature_names: data.feature_names().to_vec(),
            class_names: class_names.to_vec(),
        }))
    }
}

/// A fitted [`RuleClassifier`]; cannot be saved.
#[derive(Debug)]
struct RuleModel {
    rule: RuleClassifier,
    feature_names: Vec<String>,
    class_names: Vec<String>,
}

impl Model for RuleModel {
    fn info(&self) -> ModelInfo {
        model_info(
            RuleClassifier::NAME,
            ProblemKind::Classification,
            self.rule.params(),
            &self.feature_names,
            &self.class_names,
            "user closure",
        )
    }
    fn predict(&self, features: ArrayView2<'_, f64>) -> specweave_core::Result<Predictions> {
        check_columns(features, self.feature_names.len())?;
        let mut probabilities = Array2::zeros((features.nrows(), 2));
        for (r, row) in features.rows().into_iter().enumerate() {
            let p = (self.rule.rule)(row);
            if !(0.0..=1.0).contains(&p) {
                return Err(TrainError::data(
                    format!("rule `{}`", self.rule.rule_name),
                    format!("returned {p} for row {r}; a rule must return a probability in [0, 1]"),
                )
                .into());
            }
            probabilities[[r, 0]] = 1.0 - p;
            probabilities[[r, 1]] = p;
        }
        Ok(Predictions::Probabilities {
            probabilities,
            class_names: self.class_names.clone(),
        })
    }
    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        Err(specweave_core::Error::model(
            format!("rule `{}`", self.rule.rule_name),
            "a closure-based rule cannot be saved (model files hold data, never code); use `threshold_rule` for a saveable rule",
        ))
    }
}
