//! Test data and a small k-fold splitter shared by the integration tests.
#![allow(dead_code)]

use ndarray::{Array1, Array2};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use specweave_core::{Dataset, Fold, Predictions, Splitter, Target};
use specweave_train::Metric;

/// Binary data: class 1 when a noisy linear score of the first three features is positive.
pub fn binary(rows: usize, features: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = Array2::from_shape_fn((rows, features), |_| rng.random::<f64>() * 2.0 - 1.0);
    let labels: Vec<usize> = x
        .rows()
        .into_iter()
        .map(|r| {
            let score = 2.0 * r[0] - 1.5 * r[1] + r[2] * r[2] + 0.3 * (rng.random::<f64>() - 0.5);
            usize::from(score > 0.3)
        })
        .collect();
    Dataset::builder(x)
        .target(Target::Classes {
            labels,
            class_names: vec!["neg".into(), "pos".into()],
        })
        .build()
        .expect("valid binary data")
}

/// Three classes by the sign pattern of two features.
pub fn multiclass(rows: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = Array2::from_shape_fn((rows, 4), |_| rng.random::<f64>() * 2.0 - 1.0);
    let labels: Vec<usize> = x
        .rows()
        .into_iter()
        .map(|r| {
            if r[0] > 0.3 {
                0
            } else if r[1] > 0.0 {
                1
            } else {
                2
            }
        })
        .collect();
    Dataset::builder(x)
        .target(Target::Classes {
            labels,
            class_names: vec!["a".into(), "b".into(), "c".into()],
        })
        .build()
        .expect("valid multiclass data")
}

/// Regression: y = 3·x0 − 2·x1 + 0.5 + small noise.
pub fn regression(rows: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = Array2::from_shape_fn((rows, 3), |_| rng.random::<f64>() * 2.0 - 1.0);
    let y: Array1<f64> = x
        .rows()
        .into_iter()
        .map(|r| 3.0 * r[0] - 2.0 * r[1] + 0.5 + 0.01 * (rng.random::<f64>() - 0.5))
        .collect();
    Dataset::builder(x)
        .target(Target::Continuous(y))
        .build()
        .expect("valid regression data")
}

/// Plain k-fold over rows in order (contiguous blocks), for tests only.
#[derive(Debug)]
pub struct KFold(pub usize);

impl Splitter for KFold {
    fn name(&self) -> String {
        format!("k_fold({})", self.0)
    }
    fn split(&self, data: &Dataset) -> specweave_core::Result<Vec<Fold>> {
        let n = data.n_rows();
        Ok((0..self.0)
            .map(|f| {
                let (validation, train): (Vec<usize>, Vec<usize>) =
                    (0..n).partition(|i| i % self.0 == f);
                Fold { train, validation }
            })
            .collect())
    }
}

/// Accuracy of the most probable class.
pub fn accuracy() -> Metric {
    Metric::new("accuracy", |target, predictions| {
        let Target::Classes { labels, .. } = target else {
            return Err(specweave_core::Error::InvalidInput(
                "accuracy needs classes".into(),
            ));
        };
        let predicted = predictions.labels().unwrap_or_default();
        let hits = labels
            .iter()
            .zip(&predicted)
            .filter(|(a, b)| a == b)
            .count();
        Ok(hits as f64 / labels.len().max(1) as f64)
    })
}

/// Root mean squared error.
pub fn rmse() -> Metric {
    Metric::new("rmse", |target, predictions| {
        let y = target.as_f64().unwrap_or_default();
        let yhat = predictions.scores()?;
        Ok(((&y - &yhat).mapv(|d| d * d).mean().unwrap_or(f64::NAN)).sqrt())
    })
}

/// Accuracy of predictions against a dataset.
pub fn accuracy_on(data: &Dataset, predictions: &Predictions) -> f64 {
    accuracy()
        .evaluate(data.target(), predictions)
        .expect("accuracy")
}

/// RMSE of predictions against a dataset.
pub fn rmse_on(data: &Dataset, predictions: &Predictions) -> f64 {
    rmse().evaluate(data.target(), predictions).expect("rmse")
}
