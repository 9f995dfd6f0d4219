//! CPU tests of the burn-backed neural models on tiny generated data.

use ndarray::{Array1, Array2};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use specweave_core::{Dataset, Interactions, Learner, MetricSink, Recommender, Target};
use specweave_train::neural::{
    Activation, BprMatrixFactorization, BprParams, DeviceChoice, EarlyStopping, LrSchedule,
    MlpClassifier, MlpParams, MlpRegressor, OptimizerKind, RankingLoss, load_neural_model,
    load_neural_recommender,
};
use std::sync::{Arc, Mutex};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Records every metric it receives.
#[derive(Default)]
struct Recorder(Mutex<Vec<(String, f64, u64)>>);

impl MetricSink for Recorder {
    fn log_metric(&self, key: &str, value: f64, step: u64) {
        if let Ok(mut points) = self.0.lock() {
            points.push((key.to_string(), value, step));
        }
    }
}

impl Recorder {
    fn series(&self, key: &str) -> Vec<f64> {
        self.0
            .lock()
            .map(|points| points.iter().filter(|p| p.0 == key).map(|p| p.1).collect())
            .unwrap_or_default()
    }
}

/// Two noisy interleaved classes (a ring inside a disc): not linearly separable, 70/30.
fn rings(n: usize, seed: u64) -> Result<Dataset, specweave_core::Error> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = Array2::zeros((n, 3));
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let label = usize::from(rng.random_range(0.0..1.0) < 0.3);
        let radius = if label == 1 { 2.0 } else { 0.8 } + rng.random_range(-0.3..0.3);
        let angle: f64 = rng.random_range(0.0..std::f64::consts::TAU);
        x[[i, 0]] = radius * angle.cos() * 10.0 + 50.0; // unscaled on purpose
        x[[i, 1]] = radius * angle.sin();
        x[[i, 2]] = rng.random_range(-1.0..1.0); // noise feature
        labels.push(label);
    }
    Dataset::builder(x)
        .feature_names(["a", "b", "noise"])
        .target(Target::Classes {
            labels,
            class_names: vec!["inner".into(), "outer".into()],
        })
        .build()
}

fn small_params() -> MlpParams {
    MlpParams::default()
        .hidden_layers(vec![16, 8])
        .learning_rate(0.01)
        .batch_size(32)
        .epochs(40)
        .seed(3)
        .device(DeviceChoice::Cpu)
}

fn accuracy(predicted: &[usize], data: &Dataset) -> f64 {
    let Target::Classes { labels, .. } = data.target() else {
        return f64::NAN;
    };
    predicted.iter().zip(labels).filter(|(p, l)| p == l).count() as f64 / labels.len() as f64
}

#[test]
fn classifier_learns_beats_majority_and_reports_epochs() -> TestResult {
    let data = rings(300, 1)?;
    let recorder = Arc::new(Recorder::default());
    let learner = MlpClassifier::new(small_params())?.with_metrics(recorder.clone());
    let model = learner.fit(&data)?;
    let predictions = model.predict(data.features())?;
    let probabilities = predictions
        .probabilities()
        .ok_or("classifier returns probabilities")?;
    for row in probabilities.rows() {
        assert!((row.sum() - 1.0).abs() < 1e-5, "probabilities sum to one");
    }
    let labels = predictions.labels().ok_or("labels")?;
    let Target::Classes { labels: truth, .. } = data.target() else {
        return Err("classes".into());
    };
    let majority = truth
        .iter()
        .filter(|&&l| l == 0)
        .count()
        .max(truth.iter().filter(|&&l| l == 1).count()) as f64
        / truth.len() as f64;
    let acc = accuracy(&labels, &data);
    assert!(
        acc > majority + 0.1,
        "accuracy {acc} vs majority {majority}"
    );

    let losses = recorder.series("train_loss");
    assert_eq!(losses.len(), 40, "one train_loss per epoch");
    let (first, last) = (losses[0], losses[losses.len() - 1]);
    assert!(last < 0.5 * first, "loss decreases: {first} -> {last}");
    assert_eq!(recorder.series("learning_rate").len(), 40);
    Ok(())
}

