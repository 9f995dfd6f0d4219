//! Generated documents of every problem kind (snapshots), numbering, lifecycle edits and the
//! byte-exact task round trip.

use std::collections::HashSet;
use std::path::Path;

use chrono::{TimeZone, Utc};
use specweave_core::ProblemKind;
use specweave_spec::{
    Error, Increment, Status, TaskStatus, lineage, list_increments, locate_increment,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn create_fixed(root: &Path, title: &str, kind: ProblemKind) -> Result<Increment, Error> {
    let created = Utc
        .with_ymd_and_hms(2026, 3, 14, 9, 26, 53)
        .single()
        .ok_or_else(|| Error::InvalidInput("bad test date".into()))?;
    Increment::builder(root, title)
        .problem(kind)
        .created_at(created)
        .create()
}

fn snapshot_all(kind: ProblemKind, title: &str) -> TestResult {
    let root = tempfile::tempdir()?;
    let increment = create_fixed(root.path(), title, kind)?;
    for file in [
        "spec.md",
        "plan.md",
        "tasks.md",
        "tests.md",
        "metadata.json",
    ] {
        let text = std::fs::read_to_string(increment.dir().join(file))?;
        insta::assert_snapshot!(format!("{kind}-{file}"), text);
    }
    // Every generated document parses cleanly.
    let spec = increment.spec()?;
    assert!(spec.diagnostics.is_empty(), "{:?}", spec.diagnostics);
    assert_eq!(spec.frontmatter.problem, Some(kind));
    assert_eq!(spec.frontmatter.status, Some(Status::Planning));
    for section in [
        "ML Problem Definition",
        "Data Requirements",
        "Model Requirements",
        "Success Criteria",
    ] {
        assert!(spec.section(section).is_some(), "{kind}: no {section}");
    }
    let tasks = increment.tasks()?;
    assert!(tasks.diagnostics.is_empty(), "{:?}", tasks.diagnostics);
    let expected_tasks = if kind == ProblemKind::Forecasting {
        11
    } else {
        9
    };
    assert_eq!(tasks.tasks.len(), expected_tasks);
    let tests = increment.tests()?;
    assert!(tests.diagnostics.is_empty(), "{:?}", tests.diagnostics);
    assert!(tests.cases.iter().all(|c| c.criterion.is_some()));
    for folder in specweave_spec::INCREMENT_FOLDERS {
        assert!(increment.dir().join(folder).is_dir(), "{folder}");
    }
    Ok(())
}

#[test]
fn recommendation_documents() -> TestResult {
    snapshot_all(ProblemKind::Recommendation, "Build recommendation model")
}

#[test]
fn classification_documents() -> TestResult {
    snapshot_all(ProblemKind::Classification, "Detect fraudulent payments")
}

#[test]
fn regression_documents() -> TestResult {
    snapshot_all(ProblemKind::Regression, "Predict customer lifetime value")
}

#[test]
fn forecasting_documents() -> TestResult {
    snapshot_all(
        ProblemKind::Forecasting,
        "Forecast weekly sales: stores #1-#40",
    )
}

#[test]
fn numbers_are_unique_when_many_threads_create_at_once() -> TestResult {
    let root = tempfile::tempdir()?;
    std::fs::create_dir_all(root.path().join("increments/0041-existing-work"))?;
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let root = root.path().to_path_buf();
            std::thread::spawn(move || {
                Increment::create(&root, &format!("churn model {i}"), None)
                    .map(|inc| inc.metadata().number)
            })
        })
        .collect();
    let mut numbers = HashSet::new();
    for handle in handles {
        let number = handle.join().map_err(|_| "thread panicked")??;
        assert!(numbers.insert(number), "number {number} handed out twice");
    }
    assert_eq!(numbers, (42..50).collect::<HashSet<u32>>());
    let leftovers: Vec<String> = std::fs::read_dir(root.path().join("increments"))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".staging"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    Ok(())
}

#[test]
fn bad_titles_and_ids_are_clear_errors() -> TestResult {
    let root = tempfile::tempdir()?;
    let err = Increment::create(root.path(), "???", Some(ProblemKind::Regression))
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("title `???` makes an empty slug; use letters or digits in the title")
    );
    assert!(matches!(
        Increment::create(root.path(), "quarterly thing", None).map(|i| i.metadata().problem),
        Ok(ProblemKind::Forecasting)
    ));
    let err = Increment::create(root.path(), "improve things", None)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("pass --problem"), "{err}");
    let err = Increment::open(root.path(), "0002-quarterly-thing")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("nearest: 0001-quarterly-thing"), "{err}");
    let err = Increment::builder(root.path(), "ranking")
        .parent("0009")
        .create()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("no increment matches `0009`"), "{err}");
    Ok(())
}

