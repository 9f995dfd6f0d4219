//! Test support: a seeded latent-factor interaction generator, precision@k, and a small
//! logistic-regression learner for the reranker.
#![allow(dead_code)]

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use specweave_core::{
    Dataset, Interactions, Learner, Model, ModelFile, ModelInfo, Predictions, ProblemKind,
    Recommender, Target,
};

/// Shape of a synthetic interaction log.
#[derive(Debug, Clone, Copy)]
pub struct Synthetic {
    pub users: usize,
    pub items: usize,
    pub per_user: usize,
    pub factors: usize,
    /// How sharply users prefer items close to them in the latent space.
    pub sharpness: f64,
    /// Spread of the items' log-popularity.
    pub popularity_spread: f64,
    pub seed: u64,
}

impl Default for Synthetic {
    fn default() -> Self {
        Synthetic {
            users: 600,
            items: 300,
            per_user: 30,
            factors: 8,
            sharpness: 2.5,
            popularity_spread: 1.0,
            seed: 42,
        }
    }
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    // Box–Muller; 1 − u keeps the logarithm finite.
    let u: f64 = 1.0 - rng.random::<f64>();
    let v: f64 = rng.random::<f64>();
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

impl Synthetic {
    /// Each user draws `per_user` distinct items with probability ∝
    /// `exp(sharpness · u·v / √d + popularity)` (Gumbel top-k sampling), at consecutive times
    /// in random order.
    pub fn generate(&self) -> Interactions {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let d = self.factors;
        let user_vecs: Vec<f64> = (0..self.users * d).map(|_| normal(&mut rng)).collect();
        let item_vecs: Vec<f64> = (0..self.items * d).map(|_| normal(&mut rng)).collect();
        let popularity: Vec<f64> = (0..self.items)
            .map(|_| self.popularity_spread * normal(&mut rng))
            .collect();
        let scale = self.sharpness / (d as f64).sqrt();
        let (mut users, mut items, mut times) = (Vec::new(), Vec::new(), Vec::new());
        for u in 0..self.users {
            let x = &user_vecs[u * d..(u + 1) * d];
            let mut keys: Vec<(f64, u32)> = (0..self.items)
                .map(|i| {
                    let y = &item_vecs[i * d..(i + 1) * d];
                    let logit =
                        scale * x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>() + popularity[i];
                    let gumbel = -(-(1.0 - rng.random::<f64>()).ln()).ln();
                    (logit + gumbel, i as u32)
                })
                .collect();
            keys.sort_by(|a, b| b.0.total_cmp(&a.0));
            let mut chosen: Vec<u32> = keys.iter().take(self.per_user).map(|k| k.1).collect();
            // Random time order, so a temporal split holds out a random subset.
            for t in (1..chosen.len()).rev() {
                let j = rng.random_range(0..=t);
                chosen.swap(t, j);
            }
            for (t, item) in chosen.into_iter().enumerate() {
                users.push(u as u32);
                items.push(item);
                times.push(t as i64 * 1_000 + u as i64);
            }
        }
        let n = users.len();
        Interactions::from_indices(
            users,
            items,
            vec![1.0; n],
            times,
            (0..self.users).map(|u| format!("u{u}")).collect(),
            (0..self.items).map(|i| format!("i{i}")).collect(),
        )
        .expect("generated ids are in range")
    }
}

/// Precision@k: hits in the top k / k, averaged over users with relevant items.
pub fn precision_at_k(
    recommender: &dyn Recommender,
    split: &specweave_recommend::InteractionSplit,
    k: usize,
) -> f64 {
    let relevant = split.relevant_items();
    let users = split.test_users();
    let lists = specweave_recommend::recommend_all(recommender, &users, k, true)
        .expect("recommendations for test users");
    let total: f64 = users
        .iter()
        .zip(&lists)
        .map(|(&u, list)| {
            let hits = list
                .iter()
                .filter(|(i, _)| relevant[u as usize].binary_search(i).is_ok())
                .count();
            hits as f64 / k as f64
        })
        .sum();
    total / users.len() as f64
}

/// Logistic regression on standardised features, fitted by full-batch gradient descent.
#[derive(Debug, Clone)]
pub struct TestLogistic {
    pub iterations: usize,
    pub learning_rate: f64,
}

impl Default for TestLogistic {
    fn default() -> Self {
        TestLogistic {
            iterations: 300,
            learning_rate: 0.5,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TestLogisticModel {
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
    pub weights: Vec<f64>,
    pub bias: f64,
    pub feature_names: Vec<String>,
}

impl TestLogisticModel {
    pub fn from_bytes(bytes: &[u8]) -> specweave_core::Result<Box<dyn Model>> {
        let file = ModelFile::decode(bytes)?;
        Ok(Box::new(file.json_payload::<TestLogisticModel>()?))
    }

    fn standardise(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let mut z = x.to_owned();
        for (mut col, (m, s)) in z
            .axis_iter_mut(Axis(1))
            .zip(self.mean.iter().zip(&self.scale))
        {
            col.mapv_inplace(|v| (v - m) / s);
        }
        z
    }
}

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

impl Learner for TestLogistic {
    fn name(&self) -> &str {
        "test_logistic"
    }

    fn problem(&self) -> ProblemKind {
        ProblemKind::Classification
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({ "iterations": self.iterations, "learning_rate": self.learning_rate })
    }

    fn fit(&self, data: &Dataset) -> specweave_core::Result<Box<dyn Model>> {
        let Target::Classes { labels, .. } = data.target() else {
            return Err(specweave_core::Error::InvalidInput(
                "needs class labels".into(),
            ));
        };
        let x = data.features();
        let mean: Vec<f64> = x.mean_axis(Axis(0)).expect("rows").to_vec();
        let scale: Vec<f64> = x
            .std_axis(Axis(0), 0.0)
            .iter()
            .map(|&s| if s > 1e-12 { s } else { 1.0 })
            .collect();
        let mut model = TestLogisticModel {
            mean,
            scale,
            weights: vec![0.0; x.ncols()],
            bias: 0.0,
            feature_names: data.feature_names().to_vec(),
        };
        let z = model.standardise(x);
        let y: Array1<f64> = labels.iter().map(|&l| l as f64).collect();
        let n = z.nrows() as f64;
        for _ in 0..self.iterations {
            let w = Array1::from(model.weights.clone());
            let p = (z.dot(&w) + model.bias).mapv(sigmoid);
            let residual = &p - &y;
            let grad = z.t().dot(&residual) / n;
            for (wi, gi) in model.weights.iter_mut().zip(grad.iter()) {
                *wi -= self.learning_rate * gi;
            }
            model.bias -= self.learning_rate * residual.sum() / n;
        }
        Ok(Box::new(model))
    }
}

impl Model for TestLogisticModel {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            algorithm: "test_logistic".into(),
            problem: ProblemKind::Classification,
            params: serde_json::Value::Null,
            feature_names: self.feature_names.clone(),
            class_names: vec!["not_relevant".into(), "relevant".into()],
            framework: "tests".into(),
        }
    }

    fn predict(&self, features: ArrayView2<'_, f64>) -> specweave_core::Result<Predictions> {
        if features.ncols() != self.weights.len() {
            return Err(specweave_core::Error::shape(
                "columns",
                self.weights.len(),
                features.ncols(),
            ));
        }
        let p = (self
            .standardise(features)
            .dot(&Array1::from(self.weights.clone()))
            + self.bias)
            .mapv(sigmoid);
        let mut probabilities = Array2::zeros((p.len(), 2));
        for (row, &pi) in p.iter().enumerate() {
            probabilities[[row, 0]] = 1.0 - pi;
            probabilities[[row, 1]] = pi;
        }
        Ok(Predictions::Probabilities {
            probabilities,
            class_names: vec!["not_relevant".into(), "relevant".into()],
        })
    }

    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        Ok(ModelFile::from_json(self.info(), self)?.encode())
    }
}