#[test]
fn early_stopping_reports_validation_and_stops() -> TestResult {
    let data = rings(200, 2)?;
    let recorder = Arc::new(Recorder::default());
    let params = small_params()
        .epochs(400)
        .optimizer(OptimizerKind::AdamW { weight_decay: 1e-3 })
        .lr_schedule(LrSchedule::Cosine { min_lr: 1e-4 })
        .activation(Activation::Tanh)
        .dropout(0.1)
        .early_stopping(EarlyStopping {
            validation_fraction: 0.2,
            patience: 5,
            min_delta: 1e-3,
        });
    let model = MlpClassifier::new(params)?
        .with_metrics(recorder.clone())
        .fit(&data)?;
    let val = recorder.series("val_loss");
    assert!(
        !val.is_empty() && val.len() < 400,
        "stopped early after {} epochs",
        val.len()
    );
    assert_eq!(val.len(), recorder.series("val_accuracy").len());
    assert!(val.iter().all(|v| v.is_finite()));
    let labels = model.predict(data.features())?.labels().ok_or("labels")?;
    assert!(accuracy(&labels, &data) > 0.8);
    Ok(())
}

#[test]
fn class_weights_shift_predictions_towards_the_weighted_class() -> TestResult {
    let data = rings(200, 4)?;
    let base = small_params().hidden_layers(vec![]).epochs(15);
    let plain = MlpClassifier::new(base.clone())?.fit(&data)?;
    let weighted = MlpClassifier::new(base.class_weights(vec![1.0, 20.0]))?.fit(&data)?;
    let mean_p1 = |m: &dyn specweave_core::Model| -> Result<f64, specweave_core::Error> {
        Ok(m.predict(data.features())?
            .scores()?
            .mean()
            .unwrap_or(f64::NAN))
    };
    assert!(mean_p1(weighted.as_ref())? > mean_p1(plain.as_ref())? + 0.1);
    assert!(
        MlpClassifier::new(small_params().class_weights(vec![1.0]))
            .and_then(|l| l.fit(&data))
            .is_err()
    );
    Ok(())
}

#[test]
fn regressor_fits_a_nonlinear_function() -> TestResult {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let n = 256;
    let x: Array2<f64> = Array2::from_shape_fn((n, 2), |_| rng.random_range(-2.0..2.0));
    let y = Array1::from_shape_fn(n, |i| {
        100.0 + 30.0 * (x[[i, 0]] * x[[i, 1]]).sin() + 5.0 * x[[i, 0]]
    });
    let data = Dataset::builder(x)
        .target(Target::Continuous(y.clone()))
        .build()?;
    let recorder = Arc::new(Recorder::default());
    let model = MlpRegressor::new(
        small_params()
            .hidden_layers(vec![32, 32])
            .epochs(60)
            .lr_schedule(LrSchedule::Step {
                step_epochs: 20,
                gamma: 0.5,
            }),
    )?
    .with_metrics(recorder.clone())
    .fit(&data)?;
    let predicted = model.predict(data.features())?.scores()?;
    let mse = (&predicted - &y).mapv(|e| e * e).mean().unwrap_or(f64::NAN);
    let variance = y.var(0.0);
    assert!(mse < 0.2 * variance, "mse {mse} vs variance {variance}");
    let losses = recorder.series("train_loss");
    assert!(losses[losses.len() - 1] < losses[0]);
    Ok(())
}

#[test]
fn save_load_predicts_identically() -> TestResult {
    let data = rings(120, 6)?;
    let model = MlpClassifier::new(small_params().epochs(5))?.fit(&data)?;
    let bytes = model.to_bytes()?;
    let loaded = load_neural_model(&bytes)?;
    assert_eq!(loaded.info(), model.info());
    assert_eq!(
        loaded.predict(data.features())?,
        model.predict(data.features())?
    );
    let grads = model
        .as_differentiable()
        .ok_or("differentiable")?
        .input_gradients(data.features(), 1)?;
    let loaded_grads = loaded
        .as_differentiable()
        .ok_or("differentiable")?
        .input_gradients(data.features(), 1)?;
    assert_eq!(grads, loaded_grads);

    let mut corrupted = bytes.clone();
    let last = corrupted.len() - 1;
    corrupted[last] ^= 0xff;
    assert!(load_neural_model(&corrupted).is_err());
    assert!(load_neural_model(&bytes[..bytes.len() / 2]).is_err());
    Ok(())
}

#[test]
fn training_is_reproducible_with_a_seed() -> TestResult {
    let data = rings(100, 7)?;
    let a = MlpClassifier::new(small_params().epochs(3))?.fit(&data)?;
    let b = MlpClassifier::new(small_params().epochs(3))?.fit(&data)?;
    assert_eq!(a.predict(data.features())?, b.predict(data.features())?);
    Ok(())
}

