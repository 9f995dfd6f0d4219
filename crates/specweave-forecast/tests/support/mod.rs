//! Seeded synthetic series and the few forecast metrics the tests need.
#![allow(dead_code)]

use ndarray::Array1;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use specweave_core::Series;

/// Milliseconds in a day, for daily timestamps.
pub const DAY_MS: i64 = 86_400_000;

/// level + slope·t + amplitude·sin(2πt/period) + N(0, noise²), daily timestamps from 2024-01-01.
pub fn additive_seasonal(
    n: usize,
    period: usize,
    level: f64,
    slope: f64,
    amplitude: f64,
    noise: f64,
    seed: u64,
) -> Series {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(0.0, noise).expect("valid noise");
    let values: Array1<f64> = (0..n)
        .map(|t| {
            let angle = 2.0 * std::f64::consts::PI * t as f64 / period as f64;
            level + slope * t as f64 + amplitude * angle.sin() + normal.sample(&mut rng)
        })
        .collect();
    Series::new(timestamps(n), values).expect("valid synthetic series")
}

/// (level + slope·t)·(1 + amplitude·sin(2πt/period))·exp(N(0, noise²)).
pub fn multiplicative_seasonal(
    n: usize,
    period: usize,
    level: f64,
    slope: f64,
    amplitude: f64,
    noise: f64,
    seed: u64,
) -> Series {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(0.0, noise).expect("valid noise");
    let values: Array1<f64> = (0..n)
        .map(|t| {
            let angle = 2.0 * std::f64::consts::PI * t as f64 / period as f64;
            (level + slope * t as f64)
                * (1.0 + amplitude * angle.sin())
                * normal.sample(&mut rng).exp()
        })
        .collect();
    Series::new(timestamps(n), values).expect("valid synthetic series")
}

/// A Gaussian random walk.
pub fn random_walk(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(0.0, 1.0).expect("valid noise");
    let mut value = 0.0;
    (0..n)
        .map(|_| {
            value += normal.sample(&mut rng);
            value
        })
        .collect()
}

/// Independent N(0, 1) draws.
pub fn white_noise(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(0.0, 1.0).expect("valid noise");
    (0..n).map(|_| normal.sample(&mut rng)).collect()
}

/// Daily timestamps (ms) from 2024-01-01.
pub fn timestamps(n: usize) -> Vec<i64> {
    let start = 1_704_067_200_000_i64;
    (0..n as i64).map(|i| start + i * DAY_MS).collect()
}

/// Mean absolute scaled error with the in-sample seasonal naive scale (Hyndman & Koehler 2006).
pub fn mase(actual: &[f64], forecast: &[f64], train: &[f64], period: usize) -> f64 {
    let scale = (period..train.len())
        .map(|t| (train[t] - train[t - period]).abs())
        .sum::<f64>()
        / (train.len() - period) as f64;
    let mae = actual
        .iter()
        .zip(forecast)
        .map(|(a, f)| (a - f).abs())
        .sum::<f64>()
        / actual.len() as f64;
    mae / scale
}

/// Mean absolute percentage error, in percent.
pub fn mape(actual: &[f64], forecast: &[f64]) -> f64 {
    100.0
        * actual
            .iter()
            .zip(forecast)
            .map(|(a, f)| ((a - f) / a).abs())
            .sum::<f64>()
        / actual.len() as f64
}
