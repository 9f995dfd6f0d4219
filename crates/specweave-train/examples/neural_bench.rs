//! Trains the burn MLP and the BPR recommender on generated data and prints timings.
//!
//! ```text
//! cargo run --release -p specweave-train --example neural_bench -- \
//!     [--device cpu|cuda:0|wgpu] [--rows 20000] [--features 32] [--hidden 128,128]
//!     [--epochs 5] [--batch 256] [--write-data data.csv] [--predictions out.txt]
//! ```
//! `--write-data` stores the generated rows (last 20% = test) for the PyTorch peer
//! (`benches/peers/torch_mlp.py`); `--predictions` stores test-set probabilities and
//! recommender scores so two devices can be compared.

use ndarray::{Array2, s};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use specweave_core::{Dataset, Interactions, Learner, MetricSink, Recommender, Target};
use specweave_train::neural::{
    BprMatrixFactorization, BprParams, DeviceChoice, MlpClassifier, MlpParams,
};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

struct Options {
    device: DeviceChoice,
    rows: usize,
    features: usize,
    hidden: Vec<usize>,
    epochs: usize,
    batch: usize,
    write_data: Option<String>,
    predictions: Option<String>,
}

fn parse() -> Result<Options, Box<dyn std::error::Error>> {
    let mut options = Options {
        device: DeviceChoice::from_env(),
        rows: 20_000,
        features: 32,
        hidden: vec![128, 128],
        epochs: 5,
        batch: 256,
        write_data: None,
        predictions: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--device" => options.device = value()?.parse()?,
            "--rows" => options.rows = value()?.parse()?,
            "--features" => options.features = value()?.parse()?,
            "--hidden" => {
                options.hidden = value()?
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()?
            }
            "--epochs" => options.epochs = value()?.parse()?,
            "--batch" => options.batch = value()?.parse()?,
            "--write-data" => options.write_data = Some(value()?),
            "--predictions" => options.predictions = Some(value()?),
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    Ok(options)
}

/// Records when each epoch ends.
#[derive(Default)]
struct EpochClock(Mutex<Vec<(Instant, f64)>>);

impl MetricSink for EpochClock {
    fn log_metric(&self, key: &str, value: f64, _step: u64) {
        if key == "train_loss"
            && let Ok(mut ends) = self.0.lock()
        {
            ends.push((Instant::now(), value));
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = parse()?;
    let device = options.device.resolve();
    let (n, d) = (options.rows, options.features);
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let x = Array2::from_shape_fn((n, d), |_| rng.random_range(-2.0..2.0_f64));
    let labels: Vec<usize> = (0..n)
        .map(|i| {
            let signal = (x[[i, 0]] * 1.5).sin() + x[[i, 1]] * x[[i, 2 % d]] - 0.5 * x[[i, 3 % d]];
            usize::from(signal + rng.random_range(-0.3..0.3) > 0.0)
        })
        .collect();
    let n_train = n * 4 / 5;
    if let Some(path) = &options.write_data {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        let header: Vec<String> = (0..d)
            .map(|j| format!("f{j}"))
            .chain(["label".into()])
            .collect();
        writeln!(out, "{}", header.join(","))?;
        for (row, label) in x.rows().into_iter().zip(&labels) {
            let cells: Vec<String> = row.iter().map(|v| format!("{v:.17e}")).collect();
            writeln!(out, "{},{label}", cells.join(","))?;
        }
    }
    let class_names = vec!["neg".to_string(), "pos".to_string()];
    let train = Dataset::builder(x.slice(s![..n_train, ..]).to_owned())
        .target(Target::Classes {
            labels: labels[..n_train].to_vec(),
            class_names: class_names.clone(),
        })
        .build()?;
    let test_x = x.slice(s![n_train.., ..]).to_owned();

    let clock = Arc::new(EpochClock::default());
    let params = MlpParams::default()
        .hidden_layers(options.hidden.clone())
        .batch_size(options.batch)
        .epochs(options.epochs)
        .seed(7)
        .device(device);
    let started = Instant::now();
    let model = MlpClassifier::new(params)?
        .with_metrics(clock.clone())
        .fit(&train)?;
    let total = started.elapsed().as_secs_f64();
    let ends = clock.0.lock().map(|e| e.clone()).unwrap_or_default();
    // The first epoch includes warm-up (kernel compilation on GPUs); report the rest too.
    let steady = match (ends.first(), ends.last()) {
        (Some(first), Some(last)) if ends.len() > 1 => {
            (last.0 - first.0).as_secs_f64() / (ends.len() - 1) as f64
        }
        _ => total,
    };
    let probabilities = model.predict(test_x.view())?.scores()?;
    let log_loss = probabilities
        .iter()
        .zip(&labels[n_train..])
        .map(|(&p, &y)| {
            let p = p.clamp(1e-7, 1.0 - 1e-7);
            if y == 1 { -p.ln() } else { -(1.0 - p).ln() }
        })
        .sum::<f64>()
        / probabilities.len() as f64;
    println!(
        "mlp device={device} rows={n_train} features={d} hidden={:?} batch={} epochs={} total_s={total:.3} epoch_s={:.4} steady_epoch_s={steady:.4} rows_per_s={:.0} train_loss={:.5} test_log_loss={log_loss:.5}",
        options.hidden,
        options.batch,
        options.epochs,
        total / options.epochs as f64,
        n_train as f64 * options.epochs as f64 / total,
        ends.last().map_or(f64::NAN, |e| e.1),
    );

    // Recommender: 2 000 users × 1 000 items with group structure.
    let (n_users, n_items) = (2_000_u32, 1_000_u32);
    let (mut users, mut items) = (Vec::new(), Vec::new());
    for u in 0..n_users {
        for _ in 0..30 {
            let item = (u % 10) * 100 + rng.random_range(0..100);
            users.push(u);
            items.push(item.min(n_items - 1));
        }
    }
    let m = users.len();
    let interactions = Interactions::from_indices(
        users,
        items,
        vec![1.0; m],
        vec![0; m],
        (0..n_users).map(|u| u.to_string()).collect(),
        (0..n_items).map(|i| i.to_string()).collect(),
    )?;
    let bpr_params = BprParams {
        factors: 64,
        epochs: 5,
        batch_size: 4096,
        seed: 3,
        device: Some(device),
        ..BprParams::default()
    };
    let started = Instant::now();
    let mut recommender = BprMatrixFactorization::new(bpr_params)?;
    recommender.fit(&interactions)?;
    let fit_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let top = recommender.recommend_all(10, true)?;
    let topk_s = started.elapsed().as_secs_f64();
    println!(
        "bpr device={device} users={n_users} items={n_items} interactions={m} epochs=5 fit_s={fit_s:.3} triples_per_s={:.0} top10_all_users_s={topk_s:.4}",
        m as f64 * 5.0 / fit_s
    );

    if let Some(path) = &options.predictions {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        for p in &probabilities {
            writeln!(out, "mlp {p:.9e}")?;
        }
        for user in (0..n_users).step_by(97) {
            for (item, score) in top[user as usize].iter().take(3) {
                writeln!(out, "bpr {user} {item} {score:.9e}")?;
            }
        }
    }
    Ok(())
}