/// Central finite differences of the raw output in f32 arithmetic.
fn finite_difference_check(
    model: &dyn specweave_core::Model,
    x: &Array2<f64>,
    output: usize,
) -> TestResult {
    let diff = model.as_differentiable().ok_or("MLPs are differentiable")?;
    let grads = diff.input_gradients(x.view(), output)?;
    assert_eq!(grads.dim(), x.dim());
    let h = 1e-2;
    for row in 0..x.nrows() {
        for col in 0..x.ncols() {
            let mut plus = x.row(row).to_owned().insert_axis(ndarray::Axis(0));
            let mut minus = plus.clone();
            plus[[0, col]] += h;
            minus[[0, col]] -= h;
            let numeric = (diff.raw_output(plus.view(), output)?[0]
                - diff.raw_output(minus.view(), output)?[0])
                / (2.0 * h);
            let analytic = grads[[row, col]];
            let tolerance = 2e-2 * numeric.abs().max(analytic.abs()).max(1.0);
            assert!(
                (numeric - analytic).abs() < tolerance,
                "row {row} col {col}: fd {numeric} vs autodiff {analytic}"
            );
        }
    }
    Ok(())
}

#[test]
fn gradients_match_finite_differences() -> TestResult {
    let data = rings(100, 8)?;
    // tanh keeps the function smooth, so central differences are accurate.
    let classifier =
        MlpClassifier::new(small_params().activation(Activation::Tanh).epochs(5))?.fit(&data)?;
    let x = data.features().slice(ndarray::s![..6, ..]).to_owned();
    finite_difference_check(classifier.as_ref(), &x, 0)?;
    finite_difference_check(classifier.as_ref(), &x, 1)?;
    assert!(
        classifier
            .as_differentiable()
            .ok_or("diff")?
            .input_gradients(x.view(), 2)
            .is_err()
    );

    let y = Array1::from_shape_fn(100, |i| data.features()[[i, 1]] * 3.0);
    let reg_data = Dataset::builder(data.features().to_owned())
        .target(Target::Continuous(y))
        .build()?;
    let regressor =
        MlpRegressor::new(small_params().activation(Activation::Tanh).epochs(5))?.fit(&reg_data)?;
    finite_difference_check(regressor.as_ref(), &x, 0)?;
    Ok(())
}

#[test]
fn bad_input_is_rejected_with_clear_errors() -> TestResult {
    assert!(MlpClassifier::new(MlpParams::default().hidden_layers(vec![4, 0])).is_err());
    assert!(MlpClassifier::new(MlpParams::default().learning_rate(-1.0)).is_err());
    assert!(MlpClassifier::new(MlpParams::default().batch_size(0)).is_err());
    let data = rings(50, 9)?;
    // A classifier refuses a continuous target.
    let continuous = Dataset::builder(data.features().to_owned())
        .target(Target::Continuous(Array1::zeros(50)))
        .build()?;
    let err = MlpClassifier::new(small_params())?
        .fit(&continuous)
        .err()
        .ok_or("must fail")?;
    assert!(err.to_string().contains("class"), "{err}");
    let model = MlpClassifier::new(small_params().epochs(1))?.fit(&data)?;
    let err = model
        .predict(Array2::zeros((2, 5)).view())
        .err()
        .ok_or("wrong width must fail")?;
    assert!(err.to_string().contains("input columns"), "{err}");
    let mut nan = Array2::zeros((2, 3));
    nan[[1, 2]] = f64::NAN;
    assert!(model.predict(nan.view()).is_err());
    assert!("tpu".parse::<DeviceChoice>().is_err());
    assert_eq!("cuda:0".parse::<DeviceChoice>()?, DeviceChoice::Cuda(0));
    Ok(())
}

#[test]
fn absent_gpu_falls_back_to_cpu() {
    // Without the cuda feature (or without a GPU) the choice resolves to the CPU.
    if !cfg!(feature = "cuda") {
        assert_eq!(DeviceChoice::Cuda(0).resolve(), DeviceChoice::Cpu);
    }
    assert_eq!(DeviceChoice::Cpu.resolve(), DeviceChoice::Cpu);
}

/// Users in two taste groups, each interacting with most items of its own group.
fn grouped_interactions() -> Result<(Interactions, Vec<(u32, u32)>), specweave_core::Error> {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let (n_users, n_items) = (60_u32, 40_u32);
    let mut users = Vec::new();
    let mut items = Vec::new();
    let mut held_out = Vec::new();
    for u in 0..n_users {
        let group = u % 2;
        let mut own: Vec<u32> = (0..n_items).filter(|i| i % 2 == group).collect();
        own.retain(|_| rng.random_range(0.0..1.0) < 0.7);
        if let Some(last) = own.pop() {
            held_out.push((u, last));
        }
        for i in own {
            users.push(u);
            items.push(i);
        }
    }
    let n = users.len();
    let interactions = Interactions::from_indices(
        users,
        items,
        vec![1.0; n],
        vec![0; n],
        (0..n_users).map(|u| format!("u{u}")).collect(),
        (0..n_items).map(|i| format!("i{i}")).collect(),
    )?;
    Ok((interactions, held_out))
}

