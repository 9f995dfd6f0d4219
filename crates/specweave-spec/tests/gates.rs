//! The validate and done gates against experiments and models written in the shared record
//! formats (`run.json`, `params.json`, `metrics.json`, `models/model-vN.metadata.json`).

use std::collections::BTreeMap;
use std::path::Path;

use specweave_core::ProblemKind;
use specweave_core::records::{
    ModelStage, ModelVersionMetadata, ROLE_BASELINE, ROLE_CANDIDATE, RunRecord, RunStatus,
    TAG_ALGORITHM, TAG_ROLE,
};
use specweave_spec::{
    DoneOptions, Error, Increment, Outcome, RuleResult, Status, TaskStatus, ValidationReport,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Writes one experiment folder exactly as the tracking crate does.
fn log_run(
    dir: &Path,
    number: u32,
    name: &str,
    role: &str,
    status: RunStatus,
    metrics: &[(&str, f64)],
    notes: &[&str],
) -> TestResult {
    let id = format!("exp-{number:03}-{name}");
    let run_dir = dir.join("experiments").join(&id);
    std::fs::create_dir_all(&run_dir)?;
    let record = RunRecord {
        id: id.clone(),
        number,
        name: name.into(),
        status,
        start_time_ms: 1_700_000_000_000,
        end_time_ms: (status != RunStatus::Running).then_some(1_700_000_060_000),
        tags: BTreeMap::from([
            (TAG_ROLE.to_string(), role.to_string()),
            (TAG_ALGORITHM.to_string(), name.replace('-', "_")),
        ]),
        notes: notes.iter().map(|n| n.to_string()).collect(),
        environment: BTreeMap::new(),
        data_fingerprint: None,
        schema_fingerprint: None,
        pid: None,
        host: None,
    };
    std::fs::write(
        run_dir.join("run.json"),
        serde_json::to_string_pretty(&record)?,
    )?;
    std::fs::write(run_dir.join("params.json"), r#"{"k": "10"}"#)?;
    if status != RunStatus::Failed {
        let metrics: serde_json::Map<String, serde_json::Value> = metrics
            .iter()
            .map(|(k, v)| {
                let value = if v.is_nan() {
                    serde_json::json!("NaN")
                } else {
                    serde_json::json!(v)
                };
                (k.to_string(), value)
            })
            .collect();
        std::fs::write(
            run_dir.join("metrics.json"),
            serde_json::to_string(&metrics)?,
        )?;
    }
    Ok(())
}

fn save_model(dir: &Path, number: u32, experiment: &str, algorithm: &str) -> TestResult {
    let models = dir.join("models");
    std::fs::create_dir_all(models.join(format!("model-v{number}")))?;
    let metadata = ModelVersionMetadata {
        name: "recommendation-model".into(),
        version: format!("0001-v{number}"),
        number,
        increment: "0001-recommendation-model".into(),
        experiment: experiment.into(),
        algorithm: algorithm.into(),
        framework: "specweave-recommend".into(),
        params: BTreeMap::new(),
        metrics: BTreeMap::from([("latency_p99_ms".to_string(), 42.0)]),
        training_time_s: Some(12.5),
        data_fingerprint: None,
        size_bytes: 3 * 1024 * 1024,
        created_at: "2026-03-14T10:00:00Z".into(),
        stage: ModelStage::Staging,
        parent: None,
    };
    std::fs::write(
        models.join(format!("model-v{number}.metadata.json")),
        serde_json::to_string_pretty(&metadata)?,
    )?;
    Ok(())
}

/// A recommendation increment whose pipeline did everything the spec asks.
fn complete_increment(root: &Path) -> Result<Increment, Box<dyn std::error::Error>> {
    let increment = Increment::create(root, "build recommendation model", None)?;
    let dir = increment.dir().to_path_buf();
    log_run(
        &dir,
        1,
        "random",
        ROLE_BASELINE,
        RunStatus::Finished,
        &[("precision@10", 0.01), ("recall@10", 0.004)],
        &[],
    )?;
    log_run(
        &dir,
        2,
        "popularity",
        ROLE_BASELINE,
        RunStatus::Finished,
        &[("precision@10", 0.12), ("recall@10", 0.08)],
        &[],
    )?;
    log_run(
        &dir,
        3,
        "item-knn",
        ROLE_CANDIDATE,
        RunStatus::Finished,
        &[
            ("precision@10", 0.28),
            ("recall@10", 0.17),
            ("precision@10_cv_std", 0.02),
        ],
        &[],
    )?;
    log_run(
        &dir,
        4,
        "als",
        ROLE_CANDIDATE,
        RunStatus::Finished,
        &[
            ("precision@10", 0.31),
            ("recall@10", 0.19),
            ("throughput_rps", 2400.0),
        ],
        &[],
    )?;
    log_run(
        &dir,
        5,
        "bpr",
        ROLE_CANDIDATE,
        RunStatus::Failed,
        &[],
        &["diverged: loss became NaN at epoch 3"],
    )?;
    log_run(
        &dir,
        6,
        "two-tower",
        ROLE_CANDIDATE,
        RunStatus::Finished,
        &[("precision@10", f64::NAN), ("recall@10", 0.1)],
        &[],
    )?;
    save_model(&dir, 1, "exp-004-als", "als")?;
    for file in [
        "experiments/comparison.md",
        "reports/evaluation-report.md",
        "reports/explainability-report.md",
        "reports/ab-test-plan.md",
    ] {
        std::fs::write(dir.join(file), "# report\n")?;
    }
    for task in increment.tasks()?.tasks {
        increment.set_task_status(&task.id, TaskStatus::Completed)?;
    }
    Ok(Increment::open(root, "1")?)
}

fn rule<'a>(report: &'a ValidationReport, name: &str) -> Option<&'a RuleResult> {
    report.results.iter().find(|r| r.rule == name)
}

