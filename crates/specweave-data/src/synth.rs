//! Seeded synthetic data, so examples and tests need no downloads: imbalanced classification,
//! skewed customer-lifetime-value regression, implicit-feedback interactions and seasonal
//! series. The same spec and seed always give the same data.

use crate::error::{DataError, Result};
use ndarray::{Array1, Array2};
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, LogNormal, Normal, Poisson, StandardNormal};
use specweave_core::{Dataset, FeatureKind, Interactions, Series, Target};

const CHANNELS: [&str; 4] = ["card_present", "online", "phone", "recurring"];
const REGIONS: [&str; 4] = ["north", "south", "east", "west"];

fn normal(mean: f64, std: f64) -> Result<Normal<f64>> {
    Normal::new(mean, std)
        .map_err(|e| DataError::InvalidParams(format!("normal({mean}, {std}): {e}")))
}

/// A binary classification problem with a controllable share of positives (fraud-like).
///
/// Features: `informative_*` columns whose means shift with the class, `noise_*` columns that
/// carry no signal, and a categorical `channel` whose mix differs by class. Exactly
/// `round(n_rows × positive_rate)` rows (at least one) are positive, so a 0.1% rate is exact.
///
/// ```
/// use specweave_data::synth::ClassificationSpec;
/// let data = ClassificationSpec::new(10_000).positive_rate(0.001).seed(7).generate()?;
/// let labels = match data.target() { specweave_core::Target::Classes { labels, .. } => labels.clone(), _ => unreachable!() };
/// assert_eq!(labels.iter().filter(|&&l| l == 1).count(), 10);
/// # Ok::<(), specweave_data::DataError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClassificationSpec {
    n_rows: usize,
    n_informative: usize,
    n_noise: usize,
    positive_rate: f64,
    separation: f64,
    nonlinear: bool,
    seed: u64,
}

impl ClassificationSpec {
    /// `n_rows` rows, 4 informative and 4 noise features, 10% positives, separation 1.5.
    pub fn new(n_rows: usize) -> Self {
        ClassificationSpec {
            n_rows,
            n_informative: 4,
            n_noise: 4,
            positive_rate: 0.1,
            separation: 1.5,
            nonlinear: false,
            seed: 0,
        }
    }

    /// Positives lie *farther from the centre* of each informative feature, on either side,
    /// instead of shifted one way: the classes have the same means, so a linear model sees
    /// no signal while trees and neural networks do (fraud often looks like this: unusual in
    /// either direction).
    ///
    /// ```
    /// use specweave_data::synth::ClassificationSpec;
    /// let data = ClassificationSpec::new(4_000).positive_rate(0.5).nonlinear(true).seed(3).generate()?;
    /// let labels = data.target().as_f64().expect("classes");
    /// let x = data.features().column(0).to_owned();
    /// let mean = |class: f64| {
    ///     let rows: Vec<f64> = x.iter().zip(labels.iter()).filter(|(_, l)| **l == class).map(|(v, _)| *v).collect();
    ///     rows.iter().sum::<f64>() / rows.len() as f64
    /// };
    /// assert!((mean(1.0) - mean(0.0)).abs() < 0.2, "same means");
    /// # Ok::<(), specweave_data::DataError>(())
    /// ```
    pub fn nonlinear(mut self, nonlinear: bool) -> Self {
        self.nonlinear = nonlinear;
        self
    }

    /// Number of informative and noise features.
    pub fn features(mut self, informative: usize, noise: usize) -> Self {
        self.n_informative = informative;
        self.n_noise = noise;
        self
    }

    /// Share of positive rows, in (0, 1).
    pub fn positive_rate(mut self, rate: f64) -> Self {
        self.positive_rate = rate;
        self
    }

    /// Distance between the class means of each informative feature, in standard deviations.
    pub fn separation(mut self, separation: f64) -> Self {
        self.separation = separation;
        self
    }

