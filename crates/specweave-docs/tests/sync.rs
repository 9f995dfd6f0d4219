//! `sync_docs` on an increment shaped like the pipeline's output: every document is
//! written, a second run changes no byte, living docs keep other models' sections, and the
//! notebooks pass `nbformat` validation.

use specweave_core::ProblemKind;
use specweave_docs::artifacts::{HeldOutPredictions, ShapValues};
use specweave_docs::{NOTEBOOKS, sync_docs};
use specweave_spec::Increment;
use specweave_tracking::{ModelRegistry, RegisterModel, Role, Tracker, TrackingError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A deterministic pseudo-random stream, so the fixture has realistic spread.
fn noise(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed;
    move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn churn_increment(root: &Path, title: &str) -> Result<Increment, Box<dyn std::error::Error>> {
    let increment = Increment::create(root, title, Some(ProblemKind::Classification))?;
    let tracker = Tracker::open(increment.dir())?;
    let mut rand = noise(7);
    let names = vec![
        "tenure".to_string(),
        "monthly_charges".to_string(),
        "support_calls".to_string(),
    ];
    let mut features = Vec::new();
    let mut shap = Vec::new();
    let mut y_true = Vec::new();
    let mut scores = Vec::new();
    for _ in 0..300 {
        let x = vec![rand() * 72.0, 20.0 + rand() * 100.0, (rand() * 6.0).floor()];
        let s = vec![
            (36.0 - x[0]) / 72.0,
            (x[1] - 70.0) / 400.0,
            (x[2] - 2.5) / 10.0,
        ];
        let logit: f64 = -1.0 + 3.0 * s.iter().sum::<f64>();
        let p = 1.0 / (1.0 + (-logit).exp());
        y_true.push(if rand() < p { 1.0 } else { 0.0 });
        scores.push(p);
        features.push(x);
        shap.push(s);
    }
    let runs: [(&str, Role, &str, f64); 3] = [
        ("baseline-majority", Role::Baseline, "most_frequent", 0.5),
        ("logistic", Role::Candidate, "logistic_regression", 0.78),
        ("gbdt", Role::Candidate, "gradient_boosting", 0.84),
    ];
    for (name, role, algorithm, auc) in runs {
        tracker.track_experiment(name, |run| {
            run.set_role(role)?;
            run.set_headline_metric("roc_auc")?;
            run.set_algorithm(algorithm)?;
            run.log_param("seed", 7)?;
            run.log_metric("roc_auc", auc, 0)?;
            run.log_metric("roc_auc_cv_std", 0.012, 0)?;
            run.log_metric("f1", auc - 0.2, 0)?;
            if name == "gbdt" {
                for step in 0..20u64 {
                    run.log_metric("train_logloss", 0.7 / (1.0 + step as f64 * 0.3), step)?;
                    run.log_metric(
                        "valid_logloss",
                        0.72 / (1.0 + step as f64 * 0.2) + 0.05,
                        step,
                    )?;
                }
                run.log_metric("roc_auc_ci_lower", auc - 0.02, 0)?;
                run.log_metric("roc_auc_ci_upper", auc + 0.02, 0)?;
                run.save_artifact(
                    "shap_values.json",
                    &ShapValues {
                        feature_names: names.clone(),
                        base_value: -1.0,
                        values: shap.clone(),
                        feature_values: features.clone(),
                    },
                )?;
                run.save_artifact(
                    "predictions.json",
                    &HeldOutPredictions {
                        y_true: y_true.clone(),
                        scores: scores.clone(),
                        threshold: 0.5,
                        class_names: vec!["stay".into(), "churn".into()],
                    },
                )?;
            }
            Ok::<(), TrackingError>(())
        })?;
    }
    let model_file = root.join("gbdt-model.json");
    std::fs::write(&model_file, b"{\"trees\":[]}")?;
    ModelRegistry::new(&tracker)
        .register(RegisterModel::new("gbdt", &model_file).algorithm("gradient_boosting"))?;
    Ok(increment)
}

fn snapshot(dir: &Path) -> Result<BTreeMap<PathBuf, Vec<u8>>, std::io::Error> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path)?;
                files.insert(path, bytes);
            }
        }
    }
    Ok(files)
}

