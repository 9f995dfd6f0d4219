//! MLflow interoperability against the real MLflow: the exported `mlruns` store and a live
//! `mlflow server` are read back through MLflow's Python client.
//!
//! The interpreter comes from `SPECWEAVE_PYTHON`, else `<workspace>/.venv/bin/python`;
//! `scripts/python-env` installs the pinned MLflow there. Without it these tests fail.

use specweave_core::records::RunStatus;
use specweave_tracking::{
    MlflowClient, MlflowRunView, RetryPolicy, Run, Tracker, TrackingError, export_mlruns,
    sync_increment,
};
use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

type TestResult = Result<(), Box<dyn std::error::Error>>;
type BoxError = Box<dyn std::error::Error>;

/// Reads every run of one experiment through the MLflow client and prints them as JSON,
/// with float values as `repr` strings so NaN and infinities survive.
const DUMP_RUNS: &str = r#"
import json, sys, mlflow
from mlflow.tracking import MlflowClient
uri, names = sys.argv[1], sys.argv[2:]
mlflow.set_tracking_uri(uri)
client = MlflowClient(uri)
experiments = {}
for experiment_name in names:
  experiment = client.get_experiment_by_name(experiment_name)
  runs = experiments.setdefault(experiment_name, [])
  for run in client.search_runs([experiment.experiment_id], max_results=1000):
      history = {}
      for key in run.data.metrics:
          points = client.get_metric_history(run.info.run_id, key)
          history[key] = sorted([p.step, p.timestamp, repr(float(p.value))] for p in points)
      runs.append({
          "run_id": run.info.run_id,
          "run_name": run.info.run_name,
          "status": run.info.status,
          "start_time": run.info.start_time,
          "end_time": run.info.end_time,
          "params": run.data.params,
          "tags": run.data.tags,
          "history": history,
      })
print(json.dumps(experiments))
"#;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Python interpreter with MLflow; fails (never skips) when there is none.
fn python() -> PathBuf {
    static PYTHON: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PYTHON.get_or_init(find_python).clone()
}