    /// Random seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Generates the dataset (target `is_fraud` with classes `negative`, `positive`).
    pub fn generate(&self) -> Result<Dataset> {
        if self.n_rows < 2 {
            return Err(DataError::InvalidParams(
                "classification needs at least 2 rows".into(),
            ));
        }
        if !(self.positive_rate > 0.0 && self.positive_rate < 1.0) {
            return Err(DataError::InvalidParams(format!(
                "positive_rate must be in (0, 1), got {}",
                self.positive_rate
            )));
        }
        if !self.separation.is_finite() || self.separation < 0.0 {
            return Err(DataError::InvalidParams(
                "separation must be finite and >= 0".into(),
            ));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let positives =
            ((self.n_rows as f64 * self.positive_rate).round() as usize).clamp(1, self.n_rows - 1);
        let mut labels: Vec<usize> = (0..self.n_rows)
            .map(|i| usize::from(i < positives))
            .collect();
        labels.shuffle(&mut rng);
        let n_features = self.n_informative + self.n_noise + 1;
        let mut features = Array2::<f64>::zeros((self.n_rows, n_features));
        // Each informative feature shifts in its own direction, so signal is spread out.
        let directions: Vec<f64> = (0..self.n_informative)
            .map(|j| if j % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        for (row, &label) in labels.iter().enumerate() {
            for (j, direction) in directions.iter().enumerate() {
                let z: f64 = StandardNormal.sample(&mut rng);
                features[[row, j]] = if self.nonlinear {
                    z + z.signum() * self.separation * label as f64
                } else {
                    z + direction * self.separation * label as f64
                };
            }
            for j in 0..self.n_noise {
                features[[row, self.n_informative + j]] = StandardNormal.sample(&mut rng);
            }
            // Positives come mostly "online"; negatives spread over every channel.
            let channel = if label == 1 && rng.random_bool(0.6) {
                1
            } else {
                rng.random_range(0..CHANNELS.len())
            };
            features[[row, n_features - 1]] = channel as f64;
        }
        let mut names: Vec<String> = (0..self.n_informative)
            .map(|j| format!("informative_{j}"))
            .collect();
        names.extend((0..self.n_noise).map(|j| format!("noise_{j}")));
        names.push("channel".into());
        let mut kinds = vec![FeatureKind::Numeric; n_features - 1];
        kinds.push(FeatureKind::Categorical {
            categories: CHANNELS.iter().map(|c| c.to_string()).collect(),
        });
        Ok(Dataset::builder(features)
            .feature_names(names)
            .feature_kinds(kinds)
            .target(Target::Classes {
                labels,
                class_names: vec!["negative".into(), "positive".into()],
            })
            .target_name("is_fraud")
            .build()?)
    }
}

/// A skewed regression problem shaped like customer lifetime value.
///
/// Features `tenure_months`, `orders_per_month`, `avg_order_value`, `discount_rate`,
/// `support_tickets` and a categorical `region`; the target `lifetime_value` is their product
/// with multiplicative log-normal noise, so it is right-skewed with a long tail.
///
/// ```
/// use specweave_data::synth::RegressionSpec;
/// let data = RegressionSpec::new(2_000).seed(1).generate()?;
/// let y = data.target().as_f64().expect("continuous target");
/// let mean = y.mean().expect("rows");
/// let mut sorted = y.to_vec();
/// sorted.sort_by(f64::total_cmp);
/// assert!(mean > sorted[1_000], "right-skewed: mean above median");
/// # Ok::<(), specweave_data::DataError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RegressionSpec {
    n_rows: usize,
    noise: f64,
    seed: u64,
}

impl RegressionSpec {
    /// `n_rows` customers with noise 0.3 (the σ of the log-normal noise).
    pub fn new(n_rows: usize) -> Self {
        RegressionSpec {
            n_rows,
            noise: 0.3,
            seed: 0,
        }
    }

