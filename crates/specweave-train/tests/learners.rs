//! Every learner fits classification or regression data, predicts sensibly, round-trips
//! through model files and exposes its trees with consistent covers.

mod common;

use common::*;
use specweave_core::{Dataset, Learner, Model, OutputLink, Predictions};
use specweave_train::*;

fn assert_round_trip(model: &dyn Model, data: &Dataset) {
    let bytes = model.to_bytes().expect("save");
    let loaded = load_model(&bytes).expect("load");
    assert_eq!(loaded.info(), model.info());
    assert_eq!(
        loaded.predict(data.features()).expect("predict loaded"),
        model.predict(data.features()).expect("predict original"),
        "{} predicts differently after loading",
        model.info().algorithm
    );
    assert!(
        load_model(&bytes[..bytes.len() - 3]).is_err(),
        "truncated file must fail"
    );
    let mut altered = bytes.clone();
    let last = altered.len() - 2;
    altered[last] ^= 0x55;
    assert!(load_model(&altered).is_err(), "altered file must fail");
}

fn assert_probabilities(predictions: &Predictions) {
    let p = predictions
        .probabilities()
        .expect("a classifier returns probabilities");
    for row in p.rows() {
        assert!((row.sum() - 1.0).abs() < 1e-9, "row sums to {}", row.sum());
        assert!(row.iter().all(|&v| (0.0..=1.0 + 1e-12).contains(&v)));
    }
}

fn assert_covers(model: &dyn Model, n_rows: f64) {
    let ensemble = model.as_tree_model().expect("tree model").tree_ensemble();
    for tree in ensemble.trees() {
        for node in 0..tree.n_nodes() {
            if !tree.is_leaf(node) {
                let (l, r) = (tree.left[node] as usize, tree.right[node] as usize);
                let sum = tree.cover[l] + tree.cover[r];
                assert!(
                    (sum - tree.cover[node]).abs() <= 1e-6 * tree.cover[node].max(1.0),
                    "children covers {sum} vs {}",
                    tree.cover[node]
                );
            }
        }
        if ensemble.link() == OutputLink::Identity {
            assert!(tree.cover[0] > 0.0 && tree.cover[0] <= n_rows * 1.0001);
        }
    }
}

#[test]
fn classifiers_learn_binary_data_and_round_trip() {
    let train = binary(1500, 6, 1);
    let test = binary(800, 6, 2);
    let learners: Vec<(Box<dyn Learner>, f64)> = vec![
        (
            Box::new(DummyClassifier::new(ClassifierStrategy::MostFrequent)),
            0.4,
        ),
        (
            Box::new(
                LogisticRegression::new(LogisticRegressionParams {
                    alpha: 0.1,
                    ..Default::default()
                })
                .expect("params"),
            ),
            0.8,
        ),
        (
            Box::new(
                DecisionTree::new(DecisionTreeParams {
                    max_depth: 8,
                    ..Default::default()
                })
                .expect("params"),
            ),
            0.85,
        ),
        (
            Box::new(
                RandomForest::new(RandomForestParams {
                    n_estimators: 30,
                    ..Default::default()
                })
                .expect("params"),
            ),
            0.88,
        ),
        (
            Box::new(
                GradientBoosting::new(GradientBoostingParams {
                    n_estimators: 60,
                    ..Default::default()
                })
                .expect("params"),
            ),
            0.9,
        ),
    ];
    for (learner, floor) in learners {
        let model = learner.fit(&train).expect("fit");
        let predictions = model.predict(test.features()).expect("predict");
        assert_probabilities(&predictions);
        let accuracy = accuracy_on(&test, &predictions);
        assert!(
            accuracy >= floor,
            "{} accuracy {accuracy} below {floor}",
            learner.name()
        );
        assert_round_trip(model.as_ref(), &test);
        if model.as_tree_model().is_some() {
            assert_covers(model.as_ref(), train.n_rows() as f64);
        }
    }
}

