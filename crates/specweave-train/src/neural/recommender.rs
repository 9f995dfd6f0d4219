//! Matrix factorization trained on burn with the BPR loss (Bayesian personalised ranking) or
//! a sampled softmax over shared uniform negatives, with fast host-side top-k for one user or
//! all users.

use super::DeviceChoice;
use super::file::{ALGORITHM_BPR, FRAMEWORK, decode_payload, encode_payload};
use super::network::tensor_values;
use burn::module::{Module, Param};
use burn::optim::{AdamConfig, GradientsParams};
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device, Int, Tensor, TensorData, activation};
use ndarray::{Array1, Array2, Axis};
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use specweave_core::{
    Error, Interactions, MetricSink, ModelFile, ModelInfo, NoMetrics, PayloadEncoding, ProblemKind,
    Recommender, Result,
};
use std::fmt;
use std::sync::Arc;

/// Hyperparameters of [`BprMatrixFactorization`].
///
/// ```
/// use specweave_train::neural::BprParams;
///
/// assert!(BprParams::default().validate().is_ok());
/// assert!(BprParams { factors: 0, ..BprParams::default() }.validate().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BprParams {
    /// Latent dimension of users and items.
    pub factors: usize,
    /// Passes over the positive interactions.
    pub epochs: usize,
    /// (user, positive, negative) triples per mini-batch.
    pub batch_size: usize,
    /// Adam learning rate.
    pub learning_rate: f64,
    /// L2 penalty on the factors and biases used in a batch.
    pub regularization: f64,
    /// Seed for initialisation, shuffling and negative sampling.
    pub seed: u64,
    /// Device to train on; `None` reads `SPECWEAVE_DEVICE`.
    pub device: Option<DeviceChoice>,
    /// The ranking loss.
    pub loss: RankingLoss,
    /// Sampled softmax: uniformly drawn negative items shared by a mini-batch.
    pub negatives: usize,
}

/// The loss a factorization is trained with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RankingLoss {
    /// `−log σ(s(u,i) − s(u,j))` for one sampled negative `j` per positive (Rendle et al.).
    #[default]
    Bpr,
    /// `−log softmax` of the positive among `negatives` items drawn uniformly for the whole
    /// mini-batch: the full softmax over the catalogue, estimated by sampling. Uniform
    /// sampling needs no log-frequency correction; one matrix product scores every pair.
    SampledSoftmax,
}

impl Default for BprParams {
    fn default() -> Self {
        BprParams {
            factors: 32,
            epochs: 30,
            batch_size: 1024,
            learning_rate: 0.01,
            regularization: 1e-4,
            seed: 0,
            device: None,
            loss: RankingLoss::Bpr,
            negatives: 64,
        }
    }
}

impl BprParams {
    /// Checks every value against its documented range.
    pub fn validate(&self) -> Result<()> {
        let problem = if self.factors == 0 {
            Some("factors must be at least 1".to_string())
        } else if self.epochs == 0 || self.batch_size == 0 {
            Some("epochs and batch size must be at least 1".to_string())
        } else if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            Some(format!(
                "learning rate {} must be positive",
                self.learning_rate
            ))
        } else if self.loss == RankingLoss::SampledSoftmax && self.negatives == 0 {
            Some("the sampled softmax needs at least 1 negative".to_string())
        } else if !(self.regularization.is_finite() && self.regularization >= 0.0) {
            Some(format!(
                "regularization {} must be zero or positive",
                self.regularization
            ))
        } else {
            None
        };
        problem.map_or(Ok(()), |message| Err(Error::InvalidInput(message)))
    }
}

/// The trainable factors.
#[derive(Module, Debug)]
struct Factors {
    users: Param<Tensor<2>>,
    items: Param<Tensor<2>>,
    /// Item popularity bias, items × 1.
    item_bias: Param<Tensor<2>>,
}