#[test]
fn task_status_edits_are_byte_exact() -> TestResult {
    let root = tempfile::tempdir()?;
    let increment = create_fixed(
        root.path(),
        "predict weekly sales",
        ProblemKind::Forecasting,
    )?;
    let path = increment.dir().join("tasks.md");
    // Switch one task to the one-field-per-line layout and CRLF-free odd spacing.
    let original = std::fs::read_to_string(&path)?.replace(
        "**Status**: [ ] pending | **Depends on**: T-002\n",
        "**Status**:   [ ] pending\n**Depends on**: T-002\n",
    );
    std::fs::write(&path, &original)?;
    increment.set_task_status("T-003", TaskStatus::InProgress)?;
    increment.set_task_status("T-010", TaskStatus::Completed)?;
    let edited = std::fs::read_to_string(&path)?;
    let before: Vec<&str> = original.lines().collect();
    let after: Vec<&str> = edited.lines().collect();
    assert_eq!(before.len(), after.len());
    let changed: Vec<(usize, &str)> = before
        .iter()
        .zip(&after)
        .enumerate()
        .filter(|(_, (b, a))| b != a)
        .map(|(i, (_, a))| (i + 1, *a))
        .collect();
    assert_eq!(changed.len(), 2, "{changed:?}");
    assert_eq!(changed[0].1, "**Status**:   [~] in_progress");
    assert_eq!(
        changed[1].1,
        "**Status**: [x] completed | **Depends on**: T-001"
    );
    assert_eq!(
        edited.len(),
        original.len() + "[~] in_progress".len() - "[ ] pending".len() + "[x] completed".len()
            - "[ ] pending".len()
    );
    // Starting work moved the increment out of planning, mirrored in spec.md.
    let reopened = Increment::open(root.path(), "1")?;
    assert_eq!(reopened.metadata().status, Status::Active);
    assert!(
        std::fs::read_to_string(reopened.dir().join("spec.md"))?.contains("\nstatus: active\n")
    );
    Ok(())
}

#[test]
fn lifecycle_follows_the_state_machine_and_spec_mirrors_it() -> TestResult {
    let root = tempfile::tempdir()?;
    let mut increment = create_fixed(root.path(), "predict churn", ProblemKind::Classification)?;
    let spec_path = increment.dir().join("spec.md");
    let spec_before = std::fs::read_to_string(&spec_path)?;
    let err = increment
        .set_status(Status::Completed, None)
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some(
            "cannot move increment 0001-predict-churn from planning to completed; allowed from planning: active, paused, abandoned"
        )
    );
    increment.set_status(Status::Active, Some("kick-off"))?;
    increment.set_status(Status::Paused, Some("waiting for data"))?;
    let spec_after = std::fs::read_to_string(&spec_path)?;
    assert_eq!(
        spec_after,
        spec_before.replace("\nstatus: planning\n", "\nstatus: paused\n")
    );
    let stored = Increment::open(root.path(), "0001")?;
    assert_eq!(stored.metadata().status, Status::Paused);
    let reasons: Vec<Option<&str>> = stored
        .metadata()
        .history
        .iter()
        .map(|t| t.reason.as_deref())
        .collect();
    assert_eq!(reasons, [Some("kick-off"), Some("waiting for data")]);
    Ok(())
}

#[test]
fn list_shows_parents_as_lineage() -> TestResult {
    let root = tempfile::tempdir()?;
    create_fixed(
        root.path(),
        "interaction data pipeline",
        ProblemKind::Recommendation,
    )?;
    Increment::builder(root.path(), "candidate generation")
        .problem(ProblemKind::Recommendation)
        .parent("1")
        .create()?;
    Increment::builder(root.path(), "ranking model")
        .parent("0002-candidate-generation")
        .create()?;
    std::fs::create_dir_all(root.path().join("increments/0004-broken"))?;
    let listed = list_increments(root.path())?;
    let ids: Vec<&str> = listed.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "0001-interaction-data-pipeline",
            "0002-candidate-generation",
            "0003-ranking-model",
            "0004-broken"
        ]
    );
    assert_eq!(lineage(&listed, "0003-ranking-model").len(), 3);
    assert_eq!(
        listed[3].metadata.as_ref().err().map(String::as_str),
        Some("metadata.json missing")
    );
    assert!(locate_increment(root.path(), "3")?.ends_with("0003-ranking-model"));
    Ok(())
}

#[test]
fn only_fraud_like_classification_plans_cover_rare_positives() -> TestResult {
    let root = tempfile::tempdir()?;
    let churn = Increment::create(root.path(), "predict churn", None)?;
    let fraud = Increment::create(root.path(), "card fraud detector", None)?;
    let plan = |inc: &Increment| std::fs::read_to_string(inc.dir().join("plan.md"));
    assert!(!plan(&churn)?.contains("## Rare Positives"));
    assert!(plan(&fraud)?.contains("## Rare Positives (fraud-like problem)"));
    // Both still plan for imbalance and threshold tuning.
    assert!(plan(&churn)?.contains("Threshold tuning"));
    Ok(())
}
