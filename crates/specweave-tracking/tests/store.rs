//! Behaviour of the increment store: run lifecycle, logging rules, durability, reading,
//! search, comparison and the model registry.

use specweave_core::ndarray::array;
use specweave_core::records::{
    self, METRICS_FILE, METRICS_HISTORY_FILE, ModelStage, PARAMS_FILE, RUN_FILE, RunRecord,
    RunStatus,
};
use specweave_core::{Dataset, Target};
use specweave_tracking::{
    Direction, ExperimentError, ModelRegistry, RegisterModel, Role, SearchQuery, Tracker,
    TrackingError,
};
use std::collections::BTreeMap;
use std::path::Path;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn increment() -> Result<(tempfile::TempDir, Tracker), Box<dyn std::error::Error>> {
    let root = tempfile::tempdir()?;
    let path = root.path().join("0042-recommendation-model");
    std::fs::create_dir_all(&path)?;
    let tracker = Tracker::open(&path)?;
    Ok((root, tracker))
}

fn read_json(path: &Path) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    Ok(serde_json::from_slice(&std::fs::read(path)?)?)
}

#[test]
fn closure_form_records_finished_failed_and_panicked_runs() -> TestResult {
    let (_root, tracker) = increment()?;
    let value = tracker.track_experiment("ok", |run| {
        run.log_metric("loss", 0.5, 1)?;
        Ok::<_, TrackingError>(7)
    })?;
    assert_eq!(value, 7);

    let failed = tracker.track_experiment("bad", |_run| Err::<(), _>("diverged at epoch 3"));
    assert!(matches!(
        failed,
        Err(ExperimentError::Failed("diverged at epoch 3"))
    ));

    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = tracker.track_experiment("boom", |_run| -> Result<(), TrackingError> {
            panic!("index out of range")
        });
    }));
    assert!(
        panicked.is_err(),
        "the panic continues after being recorded"
    );

    let runs = tracker.list_runs()?;
    let statuses: Vec<_> = runs
        .iter()
        .map(|r| (r.record.id.as_str(), r.record.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("exp-001-ok", RunStatus::Finished),
            ("exp-002-bad", RunStatus::Failed),
            ("exp-003-boom", RunStatus::Failed),
        ]
    );
    assert_eq!(runs[1].record.notes, ["diverged at epoch 3"]);
    assert!(runs[2].record.notes[0].contains("index out of range"));
    assert!(runs.iter().all(|r| r.record.end_time_ms.is_some()));
    Ok(())
}

#[test]
fn guard_form_and_dropped_runs() -> TestResult {
    let (_root, tracker) = increment()?;
    let run = tracker.start_experiment("guarded")?;
    assert_eq!(tracker.get_run("1")?.record.status, RunStatus::Running);
    run.set_status(RunStatus::Failed, "validation AUC below the gate")?;
    run.log_metric("auc", 0.51, 0)?;
    let record = run.finish()?;
    assert_eq!(record.status, RunStatus::Failed);
    assert_eq!(record.notes, ["validation AUC below the gate"]);

    {
        let _dropped = tracker.start_experiment("dropped")?;
    }
    let dropped = tracker.get_run("dropped")?;
    assert_eq!(dropped.record.status, RunStatus::Failed);
    assert!(dropped.record.notes[0].contains("without being finished"));
    Ok(())
}