impl Factors {
    fn init(shape: &Shape, seed: u64, device: &Device) -> Factors {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let bound = 0.1_f32;
        let mut draw =
            |n: usize| -> Vec<f32> { (0..n).map(|_| rng.random_range(-bound..bound)).collect() };
        let users = draw(shape.n_users * shape.factors);
        let items = draw(shape.n_items * shape.factors);
        Factors {
            users: Param::from_data(
                TensorData::new(users, [shape.n_users, shape.factors]),
                device,
            ),
            items: Param::from_data(
                TensorData::new(items, [shape.n_items, shape.factors]),
                device,
            ),
            item_bias: Param::from_data(
                TensorData::new(vec![0.0_f32; shape.n_items], [shape.n_items, 1]),
                device,
            ),
        }
    }
}

/// Sizes and the interactions seen in training: what a saved recommender needs besides weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Shape {
    n_users: usize,
    n_items: usize,
    factors: usize,
    /// Sorted items each user interacted with during fitting.
    seen: Vec<Vec<u32>>,
}

/// Fitted factors copied to the host for scoring.
#[derive(Debug, Clone)]
struct Fitted {
    shape: Shape,
    users: Array2<f32>,
    items: Array2<f32>,
    item_bias: Array1<f32>,
    /// burn's record bytes of the factors (what the model file stores).
    record: Vec<u8>,
}

/// A matrix-factorization recommender trained with BPR on burn.
///
/// Scores are `user · item + item bias`; recommendations rank by score, ties by lower item id.
///
/// ```
/// use specweave_core::{Interactions, Recommender};
/// use specweave_train::neural::{BprMatrixFactorization, BprParams};
///
/// let mut log = Interactions::builder();
/// for (user, item) in [("a", "x"), ("a", "y"), ("b", "y"), ("b", "z"), ("c", "x")] {
///     log.push(user, item, 1.0, 0)?;
/// }
/// let mut model = BprMatrixFactorization::new(BprParams { factors: 4, epochs: 3, ..BprParams::default() })?;
/// model.fit(&log.build())?;
/// let top = model.recommend(0, 2, true)?;
/// assert_eq!(top.len(), 1); // user `a` has seen two of the three items
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Clone)]
pub struct BprMatrixFactorization {
    params: BprParams,
    metrics: Arc<dyn MetricSink>,
    fitted: Option<Fitted>,
}

impl fmt::Debug for BprMatrixFactorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BprMatrixFactorization")
            .field("params", &self.params)
            .field(
                "fitted",
                &self
                    .fitted
                    .as_ref()
                    .map(|s| (s.shape.n_users, s.shape.n_items)),
            )
            .finish()
    }
}

impl BprMatrixFactorization {
    /// An unfitted recommender with validated hyperparameters.
    pub fn new(params: BprParams) -> Result<Self> {
        params.validate()?;
        Ok(BprMatrixFactorization {
            params,
            metrics: Arc::new(NoMetrics),
            fitted: None,
        })
    }

    /// Reports the per-epoch `train_loss` (mean BPR loss) to `sink`, the step being the epoch.
    pub fn with_metrics(mut self, sink: Arc<dyn MetricSink>) -> Self {
        self.metrics = sink;
        self
    }

    fn fitted(&self) -> Result<&Fitted> {
        self.fitted
            .as_ref()
            .ok_or_else(|| Error::model(ALGORITHM_BPR, "the recommender is not fitted"))
    }

