//! `sample.parquet`: a stratified random sample of a file, drawn in streaming passes.

use crate::convert;
use crate::error::{DataError, Result};
use crate::table::{ReadOptions, open_batches, write_batches};
use arrow::array::UInt32Array;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
use std::path::Path;

/// How many rows to draw and which column to stratify by.
///
/// ```
/// use specweave_data::SampleOptions;
/// let options = SampleOptions::new(10_000).stratify_by("is_fraud").seed(7);
/// assert_eq!(options.get_rows(), 10_000);
/// ```
#[derive(Debug, Clone)]
pub struct SampleOptions {
    rows: usize,
    stratify_by: Option<String>,
    seed: u64,
}

impl SampleOptions {
    /// A sample of `rows` rows (the whole file when it is smaller), not stratified.
    pub fn new(rows: usize) -> Self {
        SampleOptions {
            rows,
            stratify_by: None,
            seed: 0,
        }
    }
    /// Keep each value of `column` in the same share as in the file (each at least once).
    pub fn stratify_by(mut self, column: impl Into<String>) -> Self {
        self.stratify_by = Some(column.into());
        self
    }
    /// Random seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Rows requested.
    pub fn get_rows(&self) -> usize {
        self.rows
    }
}

/// What [`write_sample`] drew.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleSummary {
    /// Rows in the source file.
    pub source_rows: u64,
    /// Rows written.
    pub sample_rows: u64,
    /// Per stratum value: (rows in the file, rows in the sample), sorted by value.
    pub strata: Vec<(String, u64, u64)>,
}

fn strata_keys(batch: &arrow::array::RecordBatch, column: Option<usize>) -> Result<Vec<String>> {
    match column {
        Some(i) => Ok(convert::to_strings(batch.column(i))?
            .iter()
            .map(|v| v.unwrap_or("").to_owned())
            .collect()),
        None => Ok(vec![String::new(); batch.num_rows()]),
    }
}

/// Draws a stratified random sample of a CSV or Parquet file and writes it as Parquet.
///
/// Three streaming passes: count the strata, pick rows per stratum by reservoir sampling
/// (largest-remainder allocation, at least one row per stratum), then copy the picked rows.
///
/// ```
/// use specweave_data::{SampleOptions, write_sample, read_table};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("d.csv");
/// let mut csv = String::from("x,label\n");
/// for i in 0..1000 { csv.push_str(&format!("{i},{}\n", if i % 10 == 0 { "rare" } else { "common" })); }
/// std::fs::write(&path, csv)?;
/// let out = dir.path().join("sample.parquet");
/// let summary = write_sample(&path, &out, &SampleOptions::new(100).stratify_by("label"))?;
/// assert_eq!(summary.strata, vec![("common".into(), 900, 90), ("rare".into(), 100, 10)]);
/// assert_eq!(read_table(&out)?.n_rows(), 100);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_sample(
    source: impl AsRef<Path>,
    destination: impl AsRef<Path>,
    options: &SampleOptions,
) -> Result<SampleSummary> {
    let source = source.as_ref();
    let read = ReadOptions::default();
    let stream = open_batches(source, &read)?;
    let names = stream.column_names();
    let column =
        match options.stratify_by.as_deref() {
            Some(name) => Some(names.iter().position(|n| n == name).ok_or_else(|| {
                DataError::MissingColumn {
                    path: source.to_path_buf(),
                    column: name.to_owned(),
                    available: names.join(", "),
                }
            })?),
            None => None,
        };
    let mut counts: HashMap<String, u64> = HashMap::new();
    let mut total = 0u64;
    for batch in stream {
        let batch = batch?;
        for key in strata_keys(&batch, column)? {
            *counts.entry(key).or_insert(0) += 1;
        }
        total += batch.num_rows() as u64;
    }
    if total == 0 {
        return Err(DataError::Empty {
            path: source.to_path_buf(),
            what: "a header but no data rows".into(),
        });
    }
    let mut strata: Vec<(String, u64)> = counts.into_iter().collect();
    strata.sort();
    let wanted = (options.rows as u64).min(total);
    if wanted < strata.len() as u64 {
        return Err(DataError::InvalidParams(format!(
            "a sample of {wanted} rows cannot hold one row of each of {} strata",
            strata.len()
        )));
    }
    // Largest remainder, with one row per stratum guaranteed first.
    let exact: Vec<f64> = strata
        .iter()
        .map(|(_, n)| *n as f64 * wanted as f64 / total as f64)
        .collect();
    let mut take: Vec<u64> = exact
        .iter()
        .zip(&strata)
        .map(|(x, (_, n))| (x.floor() as u64).max(1).min(*n))
        .collect();
    let mut order: Vec<usize> = (0..strata.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    while take.iter().sum::<u64>() < wanted {
        let mut grew = false;
        for &s in &order {
            if take.iter().sum::<u64>() < wanted && take[s] < strata[s].1 {
                take[s] += 1;
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    while take.iter().sum::<u64>() > wanted {
        if let Some(s) = (0..take.len())
            .filter(|&s| take[s] > 1)
            .max_by_key(|&s| take[s])
        {
            take[s] -= 1;
        } else {
            break;
        }
    }
    let slot: HashMap<&str, usize> = strata
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (k.as_str(), i))
        .collect();

    // Reservoir sampling (Algorithm R) per stratum over global row numbers.
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut reservoirs: Vec<Vec<u64>> = take
        .iter()
        .map(|&k| Vec::with_capacity(k as usize))
        .collect();
    let mut seen = vec![0u64; strata.len()];
    let mut row = 0u64;
    for batch in open_batches(source, &read)? {
        let batch = batch?;
        for key in strata_keys(&batch, column)? {
            let s = slot.get(key.as_str()).copied().unwrap_or(0);
            seen[s] += 1;
            if (reservoirs[s].len() as u64) < take[s] {
                reservoirs[s].push(row);
            } else {
                let j = rng.random_range(0..seen[s]);
                if j < take[s] {
                    reservoirs[s][j as usize] = row;
                }
            }
            row += 1;
        }
    }
    let mut picked: Vec<u64> = reservoirs.into_iter().flatten().collect();
    picked.sort_unstable();

    let stream = open_batches(source, &read)?;
    let schema = stream.schema();
    let mut start = 0u64;
    let mut cursor = 0usize;
    let picked_ref = &picked;
    let batches = stream.map(move |batch| {
        let batch = batch?;
        let end = start + batch.num_rows() as u64;
        let mut local = Vec::new();
        while cursor < picked_ref.len() && picked_ref[cursor] < end {
            local.push((picked_ref[cursor] - start) as u32);
            cursor += 1;
        }
        start = end;
        Ok(arrow::compute::take_record_batch(
            &batch,
            &UInt32Array::from(local),
        )?)
    });
    write_batches(destination.as_ref(), schema, batches)?;
    Ok(SampleSummary {
        source_rows: total,
        sample_rows: picked.len() as u64,
        strata: strata
            .into_iter()
            .zip(take)
            .map(|((k, n), t)| (k, n, t))
            .collect(),
    })
}
