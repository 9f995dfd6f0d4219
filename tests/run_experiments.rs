//! Tracked parallel experiments on classification, regression, recommendation and
//! forecasting data, with deliberately failing experiments recorded as failed while the
//! others finish.

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

mod recommenders {
    use super::TestResult;
    use specweave::core::Recommender;
    use specweave::core::records::RunStatus;
    use specweave::data::synth::InteractionsSpec;
    use specweave::experiments::{
        ExperimentsOutcome, RecommenderData, RecommenderExperiment, run_recommender_experiments,
    };
    use specweave::recommend::{
        Als, AlsParams, ItemKnn, ItemKnnParams, Popularity, RandomRecommender, load_recommender,
        temporal_split,
    };
    use specweave::spec::Increment;
    use specweave::tracking::{Role, Tracker};
    use specweave::train::neural::{BprMatrixFactorization, BprParams};

    fn value(outcome: &ExperimentsOutcome, name: &str, metric: &str) -> f64 {
        outcome
            .result(name)
            .and_then(|r| r.outcome.as_ref().ok())
            .and_then(|m| m.metrics.get(metric).copied())
            .unwrap_or(f64::NAN)
    }

    #[test]
    fn recommenders_are_tracked_with_intervals_compared_and_the_best_registered() -> TestResult {
        let root = tempfile::tempdir()?;
        let increment = Increment::create(root.path(), "build recommendation model", None)?;
        let log = InteractionsSpec::new(200, 100)
            .interactions_per_user(30.0)
            .affinity(3.0)
            .seed(7)
            .generate()?;
        let split = temporal_split(&log, 0.2)?;
        let epochs = 3;
        let outcome = run_recommender_experiments(
            &increment,
            vec![
                RecommenderExperiment::new("baseline-random", RandomRecommender::new(1))
                    .role(Role::Baseline),
                RecommenderExperiment::new("baseline-popularity", Popularity::default())
                    .role(Role::Baseline),
                RecommenderExperiment::new(
                    "item-knn",
                    ItemKnn::new(ItemKnnParams::default().neighbours(50).shrinkage(2.0))?,
                ),
                RecommenderExperiment::new(
                    "als",
                    Als::new(
                        AlsParams::default()
                            .factors(16)
                            .iterations(8)
                            .alpha(5.0)
                            .regularization(1.0)
                            .seed(3),
                    )?,
                ),
                // Trains by epochs and reports each epoch's loss to the run.
                RecommenderExperiment::build("bpr", move |sink| {
                    let params = BprParams {
                        factors: 8,
                        epochs,
                        seed: 3,
                        ..BprParams::default()
                    };
                    Ok(Box::new(
                        BprMatrixFactorization::new(params)?.with_metrics(sink),
                    ))
                }),
                // Invalid parameters: the run fails with the reason, the others go on.
                RecommenderExperiment::build("invalid-item-knn", |_| {
                    Ok(Box::new(ItemKnn::new(
                        ItemKnnParams::default().neighbours(0),
                    )?))
                }),
            ],
            &RecommenderData::new(&split).resamples(200).seed(5),
        )?;
        assert_eq!(outcome.headline_metric, "precision@10");

        let tracker = Tracker::open(increment.dir())?;
        let failed = outcome.result("invalid-item-knn").ok_or("listed")?;
        let reason = failed
            .outcome
            .as_ref()
            .err()
            .ok_or("the invalid run failed")?;
        assert!(reason.contains("neighbours"), "{reason}");
        let failed_run = tracker.get_run(&failed.run_id)?;
        assert_eq!(failed_run.record.status, RunStatus::Failed);
        assert!(
            failed_run
                .record
                .notes
                .iter()
                .any(|n| n.contains("neighbours"))
        );

        for name in [
            "baseline-random",
            "baseline-popularity",
            "item-knn",
            "als",
            "bpr",
        ] {
            let result = outcome.result(name).ok_or("listed")?;
            let metrics = result
                .outcome
                .as_ref()
                .map_err(|e| format!("{name}: {e}"))?;
            assert!(tracker.experiments_dir().join(&result.run_id).is_dir());
            let run = tracker.get_run(&result.run_id)?;
            assert_eq!(run.record.status, RunStatus::Finished, "{name}");
            for key in [
                "precision@10",
                "precision@10_ci_lower",
                "precision@10_ci_upper",
                "recall@10",
                "ndcg@10_ci_lower",
                "coverage",
                "training_time_s",
                "model_size_bytes",
            ] {
                assert!(run.metric(key).is_some(), "{name} lacks {key}");
            }
            let (lower, upper) = (
                metrics.metrics["precision@10_ci_lower"],
                metrics.metrics["precision@10_ci_upper"],
            );
            let precision = metrics.metrics["precision@10"];
            assert!(lower <= precision && precision <= upper, "{name}");
            assert!(metrics.model_file.is_file());
        }
        let curve =
            tracker.metric_history(&outcome.result("bpr").ok_or("listed")?.run_id, "train_loss")?;
        assert_eq!(curve.len(), epochs, "one train_loss point per epoch");

        let popularity = value(&outcome, "baseline-popularity", "precision@10");
        for name in ["item-knn", "als"] {
            let precision = value(&outcome, name, "precision@10");
            eprintln!("{name}: precision@10 {precision:.4}, popularity {popularity:.4}");
            assert!(
                precision >= 1.2 * popularity,
                "{name}: precision@10 {precision:.4} vs popularity {popularity:.4}"
            );
        }

        let comparison = std::fs::read_to_string(&outcome.comparison)?;
        for result in &outcome.results {
            assert!(comparison.contains(&result.run_id), "{}", result.run_id);
        }
        let registered = outcome.registered.as_ref().ok_or("a candidate finished")?;
        let best = outcome
            .results
            .iter()
            .find(|r| r.run_id == registered.metadata.experiment)
            .ok_or("the registered run is listed")?;
        assert_ne!(best.role, Role::Baseline);
        assert!(["item-knn", "als", "bpr"].iter().all(|name| value(
            &outcome,
            name,
            "precision@10"
        ) <= value(
            &outcome,
            &best.name,
            "precision@10"
        )));

        // The saved model recommends what the fitted one did.
        let knn = outcome.result("item-knn").ok_or("listed")?;
        let bytes = std::fs::read(&knn.outcome.as_ref().map_err(|e| e.clone())?.model_file)?;
        let restored = load_recommender(&bytes)?;
        let mut refitted = ItemKnn::new(ItemKnnParams::default().neighbours(50).shrinkage(2.0))?;
        refitted.fit(&split.train)?;
        assert_eq!(
            restored.recommend(0, 10, true)?,
            refitted.recommend(0, 10, true)?
        );
        Ok(())
    }