#[test]
fn sync_writes_every_document_and_is_idempotent() -> TestResult {
    let root = tempfile::tempdir()?;
    let increment = churn_increment(root.path(), "churn classifier")?;
    let first = sync_docs(&increment)?;
    assert!(first.written.len() > 20, "{:?}", first.written);
    let before = snapshot(root.path())?;
    let second = sync_docs(&increment)?;
    assert!(second.written.is_empty(), "rewritten: {:?}", second.written);
    assert_eq!(
        snapshot(root.path())?,
        before,
        "a second sync changed bytes"
    );

    let dir = increment.dir();
    for doc in [
        "reports/evaluation-report.md",
        "reports/explainability-report.md",
        "reports/model-card.md",
        "reports/ab-test-plan.md",
        "reports/monitoring.md",
        "reports/drift-profile.json",
        "reports/alert-rules.yaml",
        "reports/index.html",
        "reports/plots/roc.svg",
        "reports/plots/precision-recall.svg",
        "reports/plots/calibration.svg",
        "reports/plots/confusion-matrix.svg",
        "reports/plots/feature-importance.svg",
        "reports/plots/shap-summary.svg",
        "reports/plots/learning-curves.svg",
        "reports/plots/model-comparison.svg",
    ] {
        assert!(dir.join(doc).is_file(), "missing {doc}");
    }
    let evaluation = std::fs::read_to_string(dir.join("reports/evaluation-report.md"))?;
    assert!(evaluation.contains("exp-003-gbdt ✅ BEST"), "{evaluation}");
    assert!(
        evaluation.contains("| roc_auc | 0.8400 | [0.8200, 0.8600] | 0.0120 |"),
        "{evaluation}"
    );
    assert!(
        evaluation.contains("+68.0%"),
        "gbdt vs majority baseline: {evaluation}"
    );
    assert!(evaluation.contains("![ROC curve](plots/roc.svg)"));
    let explain = std::fs::read_to_string(dir.join("reports/explainability-report.md"))?;
    assert!(explain.contains("| 1 | tenure |"), "{explain}");
    let plan = std::fs::read_to_string(dir.join("reports/ab-test-plan.md"))?;
    // AUC is not a per-user share, so the plan sizes a t-test on the per-user metric
    assert!(
        plan.contains("two-sample t-test") && plan.contains("| 1571 |"),
        "{plan}"
    );
    let alerts = std::fs::read_to_string(dir.join("reports/alert-rules.yaml"))?;
    assert!(
        alerts.contains("alert: FeatureDriftCriticalTenure")
            && alerts.contains("alert: ErrorRateHigh")
    );
    let html = std::fs::read_to_string(dir.join("reports/index.html"))?;
    assert!(html.contains("<svg") && !html.contains("<script") && !html.contains("src=\"http"));

    let internal = root.path().join("docs/internal");
    assert!(internal.join("architecture/ml-models.md").is_file());
    assert!(
        internal
            .join(format!(
                "architecture/adr/0001-{}-algorithm-choice.md",
                increment.id()
            ))
            .is_file()
    );
    assert!(
        internal
            .join(format!("operations/runbooks/{}.md", increment.id()))
            .is_file()
    );
    Ok(())
}

#[test]
fn living_docs_keep_one_section_per_model_and_number_adrs() -> TestResult {
    let root = tempfile::tempdir()?;
    let first = churn_increment(root.path(), "churn classifier")?;
    let second = churn_increment(root.path(), "churn classifier v2")?;
    sync_docs(&first)?;
    sync_docs(&second)?;
    sync_docs(&first)?;
    let models =
        std::fs::read_to_string(root.path().join("docs/internal/architecture/ml-models.md"))?;
    assert_eq!(
        models
            .matches(&format!("<!-- specweave:model {} -->", first.id()))
            .count(),
        1
    );
    assert_eq!(
        models
            .matches(&format!("<!-- specweave:model {} -->", second.id()))
            .count(),
        1
    );
    let adr_dir = root.path().join("docs/internal/architecture/adr");
    let mut adrs: Vec<String> = std::fs::read_dir(adr_dir)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    adrs.sort();
    assert_eq!(
        adrs,
        vec![
            format!("0001-{}-algorithm-choice.md", first.id()),
            format!("0002-{}-algorithm-choice.md", second.id()),
        ]
    );
    Ok(())
}

/// The Python interpreter with nbformat; fails (never skips) when there is none.
fn python() -> PathBuf {
    let candidate = std::env::var_os("SPECWEAVE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"));
    let ok = Command::new(&candidate)
        .args(["-c", "import nbformat"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "no Python with nbformat at {} (set SPECWEAVE_PYTHON or run `scripts/python-env` to create .venv)",
        candidate.display()
    );
    candidate
}

#[test]
fn notebooks_pass_nbformat_validation() -> TestResult {
    let root = tempfile::tempdir()?;
    let increment = churn_increment(root.path(), "churn classifier")?;
    sync_docs(&increment)?;
    let paths: Vec<String> = NOTEBOOKS
        .iter()
        .map(|n| {
            increment
                .dir()
                .join("notebooks")
                .join(n)
                .display()
                .to_string()
        })
        .collect();
    let script = "import sys, nbformat\nfor path in sys.argv[1:]:\n    nb = nbformat.read(path, as_version=4)\n    nbformat.validate(nb)\n    assert any('read_parquet' in c.source or 'shap_values' in c.source for c in nb.cells), path\nprint('valid', len(sys.argv) - 1)\n";
    let output = Command::new(python())
        .arg("-c")
        .arg(script)
        .args(&paths)
        .output()?;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "valid 3");
    Ok(())
}