#[test]
fn files_use_the_shared_formats() -> TestResult {
    let (_root, tracker) = increment()?;
    let run = tracker.start_experiment("formats")?;
    run.set_role(Role::Candidate)?;
    run.set_headline_metric("precision@10")?;
    run.log_params([("depth", 6_i64), ("trees", 200)])?;
    run.log_param("learning_rate", 0.1)?;
    run.log_param("use_bias", true)?;
    run.log_param("layers", serde_json::json!([64, 32]))?;
    run.log_metric("precision@10", 0.25, 0)?;
    run.log_metric("precision@10", 0.3, 1)?;
    run.log_metrics([("nan_metric", f64::NAN), ("inf_metric", f64::INFINITY)], 1)?;
    let dir = run.dir().to_path_buf();
    run.finish()?;

    let record: RunRecord = serde_json::from_slice(&std::fs::read(dir.join(RUN_FILE))?)?;
    assert_eq!(record.tags[records::TAG_ROLE], records::ROLE_CANDIDATE);
    assert_eq!(record.tags[records::TAG_HEADLINE_METRIC], "precision@10");
    assert_eq!(record.pid, Some(std::process::id()));
    for key in ["rustc", "os", "cpu", "host", "user"] {
        assert!(
            record.environment.contains_key(key),
            "environment lacks {key}"
        );
    }
    assert!(
        record.environment.contains_key("crate.specweave-core"),
        "Cargo.lock versions"
    );

    let params: BTreeMap<String, String> =
        serde_json::from_slice(&std::fs::read(dir.join(PARAMS_FILE))?)?;
    assert_eq!(params["depth"], "6");
    assert_eq!(params["learning_rate"], "0.1");
    assert_eq!(params["use_bias"], "true");
    assert_eq!(params["layers"], "[64,32]");

    let latest = read_json(&dir.join(METRICS_FILE))?;
    assert_eq!(latest["precision@10"], 0.3);
    assert_eq!(latest["nan_metric"], "NaN");
    assert_eq!(latest["inf_metric"], "Infinity");
    let history = std::fs::read_to_string(dir.join(METRICS_HISTORY_FILE))?;
    assert_eq!(history.lines().count(), 4);
    assert!(dir.join("logs").is_dir() && dir.join("artifacts").is_dir());

    let nan = tracker.metric_history("formats", "nan_metric")?;
    assert!(nan[0].value.is_nan());
    assert_eq!(
        tracker.get_run("1")?.metric("inf_metric"),
        Some(f64::INFINITY)
    );
    Ok(())
}

#[test]
fn logging_rules_match_mlflow() -> TestResult {
    let (_root, tracker) = increment()?;
    let run = tracker.start_experiment("rules")?;
    run.log_param("model", "gbdt")?;
    run.log_param("model", "gbdt")?;
    let changed = run
        .log_param("model", "knn")
        .expect_err("params are immutable");
    assert!(
        matches!(changed, TrackingError::ParamChanged { .. }),
        "{changed}"
    );
    let bad_key = run
        .log_metric("loss#1", 1.0, 0)
        .expect_err("`#` is not allowed");
    assert!(bad_key.to_string().contains("MLflow"), "{bad_key}");
    assert!(run.log_param("long", "x".repeat(6001)).is_err());
    assert!(run.set_tag("t", &"x".repeat(8001)).is_err());
    assert!(run.log_metric(&"k".repeat(251), 1.0, 0).is_err());
    run.finish()?;
    assert_eq!(tracker.get_run("rules")?.param("model"), Some("gbdt"));
    Ok(())
}

#[test]
fn names_that_escape_the_increment_are_refused() -> TestResult {
    let (root, tracker) = increment()?;
    for name in ["../x", "/tmp/x", "a/b", ".."] {
        let error = tracker.start_experiment(name).expect_err("escaping name");
        assert!(
            matches!(error, TrackingError::InvalidName { .. }),
            "{error}"
        );
    }
    let run = tracker.start_experiment("artifacts")?;
    for name in ["../../escape.json", "/etc/passwd", "a/../../b"] {
        assert!(run.save_artifact(name, &1).is_err(), "{name}");
        assert!(run.save_report(name, "# x").is_err(), "{name}");
        assert!(run.append_log(name, "x").is_err(), "{name}");
    }
    assert!(!root.path().join("escape.json").exists());

    let source = root.path().join("weights.bin");
    std::fs::write(&source, [1_u8, 2, 3])?;
    let copied = run.log_artifact(&source)?;
    assert_eq!(std::fs::read(copied)?, [1, 2, 3]);
    let saved = run.save_artifact("eval/confusion.json", &vec![vec![5, 1], vec![2, 7]])?;
    assert!(saved.ends_with("artifacts/eval/confusion.json"));
    let report = run.save_report("eda-summary.md", "# EDA\n")?;
    assert_eq!(std::fs::read_to_string(report)?, "# EDA\n");
    run.append_log("train.log", "epoch 1 done")?;
    run.append_log("train.log", "epoch 2 done")?;
    assert_eq!(
        std::fs::read_to_string(run.dir().join("logs/train.log"))?,
        "epoch 1 done\nepoch 2 done\n"
    );
    run.finish()?;
    Ok(())
}

