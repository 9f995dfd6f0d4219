//! Cross-validation, tuning and imbalance handling over the learners.

mod common;

use common::*;
use specweave_core::{Dataset, Fold, Learner, MetricSink, Model, Splitter, Target};
use specweave_train::*;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Recorder {
    metrics: Mutex<Vec<(String, f64, u64)>>,
    trials: Mutex<Vec<Trial>>,
}

impl MetricSink for Recorder {
    fn log_metric(&self, key: &str, value: f64, step: u64) {
        self.metrics
            .lock()
            .expect("lock")
            .push((key.to_string(), value, step));
    }
}

impl TrialObserver for Recorder {
    fn on_trial(&self, trial: &Trial) {
        self.trials.lock().expect("lock").push(trial.clone());
    }
}

#[test]
fn cross_validation_reports_folds_summary_and_out_of_fold_predictions() {
    let data = binary(600, 4, 1);
    let learner = GradientBoosting::new(GradientBoostingParams {
        n_estimators: 20,
        ..Default::default()
    })
    .expect("params");
    let recorder = Arc::new(Recorder::default());
    let result = CrossValidation::new(vec![accuracy()])
        .sink(recorder.clone())
        .run(&learner, &data, &KFold(4))
        .expect("cv");
    assert_eq!(result.folds.len(), 4);
    assert_eq!(result.oof_rows, (0..600).collect::<Vec<_>>());
    let values: Vec<f64> = result.folds.iter().map(|f| f.metrics["accuracy"]).collect();
    let summary = MetricSummary::of(&values);
    assert_eq!(result.summary["accuracy"], summary);
    assert!(summary.mean > 0.85, "{summary:?}");
    // Out-of-fold accuracy equals the mean of equal-sized folds.
    let oof_accuracy = accuracy_on(&data, &result.oof_predictions);
    assert!((oof_accuracy - summary.mean).abs() < 1e-12);
    assert_eq!(
        recorder
            .metrics
            .lock()
            .expect("lock")
            .iter()
            .filter(|m| m.0 == "cv_accuracy")
            .count(),
        4
    );
}

#[derive(Debug)]
struct Shuffled;
impl Splitter for Shuffled {
    fn name(&self) -> String {
        "shuffled".into()
    }
    fn split(&self, data: &Dataset) -> specweave_core::Result<Vec<Fold>> {
        KFold(2).split(data)
    }
}

#[test]
fn time_stamped_data_needs_a_time_ordered_splitter() {
    let data = regression(40, 1);
    let (x, names, target) = data.into_parts();
    let timed = Dataset::builder(x)
        .feature_names(names)
        .target(target)
        .timestamps((0..40).collect())
        .build()
        .expect("data");
    let err = cross_validate(&DummyRegressor::default(), &timed, &Shuffled, &[rmse()])
        .expect_err("shuffled split of a series");
    assert!(err.to_string().contains("time-ordered"), "{err}");
}

#[test]
fn a_failing_fold_names_the_fold() {
    // Logistic regression refuses NaN features; the error says which fold failed.
    let data = binary(100, 3, 4);
    let (mut x, names, target) = data.into_parts();
    x[[3, 0]] = f64::NAN;
    let data = Dataset::builder(x)
        .feature_names(names)
        .target(target)
        .build()
        .expect("data");
    let err = cross_validate(
        &LogisticRegression::default(),
        &data,
        &KFold(2),
        &[accuracy()],
    )
    .expect_err("NaN");
    assert!(err.to_string().contains("fold"), "{err}");
}

