//! `experiments/comparison.md`: one table of the increment's runs (experiment | headline
//! metrics | training time | status) with ✅ BEST on the winner, and the failed runs with
//! their notes.

use crate::error::Result;
use crate::fsutil::atomic_write;
use crate::query::Direction;
use crate::read::{RunSummary, best_of};
use crate::tracker::Tracker;
use specweave_core::records::{RunStatus, TAG_HEADLINE_METRIC};
use std::fmt::Write;
use std::path::PathBuf;

/// File name of the comparison table in `experiments/`.
pub const COMPARISON_FILE: &str = "comparison.md";
/// Metrics shown when no run names a headline metric.
const MAX_DEFAULT_COLUMNS: usize = 6;

fn format_metric(value: Option<f64>) -> String {
    match value {
        None => "–".to_owned(),
        Some(v) if v.is_nan() => "NaN".to_owned(),
        Some(v) if v.is_infinite() => if v > 0.0 { "+inf" } else { "-inf" }.to_owned(),
        Some(v) if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-4) => format!("{v:.4e}"),
        Some(v) => format!("{v:.4}"),
    }
}

fn format_duration(seconds: Option<f64>) -> String {
    match seconds {
        None => "–".to_owned(),
        Some(s) if s < 60.0 => format!("{s:.1} s"),
        Some(s) if s < 3600.0 => format!("{:.1} min", s / 60.0),
        Some(s) => format!("{:.2} h", s / 3600.0),
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The headline metrics of a set of runs: the keys runs are tagged with, in order of first
/// appearance, or else the first metric keys alphabetically.
pub fn headline_metrics(runs: &[RunSummary]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for run in runs {
        if let Some(key) = run.tag(TAG_HEADLINE_METRIC)
            && !keys.iter().any(|k| k == key)
        {
            keys.push(key.to_owned());
        }
    }
    if keys.is_empty() {
        let mut all: Vec<&String> = runs.iter().flat_map(|run| run.metrics.keys()).collect();
        all.sort();
        all.dedup();
        keys = all.into_iter().take(MAX_DEFAULT_COLUMNS).cloned().collect();
    }
    keys
}

/// Renders the comparison of `runs` as markdown. The winner is the finished run with the
/// best value of the first headline metric (direction guessed from its name).
pub fn render_comparison(title: &str, runs: &[RunSummary]) -> String {
    let metrics = headline_metrics(runs);
    let winner = metrics.first().and_then(|key| {
        best_of(runs.iter().cloned(), key, Direction::for_metric(key)).map(|run| run.record.id)
    });
    let mut out = String::new();
    let _ = writeln!(out, "# Experiment comparison: {title}\n");
    if let Some(key) = metrics.first() {
        let direction = match Direction::for_metric(key) {
            Direction::Maximize => "higher is better",
            Direction::Minimize => "lower is better",
        };
        let _ = writeln!(out, "Ranked by `{key}` ({direction}).\n");
    }
    let _ = write!(out, "| Experiment |");
    for key in &metrics {
        let _ = write!(out, " {} |", cell(key));
    }
    let _ = writeln!(out, " Training time | Status |");
    let _ = write!(out, "|---|");
    for _ in &metrics {
        let _ = write!(out, "---:|");
    }
    let _ = writeln!(out, "---:|---|");
    for run in runs {
        let best = if winner.as_deref() == Some(run.record.id.as_str()) {
            " ✅ BEST"
        } else {
            ""
        };
        let _ = write!(out, "| {}{best} |", cell(&run.record.id));
        for key in &metrics {
            let _ = write!(out, " {} |", format_metric(run.metric(key)));
        }
        let _ = writeln!(
            out,
            " {} | {} |",
            format_duration(run.duration_s()),
            run.record.status.mlflow_name().to_ascii_lowercase()
        );
    }
    let failed: Vec<&RunSummary> = runs
        .iter()
        .filter(|run| matches!(run.record.status, RunStatus::Failed | RunStatus::Killed))
        .collect();
    if !failed.is_empty() {
        let _ = writeln!(out, "\n## Failed and killed runs\n");
        for run in failed {
            let notes = if run.record.notes.is_empty() {
                "no notes".to_owned()
            } else {
                run.record.notes.join("; ")
            };
            let _ = writeln!(
                out,
                "- **{}** ({}): {}",
                run.record.id,
                run.record.status.mlflow_name().to_ascii_lowercase(),
                notes.replace('\n', " ")
            );
        }
    }
    out
}

impl Tracker {
    /// Writes `experiments/comparison.md` (atomically) and returns its path and text.
    pub fn write_comparison(&self) -> Result<(PathBuf, String)> {
        let runs = self.list_runs()?;
        let title = self
            .increment()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let markdown = render_comparison(&title, &runs);
        crate::fsutil::create_dir_all(&self.experiments_dir())?;
        let path = self.experiments_dir().join(COMPARISON_FILE);
        atomic_write(&path, markdown.as_bytes())?;
        Ok((path, markdown))
    }
}