    #[test]
    fn recommender_settings_are_checked_before_any_run() -> TestResult {
        let root = tempfile::tempdir()?;
        let increment = Increment::create(root.path(), "build recommendation model", None)?;
        let log = InteractionsSpec::new(30, 20).seed(1).generate()?;
        let split = temporal_split(&log, 0.2)?;
        let empty =
            run_recommender_experiments(&increment, Vec::new(), &RecommenderData::new(&split));
        assert!(empty.is_err_and(|e| e.to_string().contains("at least one experiment")));
        let zero_k = run_recommender_experiments(
            &increment,
            vec![RecommenderExperiment::new(
                "popularity",
                Popularity::default(),
            )],
            &RecommenderData::new(&split).k(0),
        );
        assert!(zero_k.is_err_and(|e| e.to_string().contains("k")));
        assert!(Tracker::open(increment.dir())?.list_runs()?.is_empty());
        Ok(())
    }
}

mod forecasters {
    use super::TestResult;
    use specweave::core::Series;
    use specweave::core::records::RunStatus;
    use specweave::data::synth::SeriesSpec;
    use specweave::experiments::{
        ExperimentsOutcome, ForecastData, ForecasterExperiment, run_forecaster_experiments,
    };
    use specweave::forecast::{
        HoltWinters, Naive, SeasonalNaive, Seasonality, Trend, load_forecaster,
    };
    use specweave::spec::Increment;
    use specweave::tracking::{Role, Tracker};