fn find_python() -> PathBuf {
    let candidate = std::env::var_os("SPECWEAVE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/python"));
    let has_mlflow = Command::new(&candidate)
        .args(["-c", "import mlflow"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    assert!(
        has_mlflow,
        "no Python with MLflow at {} (set SPECWEAVE_PYTHON or run `scripts/python-env` to create .venv)",
        candidate.display()
    );
    candidate
}

/// Runs of each named experiment, as the MLflow client sees them (one Python start).
fn dump_runs(
    uri: &str,
    experiments: &[&str],
    extra_env: &[(&str, &str)],
) -> Result<BTreeMap<String, Vec<serde_json::Value>>, BoxError> {
    let output = Command::new(python())
        .args(["-c", DUMP_RUNS, uri])
        .args(experiments)
        .envs(extra_env.iter().copied())
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "MLflow client failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// Logs the sample runs: finished, failed and (returned, still open) running.
fn sample_increment(increment: &Path) -> Result<(Tracker, Run), BoxError> {
    std::fs::create_dir_all(increment)?;
    let tracker = Tracker::open(increment)?;
    tracker.track_experiment("item-knn", |run| {
        run.set_headline_metric("precision@10")?;
        run.set_tag("team", "recsys")?;
        run.log_params([("k", "50"), ("similarity", "cosine")])?;
        run.log_param("nested/param", 0.5)?;
        for step in 0..1500_u64 {
            run.log_metric("train/loss", 1.0 / (step + 1) as f64, step)?;
        }
        run.log_metric("precision@10", 0.3125, 0)?;
        run.log_metrics(
            [
                ("nan_metric", f64::NAN),
                ("pos_inf", f64::INFINITY),
                ("neg_inf", f64::NEG_INFINITY),
            ],
            3,
        )?;
        run.save_artifact("summary.json", &serde_json::json!({"ok": true}))?;
        Ok::<_, TrackingError>(())
    })?;
    let _ = tracker.track_experiment("diverged", |run| {
        run.log_param("lr", 10.0)?;
        run.log_metric("train/loss", f64::INFINITY, 1)?;
        Err::<(), BoxError>("loss became infinite at step 1".into())
    });
    let live = tracker.start_experiment("still-training")?;
    live.log_metric("train/loss", 0.9, 0)?;
    live.flush()?;
    Ok((tracker, live))
}

fn python_float(text: &str) -> f64 {
    match text {
        "nan" => f64::NAN,
        "inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        other => other.parse().unwrap_or(f64::NAN),
    }
}

/// How a stored value reads back: MLflow's SQL stores (the server's sqlite backend) keep
/// ±inf as ±f64::MAX, since SQL has no infinities; the file store keeps them.
fn as_stored(value: f64, sql_store: bool) -> f64 {
    if sql_store && value.is_infinite() {
        value.signum() * f64::MAX
    } else {
        value
    }
}

/// Checks that MLflow shows every run exactly as the increment store has it.
fn assert_identical(tracker: &Tracker, seen: &[serde_json::Value], sql_store: bool) -> TestResult {
    let increment = tracker
        .increment()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let runs = tracker.list_runs()?;
    assert_eq!(seen.len(), runs.len(), "run count");
    for run in runs {
        let view = MlflowRunView::new(
            &increment,
            &run,
            tracker.full_metric_history(&run.record.id)?,
        );
        let mlflow = seen
            .iter()
            .find(|r| r["run_name"] == view.run_name.as_str())
            .ok_or_else(|| format!("{} missing in MLflow", view.run_name))?;
        assert_eq!(
            mlflow["status"],
            view.status.mlflow_name(),
            "{}",
            view.run_name
        );
        assert_eq!(mlflow["start_time"], view.start_time_ms);
        assert_eq!(
            mlflow["end_time"].as_i64(),
            view.end_time_ms,
            "{}",
            view.run_name
        );
        let params: BTreeMap<String, String> = serde_json::from_value(mlflow["params"].clone())?;
        assert_eq!(params, view.params, "{}", view.run_name);
        for (key, value) in &view.tags {
            assert_eq!(
                mlflow["tags"][key].as_str(),
                Some(value.as_str()),
                "tag {key} of {}",
                view.run_name
            );
        }
        let mut expected: BTreeMap<String, Vec<(u64, i64, f64)>> = BTreeMap::new();
        for point in &view.metrics {
            expected.entry(point.key.clone()).or_default().push((
                point.step,
                point.timestamp_ms,
                point.value,
            ));
        }
        let history = mlflow["history"].as_object().ok_or("no history")?;
        assert_eq!(
            history.len(),
            expected.len(),
            "metric keys of {}",
            view.run_name
        );
        for (key, mut points) in expected {
            points.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(a.2.total_cmp(&b.2)));
            let got: Vec<(u64, i64, f64)> = history
                .get(&key)
                .and_then(|v| v.as_array())
                .ok_or_else(|| format!("metric {key} missing"))?
                .iter()
                .map(|p| {
                    (
                        p[0].as_u64().unwrap_or(u64::MAX),
                        p[1].as_i64().unwrap_or(-1),
                        python_float(p[2].as_str().unwrap_or("")),
                    )
                })
                .collect();
            assert_eq!(
                got.len(),
                points.len(),
                "points of {key} in {}",
                view.run_name
            );
            for (g, e) in got.iter().zip(&points) {
                assert_eq!((g.0, g.1), (e.0, e.1), "{key}");
                let e2 = as_stored(e.2, sql_store);
                assert!(
                    g.2 == e2 || (g.2.is_nan() && e2.is_nan()),
                    "{key}: {} vs {}",
                    g.2,
                    e2
                );
            }
        }
    }
    Ok(())
}

#[test]
fn exported_mlruns_read_identically_in_mlflow() -> TestResult {
    let root = tempfile::tempdir()?;
    let (tracker, live) = sample_increment(&root.path().join("0042-recommendation-model"))?;
    let out = root.path().join("mlruns");
    let export = export_mlruns(&tracker, &out)?;
    assert_eq!(export.runs.len(), 3);
    // A second export replaces the runs instead of duplicating them.
    let again = export_mlruns(&tracker, &out)?;
    assert_eq!(again.runs, export.runs);
    assert_eq!(again.experiment_id, export.experiment_id);
    assert!(
        export
            .experiment_dir
            .join(&export.runs[0].1)
            .join("artifacts/summary.json")
            .is_file()
    );

    let uri = format!("file://{}", out.canonicalize()?.display());
    let mut seen = dump_runs(
        &uri,
        &["0042-recommendation-model"],
        &[("MLFLOW_ALLOW_FILE_STORE", "true")],
    )?;
    let seen = seen
        .remove("0042-recommendation-model")
        .ok_or("experiment missing")?;
    assert_identical(&tracker, &seen, false)?;
    let knn = seen
        .iter()
        .find(|r| r["run_name"] == "exp-001-item-knn")
        .ok_or("knn")?;
    assert!(
        knn["history"]["precision_at_10"].is_array(),
        "`@` becomes `_at_` in MLflow"
    );
    assert_eq!(knn["tags"]["specweave.headline_metric"], "precision@10");
    drop(live);
    Ok(())
}

/// A `mlflow server` in its own process group, stopped (group and all) when dropped.
struct MlflowServer {
    child: Child,
    uri: String,
    _dir: tempfile::TempDir,
}

impl MlflowServer {
    fn start() -> Result<MlflowServer, BoxError> {
        let dir = tempfile::tempdir()?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let db = dir.path().join("mlflow.db");
        let artifacts = dir.path().join("artifacts");
        let mut command = Command::new(python());
        command
            .args(["-m", "mlflow", "server", "--backend-store-uri"])
            .arg(format!("sqlite:///{}", db.display()))
            .arg("--default-artifact-root")
            .arg(&artifacts)
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--workers",
                "1",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let server = MlflowServer {
            child: command.spawn()?,
            uri: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(2)))
            .build()
            .into();
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            if agent
                .get(format!("{}/health", server.uri))
                .call()
                .is_ok_and(|r| r.status() == 200)
            {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err("mlflow server did not become healthy within 180 s".into());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for MlflowServer {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// One server start for every server scenario, to keep the test time modest.
#[test]
fn runs_reach_a_real_mlflow_server_exactly_once() -> TestResult {
    let server = MlflowServer::start()?;
    let client = MlflowClient::new(&server.uri)?;
    let root = tempfile::tempdir()?;

    // 1. Sync an increment: every run arrives, identical.
    let (tracker, live) = sample_increment(&root.path().join("0042-recommendation-model"))?;
    let outcomes = sync_increment(&tracker, &client)?;
    assert_eq!(outcomes.len(), 3);
    assert!(outcomes.iter().all(|o| o.created));
    assert_eq!(
        outcomes[0].metrics_sent,
        1500 + 1 + 3,
        "1504 points need two log-batch calls"
    );

    // 2. Nothing new: nothing is sent again.
    let outcomes = sync_increment(&tracker, &client)?;
    assert!(outcomes.iter().all(|o| !o.created
        && o.metrics_sent == 0
        && o.params_sent == 0
        && o.tags_sent == 0
        && !o.status_sent));

    // 3. The live run goes on and ends: only the new points and the status are sent.
    for step in 1..5 {
        live.log_metric("train/loss", 0.9 - step as f64 / 10.0, step)?;
    }
    live.finish()?;
    let outcomes = sync_increment(&tracker, &client)?;
    assert_eq!(outcomes[2].metrics_sent, 4);
    assert!(outcomes[2].status_sent);
    assert_eq!(outcomes[0].metrics_sent + outcomes[1].metrics_sent, 0);

    // 4. Server down while training: nothing is lost, and a later sync sends it all.
    let down = MlflowClient::new(&format!(
        "http://127.0.0.1:{}",
        TcpListener::bind("127.0.0.1:0")?.local_addr()?.port()
    ))?
    .retry_policy(RetryPolicy {
        attempts: 2,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(10),
    });
    let offline_root = root.path().join("0043-offline");
    std::fs::create_dir_all(&offline_root)?;
    let offline = Tracker::open(&offline_root)?.mirror_to_mlflow(down);
    offline.track_experiment("while-down", |run| {
        run.log_param("epochs", 3)?;
        run.log_metrics([("loss", 0.5), ("precision@10", 0.2)], 0)
    })?;
    assert_eq!(
        offline.get_run("while-down")?.record.status,
        RunStatus::Finished
    );
    let outcomes = sync_increment(&offline, &client)?;
    assert_eq!((outcomes[0].metrics_sent, outcomes[0].params_sent), (2, 1));

    // 5. Mirroring to a live server sends each run as it ends.
    let mirrored_root = root.path().join("0044-mirrored");
    std::fs::create_dir_all(&mirrored_root)?;
    let mirrored = Tracker::open(&mirrored_root)?.mirror_to_mlflow(client.clone());
    mirrored.track_experiment("live", |run| run.log_metric("auc", 0.8, 0))?;
    let outcomes = sync_increment(&mirrored, &client)?;
    assert!(!outcomes[0].created && outcomes[0].metrics_sent == 0);

    // What the MLflow client reads equals the store exactly: every point once, final statuses.
    let names = ["0042-recommendation-model", "0043-offline", "0044-mirrored"];
    let mut seen = dump_runs(&server.uri, &names, &[])?;
    drop(server);
    let mut statuses: Vec<(String, String)> = seen["0042-recommendation-model"]
        .iter()
        .map(|r| {
            (
                r["run_name"].as_str().unwrap_or("").to_owned(),
                r["status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    statuses.sort();
    let expected = [
        ("exp-001-item-knn", "FINISHED"),
        ("exp-002-diverged", "FAILED"),
        ("exp-003-still-training", "FINISHED"),
    ];
    assert_eq!(
        statuses,
        expected.map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    for (name, tracker) in names.into_iter().zip([&tracker, &offline, &mirrored]) {
        let runs = seen.remove(name).ok_or("experiment missing")?;
        assert_identical(tracker, &runs, true)?;
    }

    Ok(())
}
