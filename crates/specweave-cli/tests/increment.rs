//! The increment commands, run as the `specweave` binary.

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Output};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn specweave(dir: &Path, args: &[&str]) -> std::io::Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_specweave"))
        .current_dir(dir)
        .args(args)
        .output()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn create_list_and_edit_tasks() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = specweave(dir.path(), &["inc", "build recommendation model"])?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Inferred problem kind: recommendation"),
        "{stdout}"
    );
    assert!(
        stdout
            .trim_end()
            .ends_with(".specweave/increments/0001-recommendation-model"),
        "{stdout}"
    );
    let increment = dir
        .path()
        .join(".specweave/increments/0001-recommendation-model");
    assert!(increment.join("metadata.json").is_file());

    let out = specweave(
        dir.path(),
        &[
            "inc",
            "ranking stage",
            "--parent",
            "1",
            "--problem",
            "recommendation",
        ],
    )?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("Inferred"));
    let out = specweave(dir.path(), &["list"])?;
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("0001-recommendation-model → 0002-ranking-stage"),
        "{stdout}"
    );
    assert!(
        stdout.contains("planning") && stdout.contains("recommendation"),
        "{stdout}"
    );

    let before = std::fs::read_to_string(increment.join("tasks.md"))?;
    let out = specweave(
        dir.path(),
        &["task", "0001", "T-003", "--status", "completed"],
    )?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let after = std::fs::read_to_string(increment.join("tasks.md"))?;
    let changed: Vec<(&str, &str)> = before
        .lines()
        .zip(after.lines())
        .filter(|(b, a)| b != a)
        .collect();
    assert_eq!(
        changed,
        [(
            "**Status**: [ ] pending | **Depends on**: T-002",
            "**Status**: [x] completed | **Depends on**: T-002"
        )]
    );
    let out = specweave(dir.path(), &["tasks", "1"])?;
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("[x] T-003  Train baseline models"),
        "{stdout}"
    );
    assert!(
        stdout.contains("9 tasks: 8 pending, 1 completed"),
        "{stdout}"
    );
    let out = specweave(dir.path(), &["tasks", "1", "--format", "json"])?;
    let tasks: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(tasks[2]["status"], "completed");
    let out = specweave(dir.path(), &["status", "1"])?;
    assert!(
        text(&out.stdout).contains("0001-recommendation-model: active"),
        "{}",
        text(&out.stdout)
    );
    Ok(())
}

#[test]
fn validate_and_done_report_failures_with_exit_codes() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("custom-root");
    let root_arg = root.to_string_lossy().into_owned();
    let out = specweave(dir.path(), &["inc", "predict churn", "--root", &root_arg])?;
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = specweave(dir.path(), &["validate", "1", "--root", &root_arg])?;
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("experiments-logged      FAIL    nothing logged"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Validation of 0001-predict-churn: FAILED"),
        "{stdout}"
    );
    assert!(
        root.join("increments/0001-predict-churn/reports/validation-report.md")
            .is_file()
    );

    let out = specweave(
        dir.path(),
        &["validate", "1", "--root", &root_arg, "--format", "json"],
    )?;
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(report["passed"], false);
    assert_eq!(report["headline_metric"], "roc_auc");

    let out = specweave(dir.path(), &["done", "1", "--root", &root_arg])?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("is not ready"),
        "{}",
        text(&out.stderr)
    );

    let out = specweave(dir.path(), &["done", "1", "--root", &root_arg, "--force"])?;
    assert_eq!(
        out.status.code(),
        Some(2),
        "--force without --reason is a usage error"
    );

    let out = specweave(
        dir.path(),
        &[
            "done",
            "1",
            "--root",
            &root_arg,
            "--force",
            "--reason",
            "prototype only",
        ],
    )?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("closed despite failing rules"));
    assert!(
        root.join("increments/0001-predict-churn/COMPLETION-SUMMARY.md")
            .is_file()
    );
    let out = specweave(
        dir.path(),
        &["list", "--root", &root_arg, "--format", "json"],
    )?;
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(listed[0]["status"], "completed");
    Ok(())
}

#[test]
fn bad_input_is_a_clear_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = specweave(dir.path(), &["inc", "¡¿!?"])?;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("makes an empty slug"),
        "{}",
        text(&out.stderr)
    );

    let out = specweave(dir.path(), &["inc", "forecast demand"])?;
    assert!(out.status.success());
    let out = specweave(dir.path(), &["tasks", "0002"])?;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no increment matches `0002`"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stderr).contains("nearest: 0001-forecast-demand"));

    let out = specweave(dir.path(), &["task", "1", "T-003", "--status", "finished"])?;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("unknown task status `finished`"),
        "{}",
        text(&out.stderr)
    );

    let out = specweave(dir.path(), &["task", "1", "T-099", "--status", "completed"])?;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no task `T-099`"),
        "{}",
        text(&out.stderr)
    );

    let out = specweave(dir.path(), &["status", "1", "--set", "completed"])?;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("allowed from planning: active, paused, abandoned"),
        "{}",
        text(&out.stderr)
    );

    let out = specweave(dir.path(), &["inc", "churn", "--problem", "clustering"])?;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("unknown problem kind `clustering`"),
        "{}",
        text(&out.stderr)
    );
    Ok(())
}

#[test]
fn concurrent_processes_never_share_a_number() -> TestResult {
    let dir = tempfile::tempdir()?;
    let children: Vec<std::process::Child> = (0..6)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_specweave"))
                .current_dir(dir.path())
                .args(["inc", &format!("fraud detector {i}")])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
        })
        .collect::<Result<_, _>>()?;
    let mut numbers = HashSet::new();
    for child in children {
        let out = child.wait_with_output()?;
        assert!(out.status.success(), "{}", text(&out.stderr));
        let path = text(&out.stdout);
        let name = path
            .trim_end()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let number: u32 = name.get(..4).ok_or("short name")?.parse()?;
        assert!(numbers.insert(number), "{number} given twice");
    }
    assert_eq!(numbers, (1..=6).collect::<HashSet<u32>>());
    Ok(())
}
