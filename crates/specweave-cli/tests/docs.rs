//! `specweave sync-docs` on an increment with runs: writes the documents, and a second run
//! reports nothing updated.

use specweave::spec::Increment;
use specweave::tracking::{Role, Tracker, TrackingError};
use std::path::Path;
use std::process::{Command, Output};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn sync_docs(root: &Path, id: &str) -> Result<Output, std::io::Error> {
    Command::new(env!("CARGO_BIN_EXE_specweave"))
        .args(["sync-docs", id, "--root"])
        .arg(root)
        .output()
}

#[test]
fn sync_docs_writes_then_changes_nothing() -> TestResult {
    let root = tempfile::tempdir()?;
    let increment = Increment::create(root.path(), "house price regression", None)?;
    let tracker = Tracker::open(increment.dir())?;
    for (name, role, rmse) in [
        ("baseline-mean", Role::Baseline, 52_000.0),
        ("ridge", Role::Candidate, 31_000.0),
    ] {
        tracker.track_experiment(name, |run| {
            run.set_role(role)?;
            run.set_headline_metric("rmse")?;
            run.log_metric("rmse", rmse, 0)?;
            Ok::<(), TrackingError>(())
        })?;
    }
    let first = sync_docs(root.path(), "1")?;
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let text = String::from_utf8_lossy(&first.stdout);
    assert!(text.contains("reports/evaluation-report.md"), "{text}");
    let report = std::fs::read_to_string(increment.dir().join("reports/evaluation-report.md"))?;
    assert!(report.contains("exp-002-ridge ✅ BEST"), "{report}");
    assert!(
        report.contains("-40.4%"),
        "ridge vs mean baseline: {report}"
    );

    let second = sync_docs(root.path(), "0001")?;
    assert!(second.status.success());
    let text = String::from_utf8_lossy(&second.stdout);
    assert!(text.contains(": 0 documents updated"), "{text}");

    let missing = sync_docs(root.path(), "99")?;
    assert!(!missing.status.success());
    Ok(())
}
