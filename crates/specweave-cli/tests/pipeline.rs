//! `specweave inc --data --target`, `specweave do`, `specweave validate` and `specweave done`
//! run as the `specweave` binary on a user's own CSV file.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn specweave(dir: &Path, args: &[&str]) -> std::io::Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_specweave"))
        .current_dir(dir)
        .args(args)
        .output()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Customers who churn when new and expensive, or after many support calls: a rule no
/// straight line draws, with a few labels flipped.
fn churn_csv() -> String {
    let mut csv =
        String::from("customer_id,tenure_months,monthly_charges,support_calls,plan,churned\n");
    for i in 0..600u64 {
        let tenure = (i * 37) % 48 + 1;
        let charges = 20.0 + ((i * 53) % 90) as f64;
        let calls = (i * 7) % 8;
        let plan = ["basic", "plus", "pro"][(i % 3) as usize];
        let rule = (tenure < 12 && charges > 70.0) || calls > 5;
        let flipped = i % 29 == 0;
        let churned = if rule != flipped { "yes" } else { "no" };
        let _ = writeln!(csv, "c{i},{tenure},{charges:.1},{calls},{plan},{churned}");
    }
    csv
}

#[test]
fn a_users_csv_goes_from_inc_to_done() -> TestResult {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("churn.csv"), churn_csv())?;
    let created = specweave(
        dir.path(),
        &[
            "inc",
            "predict churn",
            "--data",
            "churn.csv",
            "--target",
            "churned",
        ],
    )?;
    assert!(created.status.success(), "{}", text(&created));
    let increment = dir.path().join(".specweave/increments/0001-predict-churn");
    let settings_path = increment.join("pipeline.yaml");
    let settings = std::fs::read_to_string(&settings_path)?;
    assert!(settings.contains("target: churned"), "{settings}");
    // Smaller candidates keep the debug-build test short; the file is the user's to edit.
    std::fs::write(
        &settings_path,
        format!(
            "{settings}seed: 3\ncandidates:\n\
             - {{name: random-forest, learner: random_forest, params: {{n_estimators: 30, seed: 1}}}}\n\
             - {{name: gradient-boosting, learner: gradient_boosting, params: {{n_estimators: 40}}}}\n\
             - {{name: mlp, learner: mlp_classifier, params: {{hidden_layers: [16], epochs: 20}}}}\n"
        ),
    )?;

    // one task at a time first: up to the baselines, then only the next pending task
    let unknown = specweave(dir.path(), &["do", "0001", "--task", "T-099"])?;
    assert!(!unknown.status.success());
    assert!(text(&unknown).contains("T-099"), "{}", text(&unknown));
    let baselines = specweave(dir.path(), &["do", "0001", "--task", "T-003"])?;
    assert!(baselines.status.success(), "{}", text(&baselines));
    assert!(
        text(&baselines).contains("stopped after T-003"),
        "{}",
        text(&baselines)
    );
    let runs = || -> std::io::Result<Vec<String>> {
        let mut names: Vec<String> = std::fs::read_dir(increment.join("experiments"))?
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        Ok(names)
    };
    let after_baselines = runs()?;
    assert_eq!(after_baselines.len(), 2, "{after_baselines:?}");
    let status = |id: &str| -> std::io::Result<bool> {
        let tasks = std::fs::read_to_string(increment.join("tasks.md"))?;
        let section = tasks
            .split("### ")
            .find(|s| s.starts_with(id))
            .unwrap_or_default()
            .to_owned();
        Ok(section.contains("**Status**: [x]"))
    };
    assert!(status("T-003")? && !status("T-004")?);
    assert!(increment.join("pipeline-state/T-003.json").is_file());

    let next = specweave(dir.path(), &["do", "0001", "--next"])?;
    assert!(next.status.success(), "{}", text(&next));
    assert!(
        text(&next)
            .lines()
            .any(|l| l.contains("T-003 Train baseline models") && l.contains("resumed")),
        "{}",
        text(&next)
    );
    assert!(status("T-004")? && !status("T-005")?);
    let after_candidates = runs()?;
    assert_eq!(after_candidates.len(), 5, "{after_candidates:?}");
    assert!(after_candidates.starts_with(&after_baselines));

    // the rest resumes at T-005: no baseline or candidate is trained again
    let ran = specweave(dir.path(), &["do", "0001"])?;
    let report = text(&ran);
    let all_runs = runs()?;
    assert!(all_runs.starts_with(&after_candidates));
    assert!(
        !all_runs[after_candidates.len()..]
            .iter()
            .any(|run| run.contains("baseline") || run.ends_with("-mlp")),
        "{all_runs:?}"
    );
    assert!(report.contains("exp-"), "{report}");
    assert!(report.contains("random-forest"), "{report}");
    let validated = specweave(dir.path(), &["validate", "0001"])?;
    let validation = text(&validated);
    // An unoptimised build may miss the throughput target, and only that.
    let failures: Vec<&str> = validation
        .lines()
        .filter(|l| l.contains(" FAIL "))
        .collect();
    assert!(
        failures
            .iter()
            .all(|l| l.starts_with("deployment-requirement")),
        "{validation}"
    );
    if !ran.status.success() {
        let done = specweave(
            dir.path(),
            &[
                "done",
                "0001",
                "--force",
                "--reason",
                "debug build throughput",
            ],
        )?;
        assert!(done.status.success(), "{}", text(&done));
    }
    assert!(increment.join("COMPLETION-SUMMARY.md").is_file());
    assert!(increment.join("data/profile.json").is_file());
    assert!(increment.join("reports/evaluation-report.md").is_file());

    let again = specweave(dir.path(), &["do", "0001"])?;
    assert!(!again.status.success());
    assert!(
        text(&again).contains("already completed"),
        "{}",
        text(&again)
    );
    Ok(())
}

#[test]
fn bad_settings_and_data_are_named_before_anything_runs() -> TestResult {
    let dir = tempfile::tempdir()?;
    let missing = specweave(
        dir.path(),
        &[
            "inc",
            "predict churn",
            "--data",
            "nowhere.csv",
            "--target",
            "churned",
        ],
    )?;
    assert!(!missing.status.success());
    assert!(text(&missing).contains("nowhere.csv"), "{}", text(&missing));
    assert!(
        !dir.path()
            .join(".specweave/increments/0001-predict-churn")
            .exists()
    );

    let created = specweave(dir.path(), &["inc", "predict churn"])?;
    assert!(created.status.success(), "{}", text(&created));
    let increment = dir.path().join(".specweave/increments/0001-predict-churn");
    std::fs::write(increment.join("pipeline.yaml"), "taget: churned\n")?;
    let out = specweave(dir.path(), &["do", "0001"])?;
    assert!(!out.status.success());
    assert!(text(&out).contains("taget"), "{}", text(&out));
    let tasks = std::fs::read_to_string(increment.join("tasks.md"))?;
    assert!(!tasks.contains("**Status**: [x]"), "no task ran: {tasks}");
    Ok(())
}

#[test]
fn do_reports_an_unknown_increment() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = specweave(dir.path(), &["do", "0042"])?;
    assert!(!out.status.success());
    let message = text(&out);
    assert!(
        message.contains("0042") || message.contains(".specweave"),
        "{message}"
    );
    Ok(())
}