    /// σ of the multiplicative log-normal noise (0 gives a deterministic target).
    pub fn noise(mut self, sigma: f64) -> Self {
        self.noise = sigma;
        self
    }

    /// Random seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Generates the dataset.
    pub fn generate(&self) -> Result<Dataset> {
        if self.n_rows == 0 {
            return Err(DataError::InvalidParams(
                "regression needs at least 1 row".into(),
            ));
        }
        if !self.noise.is_finite() || self.noise < 0.0 {
            return Err(DataError::InvalidParams(
                "noise must be finite and >= 0".into(),
            ));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let tenure = Exp::new(1.0 / 18.0).map_err(|e| DataError::InvalidParams(e.to_string()))?;
        let orders =
            LogNormal::new(0.0, 0.6).map_err(|e| DataError::InvalidParams(e.to_string()))?;
        let value =
            LogNormal::new(3.5, 0.5).map_err(|e| DataError::InvalidParams(e.to_string()))?;
        let noise = normal(0.0, self.noise.max(f64::MIN_POSITIVE))?;
        let region_effect = [1.0, 0.8, 1.15, 0.95];
        let mut features = Array2::<f64>::zeros((self.n_rows, 6));
        let mut target = Vec::with_capacity(self.n_rows);
        for row in 0..self.n_rows {
            let tenure_draw: f64 = tenure.sample(&mut rng);
            let tenure_months = 1.0 + tenure_draw.floor();
            let orders_per_month: f64 = orders.sample(&mut rng);
            let avg_order_value: f64 = value.sample(&mut rng);
            let discount_rate = rng.random_range(0.0..0.3);
            let support_tickets = rng.random_range(0..6) as f64;
            let region = rng.random_range(0..REGIONS.len());
            let eps = if self.noise == 0.0 {
                0.0
            } else {
                noise.sample(&mut rng)
            };
            let clv = avg_order_value
                * orders_per_month
                * tenure_months.powf(0.8)
                * (1.0 - discount_rate)
                * (1.0 - 0.05 * support_tickets)
                * region_effect[region]
                * f64::exp(eps);
            features.row_mut(row).assign(&Array1::from(vec![
                tenure_months,
                orders_per_month,
                avg_order_value,
                discount_rate,
                support_tickets,
                region as f64,
            ]));
            target.push(clv);
        }
        let mut kinds = vec![FeatureKind::Numeric; 5];
        kinds.push(FeatureKind::Categorical {
            categories: REGIONS.iter().map(|r| r.to_string()).collect(),
        });
        Ok(Dataset::builder(features)
            .feature_names([
                "tenure_months",
                "orders_per_month",
                "avg_order_value",
                "discount_rate",
                "support_tickets",
                "region",
            ])
            .feature_kinds(kinds)
            .target(Target::Continuous(Array1::from(target)))
            .target_name("lifetime_value")
            .build()?)
    }
}

/// Implicit-feedback interactions drawn from latent user and item factors, with power-law
/// item popularity and increasing timestamps per user.
///
/// Each user picks distinct items with probability proportional to
/// `exp(affinity · ⟨u, v⟩) / rank^popularity_exponent`, so both taste and popularity matter;
/// events of a user are spaced by exponential gaps (mean one hour) after a random start.
///
/// ```
/// use specweave_data::synth::InteractionsSpec;
/// let log = InteractionsSpec::new(200, 500).interactions_per_user(20.0).seed(3).generate()?;
/// assert_eq!(log.n_users(), 200);
/// assert!(log.len() > 200 * 10);
/// # Ok::<(), specweave_data::DataError>(())
/// ```
#[derive(Debug, Clone)]
pub struct InteractionsSpec {
    n_users: usize,
    n_items: usize,
    per_user: f64,
    latent_dim: usize,
    affinity: f64,
    popularity_exponent: f64,
    start_ms: i64,
    seed: u64,
}

impl InteractionsSpec {
    /// `n_users` × `n_items`, 20 events per user on average, 8 latent factors, affinity 2,
    /// popularity exponent 0.8, starting 2024-01-01.
    pub fn new(n_users: usize, n_items: usize) -> Self {
        InteractionsSpec {
            n_users,
            n_items,
            per_user: 20.0,
            latent_dim: 8,
            affinity: 2.0,
            popularity_exponent: 0.8,
            start_ms: 1_704_067_200_000,
            seed: 0,
        }
    }

