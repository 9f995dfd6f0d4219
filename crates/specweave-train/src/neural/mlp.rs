//! Multilayer-perceptron classifier and regressor: the learners, the training loop and the
//! fitted model (predictions, input gradients, model files).

use super::DeviceChoice;
use super::file::{ALGORITHM_CLASSIFIER, ALGORITHM_REGRESSOR, FRAMEWORK, encode_payload};
use super::hyperparams::{MlpParams, OptimizerKind};
use super::network::{Architecture, Network, matrix_tensor, tensor_values};
use burn::module::Module;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{AdamConfig, AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, activation};
use ndarray::{Array2, ArrayView2};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use specweave_core::{
    Dataset, Differentiable, Error, Learner, MetricSink, Model, ModelFile, ModelInfo, NoMetrics,
    PayloadEncoding, Predictions, ProblemKind, Result, Target,
};
use std::fmt;
use std::sync::Arc;

/// Rows per forward pass when predicting or differentiating, bounding device memory.
const INFERENCE_CHUNK: usize = 8192;

/// A multilayer-perceptron classifier trained with burn (softmax output, weighted
/// cross-entropy loss), predicting class probabilities.
///
/// ```
/// use ndarray::Array2;
/// use specweave_core::{Dataset, Learner, Target};
/// use specweave_train::neural::{MlpClassifier, MlpParams};
///
/// let x = Array2::from_shape_fn((40, 2), |(i, j)| if j == 0 { i as f64 / 40.0 } else { 0.5 });
/// let labels = (0..40).map(|i| usize::from(i >= 20)).collect();
/// let data = Dataset::builder(x)
///     .target(Target::Classes { labels, class_names: vec!["low".into(), "high".into()] })
///     .build()?;
/// let learner = MlpClassifier::new(MlpParams::default().hidden_layers(vec![8]).epochs(5))?;
/// let model = learner.fit(&data)?;
/// let probabilities = model.predict(data.features())?;
/// assert_eq!(probabilities.len(), 40);
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Clone)]
pub struct MlpClassifier {
    params: MlpParams,
    metrics: Arc<dyn MetricSink>,
}

/// A multilayer-perceptron regressor trained with burn (mean squared error).
///
/// ```
/// use ndarray::{Array1, Array2};
/// use specweave_core::{Dataset, Learner, Target};
/// use specweave_train::neural::{MlpParams, MlpRegressor};
///
/// let x = Array2::from_shape_fn((30, 1), |(i, _)| i as f64);
/// let y = Array1::from_shape_fn(30, |i| 2.0 * i as f64 + 1.0);
/// let data = Dataset::builder(x).target(Target::Continuous(y)).build()?;
/// let model = MlpRegressor::new(MlpParams::default().hidden_layers(vec![4]).epochs(3))?.fit(&data)?;
/// assert_eq!(model.predict(data.features())?.len(), 30);
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Clone)]
pub struct MlpRegressor {
    params: MlpParams,
    metrics: Arc<dyn MetricSink>,
}

macro_rules! learner_common {
    ($ty:ident, $name:expr, $problem:expr) => {
        impl $ty {
            /// A learner with validated hyperparameters.
            pub fn new(params: MlpParams) -> Result<Self> {
                params.validate()?;
                Ok($ty {
                    params,
                    metrics: Arc::new(NoMetrics),
                })
            }

            /// Reports per-epoch `train_loss`, `val_loss` (and `val_accuracy` for classifiers)
            /// and `learning_rate` to `sink` as step metrics, the step being the epoch.
            pub fn with_metrics(mut self, sink: Arc<dyn MetricSink>) -> Self {
                self.metrics = sink;
                self
            }

            /// The hyperparameters.
            pub fn hyperparams(&self) -> &MlpParams {
                &self.params
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("params", &self.params)
                    .finish_non_exhaustive()
            }
        }

        impl Learner for $ty {
            fn name(&self) -> &str {
                $name
            }

            fn problem(&self) -> ProblemKind {
                $problem
            }

            fn params(&self) -> serde_json::Value {
                serde_json::to_value(&self.params).unwrap_or(serde_json::Value::Null)
            }

            fn fit(&self, data: &Dataset) -> Result<Box<dyn Model>> {
                Ok(Box::new(train(
                    &self.params,
                    self.metrics.as_ref(),
                    data,
                    $problem,
                )?))
            }

            fn with_metric_sink(&self, sink: Arc<dyn MetricSink>) -> Option<Box<dyn Learner>> {
                Some(Box::new(self.clone().with_metrics(sink)))
            }
        }
    };
}

