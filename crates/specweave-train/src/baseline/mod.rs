//! Baselines every increment starts with: dummy classifiers and regressors in the manner of
//! scikit-learn's `DummyClassifier`/`DummyRegressor`, and rule-based classifiers.

mod dummy;
mod rule;

pub use dummy::{
    ClassifierStrategy, DummyClassifier, DummyClassifierModel, DummyClassifierParams,
    DummyRegressor, DummyRegressorModel, DummyRegressorParams, RegressorStrategy,
};
pub use rule::{RuleClassifier, RuleFn, ThresholdRule, ThresholdRuleModel, ThresholdRuleParams};
