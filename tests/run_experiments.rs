//! Tracked parallel experiments on classification and regression data, with a deliberately
//! failing experiment recorded as failed while the others finish.

use specweave::core::{Dataset, ProblemKind};
use specweave::data::synth::{ClassificationSpec, RegressionSpec};
use specweave::experiments::{Experiment, ExperimentData, run_experiments};
use specweave::spec::{Increment, read_experiments};
use specweave::tracking::Role;
use specweave::train::{
    DummyClassifier, DummyRegressor, GradientBoosting, GradientBoostingParams, LinearRegression,
    LinearRegressionParams, LogisticRegression, LogisticRegressionParams,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn halves(data: &Dataset) -> Result<(Dataset, Dataset), Box<dyn std::error::Error>> {
    let rows: Vec<usize> = (0..data.n_rows()).collect();
    let cut = data.n_rows() * 3 / 4;
    Ok((
        data.select_rows(&rows[..cut])?,
        data.select_rows(&rows[cut..])?,
    ))
}

#[test]
fn classification_experiments_are_tracked_compared_and_the_best_registered() -> TestResult {
    let root = tempfile::tempdir()?;
    let increment = Increment::builder(root.path(), "predict churn")
        .problem(ProblemKind::Classification)
        .create()?;
    let data = ClassificationSpec::new(600).seed(3).generate()?;
    let (train, test) = halves(&data)?;
    let outcome = run_experiments(
        &increment,
        vec![
            Experiment::new("baseline-prior", DummyClassifier::default()).role(Role::Baseline),
            Experiment::new(
                "logistic-regression",
                LogisticRegression::new(LogisticRegressionParams::default())?,
            ),
            Experiment::new(
                "gradient-boosting",
                GradientBoosting::new(GradientBoostingParams {
                    n_estimators: 30,
                    ..GradientBoostingParams::default()
                })?,
            ),
            // A regression learner on class labels: fails, and must not stop the others.
            Experiment::new("wrong-problem", DummyRegressor::default()),
        ],
        &ExperimentData::new(&train, &test).folds(3).seed(1),
    )?;
    assert_eq!(outcome.headline_metric, "roc_auc");

    let failed = outcome.result("wrong-problem").expect("listed");
    assert!(failed.outcome.is_err());
    for name in ["baseline-prior", "logistic-regression", "gradient-boosting"] {
        let result = outcome.result(name).expect("listed");
        let metrics = result
            .outcome
            .as_ref()
            .map_err(|e| format!("{name}: {e}"))?;
        for key in [
            "roc_auc",
            "cv_roc_auc",
            "roc_auc_cv_std",
            "training_time_s",
            "model_size_bytes",
        ] {
            assert!(metrics.metrics.contains_key(key), "{name} lacks {key}");
        }
        assert!(metrics.model_file.is_file());
    }
    let auc = |name: &str| {
        outcome
            .result(name)
            .and_then(|r| r.outcome.as_ref().ok())
            .and_then(|m| m.metrics.get("roc_auc").copied())
            .unwrap_or(f64::NAN)
    };
    assert!(auc("logistic-regression") > auc("baseline-prior") + 0.2);

    let runs = read_experiments(increment.dir())?;
    assert_eq!(runs.len(), 4);
    let failed_run = runs
        .iter()
        .find(|r| r.id == failed.run_id)
        .expect("the failed run is on disk");
    assert!(
        failed_run
            .record
            .as_ref()
            .is_some_and(|r| !r.notes.is_empty())
    );

    let comparison = std::fs::read_to_string(&outcome.comparison)?;
    assert!(comparison.contains("logistic-regression"));
    let registered = outcome.registered.as_ref().expect("a candidate finished");
    let best = if auc("logistic-regression") >= auc("gradient-boosting") {
        "logistic-regression"
    } else {
        "gradient-boosting"
    };
    assert_eq!(
        registered.metadata.experiment,
        outcome
            .result(best)
            .map(|r| r.run_id.clone())
            .unwrap_or_default()
    );
    Ok(())
}

#[test]
fn regression_experiments_rank_by_rmse() -> TestResult {
    let root = tempfile::tempdir()?;
    let increment = Increment::builder(root.path(), "predict lifetime value")
        .problem(ProblemKind::Regression)
        .create()?;
    let data = RegressionSpec::new(500).noise(0.5).seed(2).generate()?;
    let (train, test) = halves(&data)?;
    let outcome = run_experiments(
        &increment,
        vec![
            Experiment::new("baseline-mean", DummyRegressor::default()).role(Role::Baseline),
            Experiment::new(
                "linear-regression",
                LinearRegression::new(LinearRegressionParams::default())?,
            ),
        ],
        &ExperimentData::new(&train, &test).folds(4),
    )?;
    assert_eq!(outcome.headline_metric, "rmse");
    let rmse = |name: &str| {
        outcome
            .result(name)
            .and_then(|r| r.outcome.as_ref().ok())
            .and_then(|m| m.metrics.get("rmse").copied())
            .unwrap_or(f64::NAN)
    };
    assert!(rmse("linear-regression") < rmse("baseline-mean"));
    let registered = outcome
        .registered
        .as_ref()
        .expect("the linear model finished");
    assert_eq!(registered.metadata.algorithm, "linear_regression");
    Ok(())
}

#[test]
fn too_few_folds_are_rejected() -> TestResult {
    let root = tempfile::tempdir()?;
    let increment = Increment::create(root.path(), "predict churn", None)?;
    let data = ClassificationSpec::new(100).seed(3).generate()?;
    let (train, test) = halves(&data)?;
    let result = run_experiments(
        &increment,
        vec![Experiment::new("baseline", DummyClassifier::default())],
        &ExperimentData::new(&train, &test).folds(1),
    );
    assert!(result.is_err());
    Ok(())
}

#[test]
fn tree_and_neural_regressors_run_and_store_their_training_curves() -> TestResult {
    use specweave::train::neural::{MlpParams, MlpRegressor};
    let root = tempfile::tempdir()?;
    let increment = Increment::builder(root.path(), "predict lifetime value")
        .problem(ProblemKind::Regression)
        .create()?;
    let data = RegressionSpec::new(400).noise(0.3).seed(5).generate()?;
    let (train, test) = halves(&data)?;
    let outcome = run_experiments(
        &increment,
        vec![
            Experiment::new("baseline-mean", DummyRegressor::default()).role(Role::Baseline),
            // Boosting fits regression targets too, although its primary kind is classification.
            Experiment::new(
                "gradient-boosting",
                GradientBoosting::new(GradientBoostingParams {
                    n_estimators: 25,
                    ..GradientBoostingParams::default()
                })?,
            ),
            Experiment::new(
                "mlp",
                MlpRegressor::new(MlpParams::default().hidden_layers(vec![8]).epochs(6))?,
            ),
        ],
        &ExperimentData::new(&train, &test).folds(3),
    )?;
    let tracker = specweave::tracking::Tracker::open(increment.dir())?;
    for (name, key, steps) in [
        ("gradient-boosting", "train_loss", 25),
        ("mlp", "train_loss", 6),
    ] {
        let result = outcome.result(name).ok_or("missing result")?;
        assert!(result.outcome.is_ok(), "{name}: {:?}", result.outcome);
        let curve = tracker.metric_history(&result.run_id, key)?;
        assert_eq!(
            curve.len(),
            steps,
            "{name}: one {key} point per round or epoch"
        );
        assert!(curve.windows(2).all(|w| w[0].step < w[1].step));
        assert!(curve.iter().all(|p| p.value.is_finite()));
    }
    Ok(())
}