learner_common!(
    MlpClassifier,
    ALGORITHM_CLASSIFIER,
    ProblemKind::Classification
);
learner_common!(MlpRegressor, ALGORITHM_REGRESSOR, ProblemKind::Regression);

/// The supervision signal, decoded from the dataset's target.
enum Supervision {
    Classes {
        labels: Vec<usize>,
        n_classes: usize,
        class_names: Vec<String>,
    },
    Values(Vec<f32>),
}

/// Trains a network and returns the fitted model.
fn train(
    params: &MlpParams,
    metrics: &dyn MetricSink,
    data: &Dataset,
    problem: ProblemKind,
) -> Result<FittedMlp> {
    params.validate()?;
    let algorithm = match problem {
        ProblemKind::Classification => ALGORITHM_CLASSIFIER,
        _ => ALGORITHM_REGRESSOR,
    };
    let supervision = match (problem, data.target()) {
        (
            ProblemKind::Classification,
            Target::Classes {
                labels,
                class_names,
            },
        ) => Supervision::Classes {
            labels: labels.clone(),
            n_classes: class_names.len(),
            class_names: class_names.clone(),
        },
        (ProblemKind::Regression, Target::Continuous(values)) => {
            Supervision::Values(values.iter().map(|&v| v as f32).collect())
        }
        (_, other) => {
            return Err(Error::model(
                algorithm,
                format!(
                    "needs a {} target, got {}",
                    if problem == ProblemKind::Classification {
                        "class"
                    } else {
                        "continuous"
                    },
                    match other {
                        Target::Classes { .. } => "class labels",
                        Target::Continuous(_) => "continuous values",
                        Target::None => "no target",
                    }
                ),
            ));
        }
    };
    let n_rows = data.n_rows();
    let n_features = data.n_features();
    if n_rows < 2 {
        return Err(Error::model(
            algorithm,
            format!("needs at least 2 rows, got {n_rows}"),
        ));
    }
    let x = host_matrix(data.features(), "training features")?;

    let (n_outputs, class_names) = match &supervision {
        Supervision::Classes {
            n_classes,
            class_names,
            ..
        } => {
            if let Some(weights) = &params.class_weights
                && weights.len() != *n_classes
            {
                return Err(Error::shape(
                    "class weights vs classes",
                    n_classes,
                    weights.len(),
                ));
            }
            (*n_classes, class_names.clone())
        }
        Supervision::Values(_) => (1, Vec::new()),
    };
    // Row weights: dataset sample weights times class weights.
    let row_weight: Vec<f32> = (0..n_rows)
        .map(|row| {
            let sample = data.weights().map_or(1.0, |w| w[row]);
            let class = match (&supervision, &params.class_weights) {
                (Supervision::Classes { labels, .. }, Some(cw)) => cw[labels[row]],
                _ => 1.0,
            };
            (sample * class) as f32
        })
        .collect();

    // Seeded split into training and validation rows.
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    let mut order: Vec<usize> = (0..n_rows).collect();
    order.shuffle(&mut rng);
    let n_valid = params.early_stopping.map_or(0, |stop| {
        ((n_rows as f64 * stop.validation_fraction).ceil() as usize).clamp(1, n_rows - 1)
    });
    let (valid_rows, train_rows) = order.split_at(n_valid);
    let (valid_rows, mut train_rows) = (valid_rows.to_vec(), train_rows.to_vec());

    let (input_mean, input_inv_std) = column_scaling(&x, n_features, &train_rows);
    let (output_scale, output_shift) = match &supervision {
        Supervision::Values(y) => {
            let (mean, std) = mean_std(train_rows.iter().map(|&r| y[r]));
            (if std > 0.0 { std } else { 1.0 }, mean)
        }
        Supervision::Classes { .. } => (1.0, 0.0),
    };
    let arch = Architecture {
        n_inputs: n_features,
        hidden_layers: params.hidden_layers.clone(),
        n_outputs,
        activation: params.activation,
        input_mean,
        input_inv_std,
        output_scale,
        output_shift,
    };

    let choice = params
        .device
        .unwrap_or_else(DeviceChoice::from_env)
        .resolve();
    let device = choice.burn_device().autodiff();
    device.seed(params.seed);
    let mut network = Network::init(&arch, params.seed, &device);
    let mut optimizer: ModuleOptimizer = match params.optimizer {
        OptimizerKind::Adam { weight_decay } => AdamConfig::new()
            .with_epsilon(1e-8)
            .with_weight_decay(
                (weight_decay > 0.0).then(|| WeightDecayConfig::new(weight_decay as f32)),
            )
            .init(),
        OptimizerKind::AdamW { weight_decay } => AdamWConfig::new()
            .with_epsilon(1e-8)
            .with_weight_decay(weight_decay as f32)
            .init(),
    };

    let batches = Batches {
        x: &x,
        n_features,
        supervision: &supervision,
        row_weight: &row_weight,
    };
    let valid_batch = (!valid_rows.is_empty()).then(|| batches.gather(&valid_rows, &device));
    let mut best: Option<(f64, Network)> = None;
    let mut epochs_without_improvement = 0;
    for epoch in 0..params.epochs {
        let rate = params
            .lr_schedule
            .rate(params.learning_rate, epoch, params.epochs);
        train_rows.shuffle(&mut rng);
        let mut loss_sum: Option<Tensor<1>> = None;
        let mut weight_sum = 0.0_f64;
        for chunk in train_rows.chunks(params.batch_size) {
            let batch = batches.gather(chunk, &device);
            let output = network.forward(&arch, batch.x.clone(), params.dropout);
            let (loss, batch_weight) = batch.loss(output)?;
            let detached = loss.clone().detach().mul_scalar(batch_weight);
            loss_sum = Some(match loss_sum {
                Some(sum) => sum + detached,
                None => detached,
            });
            weight_sum += batch_weight;
            let grads = GradientsParams::from_grads(loss.backward(), &network);
            network = optimizer.step(rate, network, grads);
        }
        let train_loss = match loss_sum {
            Some(sum) => f64::from(scalar(sum)?) / weight_sum.max(f64::MIN_POSITIVE),
            None => f64::NAN,
        };
        if !train_loss.is_finite() {
            return Err(Error::model(
                algorithm,
                format!(
                    "training diverged at epoch {epoch} (loss {train_loss}); lower the learning rate"
                ),
            ));
        }
        metrics.log_metric("train_loss", train_loss, epoch as u64);
        metrics.log_metric("learning_rate", rate, epoch as u64);
        if let (Some(batch), Some(stop)) = (&valid_batch, params.early_stopping) {
            let output = network.valid().forward(&arch, batch.x.clone().inner(), 0.0);
            let accuracy = batch.accuracy(output.clone())?;
            let (loss, _) = batch.loss(output)?;
            let val_loss = f64::from(scalar(loss)?);
            metrics.log_metric("val_loss", val_loss, epoch as u64);
            if let Some(accuracy) = accuracy {
                metrics.log_metric("val_accuracy", accuracy, epoch as u64);
            }
            let improved = best
                .as_ref()
                .is_none_or(|(best_loss, _)| val_loss < best_loss - stop.min_delta);
            if improved {
                best = Some((val_loss, network.clone()));
                epochs_without_improvement = 0;
            } else {
                epochs_without_improvement += 1;
                if epochs_without_improvement >= stop.patience {
                    tracing::info!("{algorithm}: early stop after epoch {epoch}");
                    break;
                }
            }
        }
    }
    // With early stopping, keep the weights of the best validation epoch.
    let network = best.map_or(network, |(_, net)| net);

    let info = ModelInfo {
        algorithm: algorithm.to_string(),
        problem,
        params: serde_json::to_value(params)?,
        feature_names: data.feature_names().to_vec(),
        class_names,
        framework: FRAMEWORK.to_string(),
    };
    Ok(FittedMlp::new(info, arch, network, choice))
}

