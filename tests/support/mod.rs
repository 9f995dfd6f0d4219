//! Checks shared by the pipeline tests, run on what a pipeline wrote: the increment's
//! notebooks executed in a real Jupyter kernel, and `reports/index.html` rendered in
//! headless Chromium. Both fail (never skip) when their tools are missing; `scripts/test`
//! installs them.

use specweave_docs::NOTEBOOKS;
use std::path::{Path, PathBuf};
use std::process::Command;

type Error = Box<dyn std::error::Error>;

fn support_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support")
        .join(name)
}

/// The Python interpreter with nbclient and Playwright: `SPECWEAVE_PYTHON`, else `.venv`.
fn python() -> PathBuf {
    let candidate = std::env::var_os("SPECWEAVE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"));
    let ok = Command::new(&candidate)
        .args(["-c", "import nbclient, ipykernel, playwright"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "no Python with nbclient, ipykernel and playwright at {} (run `scripts/python-env`)",
        candidate.display()
    );
    candidate
}

/// The Chromium binary: `SPECWEAVE_CHROMIUM`, else `chromium` found on the PATH.
fn chromium() -> PathBuf {
    // Playwright wants a path, not a command name, so the PATH is searched here
    let candidate = std::env::var_os("SPECWEAVE_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::split_paths(&std::env::var_os("PATH")?)
                .map(|dir| dir.join("chromium"))
                .find(|path| path.is_file())
        })
        .unwrap_or_else(|| PathBuf::from("chromium"));
    let ok = Command::new(&candidate)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "no Chromium at {} (run `scripts/browser-env` or set SPECWEAVE_CHROMIUM)",
        candidate.display()
    );
    candidate
}

fn run(command: &mut Command) -> Result<String, Error> {
    let output = command.output()?;
    if !output.status.success() {
        return Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(output.stdout)?)
}

/// Executes every notebook of the increment in a fresh kernel from its `notebooks/`
/// folder; returns one line per notebook (name, code cells run, first output).
pub fn execute_notebooks(increment_dir: &Path) -> Result<Vec<String>, Error> {
    let stdout = run(Command::new(python())
        .arg(support_file("run_notebooks.py"))
        .arg(increment_dir.join("notebooks"))
        .args(NOTEBOOKS))?;
    let lines: Vec<String> = stdout.lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), NOTEBOOKS.len(), "{stdout}");
    Ok(lines)
}

/// Renders `reports/index.html` in headless Chromium; asserts that the text a reader sees
/// holds every `expected` string and that the screenshot shows text and coloured plots.
pub fn render_index(increment_dir: &Path, expected: &[&str]) -> Result<(), Error> {
    // kept under target/tmp after the run, for a person to look at
    let name = increment_dir
        .file_name()
        .map_or_else(|| "increment".into(), |n| n.to_string_lossy().into_owned());
    let screenshot = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-index.png"));
    let text = run(Command::new(python())
        .arg(support_file("render_page.py"))
        .arg(chromium())
        .arg(increment_dir.join("reports/index.html"))
        .arg(&screenshot))?;
    for needle in expected {
        assert!(
            text.contains(needle),
            "{needle:?} not shown on the page:\n{text}"
        );
    }
    let image = resvg::tiny_skia::Pixmap::load_png(&screenshot)?;
    let pixels = image.pixels();
    let inked = pixels
        .iter()
        .filter(|p| u16::from(p.red()) + u16::from(p.green()) + u16::from(p.blue()) < 600)
        .count();
    let coloured = pixels
        .iter()
        .filter(|p| {
            let channels = [p.red(), p.green(), p.blue()];
            let (low, high) = (channels.iter().min(), channels.iter().max());
            matches!((low, high), (Some(l), Some(h)) if h - l > 60)
        })
        .count();
    let share = |count: usize| count as f64 / pixels.len() as f64;
    assert!(
        image.height() > 900 && share(inked) > 0.01 && share(coloured) > 0.001,
        "the screenshot looks blank: {}x{}, {:.4} inked, {:.4} coloured",
        image.width(),
        image.height(),
        share(inked),
        share(coloured)
    );
    Ok(())
}