fn criterion<'a>(report: &'a ValidationReport, text: &str) -> Option<&'a RuleResult> {
    report
        .results
        .iter()
        .find(|r| r.rule == "success-criterion" && r.message.starts_with(text))
}

#[test]
fn a_complete_increment_passes_with_required_and_actual_values() -> TestResult {
    let root = tempfile::tempdir()?;
    let increment = complete_increment(root.path())?;
    let report = increment.validate_and_write()?;
    let failures: Vec<&RuleResult> = report.failures().collect();
    assert!(report.passed(), "{failures:#?}");
    assert_eq!(report.best_run.as_deref(), Some("exp-004-als"));
    assert_eq!(report.best_baseline.as_deref(), Some("exp-002-popularity"));
    let precision = criterion(&report, "Precision@10 > 0.25").ok_or("no precision row")?;
    assert_eq!(
        (precision.required.as_deref(), precision.actual.as_deref()),
        (Some("> 0.25"), Some("0.31"))
    );
    let random = criterion(&report, "Better than random baseline by 3x").ok_or("no random row")?;
    assert_eq!(
        random.required.as_deref(),
        Some(">= 0.03 (exp-001-random precision@10 = 0.01)")
    );
    let margin =
        criterion(&report, "New model must beat best baseline by 20%+").ok_or("no margin row")?;
    assert_eq!(
        margin.required.as_deref(),
        Some(">= 0.144 (exp-002-popularity precision@10 = 0.12)")
    );
    assert!(
        rule(&report, "beats-best-baseline").is_none(),
        "the spec names its own margin"
    );
    // Latency comes from the saved model's metadata, throughput from the run.
    let deployment: Vec<(Outcome, Option<&str>)> = report
        .results
        .iter()
        .filter(|r| r.rule == "deployment-requirement")
        .map(|r| (r.outcome, r.actual.as_deref()))
        .collect();
    assert_eq!(
        deployment,
        [(Outcome::Pass, Some("42")), (Outcome::Pass, Some("2400"))]
    );
    let complete = rule(&report, "experiments-complete").ok_or("no rule")?;
    assert!(
        complete.message.contains("or failed with a note (1)"),
        "{}",
        complete.message
    );
    let written = std::fs::read_to_string(increment.dir().join("reports/validation-report.md"))?;
    assert!(
        written.contains("| success-criterion | ✅ pass | > 0.25 | 0.31 | Precision@10 > 0.25"),
        "{written}"
    );
    let json = serde_json::to_value(&report)?;
    assert_eq!(json["passed"], true);
    assert_eq!(json["results"][0]["outcome"], "pass");
    Ok(())
}