    /// Top-`k` items for every user (index = internal user id), best first.
    ///
    /// Scores users in blocks with one matrix product per block, in parallel.
    pub fn recommend_all(&self, k: usize, exclude_seen: bool) -> Result<Vec<Vec<(u32, f64)>>> {
        let fitted = self.fitted()?;
        const BLOCK: usize = 256;
        let n_users = fitted.shape.n_users;
        let blocks: Vec<usize> = (0..n_users).step_by(BLOCK).collect();
        let lists: Vec<Vec<Vec<(u32, f64)>>> = blocks
            .into_par_iter()
            .map(|start| {
                let end = (start + BLOCK).min(n_users);
                let scores = fitted
                    .users
                    .slice(ndarray::s![start..end, ..])
                    .dot(&fitted.items.t())
                    + fitted.item_bias.view().insert_axis(Axis(0));
                scores
                    .rows()
                    .into_iter()
                    .enumerate()
                    .map(|(offset, row)| {
                        let seen =
                            exclude_seen.then(|| fitted.shape.seen[start + offset].as_slice());
                        top_k(row.as_slice().unwrap_or(&row.to_vec()), k, seen)
                    })
                    .collect()
            })
            .collect();
        Ok(lists.into_iter().flatten().collect())
    }

    fn train(&self, interactions: &Interactions) -> Result<Fitted> {
        let params = &self.params;
        let (n_users, n_items) = (interactions.n_users(), interactions.n_items());
        if interactions.is_empty() || n_items < 2 {
            return Err(Error::model(
                ALGORITHM_BPR,
                format!(
                    "needs interactions over at least 2 items; got {} over {n_items}",
                    interactions.len()
                ),
            ));
        }
        let mut seen = vec![Vec::new(); n_users];
        for (&u, &i) in interactions.users().iter().zip(interactions.items()) {
            seen[u as usize].push(i);
        }
        for items in &mut seen {
            items.sort_unstable();
            items.dedup();
        }
        let mut positives: Vec<(u32, u32)> = seen
            .iter()
            .enumerate()
            .flat_map(|(u, items)| items.iter().map(move |&i| (u as u32, i)))
            .collect();
        let shape = Shape {
            n_users,
            n_items,
            factors: params.factors,
            seen,
        };

        let choice = params
            .device
            .unwrap_or_else(DeviceChoice::from_env)
            .resolve();
        let device = choice.burn_device().autodiff();
        let mut factors = Factors::init(&shape, params.seed, &device);
        let mut optimizer = AdamConfig::new().with_epsilon(1e-8).init();
        let mut rng = ChaCha8Rng::seed_from_u64(params.seed.wrapping_add(1));
        for epoch in 0..params.epochs {
            positives.shuffle(&mut rng);
            let mut loss_sum: Option<Tensor<1>> = None;
            for batch in positives.chunks(params.batch_size) {
                let mut users = Vec::with_capacity(batch.len());
                let mut pos = Vec::with_capacity(batch.len());
                let mut neg = Vec::with_capacity(batch.len());
                for &(u, i) in batch {
                    let user_seen = &shape.seen[u as usize];
                    if user_seen.len() >= n_items {
                        continue; // a user who has seen everything has no negatives
                    }
                    let j = loop {
                        let candidate = rng.random_range(0..n_items as u32);
                        if user_seen.binary_search(&candidate).is_err() {
                            break candidate;
                        }
                    };
                    users.push(i64::from(u));
                    pos.push(i64::from(i));
                    neg.push(i64::from(j));
                }
                if users.is_empty() {
                    continue;
                }
                let n = users.len();
                let index =
                    |v: Vec<i64>| Tensor::<1, Int>::from_data(TensorData::new(v, [n]), &device);
                let (users, pos, neg) = (index(users), index(pos), index(neg));
                let u = factors.users.val().select(0, users);
                let vi = factors.items.val().select(0, pos.clone());
                let bi = factors.item_bias.val().select(0, pos);
                let (ranking, penalty) = match params.loss {
                    RankingLoss::Bpr => {
                        let vj = factors.items.val().select(0, neg.clone());
                        let bj = factors.item_bias.val().select(0, neg);
                        let difference = (u.clone() * (vi.clone() - vj.clone())).sum_dim(1)
                            + bi.clone()
                            - bj.clone();
                        let ranking = activation::log_sigmoid(difference).mean().mul_scalar(-1.0);
                        let penalty = u.square().sum()
                            + vi.square().sum()
                            + vj.square().sum()
                            + bi.square().sum()
                            + bj.square().sum();
                        (ranking, penalty)
                    }
                    RankingLoss::SampledSoftmax => {
                        let m = params.negatives;
                        let drawn: Vec<i64> = (0..m)
                            .map(|_| i64::from(rng.random_range(0..n_items as u32)))
                            .collect();
                        let drawn =
                            Tensor::<1, Int>::from_data(TensorData::new(drawn, [m]), &device);
                        let vn = factors.items.val().select(0, drawn.clone());
                        let bn = factors.item_bias.val().select(0, drawn);
                        let positive = (u.clone() * vi.clone()).sum_dim(1) + bi.clone();
                        let sampled =
                            u.clone().matmul(vn.clone().transpose()) + bn.clone().transpose();
                        let logits = Tensor::cat(vec![positive, sampled], 1);
                        let ranking = activation::log_softmax(logits, 1)
                            .narrow(1, 0, 1)
                            .mean()
                            .mul_scalar(-1.0);
                        let penalty = u.square().sum()
                            + vi.square().sum()
                            + bi.square().sum()
                            + (vn.square().sum() + bn.square().sum())
                                .mul_scalar(n as f64 / m as f64);
                        (ranking, penalty)
                    }
                };
                let penalty = penalty.mul_scalar(params.regularization / n as f64);
                let loss = ranking.clone() + penalty;
                let detached = ranking.detach().mul_scalar(n as f64);
                loss_sum = Some(match loss_sum {
                    Some(sum) => sum + detached,
                    None => detached,
                });
                let grads = GradientsParams::from_grads(loss.backward(), &factors);
                factors = optimizer.step(params.learning_rate, factors, grads);
            }
            if let Some(sum) = loss_sum {
                let mean = f64::from(tensor_values(sum)?.first().copied().unwrap_or(f32::NAN))
                    / positives.len() as f64;
                if !mean.is_finite() {
                    return Err(Error::model(
                        ALGORITHM_BPR,
                        format!("training diverged at epoch {epoch}"),
                    ));
                }
                self.metrics.log_metric("train_loss", mean, epoch as u64);
            }
        }
        let record = factors
            .clone()
            .into_record()
            .into_bytes()
            .map_err(|e| Error::model(ALGORITHM_BPR, format!("cannot serialise factors: {e}")))?
            .to_vec();
        Fitted::from_factors(shape, factors.valid(), record)
    }