#[test]
fn classifiers_handle_three_classes() {
    let train = multiclass(1200, 3);
    let test = multiclass(600, 4);
    let learners: Vec<Box<dyn Learner>> = vec![
        Box::new(LogisticRegression::new(LogisticRegressionParams::default()).expect("params")),
        Box::new(DecisionTree::new(DecisionTreeParams::default()).expect("params")),
        Box::new(
            RandomForest::new(RandomForestParams {
                n_estimators: 20,
                ..Default::default()
            })
            .expect("params"),
        ),
        Box::new(
            GradientBoosting::new(GradientBoostingParams {
                n_estimators: 40,
                ..Default::default()
            })
            .expect("params"),
        ),
    ];
    for learner in learners {
        let model = learner.fit(&train).expect("fit");
        let predictions = model.predict(test.features()).expect("predict");
        assert_eq!(
            predictions.probabilities().expect("probabilities").ncols(),
            3
        );
        assert_probabilities(&predictions);
        let accuracy = accuracy_on(&test, &predictions);
        assert!(accuracy > 0.85, "{} accuracy {accuracy}", learner.name());
        assert_round_trip(model.as_ref(), &test);
    }
}

#[test]
fn regressors_learn_a_linear_signal_and_round_trip() {
    let train = regression(1500, 5);
    let test = regression(500, 6);
    let learners: Vec<(Box<dyn Learner>, f64)> = vec![
        (Box::new(DummyRegressor::new(RegressorStrategy::Mean)), 2.5),
        (Box::new(LinearRegression::default()), 0.02),
        (
            Box::new(Ridge::new(RidgeParams { alpha: 0.1 }).expect("params")),
            0.05,
        ),
        (Box::new(ElasticNet::lasso(0.001).expect("params")), 0.05),
        (
            Box::new(DecisionTree::new(DecisionTreeParams::default()).expect("params")),
            0.3,
        ),
        (
            Box::new(
                RandomForest::new(RandomForestParams {
                    n_estimators: 30,
                    ..Default::default()
                })
                .expect("params"),
            ),
            0.3,
        ),
        (
            Box::new(
                GradientBoosting::new(GradientBoostingParams {
                    n_estimators: 200,
                    ..Default::default()
                })
                .expect("params"),
            ),
            0.2,
        ),
    ];
    for (learner, ceiling) in learners {
        let model = learner.fit(&train).expect("fit");
        let predictions = model.predict(test.features()).expect("predict");
        let error = rmse_on(&test, &predictions);
        assert!(
            error < ceiling,
            "{} rmse {error} above {ceiling}",
            learner.name()
        );
        assert_round_trip(model.as_ref(), &test);
        if model.as_tree_model().is_some() {
            assert_covers(model.as_ref(), train.n_rows() as f64);
        }
    }
}

#[test]
fn linear_coefficients_match_the_generating_model() {
    let data = regression(2000, 9);
    let model = LinearRegression::default().fit(&data).expect("fit");
    let bytes = model.to_bytes().expect("save");
    let loaded = specweave_core::ModelFile::decode(&bytes).expect("decode");
    let state: LinearModel = loaded.json_payload().expect("payload");
    let beta = state.coefficients().column(0).to_vec();
    assert!(
        (beta[0] - 3.0).abs() < 0.01 && (beta[1] + 2.0).abs() < 0.01 && beta[2].abs() < 0.01,
        "{beta:?}"
    );
    assert!((state.intercepts()[0] - 0.5).abs() < 0.01);
    // A strong lasso zeroes the irrelevant coefficient but keeps the large ones.
    let lasso = ElasticNet::lasso(0.05)
        .expect("params")
        .fit(&data)
        .expect("fit");
    let state: LinearModel = specweave_core::ModelFile::decode(&lasso.to_bytes().expect("save"))
        .expect("decode")
        .json_payload()
        .expect("payload");
    assert_eq!(state.coefficients()[[2, 0]], 0.0);
    assert!(state.coefficients()[[0, 0]] > 2.5);
}

