//! The tracking commands on a real increment: runs, compare, export-mlflow, models, and
//! sync-mlflow's error on an unreachable server.

use specweave::core::records::ModelStage;
use specweave::tracking::{ModelRegistry, RegisterModel, Tracker, TrackingError};
use std::path::Path;
use std::process::{Command, Output};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn specweave(root: &Path, args: &[&str]) -> Result<Output, std::io::Error> {
    Command::new(env!("CARGO_BIN_EXE_specweave"))
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn increment(root: &Path) -> Result<Tracker, Box<dyn std::error::Error>> {
    let folder = root.join("increments/0042-recommendation-model");
    std::fs::create_dir_all(&folder)?;
    let tracker = Tracker::open(folder)?;
    for (name, model, precision) in [
        ("popularity", "pop", 0.11),
        ("gbdt", "gbdt", 0.31),
        ("knn", "knn", 0.25),
    ] {
        tracker.track_experiment(name, |run| {
            run.set_headline_metric("precision@10")?;
            run.log_param("model", model)?;
            run.log_metric("precision@10", precision, 0)
        })?;
    }
    let _ = tracker.track_experiment("oom", |_| {
        Err::<(), _>(TrackingError::RunEnded("out of memory".into()))
    });
    Ok(tracker)
}

#[test]
fn runs_lists_filters_and_orders() -> TestResult {
    let root = tempfile::tempdir()?;
    increment(root.path())?;
    let all = specweave(root.path(), &["runs", "42"])?;
    assert!(
        all.status.success(),
        "{}",
        String::from_utf8_lossy(&all.stderr)
    );
    let text = stdout(&all);
    assert_eq!(text.lines().count(), 5, "{text}");
    assert!(
        text.lines()
            .next()
            .is_some_and(|h| h.contains("precision@10")),
        "{text}"
    );

    let filtered = specweave(
        root.path(),
        &[
            "runs",
            "0042",
            "--filter",
            "metrics.precision@10 > 0.2",
            "--order-by",
            "metrics.precision@10 desc",
        ],
    )?;
    let text = stdout(&filtered);
    let ids: Vec<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(ids, ["exp-002-gbdt", "exp-003-knn"], "{text}");

    let bad = specweave(root.path(), &["runs", "42", "--filter", "metrics.x >"])?;
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("column"));
    let missing = specweave(root.path(), &["runs", "77"])?;
    assert_eq!(missing.status.code(), Some(2));
    Ok(())
}

#[test]
fn compare_prints_and_writes_the_table() -> TestResult {
    let root = tempfile::tempdir()?;
    let tracker = increment(root.path())?;
    let output = specweave(root.path(), &["compare", "42"])?;
    assert!(output.status.success());
    let written = std::fs::read_to_string(tracker.experiments_dir().join("comparison.md"))?;
    assert_eq!(stdout(&output), written);
    assert!(written.contains("exp-002-gbdt ✅ BEST"), "{written}");
    assert!(written.contains("**exp-004-oom** (failed)"), "{written}");
    Ok(())
}

#[test]
fn export_models_and_sync_errors() -> TestResult {
    let root = tempfile::tempdir()?;
    let tracker = increment(root.path())?;
    let out = root.path().join("mlruns");
    let export = specweave(
        root.path(),
        &["export-mlflow", "42", "--out", &out.display().to_string()],
    )?;
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    assert!(stdout(&export).contains("exported 4 runs"));
    assert!(out.join("1/meta.yaml").is_file());

    let none = specweave(root.path(), &["models", "42"])?;
    assert!(stdout(&none).contains("no registered models"));
    let model = root.path().join("model.json");
    std::fs::write(&model, b"{}")?;
    let registry = ModelRegistry::new(&tracker);
    registry.register(RegisterModel::new("gbdt", &model))?;
    registry.promote(1, ModelStage::Production)?;
    let listed = stdout(&specweave(root.path(), &["models", "42"])?);
    assert!(
        listed.starts_with("model-v1  0042-v1  Production  exp-002-gbdt"),
        "{listed}"
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let uri = format!("http://127.0.0.1:{port}");
    let sync = Command::new(env!("CARGO_BIN_EXE_specweave"))
        .args(["sync-mlflow", "42", "--uri", &uri, "--root"])
        .arg(root.path())
        .output()?;
    assert_eq!(sync.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&sync.stderr).contains("gave up after"));
    Ok(())
}
