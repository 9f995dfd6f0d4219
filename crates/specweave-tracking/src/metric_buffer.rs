//! Training curves from inside a learner, into a tracked run.
//!
//! Learners report per-epoch metrics through [`MetricSink`], which must be shareable and
//! `'static` while a [`Run`] is borrowed by the code that owns it. [`MetricBuffer`] collects
//! the points (with the time they were reported) during fitting, and [`Run::log_buffered`]
//! stores them as step metrics afterwards.

use crate::error::Result;
use crate::run::{Run, now_ms};
use specweave_core::MetricSink;
use std::sync::{Arc, Mutex, PoisonError};

/// One reported point: key, value, step and the time it was reported.
type BufferedPoint = (String, f64, u64, i64);

/// A [`MetricSink`] that keeps every point until [`Run::log_buffered`] stores them.
///
/// ```
/// use specweave_core::MetricSink;
/// use specweave_tracking::{MetricBuffer, Tracker};
///
/// let dir = tempfile::tempdir()?;
/// let tracker = Tracker::open(dir.path())?;
/// let run = tracker.start_experiment("mlp")?;
/// let buffer = MetricBuffer::new();
/// buffer.log_metric("train_loss", 0.7, 1);
/// buffer.log_metric("train_loss", 0.4, 2);
/// assert_eq!(run.log_buffered(&buffer)?, 2);
/// run.finish()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct MetricBuffer {
    points: Mutex<Vec<BufferedPoint>>,
}

impl MetricBuffer {
    /// An empty buffer, shared so that a learner can hold it.
    pub fn new() -> Arc<MetricBuffer> {
        Arc::new(MetricBuffer::default())
    }

    /// Takes the points reported so far, oldest first.
    fn take(&self) -> Vec<BufferedPoint> {
        std::mem::take(&mut *self.points.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl MetricSink for MetricBuffer {
    fn log_metric(&self, key: &str, value: f64, step: u64) {
        self.points
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((key.to_owned(), value, step, now_ms()));
    }
}

impl Run {
    /// Stores the points a [`MetricBuffer`] collected as step metrics of this run, with the
    /// times they were reported, and empties the buffer; returns how many were stored.
    pub fn log_buffered(&self, buffer: &MetricBuffer) -> Result<usize> {
        let points = buffer.take();
        for (key, value, step, timestamp_ms) in &points {
            self.log_metric_at(key, *value, *step, *timestamp_ms)?;
        }
        Ok(points.len())
    }
}