#[test]
fn grid_random_and_halving_search_find_good_parameters_deterministically() {
    let data = regression(400, 2);
    let space: SearchSpace = serde_json::from_value(serde_json::json!({
        "alpha": {"type": "float", "low": 1e-4, "high": 1e3, "log": true}
    }))
    .expect("space");
    let recorder = Recorder::default();
    let grid = Tuner::new(
        "ridge",
        space.clone(),
        SearchStrategy::Grid { steps: 8 },
        "rmse",
        Direction::Minimize,
    )
    .run(&data, &KFold(3), &[rmse()], &recorder, &recorder)
    .expect("grid");
    assert_eq!(grid.trials.len(), 8);
    assert_eq!(recorder.trials.lock().expect("lock").len(), 8);
    assert!(
        grid.best_params["alpha"].as_f64().expect("alpha") < 0.1,
        "{:?}",
        grid.best_params
    );
    assert!(grid.best_score < 0.05);

    let forest_space: SearchSpace = serde_json::from_value(serde_json::json!({
        "num_leaves": {"type": "int", "low": 2, "high": 31},
        "learning_rate": {"type": "float", "low": 0.01, "high": 0.5, "log": true},
        "subsample": {"type": "categorical", "choices": [0.6, 1.0]}
    }))
    .expect("space");
    let tuner = Tuner::new(
        "gradient_boosting",
        forest_space,
        SearchStrategy::Random { n_trials: 4 },
        "rmse",
        Direction::Minimize,
    )
    .base_params(serde_json::json!({"n_estimators": 20}))
    .seed(3);
    let a = tuner
        .run(
            &data,
            &KFold(2),
            &[rmse()],
            &NoTrialObserver,
            &specweave_core::NoMetrics,
        )
        .expect("random");
    let b = tuner
        .run(
            &data,
            &KFold(2),
            &[rmse()],
            &NoTrialObserver,
            &specweave_core::NoMetrics,
        )
        .expect("random");
    assert_eq!(
        a.trials
            .iter()
            .map(|t| t.params.clone())
            .collect::<Vec<_>>(),
        b.trials
            .iter()
            .map(|t| t.params.clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(a.best_score, b.best_score);
    assert!(a.trials.iter().all(|t| t.params["n_estimators"] == 20));

    let halving = Tuner::new(
        "ridge",
        space,
        SearchStrategy::SuccessiveHalving {
            n_candidates: 9,
            eta: 3,
            min_fraction: 0.2,
        },
        "rmse",
        Direction::Minimize,
    )
    .seed(1)
    .run(
        &data,
        &KFold(2),
        &[rmse()],
        &NoTrialObserver,
        &specweave_core::NoMetrics,
    )
    .expect("halving");
    let rungs: Vec<usize> = halving.trials.iter().map(|t| t.rung).collect();
    assert_eq!(rungs.iter().filter(|&&r| r == 0).count(), 9);
    assert_eq!(rungs.iter().filter(|&&r| r == 1).count(), 3);
    assert_eq!(rungs.iter().filter(|&&r| r == 2).count(), 1);
    let last = halving.trials.last().expect("trials");
    assert_eq!(last.n_rows, 400);
    assert_eq!(halving.best_params, last.params);
}

#[test]
fn failed_trials_are_recorded_and_skipped() {
    let data = regression(100, 2);
    let space: SearchSpace = serde_json::from_value(serde_json::json!({
        "alpha": {"type": "categorical", "choices": [-1.0, 0.5]}
    }))
    .expect("space");
    let result = Tuner::new(
        "ridge",
        space,
        SearchStrategy::Grid { steps: 2 },
        "rmse",
        Direction::Minimize,
    )
    .run(
        &data,
        &KFold(2),
        &[rmse()],
        &NoTrialObserver,
        &specweave_core::NoMetrics,
    )
    .expect("search");
    assert!(
        result.trials[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("alpha"))
    );
    assert_eq!(result.best_params["alpha"], 0.5);
    let bad_space: SearchSpace = serde_json::from_value(
        serde_json::json!({"alpha": {"type": "float", "low": 0.0, "high": 1.0, "log": true}}),
    )
    .expect("space");
    assert!(
        Tuner::new(
            "ridge",
            bad_space,
            SearchStrategy::Random { n_trials: 1 },
            "rmse",
            Direction::Minimize
        )
        .run(
            &data,
            &KFold(2),
            &[rmse()],
            &NoTrialObserver,
            &specweave_core::NoMetrics
        )
        .is_err()
    );
}

fn imbalanced(rows: usize, seed: u64) -> Dataset {
    let data = binary(rows, 4, seed);
    let (x, names, target) = data.into_parts();
    let Target::Classes {
        labels,
        class_names,
    } = target
    else {
        panic!("classes")
    };
    // Keep one positive in five: about 8% positives.
    let keep: Vec<usize> = (0..labels.len())
        .filter(|&r| labels[r] == 0 || r % 5 == 0)
        .collect();
    Dataset::builder(x.select(ndarray::Axis(0), &keep))
        .feature_names(names)
        .target(Target::Classes {
            labels: keep.iter().map(|&r| labels[r]).collect(),
            class_names,
        })
        .build()
        .expect("data")
}

#[test]
fn thresholds_tuned_out_of_fold_reach_the_precision_target_and_are_saved() {
    let data = imbalanced(3000, 7);
    let inner = Arc::new(
        GradientBoosting::new(GradientBoostingParams {
            n_estimators: 30,
            ..Default::default()
        })
        .expect("params"),
    );
    let tuned = ThresholdTuned::new(
        inner,
        Arc::new(KFold(3)),
        ThresholdObjective::MinPrecision(0.9),
    );
    let model = tuned.fit_thresholded(&data).expect("fit");
    let choice = model.choice();
    assert!(choice.precision >= 0.9, "{choice:?}");
    assert!(choice.recall > 0.3, "{choice:?}");
    let bytes = model.to_bytes().expect("save");
    let loaded = load_model(&bytes).expect("load");
    assert_eq!(loaded.info().algorithm, "thresholded");
    assert_eq!(loaded.info().params["decision_threshold"], choice.threshold);
    assert_eq!(
        loaded.predict(data.features()).expect("p"),
        model.predict(data.features()).expect("p")
    );
    let labels = model.predict_labels(data.features()).expect("labels");
    let scores = model
        .predict(data.features())
        .expect("p")
        .scores()
        .expect("binary");
    assert!(
        labels
            .iter()
            .zip(scores.iter())
            .all(|(&l, &s)| (l == 1) == (s >= choice.threshold))
    );
    assert!(loaded.as_tree_model().is_some());
}

#[test]
fn resampling_and_class_weights_rebalance_classes() {
    let data = imbalanced(2000, 3);
    let Target::Classes { labels, .. } = data.target() else {
        panic!("classes")
    };
    let positives = labels.iter().filter(|&&l| l == 1).count();
    let under = resample(&data, Resampling::RandomUnder { ratio: 0.5 }, 1).expect("under");
    let Target::Classes {
        labels: under_labels,
        ..
    } = under.target()
    else {
        panic!("classes")
    };
    assert_eq!(under_labels.iter().filter(|&&l| l == 1).count(), positives);
    assert_eq!(
        under_labels.iter().filter(|&&l| l == 0).count(),
        positives * 2
    );
    let over = resample(&data, Resampling::RandomOver { ratio: 1.0 }, 1).expect("over");
    let Target::Classes {
        labels: over_labels,
        ..
    } = over.target()
    else {
        panic!("classes")
    };
    assert_eq!(
        over_labels.iter().filter(|&&l| l == 1).count(),
        over_labels.iter().filter(|&&l| l == 0).count()
    );
    assert_eq!(
        resample(&data, Resampling::RandomOver { ratio: 1.0 }, 1).expect("again"),
        over
    );

    let weighted = with_class_weights(&data, &ClassWeight::Balanced).expect("weights");
    let w = weighted.weights().expect("weights");
    let total_pos: f64 = labels
        .iter()
        .zip(w.iter())
        .filter(|(l, _)| **l == 1)
        .map(|(_, w)| w)
        .sum();
    let total_neg: f64 = labels
        .iter()
        .zip(w.iter())
        .filter(|(l, _)| **l == 0)
        .map(|(_, w)| w)
        .sum();
    assert!((total_pos - total_neg).abs() < 1e-6);
    // A balanced booster predicts the minority class more often than an unweighted one.
    let learner = GradientBoosting::new(GradientBoostingParams {
        n_estimators: 20,
        ..Default::default()
    })
    .expect("params");
    let count_positive = |model: Box<dyn Model>| {
        model
            .predict(data.features())
            .expect("p")
            .labels()
            .expect("labels")
            .iter()
            .filter(|&&l| l == 1)
            .count()
    };
    assert!(
        count_positive(learner.fit(&weighted).expect("fit"))
            > count_positive(learner.fit(&data).expect("fit"))
    );
    let err = with_class_weights(
        &data,
        &ClassWeight::Custom([("nope".to_string(), 2.0)].into()),
    )
    .expect_err("unknown class");
    assert!(err.to_string().contains("neg"), "{err}");
}

#[test]
fn a_class_weight_parameter_weights_any_learner_that_honours_sample_weights() {
    let data = imbalanced(2000, 5);
    let positives_predicted = |params: serde_json::Value| {
        let learner = learner_from_params("gradient_boosting", &params).expect("learner");
        learner
            .fit(&data)
            .expect("fit")
            .predict(data.features())
            .expect("p")
            .labels()
            .expect("labels")
            .iter()
            .filter(|&&l| l == 1)
            .count()
    };
    let plain = positives_predicted(serde_json::json!({"n_estimators": 20}));
    let balanced =
        positives_predicted(serde_json::json!({"n_estimators": 20, "class_weight": "balanced"}));
    let custom =
        positives_predicted(serde_json::json!({"n_estimators": 20, "class_weight": {"pos": 12.0}}));
    assert!(balanced > plain, "{balanced} vs {plain}");
    assert!(custom > plain, "{custom} vs {plain}");

    let learner = learner_from_params(
        "random_forest",
        &serde_json::json!({"n_estimators": 10, "class_weight": "balanced"}),
    )
    .expect("forest");
    assert_eq!(learner.params()["class_weight"], "balanced");
    assert_eq!(learner.params()["n_estimators"], 10);
    let rebuilt = learner_from_params(learner.name(), &learner.params()).expect("round trip");
    assert_eq!(rebuilt.params(), learner.params());

    let knn = learner_from_params(
        "k_nearest_neighbours",
        &serde_json::json!({"class_weight": "balanced"}),
    )
    .expect_err("k-NN ignores weights");
    assert!(knn.to_string().contains("sample weights"), "{knn}");
    let bad = learner_from_params(
        "gradient_boosting",
        &serde_json::json!({"class_weight": "even"}),
    )
    .expect_err("unknown scheme");
    assert!(bad.to_string().contains("balanced"), "{bad}");
}
