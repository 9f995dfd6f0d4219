//! The burn network behind the MLPs: linear layers, in-graph input scaling and output
//! rescaling, deterministic initialisation and record (de)serialisation.

use super::hyperparams::Activation;
use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device, Distribution, Tensor, TensorData, activation};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use specweave_core::{Error, Result};

/// The trainable layers.
#[derive(Module, Debug)]
pub(crate) struct Network {
    layers: Vec<Linear>,
}

/// What it takes to rebuild a [`Network`] and use it, without the training code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Architecture {
    pub n_inputs: usize,
    pub hidden_layers: Vec<usize>,
    pub n_outputs: usize,
    pub activation: Activation,
    /// Per-feature means and reciprocal standard deviations applied inside the graph, so
    /// gradients are with respect to the raw inputs.
    pub input_mean: Vec<f32>,
    pub input_inv_std: Vec<f32>,
    /// Output = raw · scale + shift (regression target scaling; identity for classifiers).
    pub output_scale: f32,
    pub output_shift: f32,
}

impl Architecture {
    fn widths(&self) -> Vec<usize> {
        let mut widths = Vec::with_capacity(self.hidden_layers.len() + 2);
        widths.push(self.n_inputs);
        widths.extend(&self.hidden_layers);
        widths.push(self.n_outputs);
        widths
    }
}

impl Network {
    /// Builds the layers with PyTorch's default initialisation (uniform in ±1/√fan_in for
    /// weights and biases), drawn from a seeded host RNG so every device starts identically.
    pub(crate) fn init(arch: &Architecture, seed: u64, device: &Device) -> Network {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let layers = arch
            .widths()
            .windows(2)
            .map(|pair| {
                let (fan_in, fan_out) = (pair[0], pair[1]);
                let bound = 1.0 / (fan_in as f32).sqrt();
                let mut draw = |n: usize| -> Vec<f32> {
                    (0..n).map(|_| rng.random_range(-bound..bound)).collect()
                };
                let weight = draw(fan_in * fan_out);
                let bias = draw(fan_out);
                Linear {
                    weight: Param::from_data(TensorData::new(weight, [fan_in, fan_out]), device),
                    bias: Some(Param::from_data(TensorData::new(bias, [fan_out]), device)),
                }
            })
            .collect();
        Network { layers }
    }

    /// Raw outputs (logits, or scaled regression values) for a batch of raw inputs.
    ///
    /// `dropout` is the drop probability applied after each hidden activation (training only).
    pub(crate) fn forward(&self, arch: &Architecture, input: Tensor<2>, dropout: f64) -> Tensor<2> {
        let device = input.device();
        let d = arch.n_inputs;
        let mean =
            Tensor::<2>::from_data(TensorData::new(arch.input_mean.clone(), [1, d]), &device);
        let inv_std =
            Tensor::<2>::from_data(TensorData::new(arch.input_inv_std.clone(), [1, d]), &device);
        let mut x = (input - mean) * inv_std;
        let last = self.layers.len().saturating_sub(1);
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(x);
            if i < last {
                x = match arch.activation {
                    Activation::Relu => activation::relu(x),
                    Activation::Tanh => activation::tanh(x),
                    Activation::Gelu => activation::gelu(x),
                    Activation::Sigmoid => activation::sigmoid(x),
                };
                if dropout > 0.0 {
                    let keep = Tensor::<2>::random(
                        x.dims(),
                        Distribution::Bernoulli(1.0 - dropout),
                        &device,
                    );
                    x = x * keep.mul_scalar(1.0 / (1.0 - dropout));
                }
            }
        }
        if arch.output_scale != 1.0 || arch.output_shift != 0.0 {
            x = x
                .mul_scalar(arch.output_scale)
                .add_scalar(arch.output_shift);
        }
        x
    }

    /// burn's record (burnpack) bytes of the weights.
    pub(crate) fn to_record_bytes(&self) -> Result<Vec<u8>> {
        let bytes = self.clone().into_record().into_bytes().map_err(|e| {
            Error::model("neural network", format!("cannot serialise weights: {e}"))
        })?;
        Ok(bytes.to_vec())
    }

    /// Rebuilds a network of architecture `arch` and loads the record bytes into it.
    pub(crate) fn from_record_bytes(
        arch: &Architecture,
        bytes: &[u8],
        device: &Device,
    ) -> Result<Network> {
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
            .map_err(|e| Error::ModelFile(format!("neural network weights do not parse: {e}")))?;
        Network::init(arch, 0, device)
            .try_load_record(record)
            .map_err(|e| {
                Error::ModelFile(format!(
                    "neural network weights do not fit the architecture: {e}"
                ))
            })
    }
}

/// Copies a row-major `f64` matrix into an `f32` tensor on `device`.
pub(crate) fn matrix_tensor(
    values: &[f32],
    rows: usize,
    cols: usize,
    device: &Device,
) -> Tensor<2> {
    Tensor::<2>::from_data(TensorData::new(values.to_vec(), [rows, cols]), device)
}

/// Reads a tensor back to the host as `f32`.
pub(crate) fn tensor_values<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>> {
    tensor
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .map_err(|e| {
            Error::model(
                "neural network",
                format!("cannot read a tensor back: {e:?}"),
            )
        })
}
