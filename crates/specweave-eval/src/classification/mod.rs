//! Classification metrics, binary and multiclass, with optional sample weights.
//!
//! Definitions follow scikit-learn 1.9: see each function. Binary labels are `0.0`/`1.0`
//! floats next to a score per row (probability of class 1 or any monotone score);
//! multiclass labels are class indices next to a rows × classes probability matrix.

mod labels;
mod probabilistic;
mod ranked;

pub use labels::{Average, ClassReport, ConfusionMatrix, binary_labels, threshold_labels};
pub use probabilistic::{
    OvrAverage, brier, brier_multiclass, log_loss, log_loss_multiclass, roc_auc_ovr,
};
pub(crate) use ranked::check_binary;
pub use ranked::{
    BinaryCurve, CalibrationCurve, LiftPoint, PrecisionRecallCurve, RocCurve, average_precision,
    binary_curve, calibration_curve, lift_curve, pr_auc, precision_recall_curve, roc_auc,
    roc_curve,
};
pub(crate) use ranked::{average_precision_unchecked, pr_auc_unchecked, roc_auc_unchecked};
