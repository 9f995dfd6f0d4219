//! Hyperparameters of the multilayer perceptrons, validated before any training starts.

use super::DeviceChoice;
use serde::{Deserialize, Serialize};
use specweave_core::{Error, Result};

/// The non-linearity between hidden layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// `max(0, x)`.
    #[default]
    Relu,
    /// Hyperbolic tangent.
    Tanh,
    /// Gaussian error linear unit (exact form).
    Gelu,
    /// Logistic sigmoid.
    Sigmoid,
}

/// The optimizer that updates the weights.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OptimizerKind {
    /// Adam with L2 weight decay added to the gradient (0 disables it).
    Adam {
        /// L2 penalty.
        weight_decay: f64,
    },
    /// AdamW with decoupled weight decay.
    AdamW {
        /// Decoupled weight decay.
        weight_decay: f64,
    },
}

impl Default for OptimizerKind {
    fn default() -> Self {
        OptimizerKind::Adam { weight_decay: 0.0 }
    }
}

/// How the learning rate changes from epoch to epoch.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LrSchedule {
    /// The same rate every epoch.
    #[default]
    Constant,
    /// Multiply the rate by `gamma` every `step_epochs` epochs.
    Step {
        /// Epochs between decays (at least 1).
        step_epochs: usize,
        /// Decay factor in (0, 1].
        gamma: f64,
    },
    /// Cosine annealing from the initial rate to `min_lr` over all epochs.
    Cosine {
        /// The final learning rate.
        min_lr: f64,
    },
}

impl LrSchedule {
    /// The learning rate of `epoch` (0-based) out of `epochs`.
    pub fn rate(&self, initial: f64, epoch: usize, epochs: usize) -> f64 {
        match *self {
            LrSchedule::Constant => initial,
            LrSchedule::Step { step_epochs, gamma } => {
                initial * gamma.powi((epoch / step_epochs.max(1)) as i32)
            }
            LrSchedule::Cosine { min_lr } => {
                let progress = epoch as f64 / epochs.saturating_sub(1).max(1) as f64;
                min_lr + 0.5 * (initial - min_lr) * (1.0 + (std::f64::consts::PI * progress).cos())
            }
        }
    }
}

/// Early stopping on a held-out validation split of the training data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EarlyStopping {
    /// Fraction of the rows held out for validation, in (0, 0.5].
    pub validation_fraction: f64,
    /// Epochs without improvement of the validation loss before stopping (at least 1).
    pub patience: usize,
    /// Smallest decrease of the validation loss that counts as an improvement.
    pub min_delta: f64,
}

impl Default for EarlyStopping {
    fn default() -> Self {
        EarlyStopping {
            validation_fraction: 0.1,
            patience: 10,
            min_delta: 1e-4,
        }
    }
}

/// Everything that defines how an MLP is built and trained.
///
/// Defaults follow scikit-learn's `MLPClassifier` where it has an equivalent (one hidden layer
/// of 100 units, ReLU, Adam with learning rate 1e-3, mini-batches of 200 rows, 200 epochs).
///
/// ```
/// use specweave_train::neural::{Activation, MlpParams};
///
/// let params = MlpParams::default()
///     .hidden_layers(vec![32, 16])
///     .activation(Activation::Tanh)
///     .epochs(20)
///     .seed(7);
/// assert!(params.validate().is_ok());
/// assert!(MlpParams::default().dropout(1.5).validate().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MlpParams {
    /// Width of each hidden layer, input side first (empty: a linear model).
    pub hidden_layers: Vec<usize>,
    /// Non-linearity between layers.
    pub activation: Activation,
    /// Dropout probability after each hidden layer while training, in [0, 1).
    pub dropout: f64,
    /// Optimizer.
    pub optimizer: OptimizerKind,
    /// Initial learning rate.
    pub learning_rate: f64,
    /// Learning-rate schedule over epochs.
    pub lr_schedule: LrSchedule,
    /// Rows per mini-batch.
    pub batch_size: usize,
    /// Maximum number of passes over the training rows.
    pub epochs: usize,
    /// Early stopping on a validation split; `None` trains all epochs on all rows.
    pub early_stopping: Option<EarlyStopping>,
    /// Per-class loss weights for classifiers (`None`: all 1; must match the class count).
    pub class_weights: Option<Vec<f64>>,
    /// Seed for weight initialisation, shuffling, the validation split and dropout.
    pub seed: u64,
    /// Device to train on; `None` reads `SPECWEAVE_DEVICE`.
    pub device: Option<DeviceChoice>,
}

