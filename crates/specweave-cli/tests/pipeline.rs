//! `specweave do`, run as the `specweave` binary.

use std::path::Path;
use std::process::{Command, Output};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn specweave(dir: &Path, args: &[&str]) -> std::io::Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_specweave"))
        .current_dir(dir)
        .args(args)
        .output()
}

#[test]
fn do_names_the_kinds_it_runs() -> TestResult {
    let dir = tempfile::tempdir()?;
    let created = specweave(dir.path(), &["inc", "forecast weekly sales"])?;
    assert!(created.status.success());
    let out = specweave(dir.path(), &["do", "0001"])?;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("runs recommendation increments"),
        "{stderr}"
    );
    Ok(())
}

#[test]
fn do_reports_an_unknown_increment() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = specweave(dir.path(), &["do", "0042"])?;
    assert!(!out.status.success());
    Ok(())
}