#[test]
fn flush_makes_metrics_durable_and_a_torn_line_is_skipped() -> TestResult {
    let (_root, tracker) = increment()?;
    let tracker = tracker.flush_every(1_000_000);
    let run = tracker.start_experiment("durable")?;
    for step in 0..100 {
        run.log_metric("loss", 1.0 / f64::from(step + 1), u64::from(step as u32))?;
    }
    let history = run.dir().join(METRICS_HISTORY_FILE);
    assert_eq!(
        std::fs::read_to_string(&history)?.lines().count(),
        0,
        "buffered"
    );
    run.flush()?;
    assert_eq!(std::fs::read_to_string(&history)?.lines().count(), 100);
    // A crash in the middle of an append leaves a partial last line.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&history)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"{\"key\":\"loss\",\"val"))?;
    assert_eq!(tracker.metric_history("durable", "loss")?.len(), 100);
    drop(run);
    Ok(())
}

#[test]
fn dataset_fingerprints_are_recorded() -> TestResult {
    let (_root, tracker) = increment()?;
    let data = Dataset::builder(array![[0.1, 1.0], [0.9, 0.0]])
        .feature_names(["score", "flag"])
        .target(Target::Continuous(array![1.0, 2.0]))
        .build()?;
    let changed = Dataset::builder(array![[0.1, 1.0], [0.9, 0.5]])
        .feature_names(["score", "flag"])
        .target(Target::Continuous(array![1.0, 2.0]))
        .build()?;
    let run = tracker.start_experiment("fingerprint")?;
    run.log_dataset(&data)?;
    let record = run.finish()?;
    let fingerprint = record.data_fingerprint.expect("data fingerprint");
    assert_eq!(fingerprint.len(), 64);
    assert_eq!(fingerprint, specweave_tracking::data_fingerprint(&data));
    assert_ne!(fingerprint, specweave_tracking::data_fingerprint(&changed));
    assert_eq!(
        record.schema_fingerprint,
        Some(specweave_tracking::schema_fingerprint(&changed))
    );
    Ok(())
}

fn three_runs(tracker: &Tracker) -> TestResult {
    for (name, model, precision, loss) in [
        ("gbdt-shallow", "gbdt", 0.31, 0.40),
        ("knn", "knn", 0.25, f64::NAN),
        ("gbdt-deep", "gbdt", 0.12, 0.35),
    ] {
        tracker.track_experiment(name, |run| {
            run.set_headline_metric("precision@10")?;
            run.log_param("model", model)?;
            run.log_metric("precision@10", precision, 0)?;
            run.log_metric("loss", loss, 0)
        })?;
    }
    let _ = tracker.track_experiment("broken", |run| {
        run.log_param("model", "gbdt")?;
        Err::<(), _>(TrackingError::RunEnded("out of memory".into()))
    });
    Ok(())
}

#[test]
fn search_filters_and_orders() -> TestResult {
    let (_root, tracker) = increment()?;
    three_runs(&tracker)?;
    let names = |filter: &str, order: &str| -> Result<Vec<String>, TrackingError> {
        Ok(tracker
            .search(&SearchQuery::parse(filter, order)?)?
            .into_iter()
            .map(|r| r.record.name)
            .collect())
    };
    assert_eq!(
        names("metrics.precision@10 > 0.2 and params.model = 'gbdt'", "")?,
        ["gbdt-shallow"]
    );
    assert_eq!(
        names("params.model = 'gbdt'", "metrics.precision@10 asc")?,
        ["gbdt-deep", "gbdt-shallow", "broken"]
    );
    assert_eq!(
        names("", "metrics.loss asc")?,
        ["gbdt-deep", "gbdt-shallow", "knn", "broken"]
    );
    assert_eq!(names("status = 'failed'", "")?, ["broken"]);
    assert_eq!(
        names(
            "params.model like 'gb%' and attributes.status = 'FINISHED'",
            "number desc"
        )?,
        ["gbdt-deep", "gbdt-shallow"]
    );
    assert_eq!(
        names("tags.`specweave.headline_metric` = 'precision@10'", "")?.len(),
        3
    );

    let best = tracker
        .best_run("precision@10", Direction::Maximize)?
        .expect("a best run");
    assert_eq!(best.record.name, "gbdt-shallow");
    let lowest_loss = tracker
        .best_run("loss", Direction::Minimize)?
        .expect("a best run");
    assert_eq!(lowest_loss.record.name, "gbdt-deep");
    assert!(tracker.best_run("absent", Direction::Maximize)?.is_none());
    Ok(())
}