#[test]
fn unmet_criteria_and_broken_runs_fail_with_reasons() -> TestResult {
    let root = tempfile::tempdir()?;
    let increment = complete_increment(root.path())?;
    let dir = increment.dir().to_path_buf();
    // A tuning run takes over as best but misses the target and is unstable across folds.
    log_run(
        &dir,
        7,
        "als-tuned",
        "tuning",
        RunStatus::Finished,
        &[
            ("precision@10", 0.35),
            ("recall@10", 0.11),
            ("recall@10_cv_std", 0.14),
        ],
        &[],
    )?;
    log_run(
        &dir,
        8,
        "ease",
        ROLE_CANDIDATE,
        RunStatus::Running,
        &[("precision@10", 0.2)],
        &[],
    )?;
    log_run(
        &dir,
        9,
        "slim",
        ROLE_CANDIDATE,
        RunStatus::Killed,
        &[("precision@10", 0.2)],
        &[],
    )?;
    std::fs::remove_file(dir.join("experiments/exp-003-item-knn/params.json"))?;
    let report = increment.validate()?;
    assert!(!report.passed());
    assert_eq!(report.best_run.as_deref(), Some("exp-007-als-tuned"));
    let recall = criterion(&report, "Recall@10 > 0.15").ok_or("no recall row")?;
    assert_eq!(
        (recall.outcome, recall.actual.as_deref()),
        (Outcome::Fail, Some("0.11"))
    );
    let complete = rule(&report, "experiments-complete").ok_or("no rule")?;
    assert_eq!(complete.outcome, Outcome::Fail);
    for expected in [
        "exp-003-item-knn: params.json missing",
        "exp-008-ease: still running",
        "exp-009-slim: killed without a note",
    ] {
        assert!(
            complete.message.contains(expected),
            "{expected} not in {}",
            complete.message
        );
    }
    let saved = rule(&report, "best-model-saved").ok_or("no rule")?;
    assert_eq!(saved.outcome, Outcome::Fail);
    assert!(
        saved
            .message
            .contains("best run by `precision@10` is exp-007-als-tuned"),
        "{}",
        saved.message
    );
    let cv = rule(&report, "cv-stability").ok_or("no rule")?;
    assert_eq!(cv.outcome, Outcome::Warn);
    assert!(
        cv.message.contains("recall@10_cv_std = 0.14"),
        "{}",
        cv.message
    );
    Ok(())
}

#[test]
fn no_experiments_fails_and_says_what_to_do_next() -> TestResult {
    let root = tempfile::tempdir()?;
    let increment = Increment::create(
        root.path(),
        "predict house prices",
        Some(ProblemKind::Regression),
    )?;
    let report = increment.validate()?;
    assert!(!report.passed());
    let logged = rule(&report, "experiments-logged").ok_or("no rule")?;
    assert_eq!(logged.outcome, Outcome::Fail);
    assert!(
        logged.message.starts_with(
            "nothing logged: no experiments under experiments/. Next: train the baselines (T-003)"
        ),
        "{}",
        logged.message
    );
    for name in [
        "experiments-complete",
        "best-model-saved",
        "metrics-documented",
        "explainability",
    ] {
        assert_eq!(
            rule(&report, name).map(|r| r.outcome),
            Some(Outcome::Fail),
            "{name}"
        );
    }
    let rmse = criterion(&report, "RMSE < $50").ok_or("no rmse row")?;
    assert!(rmse.message.contains("nothing logged"), "{}", rmse.message);
    assert_eq!(rmse.required.as_deref(), Some("< 50"));
    Ok(())
}

#[test]
fn broken_documents_fail_validation_with_file_and_line() -> TestResult {
    let root = tempfile::tempdir()?;
    let increment = Increment::create(root.path(), "detect fraud", None)?;
    let spec_path = increment.dir().join("spec.md");
    let spec = std::fs::read_to_string(&spec_path)?;
    std::fs::write(
        &spec_path,
        spec.replace(
            "- F1 >= 0.75\n",
            "- F1 >= 0.75\n- customers are delighted\n",
        ),
    )?;
    let tasks_path = increment.dir().join("tasks.md");
    let tasks = std::fs::read_to_string(&tasks_path)?;
    std::fs::write(
        &tasks_path,
        tasks
            .replace("### T-009: A/B test plan", "### T-008: A/B test plan")
            .replace("**Depends on**: T-003\n", "**Depends on**: T-042\n")
            .replacen("**Status**: [ ] pending", "**Status**: [?] pending", 1),
    )?;
    let report = increment.validate()?;
    let documents = rule(&report, "documents-parse").ok_or("no rule")?;
    assert_eq!(documents.outcome, Outcome::Fail);
    assert!(
        documents.message.contains("spec.md:"),
        "{}",
        documents.message
    );
    assert!(
        documents
            .message
            .contains("no known metric in `customers are delighted`"),
        "{}",
        documents.message
    );
    let dependencies = rule(&report, "task-dependencies").ok_or("no rule")?;
    for expected in [
        "unknown checkbox `[?]`",
        "duplicate task id T-008",
        "T-004 depends on T-042, which does not exist",
    ] {
        assert!(
            dependencies.message.contains(expected),
            "{expected} not in {}",
            dependencies.message
        );
    }
    assert!(
        dependencies.message.contains("tasks.md:"),
        "{}",
        dependencies.message
    );
    std::fs::write(&spec_path, "---\nstatus: planning\nproblem: [\n---\n")?;
    let report = increment.validate()?;
    let documents = rule(&report, "documents-parse").ok_or("no rule")?;
    assert!(
        documents.message.contains("spec.md:") && documents.message.contains("broken frontmatter"),
        "{}",
        documents.message
    );
    Ok(())
}

