//! Operational measurements: latency percentiles after warm-up (single row and batch),
//! throughput with N threads, and model size.
//!
//! Percentiles use the nearest-rank rule: the p-th percentile of n sorted samples is the
//! sample at rank ⌈p·n⌉.

use crate::error::{EvalError, Result};
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use specweave_core::Model;
use std::time::{Duration, Instant};

/// How many calls to time and how many to discard first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatencyConfig {
    /// Untimed calls before measuring (caches, allocators, lazy initialisation).
    pub warmup: usize,
    /// Timed calls.
    pub iterations: usize,
    /// Rows per batch call in [`model_latency`].
    pub batch_size: usize,
}

impl Default for LatencyConfig {
    fn default() -> Self {
        LatencyConfig {
            warmup: 20,
            iterations: 200,
            batch_size: 256,
        }
    }
}

impl LatencyConfig {
    fn validate(&self) -> Result<()> {
        if self.iterations == 0 {
            return Err(EvalError::param(
                "iterations",
                "need at least one timed call",
            ));
        }
        if self.batch_size == 0 {
            return Err(EvalError::param(
                "batch_size",
                "need at least one row per batch",
            ));
        }
        Ok(())
    }
}

/// Latency distribution of a call, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatencyStats {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Slowest call.
    pub max: f64,
    /// Mean.
    pub mean: f64,
    /// Timed calls.
    pub samples: usize,
}

impl LatencyStats {
    /// Statistics of measured durations.
    pub fn from_durations(durations: &[Duration]) -> Result<Self> {
        if durations.is_empty() {
            return Err(EvalError::Empty("no latency samples".into()));
        }
        let mut secs: Vec<f64> = durations.iter().map(Duration::as_secs_f64).collect();
        secs.sort_by(f64::total_cmp);
        let rank =
            |p: f64| secs[((p * secs.len() as f64).ceil() as usize).clamp(1, secs.len()) - 1];
        Ok(LatencyStats {
            p50: rank(0.50),
            p95: rank(0.95),
            p99: rank(0.99),
            max: secs[secs.len() - 1],
            mean: secs.iter().sum::<f64>() / secs.len() as f64,
            samples: secs.len(),
        })
    }
}

/// Times a closure: `warmup` untimed calls, then `iterations` timed ones.
///
/// ```
/// use specweave_eval::latency::{measure, LatencyConfig};
/// let config = LatencyConfig { warmup: 2, iterations: 50, batch_size: 1 };
/// let stats = measure(&config, || { std::hint::black_box((0..100).sum::<u64>()); Ok(()) })?;
/// assert!(stats.p50 <= stats.p99 && stats.p99 <= stats.max);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn measure(
    config: &LatencyConfig,
    mut call: impl FnMut() -> Result<()>,
) -> Result<LatencyStats> {
    config.validate()?;
    for _ in 0..config.warmup {
        call()?;
    }
    let mut durations = Vec::with_capacity(config.iterations);
    for _ in 0..config.iterations {
        let start = Instant::now();
        call()?;
        durations.push(start.elapsed());
    }
    LatencyStats::from_durations(&durations)
}

/// Single-row and batch latency of a model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelLatency {
    /// One row per call.
    pub single_row: LatencyStats,
    /// `batch_size` rows per call.
    pub batch: LatencyStats,
    /// Rows per batch call.
    pub batch_size: usize,
    /// Rows per second in batch mode (batch size / mean batch latency).
    pub batch_rows_per_second: f64,
}

/// Measures a model's single-row and batch latency on rows of `features` (cycled).
pub fn model_latency(
    model: &dyn Model,
    features: ArrayView2<'_, f64>,
    config: &LatencyConfig,
) -> Result<ModelLatency> {
    config.validate()?;
    let n = features.nrows();
    if n == 0 {
        return Err(EvalError::Empty(
            "no feature rows to time predictions on".into(),
        ));
    }
    let mut next = 0usize;
    let single_row = measure(config, || {
        let row = features.slice(ndarray::s![next % n..next % n + 1, ..]);
        next += 1;
        model
            .predict(row)
            .map(|p| drop(std::hint::black_box(p)))
            .map_err(EvalError::from)
    })?;
    let batch_size = config.batch_size.min(n);
    let mut start = 0usize;
    let batch = measure(config, || {
        let from = start % (n - batch_size + 1);
        start += batch_size;
        let rows = features.slice(ndarray::s![from..from + batch_size, ..]);
        model
            .predict(rows)
            .map(|p| drop(std::hint::black_box(p)))
            .map_err(EvalError::from)
    })?;
    Ok(ModelLatency {
        single_row,
        batch,
        batch_size,
        batch_rows_per_second: batch_size as f64 / batch.mean,
    })
}

/// Throughput of concurrent callers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    /// Threads used.
    pub threads: usize,
    /// Calls completed.
    pub requests: usize,
    /// Rows processed (sum of what the calls returned).
    pub rows: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Requests per second.
    pub requests_per_second: f64,
    /// Rows per second.
    pub rows_per_second: f64,
}

/// Runs `requests_per_thread` calls on each of `threads` threads at once and reports
/// throughput. `call(thread, request)` returns the number of rows it processed.
///
/// ```
/// use specweave_eval::latency::throughput;
/// let t = throughput(2, 100, |_, _| Ok(4))?;
/// assert_eq!((t.requests, t.rows), (200, 800));
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn throughput<F>(threads: usize, requests_per_thread: usize, call: F) -> Result<Throughput>
where
    F: Fn(usize, usize) -> Result<usize> + Sync,
{
    if threads == 0 || requests_per_thread == 0 {
        return Err(EvalError::param(
            "threads",
            "need at least one thread and one request per thread",
        ));
    }
    let start = Instant::now();
    let results: Vec<Result<usize>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let call = &call;
                scope.spawn(move || {
                    (0..requests_per_thread).try_fold(0usize, |rows, r| Ok(rows + call(t, r)?))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(EvalError::param("threads", "a worker thread panicked"))
                })
            })
            .collect()
    });
    let seconds = start.elapsed().as_secs_f64();
    let rows = results.into_iter().sum::<Result<usize>>()?;
    let requests = threads * requests_per_thread;
    Ok(Throughput {
        threads,
        requests,
        rows,
        seconds,
        requests_per_second: requests as f64 / seconds,
        rows_per_second: rows as f64 / seconds,
    })
}

/// Throughput of a model predicting `batch_size`-row batches on `threads` threads.
pub fn model_throughput(
    model: &dyn Model,
    features: ArrayView2<'_, f64>,
    batch_size: usize,
    threads: usize,
    requests_per_thread: usize,
) -> Result<Throughput> {
    let n = features.nrows();
    if n == 0 || batch_size == 0 {
        return Err(EvalError::Empty(
            "need feature rows and a batch size of at least one".into(),
        ));
    }
    let batch_size = batch_size.min(n);
    throughput(threads, requests_per_thread, |t, r| {
        let from = (t * 7919 + r * batch_size) % (n - batch_size + 1);
        let predictions =
            model.predict(features.slice(ndarray::s![from..from + batch_size, ..]))?;
        Ok(predictions.len())
    })
}

/// Size of the model's serialised form in bytes.
pub fn model_size(model: &dyn Model) -> Result<usize> {
    Ok(model.to_bytes()?.len())
}