    /// Mean number of events per user (each user has at least one).
    pub fn interactions_per_user(mut self, mean: f64) -> Self {
        self.per_user = mean;
        self
    }

    /// Number of latent factors.
    pub fn latent_dim(mut self, dim: usize) -> Self {
        self.latent_dim = dim;
        self
    }

    /// Weight of taste (the factor dot product) against popularity; 0 gives pure popularity.
    pub fn affinity(mut self, affinity: f64) -> Self {
        self.affinity = affinity;
        self
    }

    /// Exponent `s` of the power law `1 / rank^s` of item popularity (0 is uniform).
    pub fn popularity_exponent(mut self, s: f64) -> Self {
        self.popularity_exponent = s;
        self
    }

    /// Random seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Generates the log; user ids are `u0`, `u1`, ..., item ids `i0`, `i1`, ... (item `iK`
    /// has popularity rank `K + 1`). Every event has weight 1.
    pub fn generate(&self) -> Result<Interactions> {
        if self.n_users == 0 || self.n_items == 0 {
            return Err(DataError::InvalidParams(
                "need at least one user and one item".into(),
            ));
        }
        if !(self.per_user >= 1.0 && self.per_user.is_finite()) {
            return Err(DataError::InvalidParams(
                "interactions_per_user must be >= 1".into(),
            ));
        }
        for (name, value) in [
            ("affinity", self.affinity),
            ("popularity_exponent", self.popularity_exponent),
        ] {
            if !value.is_finite() || value < 0.0 {
                return Err(DataError::InvalidParams(format!(
                    "{name} must be finite and >= 0"
                )));
            }
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let dim = self.latent_dim.max(1);
        let scale = 1.0 / (dim as f64).sqrt();
        let mut factors = |n: usize| -> Vec<f64> {
            (0..n * dim)
                .map(|_| {
                    let z: f64 = StandardNormal.sample(&mut rng);
                    z * scale
                })
                .collect()
        };
        let user_factors = factors(self.n_users);
        let item_factors = factors(self.n_items);
        let log_popularity: Vec<f64> = (0..self.n_items)
            .map(|i| -self.popularity_exponent * ((i + 1) as f64).ln())
            .collect();
        let count = Poisson::new(self.per_user - 1.0 + f64::MIN_POSITIVE)
            .map_err(|e| DataError::InvalidParams(e.to_string()))?;
        let gap =
            Exp::new(1.0 / 3_600_000.0).map_err(|e| DataError::InvalidParams(e.to_string()))?;
        let span_ms = 180.0 * 86_400_000.0;
        let (mut users, mut items, mut timestamps) = (Vec::new(), Vec::new(), Vec::new());
        let mut keys: Vec<(f64, u32)> = Vec::with_capacity(self.n_items);
        for user in 0..self.n_users {
            let wanted = (1 + count.sample(&mut rng) as usize).min(self.n_items);
            let u = &user_factors[user * dim..(user + 1) * dim];
            // Weighted sampling without replacement (Efraimidis–Spirakis with Gumbel keys):
            // the `wanted` largest of log w + Gumbel noise are a draw proportional to w.
            keys.clear();
            for item in 0..self.n_items {
                let v = &item_factors[item * dim..(item + 1) * dim];
                let dot: f64 = u.iter().zip(v).map(|(a, b)| a * b).sum();
                let uniform: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
                let gumbel = -(-uniform.ln()).ln();
                keys.push((
                    self.affinity * dot * (dim as f64).sqrt() + log_popularity[item] + gumbel,
                    item as u32,
                ));
            }
            keys.select_nth_unstable_by(wanted - 1, |a, b| b.0.total_cmp(&a.0));
            let chosen = &mut keys[..wanted];
            chosen.shuffle(&mut rng);
            let mut time = self.start_ms as f64 + rng.random_range(0.0..span_ms);
            for &(_, item) in chosen.iter() {
                time += gap.sample(&mut rng);
                users.push(user as u32);
                items.push(item);
                timestamps.push(time as i64);
            }
        }
        let n = users.len();
        Ok(Interactions::from_indices(
            users,
            items,
            vec![1.0; n],
            timestamps,
            (0..self.n_users).map(|u| format!("u{u}")).collect(),
            (0..self.n_items).map(|i| format!("i{i}")).collect(),
        )?)
    }
}

/// A seasonal series: level + linear trend + sine seasonality + Gaussian noise.
///
/// ```
/// use specweave_data::synth::SeriesSpec;
/// let sales = SeriesSpec::new(120).period(12).trend(0.5).noise(0.0).seed(1).generate()?;
/// let v = sales.values();
/// assert!((v[12] - v[0] - 6.0).abs() < 1e-9, "one season later: only the trend differs");
/// # Ok::<(), specweave_data::DataError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SeriesSpec {
    len: usize,
    level: f64,
    trend: f64,
    period: usize,
    amplitude: f64,
    noise: f64,
    start_ms: i64,
    step_ms: i64,
    seed: u64,
}

impl SeriesSpec {
    /// `len` daily observations: level 100, trend 0.1 per step, weekly period, amplitude 10,
    /// noise σ 2, starting 2024-01-01.
    pub fn new(len: usize) -> Self {
        SeriesSpec {
            len,
            level: 100.0,
            trend: 0.1,
            period: 7,
            amplitude: 10.0,
            noise: 2.0,
            start_ms: 1_704_067_200_000,
            step_ms: 86_400_000,
            seed: 0,
        }
    }