#[test]
fn done_writes_the_summary_and_completes() -> TestResult {
    let root = tempfile::tempdir()?;
    let mut increment = complete_increment(root.path())?;
    let outcome = increment.done(&DoneOptions::default())?;
    assert!(!outcome.forced);
    assert_eq!(increment.metadata().status, Status::Completed);
    let summary = std::fs::read_to_string(&outcome.summary_path)?;
    for expected in [
        "| exp-004-als | candidate | als | finished | 0.31 | ✅ BEST |",
        "| exp-002-popularity | baseline | popularity | finished | 0.12 |  |",
        "- **Algorithm**: als",
        "- **Version**: 0001-v1 (`models/model-v1/`",
        "- **Training time**: 12.5 s",
        "- **Size**: 3.0 MiB",
        "- **Latency**: target < 100 ms (`latency_p99_ms`), measured 42 ms ✅",
        "- **A/B test plan**: `reports/ab-test-plan.md` ✅",
    ] {
        assert!(
            summary.contains(expected),
            "missing `{expected}` in\n{summary}"
        );
    }
    let spec = std::fs::read_to_string(increment.dir().join("spec.md"))?;
    assert!(spec.contains("\nstatus: completed\n"));
    let history: Vec<Status> = increment.metadata().history.iter().map(|t| t.to).collect();
    assert_eq!(
        history,
        [Status::Active, Status::ReadyForReview, Status::Completed]
    );
    // Completed is final.
    let again = increment
        .done(&DoneOptions::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        again.contains("allowed from completed: none, it is final"),
        "{again}"
    );
    Ok(())
}

#[test]
fn done_refuses_failures_unless_forced_with_a_reason() -> TestResult {
    let root = tempfile::tempdir()?;
    let mut increment = Increment::create(root.path(), "predict weekly sales", None)?;
    let refused = increment.done(&DoneOptions::default());
    assert!(matches!(refused, Err(Error::NotReady { .. })));
    assert_eq!(
        Increment::open(root.path(), "1")?.metadata().status,
        Status::Planning
    );
    assert!(!increment.dir().join("COMPLETION-SUMMARY.md").exists());
    assert!(
        increment
            .dir()
            .join("reports/validation-report.md")
            .exists()
    );
    let no_reason = increment.done(&DoneOptions {
        force: true,
        reason: Some("  ".into()),
    });
    assert!(matches!(no_reason, Err(Error::InvalidInput(_))));
    let outcome = increment.done(&DoneOptions {
        force: true,
        reason: Some("exploratory spike, superseded by 0002".into()),
    })?;
    assert!(outcome.forced);
    let metadata = Increment::open(root.path(), "1")?.metadata().clone();
    assert_eq!(metadata.status, Status::Completed);
    let record = metadata
        .completion_override
        .ok_or("override not recorded")?;
    assert_eq!(record.reason, "exploratory spike, superseded by 0002");
    assert!(
        record
            .failed_rules
            .contains(&"experiments-logged".to_string())
    );
    let summary = std::fs::read_to_string(&outcome.summary_path)?;
    assert!(
        summary.contains("reason: exploratory spike, superseded by 0002"),
        "{summary}"
    );
    assert!(summary.contains("No experiments were logged."));
    Ok(())
}

#[test]
fn paused_increments_cannot_be_closed() -> TestResult {
    let root = tempfile::tempdir()?;
    let mut increment = complete_increment(root.path())?;
    increment.set_status(Status::Paused, Some("on hold"))?;
    let err = increment
        .done(&DoneOptions::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("from paused to completed; allowed from paused: planning, active, abandoned"),
        "{err}"
    );
    assert!(!increment.dir().join("COMPLETION-SUMMARY.md").exists());
    Ok(())
}