/// Row gathering from host arrays into device batches.
struct Batches<'a> {
    x: &'a [f32],
    n_features: usize,
    supervision: &'a Supervision,
    row_weight: &'a [f32],
}

struct Batch {
    x: Tensor<2>,
    /// Classification: one-hot rows scaled by the row weight; regression: targets.
    target: Tensor<2>,
    /// Regression row weights (rows × 1).
    weight: Tensor<2>,
    labels: Option<Vec<usize>>,
    total_weight: f64,
    classification: bool,
}

impl Batches<'_> {
    fn gather(&self, rows: &[usize], device: &Device) -> Batch {
        let d = self.n_features;
        let mut x = Vec::with_capacity(rows.len() * d);
        for &row in rows {
            x.extend_from_slice(&self.x[row * d..(row + 1) * d]);
        }
        let weights: Vec<f32> = rows.iter().map(|&r| self.row_weight[r]).collect();
        let total_weight = weights.iter().map(|&w| f64::from(w)).sum();
        let n = rows.len();
        let (target, labels, classification) = match self.supervision {
            Supervision::Classes {
                labels, n_classes, ..
            } => {
                let mut onehot = vec![0.0_f32; n * n_classes];
                for (i, &row) in rows.iter().enumerate() {
                    onehot[i * n_classes + labels[row]] = self.row_weight[row];
                }
                (
                    matrix_tensor(&onehot, n, *n_classes, device),
                    Some(rows.iter().map(|&r| labels[r]).collect()),
                    true,
                )
            }
            Supervision::Values(y) => {
                let values: Vec<f32> = rows.iter().map(|&r| y[r]).collect();
                (matrix_tensor(&values, n, 1, device), None, false)
            }
        };
        Batch {
            x: matrix_tensor(&x, n, d, device),
            target,
            weight: matrix_tensor(&weights, n, 1, device),
            labels,
            total_weight,
            classification,
        }
    }
}