    /// Rebuilds a fitted recommender from its model file.
    pub(crate) fn from_file(file: &ModelFile) -> Result<Self> {
        let (shape, record): (Shape, &[u8]) = decode_payload(file)?;
        if shape.seen.len() != shape.n_users || shape.factors == 0 {
            return Err(Error::ModelFile(format!(
                "`{ALGORITHM_BPR}` shape is inconsistent"
            )));
        }
        let params: BprParams = serde_json::from_value(file.header.info.params.clone())
            .map_err(|e| Error::ModelFile(format!("`{ALGORITHM_BPR}` params do not parse: {e}")))?;
        let device = Device::flex();
        let loaded = ModuleRecord::from_bytes(Bytes::from_bytes_vec(record.to_vec()))
            .and_then(|r| Factors::init(&shape, 0, &device).try_load_record(r))
            .map_err(|e| Error::ModelFile(format!("`{ALGORITHM_BPR}` factors do not load: {e}")))?;
        let fitted = Fitted::from_factors(shape, loaded, record.to_vec())?;
        Ok(BprMatrixFactorization {
            params,
            metrics: Arc::new(NoMetrics),
            fitted: Some(fitted),
        })
    }
}

impl Fitted {
    fn from_factors(shape: Shape, factors: Factors, record: Vec<u8>) -> Result<Fitted> {
        let to_array = |values: Vec<f32>, rows: usize, cols: usize| {
            Array2::from_shape_vec((rows, cols), values)
                .map_err(|e| Error::model(ALGORITHM_BPR, format!("factor shape: {e}")))
        };
        let users = to_array(
            tensor_values(factors.users.val())?,
            shape.n_users,
            shape.factors,
        )?;
        let items = to_array(
            tensor_values(factors.items.val())?,
            shape.n_items,
            shape.factors,
        )?;
        let item_bias = Array1::from(tensor_values(factors.item_bias.val())?);
        if item_bias.len() != shape.n_items {
            return Err(Error::model(
                ALGORITHM_BPR,
                "item bias length differs from the item count",
            ));
        }
        Ok(Fitted {
            shape,
            users,
            items,
            item_bias,
            record,
        })
    }