    /// Starting level.
    pub fn level(mut self, level: f64) -> Self {
        self.level = level;
        self
    }

    /// Increase per step.
    pub fn trend(mut self, trend: f64) -> Self {
        self.trend = trend;
        self
    }

    /// Season length in steps (at least 2).
    pub fn period(mut self, period: usize) -> Self {
        self.period = period;
        self
    }

    /// Amplitude of the seasonal sine.
    pub fn amplitude(mut self, amplitude: f64) -> Self {
        self.amplitude = amplitude;
        self
    }

    /// σ of the Gaussian noise.
    pub fn noise(mut self, sigma: f64) -> Self {
        self.noise = sigma;
        self
    }

    /// First timestamp and step, in ms.
    pub fn timing(mut self, start_ms: i64, step_ms: i64) -> Self {
        self.start_ms = start_ms;
        self.step_ms = step_ms;
        self
    }

    /// Random seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Generates the series.
    pub fn generate(&self) -> Result<Series> {
        if self.len == 0 || self.period < 2 || self.step_ms <= 0 {
            return Err(DataError::InvalidParams(
                "a series needs len >= 1, period >= 2 and step_ms > 0".into(),
            ));
        }
        if !self.noise.is_finite() || self.noise < 0.0 {
            return Err(DataError::InvalidParams(
                "noise must be finite and >= 0".into(),
            ));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let values: Vec<f64> = (0..self.len)
            .map(|t| {
                let season = (2.0 * std::f64::consts::PI * (t % self.period) as f64
                    / self.period as f64)
                    .sin();
                let z: f64 = StandardNormal.sample(&mut rng);
                self.level + self.trend * t as f64 + self.amplitude * season + self.noise * z
            })
            .collect();
        let timestamps = (0..self.len as i64)
            .map(|t| self.start_ms + t * self.step_ms)
            .collect();
        Ok(Series::new(timestamps, Array1::from(values))?)
    }
}

/// A wide mixed-type table written straight to Parquet batch by batch, for benchmarks and
/// profile tests of any size: numeric columns (normal, log-normal, uniform, with missing
/// values), integer counts and low-cardinality text.
///
/// Column `k` is `num_k` for `k % 10 < 8`, `count_k` for `k % 10 == 8` and `cat_k` otherwise.
///
/// ```
/// use specweave_data::synth::WideTableSpec;
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("wide.parquet");
/// WideTableSpec::new(1_000, 20).seed(1).write_parquet(&path)?;
/// let table = specweave_data::read_table(&path)?;
/// assert_eq!((table.n_rows(), table.column_names().len()), (1_000, 20));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct WideTableSpec {
    rows: usize,
    columns: usize,
    missing_rate: f64,
    batch_rows: usize,
    seed: u64,
}

impl WideTableSpec {
    /// `rows` × `columns`, 2% missing values in numeric columns.
    pub fn new(rows: usize, columns: usize) -> Self {
        WideTableSpec {
            rows,
            columns,
            missing_rate: 0.02,
            batch_rows: 65_536,
            seed: 0,
        }
    }