#[test]
fn drifted_mirrors_and_corrupt_files_are_reported() -> TestResult {
    let root = tempfile::tempdir()?;
    let increment = Increment::create(root.path(), "predict order amount", None)?;
    let spec_path = increment.dir().join("spec.md");
    let spec = std::fs::read_to_string(&spec_path)?;
    std::fs::write(
        &spec_path,
        spec.replace("\nstatus: planning\n", "\nstatus: active\n"),
    )?;
    let tests_path = increment.dir().join("tests.md");
    let tests = std::fs::read_to_string(&tests_path)?;
    std::fs::write(
        &tests_path,
        format!("{tests}\n### TC-099: vibes\n**Criterion**: feels fast\n"),
    )?;
    let report = increment.validate()?;
    let documents = rule(&report, "documents-parse").ok_or("no rule")?;
    assert_eq!(documents.outcome, Outcome::Fail);
    assert!(
        documents
            .message
            .contains("TC-099: criterion not understood"),
        "{}",
        documents.message
    );
    std::fs::write(&tests_path, tests)?;
    let report = increment.validate()?;
    let documents = rule(&report, "documents-parse").ok_or("no rule")?;
    assert_eq!(documents.outcome, Outcome::Warn);
    assert!(
        documents
            .message
            .contains("spec.md frontmatter says status active but metadata.json says planning"),
        "{}",
        documents.message
    );

    std::fs::write(increment.dir().join("metadata.json"), "{\n  \"id\": 7,\n")?;
    let err = Increment::open(root.path(), "1")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("metadata.json: invalid JSON") && err.contains("line 2"),
        "{err}"
    );
    Ok(())
}

#[test]
fn runs_whose_process_died_are_named_as_such() -> TestResult {
    let root = tempfile::tempdir()?;
    let increment = Increment::create(root.path(), "build recommendation model", None)?;
    log_run(
        increment.dir(),
        1,
        "item-knn",
        ROLE_CANDIDATE,
        RunStatus::Running,
        &[("precision@10", 0.2)],
        &[],
    )?;
    let Ok(host) = std::fs::read_to_string("/proc/sys/kernel/hostname") else {
        return Ok(()); // liveness is only known on Linux
    };
    let run_path = increment
        .dir()
        .join("experiments/exp-001-item-knn/run.json");
    let mut record: RunRecord = serde_json::from_str(&std::fs::read_to_string(&run_path)?)?;
    // A child that has exited and been reaped leaves a pid no live process holds.
    let mut child = std::process::Command::new("true").spawn()?;
    let dead_pid = child.id();
    child.wait()?;
    record.pid = Some(dead_pid);
    record.host = Some(host.trim().to_string());
    std::fs::write(&run_path, serde_json::to_string(&record)?)?;
    let report = increment.validate()?;
    let complete = rule(&report, "experiments-complete").ok_or("no rule")?;
    assert!(
        complete.message.contains(&format!(
            "marked running but its process {dead_pid} is gone"
        )),
        "{}",
        complete.message
    );
    record.pid = Some(std::process::id());
    std::fs::write(&run_path, serde_json::to_string(&record)?)?;
    let report = increment.validate()?;
    let complete = rule(&report, "experiments-complete").ok_or("no rule")?;
    assert!(
        complete.message.contains("still running"),
        "{}",
        complete.message
    );
    Ok(())
}

/// Replaces the time stamps written at run time so snapshots are stable.
fn redact_times(text: &str) -> String {
    text.lines()
        .map(|line| {
            for prefix in ["Generated: ", "- **Completed**: "] {
                if line.starts_with(prefix) {
                    return format!(
                        "{prefix}[time]{}",
                        if line.ends_with("  ") { "  " } else { "" }
                    );
                }
            }
            line.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn report_and_summary_snapshots() -> TestResult {
    let root = tempfile::tempdir()?;
    let empty = Increment::create(root.path(), "forecast weekly sales", None)?;
    insta::assert_snapshot!(
        "empty-forecasting-validation-table",
        empty.validate()?.to_table()
    );

    let other = tempfile::tempdir()?;
    let mut increment = complete_increment(other.path())?;
    let report = increment.validate_and_write()?;
    let written = std::fs::read_to_string(increment.dir().join("reports/validation-report.md"))?;
    assert!(report.passed());
    insta::assert_snapshot!(
        "complete-recommendation-validation-report",
        redact_times(&written)
    );
    let outcome = increment.done(&DoneOptions::default())?;
    let summary = std::fs::read_to_string(outcome.summary_path)?;
    insta::assert_snapshot!("complete-recommendation-summary", redact_times(&summary));
    Ok(())
}