impl Default for MlpParams {
    fn default() -> Self {
        MlpParams {
            hidden_layers: vec![100],
            activation: Activation::Relu,
            dropout: 0.0,
            optimizer: OptimizerKind::default(),
            learning_rate: 1e-3,
            lr_schedule: LrSchedule::Constant,
            batch_size: 200,
            epochs: 200,
            early_stopping: None,
            class_weights: None,
            seed: 0,
            device: None,
        }
    }
}

impl MlpParams {
    /// Sets the hidden layer widths.
    pub fn hidden_layers(mut self, widths: Vec<usize>) -> Self {
        self.hidden_layers = widths;
        self
    }

    /// Sets the activation.
    pub fn activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// Sets the dropout probability.
    pub fn dropout(mut self, p: f64) -> Self {
        self.dropout = p;
        self
    }

    /// Sets the optimizer.
    pub fn optimizer(mut self, optimizer: OptimizerKind) -> Self {
        self.optimizer = optimizer;
        self
    }

    /// Sets the initial learning rate.
    pub fn learning_rate(mut self, rate: f64) -> Self {
        self.learning_rate = rate;
        self
    }

    /// Sets the learning-rate schedule.
    pub fn lr_schedule(mut self, schedule: LrSchedule) -> Self {
        self.lr_schedule = schedule;
        self
    }

    /// Sets the mini-batch size.
    pub fn batch_size(mut self, rows: usize) -> Self {
        self.batch_size = rows;
        self
    }

    /// Sets the maximum number of epochs.
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    /// Enables early stopping.
    pub fn early_stopping(mut self, early_stopping: EarlyStopping) -> Self {
        self.early_stopping = Some(early_stopping);
        self
    }

    /// Sets per-class loss weights (classifiers only).
    pub fn class_weights(mut self, weights: Vec<f64>) -> Self {
        self.class_weights = Some(weights);
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Pins the device instead of reading `SPECWEAVE_DEVICE`.
    pub fn device(mut self, device: DeviceChoice) -> Self {
        self.device = Some(device);
        self
    }

    /// Checks every value against its documented range.
    pub fn validate(&self) -> Result<()> {
        let invalid = |message: String| Err(Error::InvalidInput(message));
        if let Some(position) = self.hidden_layers.iter().position(|&w| w == 0) {
            return invalid(format!("hidden layer {position} has zero units"));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return invalid(format!("dropout {} is outside [0, 1)", self.dropout));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return invalid(format!(
                "learning rate {} must be positive",
                self.learning_rate
            ));
        }
        let decay = match self.optimizer {
            OptimizerKind::Adam { weight_decay } | OptimizerKind::AdamW { weight_decay } => {
                weight_decay
            }
        };
        if !(decay.is_finite() && decay >= 0.0) {
            return invalid(format!("weight decay {decay} must be zero or positive"));
        }
        match self.lr_schedule {
            LrSchedule::Constant => {}
            LrSchedule::Step { step_epochs, gamma } => {
                if step_epochs == 0 || !(gamma > 0.0 && gamma <= 1.0) {
                    return invalid(format!(
                        "step schedule needs step_epochs >= 1 and gamma in (0, 1]; got {step_epochs} and {gamma}"
                    ));
                }
            }
            LrSchedule::Cosine { min_lr } => {
                if !(min_lr >= 0.0 && min_lr <= self.learning_rate) {
                    return invalid(format!(
                        "cosine schedule min_lr {min_lr} must be in [0, learning_rate]"
                    ));
                }
            }
        }
        if self.batch_size == 0 {
            return invalid("batch size must be at least 1".into());
        }
        if self.epochs == 0 {
            return invalid("epochs must be at least 1".into());
        }
        if let Some(stop) = &self.early_stopping {
            if !(stop.validation_fraction > 0.0 && stop.validation_fraction <= 0.5) {
                return invalid(format!(
                    "validation fraction {} is outside (0, 0.5]",
                    stop.validation_fraction
                ));
            }
            if stop.patience == 0 || stop.min_delta.is_nan() || stop.min_delta < 0.0 {
                return invalid("early stopping needs patience >= 1 and min_delta >= 0".into());
            }
        }
        if let Some(weights) = &self.class_weights
            && let Some(bad) = weights.iter().find(|w| !(w.is_finite() && **w > 0.0))
        {
            return invalid(format!("class weight {bad} must be positive and finite"));
        }
        Ok(())
    }
}