    /// Share of missing values in the numeric columns.
    pub fn missing_rate(mut self, rate: f64) -> Self {
        self.missing_rate = rate;
        self
    }

    /// Random seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Writes the table to a Parquet file (atomically), one batch at a time.
    pub fn write_parquet(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
        use arrow::datatypes::{DataType, Field, Schema};
        use std::sync::Arc;
        if self.columns == 0 || !(0.0..1.0).contains(&self.missing_rate) {
            return Err(DataError::InvalidParams(
                "a wide table needs at least one column and a missing rate in [0, 1)".into(),
            ));
        }
        let fields: Vec<Field> = (0..self.columns)
            .map(|k| match k % 10 {
                8 => Field::new(format!("count_{k}"), DataType::Int64, false),
                9 => Field::new(format!("cat_{k}"), DataType::Utf8, false),
                _ => Field::new(format!("num_{k}"), DataType::Float64, true),
            })
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let lognormal =
            LogNormal::new(0.0, 1.0).map_err(|e| DataError::InvalidParams(e.to_string()))?;
        let categories: Vec<String> = (0..12).map(|c| format!("segment_{c:02}")).collect();
        let (rows, batch_rows, columns, missing) =
            (self.rows, self.batch_rows, self.columns, self.missing_rate);
        let batch_schema = schema.clone();
        let batches = (0..rows.div_ceil(batch_rows)).map(move |b| {
            let n = batch_rows.min(rows - b * batch_rows);
            let arrays: Vec<ArrayRef> = (0..columns)
                .map(|k| -> ArrayRef {
                    match k % 10 {
                        8 => Arc::new(Int64Array::from_iter_values(
                            (0..n).map(|_| rng.random_range(0..50i64)),
                        )),
                        9 => Arc::new(StringArray::from_iter_values((0..n).map(|_| {
                            // Skewed: low codes far more common than high ones.
                            let u: f64 = rng.random();
                            categories[((u * u) * categories.len() as f64) as usize].as_str()
                        }))),
                        kind => Arc::new(Float64Array::from_iter((0..n).map(|_| {
                            if rng.random_bool(missing) {
                                return None;
                            }
                            let z: f64 = StandardNormal.sample(&mut rng);
                            Some(match kind % 3 {
                                0 => 100.0 + 15.0 * z,
                                1 => lognormal.sample(&mut rng),
                                _ => rng.random_range(-1.0..1.0),
                            })
                        }))),
                    }
                })
                .collect();
            Ok(RecordBatch::try_new(batch_schema.clone(), arrays)?)
        });
        crate::table::write_batches(path.as_ref(), schema, batches)
    }
}
