//! Trains our learners on the generated peer-comparison data and prints one JSON line per
//! model (train and predict seconds, held-out ROC AUC or RMSE), for
//! `benches/peers/sklearn_train.py` to print beside scikit-learn and LightGBM.
//!
//! `cargo run --release -p specweave-train --example peer_comparison -- [rows] [models]`
//! where `models` is a comma list of `logistic,forest,boosting` (default: all).

use ndarray::{Array1, Array2};
use specweave_core::{Dataset, Learner, Target};
use specweave_train::{
    GradientBoosting, GradientBoostingParams, LogisticRegression, LogisticRegressionParams,
    RandomForest, RandomForestParams,
};
use std::time::Instant;

/// SplitMix64 of a counter: the same stream numpy reproduces in the peer script.
fn uniform(seed: u64, counter: u64) -> f64 {
    let mut z = seed.wrapping_add(counter.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// Features uniform in [-1, 1]; the score mixes linear, interaction and non-linear terms.
fn generate(rows: usize, features: usize, seed: u64) -> (Array2<f64>, Array1<f64>, Array1<f64>) {
    let x = Array2::from_shape_fn((rows, features), |(i, j)| {
        2.0 * uniform(seed, (i * features + j) as u64) - 1.0
    });
    let noise_base = (rows * features) as u64;
    let mut score = Array1::zeros(rows);
    let mut value = Array1::zeros(rows);
    for i in 0..rows {
        let r = x.row(i);
        let s =
            1.5 * r[0] - 2.0 * r[1] + 2.0 * r[2] * r[3] + (3.0 * r[4]).sin() + 0.5 * r[5] * r[5]
                - r[6].abs()
                + 0.25 * (r[7] + r[8] + r[9]);
        score[i] = s;
        value[i] = s + 0.3 * (uniform(seed, noise_base + rows as u64 + i as u64) - 0.5);
        let p = 1.0 / (1.0 + (-2.0 * s).exp());
        let u = uniform(seed, noise_base + i as u64);
        score[i] = if u < p { 1.0 } else { 0.0 };
    }
    (x, score, value)
}

fn roc_auc(labels: &[usize], scores: &[f64]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Mann-Whitney U with average ranks for ties.
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let average_rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            if labels[k] == 1 {
                rank_sum_pos += average_rank;
            }
        }
        i = j + 1;
    }
    let n_pos = labels.iter().filter(|&&l| l == 1).count() as f64;
    let n_neg = labels.len() as f64 - n_pos;
    (rank_sum_pos - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let rows: usize = args
        .get(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(200_000);
    let models = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| "logistic,forest,boosting".into());
    let features = 30;
    let test_rows = 50_000;
    let (x, y, v) = generate(rows + test_rows, features, 42);
    let train_x = x.slice(ndarray::s![..rows, ..]).to_owned();
    let test_x = x.slice(ndarray::s![rows.., ..]).to_owned();
    let labels: Vec<usize> = y.iter().map(|&l| l as usize).collect();
    let (train_labels, test_labels) = labels.split_at(rows);
    let class_names = vec!["0".to_string(), "1".to_string()];
    let binary = Dataset::builder(train_x.clone())
        .target(Target::Classes {
            labels: train_labels.to_vec(),
            class_names,
        })
        .build()?;
    let regression = Dataset::builder(train_x)
        .target(Target::Continuous(v.slice(ndarray::s![..rows]).to_owned()))
        .build()?;
    let test_values = v.slice(ndarray::s![rows..]).to_owned();

    let mut runs: Vec<(&str, &str, Box<dyn Learner>)> = Vec::new();
    if models.contains("logistic") {
        runs.push((
            "logistic_regression",
            "binary",
            Box::new(LogisticRegression::new(LogisticRegressionParams::default())?),
        ));
    }
    if models.contains("forest") {
        runs.push((
            "random_forest",
            "binary",
            Box::new(RandomForest::new(RandomForestParams::default())?),
        ));
    }
    if models.contains("boosting") {
        runs.push((
            "gradient_boosting",
            "binary",
            Box::new(GradientBoosting::new(GradientBoostingParams::default())?),
        ));
        runs.push((
            "gradient_boosting",
            "regression",
            Box::new(GradientBoosting::new(GradientBoostingParams::default())?),
        ));
    }
    for (name, task, learner) in runs {
        let data = if task == "binary" {
            &binary
        } else {
            &regression
        };
        let started = Instant::now();
        let model = learner.fit(data)?;
        let train_s = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let predictions = model.predict(test_x.view())?;
        let predict_s = started.elapsed().as_secs_f64();
        let scores = predictions.scores()?;
        let (metric, value) = if task == "binary" {
            (
                "roc_auc",
                roc_auc(test_labels, scores.as_slice().unwrap_or(&scores.to_vec())),
            )
        } else {
            (
                "rmse",
                ((&scores - &test_values)
                    .mapv(|d| d * d)
                    .mean()
                    .unwrap_or(f64::NAN))
                .sqrt(),
            )
        };
        println!(
            "{}",
            serde_json::json!({"library": "specweave", "model": name, "task": task, "rows": rows,
                "train_s": train_s, "predict_s": predict_s, "metric": metric, "value": value,
                "data_check": train_labels.iter().sum::<usize>() as f64 + x.sum()})
        );
    }
    Ok(())
}
