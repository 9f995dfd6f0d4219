//! Run-time device selection: the CPU by default, CUDA or wgpu when compiled in and present.

use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};
use specweave_core::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// The environment variable that picks the device when the configuration leaves it open.
pub const DEVICE_ENV: &str = "SPECWEAVE_DEVICE";

/// Where neural networks train and predict.
///
/// Parsed from `cpu`, `cuda`, `cuda:N` or `wgpu`. A device that is not compiled in (the
/// `cuda` and `wgpu` cargo features) or not present falls back to the CPU with a warning.
///
/// ```
/// use specweave_train::neural::DeviceChoice;
///
/// let choice: DeviceChoice = "cuda:1".parse()?;
/// assert_eq!(choice, DeviceChoice::Cuda(1));
/// assert_eq!(choice.to_string(), "cuda:1");
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceChoice {
    /// burn's pure-Rust CPU backend.
    #[default]
    Cpu,
    /// The CUDA GPU with this index.
    Cuda(usize),
    /// The default wgpu adapter (Vulkan, Metal or DirectX).
    Wgpu,
}

impl DeviceChoice {
    /// The device named by `SPECWEAVE_DEVICE`, or the CPU when it is unset.
    ///
    /// An unparsable value is reported with a warning and treated as the CPU, so a typo never
    /// stops a run.
    pub fn from_env() -> DeviceChoice {
        match std::env::var(DEVICE_ENV) {
            Ok(value) if !value.trim().is_empty() => value.parse().unwrap_or_else(|e| {
                tracing::warn!("{DEVICE_ENV}: {e}; using the CPU");
                DeviceChoice::Cpu
            }),
            _ => DeviceChoice::Cpu,
        }
    }

    /// The device actually used: this one when it is compiled in and answers, else the CPU.
    pub fn resolve(self) -> DeviceChoice {
        match self {
            DeviceChoice::Cpu => DeviceChoice::Cpu,
            other => match gpu_device(other) {
                Some(device) if device_answers(&device) => other,
                Some(_) => {
                    tracing::warn!("device {other} is not available; falling back to the CPU");
                    DeviceChoice::Cpu
                }
                None => {
                    tracing::warn!(
                        "device {other} is not compiled in (enable the cargo feature of the same name); falling back to the CPU"
                    );
                    DeviceChoice::Cpu
                }
            },
        }
    }

    /// The burn device of an already resolved choice.
    pub(crate) fn burn_device(self) -> Device {
        gpu_device(self).unwrap_or_else(Device::flex)
    }
}

#[allow(unused_variables)]
fn gpu_device(choice: DeviceChoice) -> Option<Device> {
    match choice {
        DeviceChoice::Cpu => None,
        #[cfg(feature = "cuda")]
        DeviceChoice::Cuda(index) => Some(Device::cuda(index)),
        #[cfg(feature = "wgpu")]
        DeviceChoice::Wgpu => Some(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// Probes a device with a tiny round trip; backends panic when their hardware is missing.
fn device_answers(device: &Device) -> bool {
    let device = device.clone();
    std::panic::catch_unwind(move || {
        let probe = Tensor::<1>::from_data(TensorData::new(vec![1.0_f32, 2.0], [2]), &device);
        probe
            .mul_scalar(2.0)
            .into_data()
            .try_to_vec::<f32>()
            .map(|v| v == [2.0, 4.0])
            .unwrap_or(false)
    })
    .unwrap_or(false)
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceChoice::Cpu => f.write_str("cpu"),
            DeviceChoice::Cuda(index) => write!(f, "cuda:{index}"),
            DeviceChoice::Wgpu => f.write_str("wgpu"),
        }
    }
}

impl FromStr for DeviceChoice {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let lower = s.trim().to_ascii_lowercase();
        match lower.as_str() {
            "cpu" => Ok(DeviceChoice::Cpu),
            "cuda" | "gpu" => Ok(DeviceChoice::Cuda(0)),
            "wgpu" => Ok(DeviceChoice::Wgpu),
            _ => match lower.strip_prefix("cuda:") {
                Some(index) => index.parse().map(DeviceChoice::Cuda).map_err(|_| {
                    Error::InvalidInput(format!("device `{s}`: `{index}` is not a GPU index"))
                }),
                None => Err(Error::InvalidInput(format!(
                    "unknown device `{s}`; expected cpu, cuda, cuda:N or wgpu"
                ))),
            },
        }
    }
}