    fn check_user(&self, user: u32) -> Result<usize> {
        let index = user as usize;
        if index >= self.shape.n_users {
            return Err(Error::InvalidInput(format!(
                "unknown user {user}; the recommender knows {} users",
                self.shape.n_users
            )));
        }
        Ok(index)
    }

    fn user_scores(&self, user: usize) -> Vec<f32> {
        (self.items.dot(&self.users.row(user)) + &self.item_bias).to_vec()
    }
}

/// The `k` best items of one score row, ties broken by lower item id, skipping `seen`.
fn top_k(scores: &[f32], k: usize, seen: Option<&[u32]>) -> Vec<(u32, f64)> {
    let mut candidates: Vec<(u32, f32)> = scores
        .iter()
        .enumerate()
        .map(|(i, &s)| (i as u32, s))
        .filter(|(i, _)| seen.is_none_or(|items| items.binary_search(i).is_err()))
        .collect();
    let better = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if k < candidates.len() {
        candidates.select_nth_unstable_by(k, better);
        candidates.truncate(k);
    }
    candidates.sort_unstable_by(better);
    candidates
        .into_iter()
        .map(|(i, s)| (i, f64::from(s)))
        .collect()
}

impl Recommender for BprMatrixFactorization {
    fn name(&self) -> &str {
        ALGORITHM_BPR
    }

    fn params(&self) -> serde_json::Value {
        serde_json::to_value(&self.params).unwrap_or(serde_json::Value::Null)
    }

    fn fit(&mut self, interactions: &Interactions) -> Result<()> {
        self.fitted = Some(self.train(interactions)?);
        Ok(())
    }

    fn recommend(&self, user: u32, k: usize, exclude_seen: bool) -> Result<Vec<(u32, f64)>> {
        let fitted = self.fitted()?;
        let index = fitted.check_user(user)?;
        let seen = exclude_seen.then(|| fitted.shape.seen[index].as_slice());
        Ok(top_k(&fitted.user_scores(index), k, seen))
    }

    fn score(&self, user: u32, items: &[u32]) -> Result<Vec<f64>> {
        let fitted = self.fitted()?;
        let index = fitted.check_user(user)?;
        let user_row = fitted.users.row(index);
        items
            .iter()
            .map(|&item| {
                let i = item as usize;
                if i >= fitted.shape.n_items {
                    return Err(Error::InvalidInput(format!(
                        "unknown item {item}; the recommender knows {} items",
                        fitted.shape.n_items
                    )));
                }
                Ok(f64::from(
                    fitted.items.row(i).dot(&user_row) + fitted.item_bias[i],
                ))
            })
            .collect()
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        let fitted = self.fitted()?;
        let info = ModelInfo {
            algorithm: ALGORITHM_BPR.to_string(),
            problem: ProblemKind::Recommendation,
            params: serde_json::to_value(&self.params)?,
            feature_names: Vec::new(),
            class_names: Vec::new(),
            framework: FRAMEWORK.to_string(),
        };
        let payload = encode_payload(&fitted.shape, &fitted.record)?;
        Ok(ModelFile::new(info, PayloadEncoding::Binary, payload).encode())
    }
}