#[test]
fn unknown_names_list_the_known_ones() {
    let err = learner_from_params("xgboost", &serde_json::json!({})).expect_err("unknown learner");
    let message = err.to_string();
    assert!(
        message.contains("xgboost") && message.contains("random_forest"),
        "{message}"
    );
    let err = learner_from_params("random_forest", &serde_json::json!({"n_trees": 3}))
        .expect_err("unknown field");
    assert!(err.to_string().contains("n_trees"), "{err}");
    let err = learner_from_params(
        "gradient_boosting",
        &serde_json::json!({"learning_rate": -1.0}),
    )
    .expect_err("bad value");
    assert!(err.to_string().contains("learning_rate"), "{err}");

    let data = regression(50, 1);
    let model = DummyRegressor::default().fit(&data).expect("fit");
    let mut file =
        specweave_core::ModelFile::decode(&model.to_bytes().expect("save")).expect("decode");
    file.header.info.algorithm = "mystery".into();
    let err = load_model(&file.encode()).expect_err("unknown algorithm");
    assert!(
        err.to_string().contains("mystery") && err.to_string().contains("gradient_boosting"),
        "{err}"
    );
}

#[test]
fn every_registered_learner_builds_from_default_params() {
    for name in LEARNER_NAMES {
        let params = if *name == ThresholdRule::NAME {
            serde_json::json!({"feature": "f0", "threshold": 0.0})
        } else {
            serde_json::json!({})
        };
        let learner = learner_from_params(name, &params).expect("build");
        assert_eq!(learner.name(), *name);
        let again = learner_from_params(name, &learner.params()).expect("params round-trip");
        assert_eq!(again.params(), learner.params());
    }
}

#[test]
fn baselines_match_scikit_learn_dummies() {
    let data = binary(400, 3, 11);
    let Some(labels) = data.target().as_f64() else {
        panic!("classes")
    };
    let share = labels.sum() / labels.len() as f64;
    for strategy in [
        ClassifierStrategy::Prior,
        ClassifierStrategy::MostFrequent,
        ClassifierStrategy::Uniform,
        ClassifierStrategy::Stratified,
    ] {
        let model = DummyClassifier::new(strategy)
            .seed(3)
            .fit(&data)
            .expect("fit");
        let p = model.predict(data.features()).expect("predict");
        assert_probabilities(&p);
        let probabilities = p.probabilities().expect("probabilities");
        match strategy {
            ClassifierStrategy::Prior => assert!((probabilities[[0, 1]] - share).abs() < 1e-12),
            ClassifierStrategy::Uniform => assert_eq!(probabilities[[5, 0]], 0.5),
            ClassifierStrategy::MostFrequent => {
                assert_eq!(probabilities[[0, usize::from(share > 0.5)]], 1.0)
            }
            ClassifierStrategy::Stratified => {
                let drawn = probabilities.column(1).mean().expect("rows");
                assert!((drawn - share).abs() < 0.08, "{drawn} vs {share}");
                assert_eq!(
                    model.predict(data.features()).expect("again"),
                    p,
                    "stratified draws are seeded"
                );
            }
        }
        assert_round_trip(model.as_ref(), &data);
    }
    let rule = ThresholdRule::new("f0", 0.0).fit(&data).expect("fit");
    assert_round_trip(rule.as_ref(), &data);
    let err = ThresholdRule::new("nope", 0.0)
        .fit(&data)
        .expect_err("unknown feature");
    assert!(err.to_string().contains("f0"), "{err}");
}

#[test]
fn boosting_learns_missing_value_directions_and_weights() {
    // Rows with a missing x0 are positive: the split must send NaN to the positive side.
    let mut data = binary(2000, 3, 21);
    let (mut x, names, target) = data.clone().into_parts();
    let specweave_core::Target::Classes {
        mut labels,
        class_names,
    } = target
    else {
        panic!("classes")
    };
    for r in (0..x.nrows()).step_by(5) {
        x[[r, 0]] = f64::NAN;
        labels[r] = 1;
    }
    data = Dataset::builder(x.clone())
        .feature_names(names)
        .target(specweave_core::Target::Classes {
            labels: labels.clone(),
            class_names,
        })
        .build()
        .expect("data");
    let model = GradientBoosting::new(GradientBoostingParams {
        n_estimators: 50,
        ..Default::default()
    })
    .expect("params")
    .fit(&data)
    .expect("fit");
    let predictions = model.predict(data.features()).expect("predict");
    let scores = predictions.scores().expect("binary");
    let missing_mean: f64 =
        (0..x.nrows()).step_by(5).map(|r| scores[r]).sum::<f64>() / (x.nrows() / 5) as f64;
    assert!(
        missing_mean > 0.95,
        "rows with missing x0 score {missing_mean}"
    );
    assert!(
        LogisticRegression::default().fit(&data).is_err(),
        "logistic regression refuses NaN"
    );

    // Zero weights remove rows from training entirely.
    let weights: ndarray::Array1<f64> = labels
        .iter()
        .map(|&l| if l == 1 { 0.0 } else { 1.0 })
        .collect();
    let (x, names, target) = data.into_parts();
    let only_negatives = Dataset::builder(x)
        .feature_names(names)
        .target(target)
        .weights(weights)
        .build()
        .expect("data");
    let model = GradientBoosting::new(GradientBoostingParams {
        n_estimators: 5,
        ..Default::default()
    })
    .expect("params")
    .fit(&only_negatives)
    .expect("fit");
    let scores = model
        .predict(only_negatives.features())
        .expect("predict")
        .scores()
        .expect("binary");
    assert!(
        scores.iter().all(|&s| s < 0.01),
        "a weight-zero class is never predicted"
    );
}