#[test]
fn bpr_learns_groups_ranks_fast_and_round_trips() -> TestResult {
    let (interactions, held_out) = grouped_interactions()?;
    let recorder = Arc::new(Recorder::default());
    let params = BprParams {
        factors: 8,
        epochs: 25,
        batch_size: 128,
        learning_rate: 0.05,
        seed: 1,
        device: Some(DeviceChoice::Cpu),
        ..BprParams::default()
    };
    let mut model = BprMatrixFactorization::new(params)?.with_metrics(recorder.clone());
    model.fit(&interactions)?;
    let losses = recorder.series("train_loss");
    assert_eq!(losses.len(), 25);
    assert!(
        losses[24] < 0.7 * losses[0],
        "BPR loss decreases: {losses:?}"
    );

    // Held-out items of the user's own group rank in the top 10 far more often than chance.
    let all = model.recommend_all(10, true)?;
    let hits = held_out
        .iter()
        .filter(|(u, i)| all[*u as usize].iter().any(|(item, _)| item == i))
        .count();
    assert!(
        hits as f64 / held_out.len() as f64 > 0.5,
        "hit rate {hits}/{}",
        held_out.len()
    );
    for (u, list) in all.iter().enumerate() {
        // Same items in the same order; scores agree to f32 rounding (a batched matrix
        // product sums in a different order than one user's dot products).
        let single = model.recommend(u as u32, 10, true)?;
        let items = |l: &[(u32, f64)]| l.iter().map(|(i, _)| *i).collect::<Vec<_>>();
        assert_eq!(
            items(list),
            items(&single),
            "batched top-k equals per-user top-k"
        );
        for ((_, batched), (_, alone)) in list.iter().zip(&single) {
            assert!((batched - alone).abs() <= 1e-5 * alone.abs().max(1.0));
        }
        assert!(list.windows(2).all(|w| w[0].1 >= w[1].1));
    }
    let scores = model.score(0, &[0, 1, 2])?;
    assert_eq!(scores.len(), 3);
    assert!(model.recommend(1000, 5, false).is_err());
    assert!(model.score(0, &[1000]).is_err());

    let loaded = load_neural_recommender(&model.to_bytes()?)?;
    assert_eq!(
        loaded.recommend(3, 10, true)?,
        model.recommend(3, 10, true)?
    );
    assert_eq!(loaded.score(0, &[0, 1, 2])?, scores);
    assert!(
        load_neural_model(&model.to_bytes()?).is_err(),
        "a recommender is not an MLP"
    );
    Ok(())
}

#[test]
fn sampled_softmax_learns_groups_and_round_trips() -> TestResult {
    let (interactions, held_out) = grouped_interactions()?;
    let recorder = Arc::new(Recorder::default());
    let params = BprParams {
        factors: 8,
        epochs: 20,
        batch_size: 128,
        learning_rate: 0.05,
        seed: 2,
        device: Some(DeviceChoice::Cpu),
        loss: RankingLoss::SampledSoftmax,
        negatives: 16,
        ..BprParams::default()
    };
    let mut model = BprMatrixFactorization::new(params.clone())?.with_metrics(recorder.clone());
    model.fit(&interactions)?;
    let losses = recorder.series("train_loss");
    assert_eq!(losses.len(), 20);
    // a uniform guess among the positive and 16 negatives costs ln 17 ≈ 2.83
    assert!(losses[0] < 17f64.ln() + 0.1, "{losses:?}");
    // Half the negatives are of the user's own group and as likely as the positive once the
    // groups are learned, so the loss levels off near ln(1 + 8) ≈ 2.2 rather than 0.
    assert!(losses[19] < losses[0] - 0.5, "loss decreases: {losses:?}");
    let all = model.recommend_all(10, true)?;
    let hits = held_out
        .iter()
        .filter(|(u, i)| all[*u as usize].iter().any(|(item, _)| item == i))
        .count();
    assert!(
        hits as f64 / held_out.len() as f64 > 0.5,
        "hit rate {hits}/{}",
        held_out.len()
    );
    let loaded = load_neural_recommender(&model.to_bytes()?)?;
    assert_eq!(
        loaded.recommend(5, 10, true)?,
        model.recommend(5, 10, true)?
    );
    assert_eq!(loaded.params()["loss"], "sampled_softmax");

    let no_negatives = BprParams {
        negatives: 0,
        ..params
    };
    let error = BprMatrixFactorization::new(no_negatives).expect_err("no negatives");
    assert!(error.to_string().contains("negative"), "{error}");
    Ok(())
}