impl Batch {
    /// Weighted mean loss of the batch and the total row weight.
    fn loss(&self, output: Tensor<2>) -> Result<(Tensor<1>, f64)> {
        let device = output.device();
        let target = self.target.clone().to_device(&device);
        let denominator = self.total_weight.max(f64::MIN_POSITIVE);
        let loss = if self.classification {
            let log_probabilities = activation::log_softmax(output, 1);
            (log_probabilities * target)
                .sum()
                .mul_scalar(-1.0 / denominator)
        } else {
            let weight = self.weight.clone().to_device(&device);
            ((output - target).square() * weight)
                .sum()
                .mul_scalar(1.0 / denominator)
        };
        Ok((loss, self.total_weight))
    }

    /// Share of rows whose most probable class is the label (classifiers only).
    fn accuracy(&self, output: Tensor<2>) -> Result<Option<f64>> {
        let Some(labels) = &self.labels else {
            return Ok(None);
        };
        let [rows, cols] = output.dims();
        let logits = tensor_values(output)?;
        let correct = (0..rows)
            .filter(|&i| argmax(&logits[i * cols..(i + 1) * cols]) == labels[i])
            .count();
        Ok(Some(correct as f64 / rows.max(1) as f64))
    }
}

fn argmax(values: &[f32]) -> usize {
    values
        .iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, &v)| {
            if v > best.1 { (i, v) } else { best }
        })
        .0
}

fn scalar(tensor: Tensor<1>) -> Result<f32> {
    tensor_values(tensor)?
        .first()
        .copied()
        .ok_or_else(|| Error::model("neural network", "empty loss tensor"))
}

/// The features as row-major `f32`, rejecting non-finite values with their position.
pub(crate) fn host_matrix(features: ArrayView2<'_, f64>, what: &str) -> Result<Vec<f32>> {
    let mut out = Vec::with_capacity(features.len());
    for (row, values) in features.rows().into_iter().enumerate() {
        for &value in values {
            if !value.is_finite() {
                return Err(Error::NonFinite {
                    what: what.to_string(),
                    row,
                    value,
                });
            }
            out.push(value as f32);
        }
    }
    Ok(out)
}

fn mean_std(values: impl Iterator<Item = f32>) -> (f32, f32) {
    let values: Vec<f64> = values.map(f64::from).collect();
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean as f32, var.sqrt() as f32)
}

/// Per-column mean and reciprocal standard deviation over `rows` (constant columns: 1).
fn column_scaling(x: &[f32], d: usize, rows: &[usize]) -> (Vec<f32>, Vec<f32>) {
    (0..d)
        .map(|j| {
            let (mean, std) = mean_std(rows.iter().map(|&r| x[r * d + j]));
            (mean, if std > 1e-12 { 1.0 / std } else { 1.0 })
        })
        .unzip()
}

/// A trained MLP: predicts, differentiates and saves itself.
pub struct FittedMlp {
    info: ModelInfo,
    arch: Architecture,
    /// Weights on the autodiff device, for input gradients.
    differentiable: Network,
    /// The same weights without autodiff, for predictions.
    inference: Network,
    device: DeviceChoice,
}

impl fmt::Debug for FittedMlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FittedMlp")
            .field("algorithm", &self.info.algorithm)
            .field("n_inputs", &self.arch.n_inputs)
            .field("hidden_layers", &self.arch.hidden_layers)
            .field("n_outputs", &self.arch.n_outputs)
            .field("device", &self.device)
            .finish()
    }
}