#[test]
fn boosting_stops_early_and_keeps_the_best_round() {
    let data = binary(1500, 5, 8);
    let params = GradientBoostingParams {
        n_estimators: 2000,
        learning_rate: 0.3,
        early_stopping_rounds: 10,
        validation_fraction: 0.2,
        ..Default::default()
    };
    let model = GradientBoosting::new(params)
        .expect("params")
        .fit_booster(&data)
        .expect("fit");
    assert!(
        model.best_iteration() < 2000,
        "stopped at {}",
        model.best_iteration()
    );
    assert_eq!(
        specweave_core::TreeModel::tree_ensemble(&model)
            .trees()
            .len(),
        model.best_iteration()
    );
    let row: Vec<f64> = data.features().row(0).to_vec();
    let raw = model.predict_raw_row(&row).expect("row");
    let p = model
        .predict(data.features())
        .expect("predict")
        .scores()
        .expect("binary");
    assert!((1.0 / (1.0 + (-raw[0]).exp()) - p[0]).abs() < 1e-12);
}

#[test]
fn training_is_deterministic_under_a_seed() {
    let data = binary(600, 4, 3);
    let forest = RandomForest::new(RandomForestParams {
        n_estimators: 8,
        seed: 5,
        ..Default::default()
    })
    .expect("params");
    let a = forest.fit(&data).expect("fit").to_bytes().expect("save");
    let b = forest.fit(&data).expect("fit").to_bytes().expect("save");
    assert_eq!(a, b);
    let booster = GradientBoosting::new(GradientBoostingParams {
        n_estimators: 10,
        subsample: 0.7,
        colsample_bytree: 0.5,
        seed: 9,
        ..Default::default()
    })
    .expect("params");
    assert_eq!(
        booster.fit(&data).expect("fit").to_bytes().expect("save"),
        booster.fit(&data).expect("fit").to_bytes().expect("save")
    );
}

#[test]
fn neighbours_and_naive_bayes_classify_and_round_trip() {
    for (train, test, floor) in [
        (binary(1500, 6, 1), binary(500, 6, 2), 0.75),
        (multiclass(900, 3), multiclass(300, 4), 0.8),
    ] {
        let learners: Vec<Box<dyn Learner>> = vec![
            Box::new(
                KNearestNeighbours::new(KnnParams {
                    k: 15,
                    weights: NeighbourWeights::Distance,
                })
                .expect("params"),
            ),
            Box::new(KNearestNeighbours::new(KnnParams::default()).expect("params")),
            Box::new(GaussianNaiveBayes::default()),
        ];
        for learner in learners {
            let model = learner.fit(&train).expect("fit");
            let predictions = model.predict(test.features()).expect("predict");
            assert_probabilities(&predictions);
            let accuracy = accuracy_on(&test, &predictions);
            assert!(
                accuracy >= floor,
                "{} accuracy {accuracy} below {floor}",
                learner.name()
            );
            assert_round_trip(model.as_ref(), &test);
        }
    }
    let tiny = binary(3, 3, 1);
    let err = KNearestNeighbours::new(KnnParams {
        k: 5,
        ..Default::default()
    })
    .expect("params")
    .fit(&tiny)
    .expect_err("k > rows");
    assert!(err.to_string().contains('k'), "{err}");
}