#[test]
fn comparison_marks_the_winner_and_lists_failures() -> TestResult {
    let (_root, tracker) = increment()?;
    three_runs(&tracker)?;
    let (path, markdown) = tracker.write_comparison()?;
    assert_eq!(std::fs::read_to_string(&path)?, markdown);
    assert!(path.ends_with("experiments/comparison.md"));
    assert!(
        markdown.contains("| Experiment | precision@10 | Training time | Status |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| exp-001-gbdt-shallow ✅ BEST | 0.3100 |"),
        "{markdown}"
    );
    assert_eq!(markdown.matches("✅ BEST").count(), 1);
    assert!(
        markdown.contains("- **exp-004-broken** (failed): run `out of memory` has already ended"),
        "{markdown}"
    );
    Ok(())
}

#[test]
fn model_registry_versions_and_stages() -> TestResult {
    let (root, tracker) = increment()?;
    three_runs(&tracker)?;
    let model_dir = root.path().join("bundle");
    std::fs::create_dir_all(&model_dir)?;
    std::fs::write(model_dir.join("model.json"), b"{\"trees\":[]}")?;
    std::fs::write(model_dir.join("schema.yaml"), b"columns: []\n")?;

    let registry = ModelRegistry::new(&tracker);
    assert!(registry.latest()?.is_none());
    let v1 = registry.register(
        RegisterModel::new("exp-001-gbdt-shallow", &model_dir).framework("specweave-train"),
    )?;
    let v2 = registry.register(RegisterModel::new("3", &model_dir).algorithm("gbdt"))?;
    assert_eq!(v1.metadata.version, "0042-v1");
    assert_eq!(v1.metadata.name, "recommendation-model");
    assert_eq!(v1.metadata.experiment, "exp-001-gbdt-shallow");
    assert_eq!(v1.metadata.params["model"], "gbdt");
    assert_eq!(v1.metadata.metrics["precision@10"], 0.31);
    assert_eq!(v1.metadata.size_bytes, 12 + 12);
    assert_eq!(v1.metadata.stage, ModelStage::Dev);
    assert!(v1.metadata.training_time_s.is_some());
    assert_eq!(v2.metadata.parent.as_deref(), Some("0042-v1"));
    assert!(v2.dir.join("model.json").is_file());
    let metadata = read_json(&tracker.increment().join("models/model-v2.metadata.json"))?;
    assert_eq!(metadata["version"], "0042-v2");

    registry.promote(1, ModelStage::Production)?;
    assert_eq!(registry.production()?.map(|v| v.metadata.number), Some(1));
    registry.promote(2, ModelStage::Production)?;
    assert_eq!(registry.production()?.map(|v| v.metadata.number), Some(2));
    assert_eq!(registry.get(1)?.metadata.stage, ModelStage::Archived);
    registry.archive(2)?;
    assert!(registry.production()?.is_none());
    assert!(registry.latest()?.is_none());
    assert!(registry.get(9).is_err());
    assert!(
        registry
            .register(RegisterModel::new("99", &model_dir))
            .is_err()
    );
    Ok(())
}

#[test]
fn threads_of_one_process_get_distinct_numbers() -> TestResult {
    let (_root, tracker) = increment()?;
    std::thread::scope(|scope| {
        for thread in 0..8 {
            let tracker = tracker.clone();
            scope.spawn(move || {
                for i in 0..5 {
                    tracker
                        .track_experiment(&format!("t{thread}-{i}"), |run| {
                            run.log_metric("x", 1.0, 0)
                        })
                        .expect("tracked");
                }
            });
        }
    });
    let numbers: Vec<u32> = tracker
        .list_runs()?
        .iter()
        .map(|r| r.record.number)
        .collect();
    assert_eq!(numbers, (1..=40).collect::<Vec<_>>());
    Ok(())
}
