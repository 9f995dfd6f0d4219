//! `specweave eval` run as a real binary on CSV and Parquet predictions, checked against the
//! evaluation library.

use specweave::data::{Table, write_parquet};
use specweave::eval::registry::Task;
use specweave::eval::report::{EvalInput, EvalOptions, evaluate};
use std::path::Path;
use std::process::{Command, Output};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn specweave(args: &[&str], dir: &Path) -> std::io::Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_specweave"))
        .args(args)
        .current_dir(dir)
        .output()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Labels and scores with overlap, so no metric is trivially 0 or 1.
fn classification_columns() -> (Vec<f64>, Vec<f64>) {
    let labels: Vec<f64> = (0..40).map(|i| f64::from(u8::from(i % 3 == 0))).collect();
    let scores: Vec<f64> = (0..40)
        .map(|i| {
            let base = if i % 3 == 0 { 0.6 } else { 0.35 };
            base + f64::from((i * 7) % 11) / 25.0 - 0.2
        })
        .collect();
    (labels, scores)
}

fn json_report(output: &Output) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    Ok(serde_json::from_slice(&output.stdout)?)
}

#[test]
fn classification_on_parquet_matches_the_library() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (labels, scores) = classification_columns();
    let table = Table::builder()
        .f64("y", labels.clone())
        .f64("p", scores.clone())
        .build()?;
    write_parquet(dir.path().join("preds.parquet"), &table)?;
    let out = specweave(
        &[
            "eval",
            "--task",
            "classification",
            "--predictions",
            "preds.parquet",
            "--label-col",
            "y",
            "--score-col",
            "p",
            "--bootstrap",
            "50",
            "--seed",
            "7",
            "--format",
            "json",
        ],
        dir.path(),
    )?;
    assert!(out.status.success(), "{}", text(&out));
    let expected = evaluate(
        Task::Classification,
        &EvalInput::scored(&labels, &scores),
        &EvalOptions::default().bootstrap(50).seed(7),
    )?;
    let printed: specweave::eval::report::EvalReport = serde_json::from_slice(&out.stdout)?;
    assert_eq!(printed, expected);
    assert!(printed.metrics.iter().any(|m| m.name == "roc_auc"));
    Ok(())
}

#[test]
fn regression_on_csv_prints_the_library_table() -> TestResult {
    let dir = tempfile::tempdir()?;
    let actual = [3.0, -0.5, 2.0, 7.0, 4.2, 1.1];
    let predicted = [2.5, 0.0, 2.0, 8.0, 3.9, 1.5];
    let mut csv = String::from("actual,predicted\n");
    for (a, p) in actual.iter().zip(&predicted) {
        csv.push_str(&format!("{a},{p}\n"));
    }
    std::fs::write(dir.path().join("preds.csv"), csv)?;
    let out = specweave(
        &[
            "eval",
            "--task",
            "regression",
            "--predictions",
            "preds.csv",
            "--label-col",
            "actual",
            "--score-col",
            "predicted",
            "--bootstrap",
            "0",
        ],
        dir.path(),
    )?;
    assert!(out.status.success(), "{}", text(&out));
    let expected = evaluate(
        Task::Regression,
        &EvalInput::scored(&actual, &predicted),
        &EvalOptions::default().bootstrap(0),
    )?;
    assert_eq!(String::from_utf8(out.stdout)?, expected.to_table());
    let direct_mse = actual
        .iter()
        .zip(&predicted)
        .map(|(a, p)| (a - p) * (a - p))
        .sum::<f64>()
        / 6.0;
    let mse = expected
        .metrics
        .iter()
        .find(|m| m.name == "mse")
        .map(|m| m.value)
        .ok_or("mse missing")?;
    assert!((mse - direct_mse).abs() < 1e-12, "{mse} vs {direct_mse}");
    Ok(())
}

#[test]
fn ranking_with_text_ids_matches_the_library() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut csv = String::from("user,item,rel,score\n");
    let mut relevance = Vec::new();
    let mut scores = Vec::new();
    let mut users = Vec::new();
    let mut items = Vec::new();
    for u in 0..5u64 {
        for i in 0..6u64 {
            let rel = f64::from(u8::from((u + i) % 3 == 0));
            let score = ((u * 5 + i * 3) % 7) as f64 / 7.0;
            csv.push_str(&format!("u{u},item{i},{rel},{score}\n"));
            relevance.push(rel);
            scores.push(score);
            users.push(u);
            items.push(i);
        }
    }
    std::fs::write(dir.path().join("ranked.csv"), csv)?;
    let out = specweave(
        &[
            "eval",
            "--task",
            "ranking",
            "--predictions",
            "ranked.csv",
            "--label-col",
            "rel",
            "--score-col",
            "score",
            "--user-col",
            "user",
            "--item-col",
            "item",
            "--k",
            "3",
            "--bootstrap",
            "20",
            "--format",
            "json",
        ],
        dir.path(),
    )?;
    assert!(out.status.success(), "{}", text(&out));
    let expected = evaluate(
        Task::Ranking,
        &EvalInput::ranking(&relevance, &scores, &users, &items),
        &EvalOptions::default().k(3).bootstrap(20),
    )?;
    let printed = json_report(&out)?;
    assert_eq!(printed, serde_json::to_value(&expected)?);
    assert_eq!(printed["rows"], 5);
    Ok(())
}

fn assert_clean_error(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2), "{}", text(out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(needle), "expected `{needle}` in: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_inputs_are_clean_errors() -> TestResult {
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join("p.csv"),
        "y,p,name\n1,0.9,a\n0,0.2,b\n,0.4,c\n",
    )?;
    std::fs::write(dir.path().join("ok.csv"), "y,p,name\n1,0.9,a\n0,0.2,b\n")?;
    let base = |task: &str, file: &str, label: &str, score: &str| {
        vec![
            "eval".to_string(),
            "--task".into(),
            task.into(),
            "--predictions".into(),
            file.into(),
            "--label-col".into(),
            label.into(),
            "--score-col".into(),
            score.into(),
            "--bootstrap".into(),
            "0".into(),
        ]
    };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        specweave(&args, dir.path())
    };
    assert_clean_error(&run(base("classification", "ok.csv", "y", "nope"))?, "nope");
    assert_clean_error(
        &run(base("classification", "ok.csv", "y", "name"))?,
        "not numeric",
    );
    assert_clean_error(&run(base("classification", "p.csv", "y", "p"))?, "row 3");
    assert_clean_error(
        &run(base("clustering", "ok.csv", "y", "p"))?,
        "unknown task",
    );
    assert_clean_error(&run(base("ranking", "ok.csv", "y", "p"))?, "--user-col");
    assert_clean_error(
        &run(base("regression", "missing.csv", "y", "p"))?,
        "missing.csv",
    );
    Ok(())
}