impl FittedMlp {
    pub(crate) fn new(
        info: ModelInfo,
        arch: Architecture,
        network: Network,
        device: DeviceChoice,
    ) -> Self {
        let inference = network.valid();
        FittedMlp {
            info,
            arch,
            differentiable: network,
            inference,
            device,
        }
    }

    /// The device the model computes on.
    pub fn device(&self) -> DeviceChoice {
        self.device
    }

    fn check_columns(&self, features: ArrayView2<'_, f64>) -> Result<()> {
        if features.ncols() != self.arch.n_inputs {
            return Err(Error::shape(
                format!("{} input columns", self.info.algorithm),
                self.arch.n_inputs,
                features.ncols(),
            ));
        }
        Ok(())
    }

    /// Raw outputs (logits or values), rows × outputs, computed in chunks.
    fn raw_outputs(&self, features: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.check_columns(features)?;
        let x = host_matrix(features, "features")?;
        let d = self.arch.n_inputs;
        let k = self.arch.n_outputs;
        let device = self.device.burn_device();
        let mut out = Vec::with_capacity(features.nrows() * k);
        for chunk in x.chunks(INFERENCE_CHUNK * d.max(1)) {
            if d == 0 {
                break;
            }
            let rows = chunk.len() / d;
            let output =
                self.inference
                    .forward(&self.arch, matrix_tensor(chunk, rows, d, &device), 0.0);
            out.extend(tensor_values(output)?.into_iter().map(f64::from));
        }
        Array2::from_shape_vec((features.nrows(), k), out)
            .map_err(|e| Error::model(&self.info.algorithm, format!("output shape: {e}")))
    }
}

impl Model for FittedMlp {
    fn info(&self) -> ModelInfo {
        self.info.clone()
    }

    fn predict(&self, features: ArrayView2<'_, f64>) -> Result<Predictions> {
        let raw = self.raw_outputs(features)?;
        if self.info.problem == ProblemKind::Classification {
            let mut probabilities = raw;
            for mut row in probabilities.rows_mut() {
                let max = row.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
                row.mapv_inplace(|v| (v - max).exp());
                let total = row.sum();
                row.mapv_inplace(|v| v / total);
            }
            Ok(Predictions::Probabilities {
                probabilities,
                class_names: self.info.class_names.clone(),
            })
        } else {
            Ok(Predictions::Values(raw.column(0).to_owned()))
        }
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        let payload = encode_payload(&self.arch, &self.differentiable.to_record_bytes()?)?;
        Ok(ModelFile::new(self.info.clone(), PayloadEncoding::Binary, payload).encode())
    }

    fn as_differentiable(&self) -> Option<&dyn Differentiable> {
        Some(self)
    }
}

impl Differentiable for FittedMlp {
    fn input_gradients(&self, features: ArrayView2<'_, f64>, output: usize) -> Result<Array2<f64>> {
        self.check_columns(features)?;
        if output >= self.arch.n_outputs {
            return Err(Error::InvalidInput(format!(
                "output {output} does not exist; the model has {} outputs",
                self.arch.n_outputs
            )));
        }
        let x = host_matrix(features, "features")?;
        let d = self.arch.n_inputs;
        let device = self.device.burn_device().autodiff();
        let mut gradients = Vec::with_capacity(x.len());
        if d > 0 {
            for chunk in x.chunks(INFERENCE_CHUNK * d) {
                let rows = chunk.len() / d;
                let input = matrix_tensor(chunk, rows, d, &device).require_grad();
                // Rows are independent, so the gradient of the column sum is each row's gradient.
                let selected = self
                    .differentiable
                    .forward(&self.arch, input.clone(), 0.0)
                    .narrow(1, output, 1)
                    .sum();
                let grads = selected.backward();
                let grad = input.grad(&grads).ok_or_else(|| {
                    Error::model(
                        &self.info.algorithm,
                        "the backward pass produced no input gradient",
                    )
                })?;
                gradients.extend(tensor_values(grad)?.into_iter().map(f64::from));
            }
        }
        Array2::from_shape_vec((features.nrows(), d), gradients)
            .map_err(|e| Error::model(&self.info.algorithm, format!("gradient shape: {e}")))
    }

    fn raw_output(&self, features: ArrayView2<'_, f64>, output: usize) -> Result<Vec<f64>> {
        if output >= self.arch.n_outputs {
            return Err(Error::InvalidInput(format!(
                "output {output} does not exist; the model has {} outputs",
                self.arch.n_outputs
            )));
        }
        Ok(self.raw_outputs(features)?.column(output).to_vec())
    }
}
