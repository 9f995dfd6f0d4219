//! Progress bars for `specweave do`, and a log writer that prints above them.
//!
//! The pipeline logs each task's start and end through `tracing`; on a terminal a bar
//! shows how many tasks are done and which one runs. Log lines are written with the bar
//! suspended, so the two never tear each other. Off a terminal the bar is hidden and the
//! log lines alone tell the progress.

use indicatif::{ProgressBar, ProgressStyle};
use specweave::pipeline::{TaskEnd, TaskObserver};
use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

/// The bar log lines must be printed above, while a pipeline runs.
static ACTIVE_BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

fn active_bar() -> Option<ProgressBar> {
    ACTIVE_BAR.lock().ok().and_then(|bar| bar.clone())
}

/// A `tracing` writer for stderr that suspends the active progress bar while it writes.
pub struct StderrAboveBars;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for StderrAboveBars {
    type Writer = BufferedLine;

    fn make_writer(&'a self) -> Self::Writer {
        BufferedLine(Vec::new())
    }
}

/// One log event, written to stderr in one piece when dropped.
pub struct BufferedLine(Vec<u8>);

impl Write for BufferedLine {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for BufferedLine {
    fn drop(&mut self) {
        let write = || {
            // a log line that cannot be written has nowhere else to go
            let _ = std::io::stderr().write_all(&self.0);
        };
        match active_bar() {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }
}

/// A bar over an increment's tasks, advanced as each one completes or is resumed.
pub struct TaskProgress {
    bar: ProgressBar,
}

impl TaskProgress {
    /// A bar over `tasks` tasks, drawn on stderr when it is a terminal.
    pub fn start(tasks: u64) -> TaskProgress {
        let bar = ProgressBar::new(tasks);
        let style = ProgressStyle::with_template(
            "{spinner} [{bar:30}] {pos}/{len} tasks  {msg}  ({elapsed})",
        )
        .map(|style| style.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(120));
        if let Ok(mut active) = ACTIVE_BAR.lock() {
            *active = Some(bar.clone());
        }
        TaskProgress { bar }
    }
}

impl Drop for TaskProgress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
        if let Ok(mut active) = ACTIVE_BAR.lock() {
            *active = None;
        }
    }
}

impl TaskObserver for TaskProgress {
    fn task_started(&self, id: &str, title: &str) {
        self.bar.set_message(format!("{id} {title}"));
    }

    fn task_ended(&self, _id: &str, _title: &str, end: &TaskEnd) {
        if !matches!(end, TaskEnd::Failed(_)) {
            self.bar.inc(1);
        }
    }
}