    const HORIZON: usize = 12;
    const ORIGINS: usize = 3;

    /// Eight seasons of monthly data with a clear trend: the last season is held out.
    fn seasonal() -> Result<(Series, Series), Box<dyn std::error::Error>> {
        let series = SeriesSpec::new(8 * 12)
            .level(200.0)
            .trend(1.5)
            .period(12)
            .amplitude(25.0)
            .noise(2.0)
            .seed(4)
            .generate()?;
        let cut = series.len() - HORIZON;
        Ok((series.slice(0, cut)?, series.slice(cut, series.len())?))
    }

    fn value(outcome: &ExperimentsOutcome, name: &str, metric: &str) -> f64 {
        outcome
            .result(name)
            .and_then(|r| r.outcome.as_ref().ok())
            .and_then(|m| m.metrics.get(metric).copied())
            .unwrap_or(f64::NAN)
    }

    fn holt_winters() -> Result<HoltWinters, Box<dyn std::error::Error>> {
        Ok(HoltWinters::builder()
            .trend(Trend::Additive)
            .seasonality(Seasonality::Additive, 12)
            .seed(1)
            .build()?)
    }

    #[test]
    fn forecasters_are_backtested_by_rolling_origin_and_the_model_reloads() -> TestResult {
        let root = tempfile::tempdir()?;
        let increment = Increment::create(root.path(), "forecast monthly sales", None)?;
        let (train, test) = seasonal()?;
        let outcome = run_forecaster_experiments(
            &increment,
            vec![
                ForecasterExperiment::new("seasonal-naive", SeasonalNaive::new(12)?)
                    .role(Role::Baseline),
                ForecasterExperiment::new("holt-winters", holt_winters()?),
                // A season longer than the first backtest window: fitting fails.
                ForecasterExperiment::build("season-too-long", || {
                    Ok(Box::new(SeasonalNaive::new(60)?))
                }),
            ],
            &ForecastData::new(&train, HORIZON)
                .origins(ORIGINS)
                .test(&test)
                .resamples(100),
        )?;
        assert_eq!(outcome.headline_metric, "mape");

        let tracker = Tracker::open(increment.dir())?;
        let failed = outcome.result("season-too-long").ok_or("listed")?;
        assert!(failed.outcome.is_err());
        let failed_run = tracker.get_run(&failed.run_id)?;
        assert_eq!(failed_run.record.status, RunStatus::Failed);
        assert!(!failed_run.record.notes.is_empty());

        for name in ["seasonal-naive", "holt-winters"] {
            let result = outcome.result(name).ok_or("listed")?;
            let metrics = result
                .outcome
                .as_ref()
                .map_err(|e| format!("{name}: {e}"))?;
            for metric in ["mase", "mape", "smape", "rmse", "interval_coverage"] {
                let history = tracker.metric_history(&result.run_id, &format!("cv_{metric}"))?;
                let steps: Vec<u64> = history.iter().map(|p| p.step).collect();
                // One point per origin (steps 1..), then the mean over origins at step 0.
                assert_eq!(steps, [1, 2, 3, 0], "{name}: cv_{metric}");
                for key in [format!("cv_{metric}"), format!("{metric}_cv_std")] {
                    assert!(metrics.metrics.contains_key(&key), "{name} lacks {key}");
                }
            }
            for key in [
                "mape",
                "mape_ci_lower",
                "mape_ci_upper",
                "mase",
                "interval_coverage",
                "training_time_s",
                "model_size_bytes",
            ] {
                assert!(metrics.metrics.contains_key(key), "{name} lacks {key}");
            }
        }
        let (hw, naive) = (
            value(&outcome, "holt-winters", "cv_mase"),
            value(&outcome, "seasonal-naive", "cv_mase"),
        );
        eprintln!("cv MASE: Holt-Winters {hw:.4}, seasonal naive {naive:.4}");
        assert!(
            hw < naive,
            "cv MASE: Holt-Winters {hw:.4}, seasonal naive {naive:.4}"
        );

        let comparison = std::fs::read_to_string(&outcome.comparison)?;
        for result in &outcome.results {
            assert!(comparison.contains(&result.run_id), "{}", result.run_id);
        }
        let registered = outcome.registered.as_ref().ok_or("Holt-Winters finished")?;
        assert_eq!(
            registered.metadata.experiment,
            outcome.result("holt-winters").ok_or("listed")?.run_id
        );

        // The saved model forecasts what the run recorded.
        let hw_run = outcome.result("holt-winters").ok_or("listed")?;
        let model_file = &hw_run.outcome.as_ref().map_err(|e| e.clone())?.model_file;
        let restored = load_forecaster(&std::fs::read(model_file)?)?;
        let forecast = restored.forecast(HORIZON, 0.95)?;
        let recorded: serde_json::Value =
            serde_json::from_slice(&std::fs::read(model_file.with_file_name("forecast.json"))?)?;
        let mean: Vec<f64> = serde_json::from_value(recorded["mean"].clone())?;
        assert_eq!(mean.len(), HORIZON);
        for (a, b) in forecast.mean.iter().zip(&mean) {
            assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} vs {b}");
        }
        Ok(())
    }

    #[test]
    fn without_held_out_data_forecasters_rank_by_the_backtest() -> TestResult {
        let root = tempfile::tempdir()?;
        let increment = Increment::create(root.path(), "forecast monthly sales", None)?;
        let (train, _) = seasonal()?;
        let outcome = run_forecaster_experiments(
            &increment,
            vec![
                ForecasterExperiment::new("seasonal-naive", SeasonalNaive::new(12)?)
                    .role(Role::Baseline),
                ForecasterExperiment::new("holt-winters", holt_winters()?),
            ],
            &ForecastData::new(&train, 6).origins(2).step(3),
        )?;
        assert_eq!(outcome.headline_metric, "cv_mape");
        assert!(value(&outcome, "holt-winters", "mape").is_nan());
        assert!(value(&outcome, "holt-winters", "cv_mape").is_finite());
        assert!(outcome.registered.is_some());
        Ok(())
    }

    #[test]
    fn forecast_settings_are_checked_before_any_run() -> TestResult {
        let root = tempfile::tempdir()?;
        let increment = Increment::create(root.path(), "forecast monthly sales", None)?;
        let (train, test) = seasonal()?;
        let naive = || vec![ForecasterExperiment::new("naive", Naive::new())];
        let refused = |data: &ForecastData<'_>, experiments, needle: &str| {
            let message = run_forecaster_experiments(&increment, experiments, data)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                message.contains(needle),
                "expected an error naming {needle}, got {message:?}"
            );
        };
        refused(
            &ForecastData::new(&train, 12),
            Vec::new(),
            "at least one experiment",
        );
        refused(&ForecastData::new(&train, 0), naive(), "horizon");
        refused(&ForecastData::new(&train, 12).origins(0), naive(), "origin");
        refused(
            &ForecastData::new(&train, 12).origins(7),
            naive(),
            "too few",
        );
        refused(
            &ForecastData::new(&train, 6).test(&test),
            naive(),
            "horizon",
        );
        refused(
            &ForecastData::new(&test, 6)
                .origins(1)
                .test(&train.slice(0, 6)?),
            naive(),
            "follow",
        );
        assert!(Tracker::open(increment.dir())?.list_runs()?.is_empty());
        Ok(())
    }
}
