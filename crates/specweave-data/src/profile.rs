//! The data quality profile: computed batch by batch in bounded memory, written as
//! `profile.json` and a readable `eda-summary.md`.

use crate::convert::{self, ValueKind};
use crate::error::{DataError, Result};
use crate::sketch::{DistinctSketch, TDigest, hash_str, mix64};
use crate::table::{ReadOptions, open_batches, write_atomically};
use arrow::array::{Array, RecordBatch};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

/// The quantile levels every numeric column reports.
pub const QUANTILE_LEVELS: [f64; 7] = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];

/// Hash that stands for a missing value in row hashes.
const MISSING_HASH: u64 = 0x5eed_0000_0000_0001;
const MAX_TRACKED_VALUES: usize = 10_000;
const MAX_ROW_HASHES: usize = 50_000_000;
const MAX_CORRELATED_COLUMNS: usize = 100;
const MAX_CLASSES: usize = 50;
const MAX_JOINT_CELLS: usize = 100_000;

/// What to profile and how.
///
/// ```
/// use specweave_data::ProfileOptions;
/// let options = ProfileOptions::new().target("is_fraud").top_k(5).correlation_threshold(0.8);
/// assert_eq!(options.get_target(), Some("is_fraud"));
/// ```
#[derive(Debug, Clone)]
pub struct ProfileOptions {
    target: Option<String>,
    top_k: usize,
    correlation_threshold: f64,
    leakage_threshold: f64,
    max_class_values: usize,
    read: ReadOptions,
}

impl Default for ProfileOptions {
    fn default() -> Self {
        ProfileOptions {
            target: None,
            top_k: 10,
            correlation_threshold: 0.9,
            leakage_threshold: 0.95,
            max_class_values: 20,
            read: ReadOptions::default(),
        }
    }
}

impl ProfileOptions {
    /// Defaults: no target, top 10 categories, correlation ≥ 0.9, leakage ≥ 0.95.
    pub fn new() -> Self {
        Self::default()
    }
    /// The target column (enables class balance and leakage checks).
    pub fn target(mut self, column: impl Into<String>) -> Self {
        self.target = Some(column.into());
        self
    }
    /// How many most frequent values to list per text column.
    pub fn top_k(mut self, k: usize) -> Self {
        self.top_k = k;
        self
    }
    /// |Pearson r| at or above which a pair of numeric columns is reported.
    pub fn correlation_threshold(mut self, r: f64) -> Self {
        self.correlation_threshold = r;
        self
    }
    /// Association with the target at or above which a feature is a suspected leak.
    pub fn leakage_threshold(mut self, strength: f64) -> Self {
        self.leakage_threshold = strength;
        self
    }
    /// Most distinct values a non-float target may have to be profiled as classes.
    pub fn max_class_values(mut self, n: usize) -> Self {
        self.max_class_values = n;
        self
    }
    /// Batch size and CSV type inference.
    pub fn read_options(mut self, read: ReadOptions) -> Self {
        self.read = read;
        self
    }
    /// The target column, when set.
    pub fn get_target(&self) -> Option<&str> {
        self.target.as_deref()
    }
}

/// The profile of one file: `profile.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// The file profiled.
    pub source: String,
    /// Number of data rows.
    pub rows: u64,
    /// One entry per column, in file order.
    pub columns: Vec<ColumnProfile>,
    /// Rows identical to an earlier row (by a 64-bit row hash; collisions are negligible).
    pub duplicate_rows: u64,
    /// Names of columns with at most one distinct non-missing value.
    pub constant_columns: Vec<String>,
    /// Pairs of numeric columns whose |Pearson r| reaches the threshold.
    pub correlated_pairs: Vec<CorrelatedPair>,
    /// The target, when one was named.
    pub target: Option<TargetProfile>,
    /// Features that almost determine the target.
    pub leakage_suspects: Vec<LeakageSuspect>,
}

/// Statistics of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    /// Column name.
    pub name: String,
    /// Arrow data type, e.g. `Float64`.
    pub data_type: String,
    /// Missing values (null, empty or NaN).
    pub missing: u64,
    /// `missing / rows`.
    pub missing_fraction: f64,
    /// Distinct non-missing values (exact up to 1024, then a k-minimum-values estimate).
    pub distinct: u64,
    /// Whether `distinct` is exact.
    pub distinct_exact: bool,
    /// Numeric summary for number, boolean and timestamp columns.
    pub numeric: Option<NumericSummary>,
    /// Most frequent values of text and boolean columns, most frequent first.
    pub top_values: Vec<ValueCount>,
}

/// Summary of a numeric column (booleans as 0/1, timestamps as ms since the epoch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericSummary {
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1), as pandas reports it.
    pub std: f64,
    /// Minimum.
    pub min: f64,
    /// Maximum.
    pub max: f64,
    /// Quantiles at [`QUANTILE_LEVELS`] (t-digest estimates; exact for small columns).
    pub quantiles: Vec<QuantileValue>,
}

/// One quantile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantileValue {
    /// Level in [0, 1].
    pub level: f64,
    /// Value at that level.
    pub value: f64,
}

/// A value and how often it occurs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueCount {
    /// The value as text.
    pub value: String,
    /// Occurrences.
    pub count: u64,
}

/// Two strongly correlated numeric columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrelatedPair {
    /// First column.
    pub left: String,
    /// Second column.
    pub right: String,
    /// Pearson r over rows where both are present.
    pub pearson: f64,
}

/// The target's distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetProfile {
    /// Target column.
    pub column: String,
    /// Class counts, most frequent first, when the target is categorical.
    pub classes: Vec<ValueCount>,
    /// Largest class count over smallest, when categorical.
    pub imbalance_ratio: Option<f64>,
    /// Share of the smallest class, when categorical.
    pub minority_fraction: Option<f64>,
}

/// A feature that almost determines the target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeakageSuspect {
    /// The feature.
    pub column: String,
    /// The measure used: `pearson_r` (numeric target), `correlation_ratio` (numeric feature,
    /// class target), `goodman_kruskal_lambda` (categorical feature, class target).
    pub measure: String,
    /// Its value, in [0, 1] (absolute for Pearson).
    pub strength: f64,
}

#[derive(Debug, Clone)]
struct Moments {
    count: f64,
    mean: f64,
    m2: f64,
}

impl Moments {
    fn new() -> Self {
        Moments {
            count: 0.0,
            mean: 0.0,
            m2: 0.0,
        }
    }
    /// Chan's parallel merge of two (count, mean, M2) summaries.
    fn merge(&mut self, count: f64, mean: f64, m2: f64) {
        if count == 0.0 {
            return;
        }
        let total = self.count + count;
        let delta = mean - self.mean;
        self.mean += delta * count / total;
        self.m2 += m2 + delta * delta * self.count * count / total;
        self.count = total;
    }
    fn add_slice(&mut self, values: &[f64]) {
        let finite = values.iter().filter(|v| !v.is_nan());
        let (n, sum) = finite
            .clone()
            .fold((0.0, 0.0), |(n, s), v| (n + 1.0, s + v));
        if n == 0.0 {
            return;
        }
        let mean = sum / n;
        let m2 = finite.map(|v| (v - mean) * (v - mean)).sum();
        self.merge(n, mean, m2);
    }
}

struct ColumnState {
    name: String,
    data_type: String,
    kind: ValueKind,
    missing: u64,
    distinct: DistinctSketch,
    moments: Moments,
    min: f64,
    max: f64,
    digest: Option<TDigest>,
    counts: HashMap<String, u64>,
    counts_capped: bool,
}

/// Values of one column in the current batch, as the profile needs them.
enum BatchValues {
    Numbers(Vec<f64>),
    Text(Vec<Option<String>>),
}

impl ColumnState {
    fn numeric(&self) -> bool {
        matches!(
            self.kind,
            ValueKind::Integer | ValueKind::Float | ValueKind::Boolean | ValueKind::Timestamp
        )
    }

    /// Updates the summaries with one batch; returns the value hashes (for row hashes) and the
    /// values (text only when `keep_text`, which only the target needs).
    fn update(
        &mut self,
        array: &arrow::array::ArrayRef,
        keep_text: bool,
    ) -> Result<(Vec<u64>, BatchValues)> {
        if self.numeric() {
            let values = convert::to_f64(array, &self.name)?;
            let mut hashes = Vec::with_capacity(values.len());
            let mut finite = Vec::with_capacity(values.len());
            for &v in &values {
                if v.is_nan() {
                    self.missing += 1;
                    hashes.push(MISSING_HASH);
                } else {
                    let bits = if v == 0.0 { 0u64 } else { v.to_bits() };
                    let h = mix64(bits);
                    self.distinct.insert(h);
                    hashes.push(h);
                    finite.push(v);
                    self.min = self.min.min(v);
                    self.max = self.max.max(v);
                }
            }
            self.moments.add_slice(&finite);
            if let Some(digest) = &mut self.digest {
                digest.extend(finite);
            }
            if self.kind == ValueKind::Boolean {
                for &v in &values {
                    if !v.is_nan() {
                        let key = if v != 0.0 { "true" } else { "false" };
                        *self.counts.entry(key.to_owned()).or_insert(0) += 1;
                    }
                }
            }
            Ok((hashes, BatchValues::Numbers(values)))
        } else {
            let strings = convert::to_strings(array)?;
            let mut hashes = Vec::with_capacity(array.len());
            let mut owned = Vec::with_capacity(array.len());
            for value in strings.iter() {
                match value {
                    None | Some("") => {
                        self.missing += 1;
                        hashes.push(MISSING_HASH);
                        if keep_text {
                            owned.push(None);
                        }
                    }
                    Some(text) => {
                        let h = hash_str(text);
                        self.distinct.insert(h);
                        hashes.push(h);
                        if let Some(count) = self.counts.get_mut(text) {
                            *count += 1;
                        } else if self.counts.len() < MAX_TRACKED_VALUES {
                            self.counts.insert(text.to_owned(), 1);
                        } else {
                            self.counts_capped = true;
                        }
                        if keep_text {
                            owned.push(Some(text.to_owned()));
                        }
                    }
                }
            }
            Ok((hashes, BatchValues::Text(owned)))
        }
    }
}

#[derive(Debug, Clone, Default)]
struct PairState {
    count: f64,
    mean_x: f64,
    mean_y: f64,
    cxy: f64,
    mxx: f64,
    myy: f64,
}

impl PairState {
    fn update(&mut self, xs: &[f64], ys: &[f64]) {
        let (mut n, mut sx, mut sy) = (0.0, 0.0, 0.0);
        for (&x, &y) in xs.iter().zip(ys) {
            if !x.is_nan() && !y.is_nan() {
                n += 1.0;
                sx += x;
                sy += y;
            }
        }
        if n == 0.0 {
            return;
        }
        let (mx, my) = (sx / n, sy / n);
        let (mut cxy, mut mxx, mut myy) = (0.0, 0.0, 0.0);
        for (&x, &y) in xs.iter().zip(ys) {
            if !x.is_nan() && !y.is_nan() {
                let (dx, dy) = (x - mx, y - my);
                cxy += dx * dy;
                mxx += dx * dx;
                myy += dy * dy;
            }
        }
        let total = self.count + n;
        let (dx, dy) = (mx - self.mean_x, my - self.mean_y);
        let factor = self.count * n / total;
        self.cxy += cxy + dx * dy * factor;
        self.mxx += mxx + dx * dx * factor;
        self.myy += myy + dy * dy * factor;
        self.mean_x += dx * n / total;
        self.mean_y += dy * n / total;
        self.count = total;
    }

    fn pearson(&self) -> Option<f64> {
        (self.count > 1.0 && self.mxx > 0.0 && self.myy > 0.0)
            .then(|| (self.cxy / (self.mxx * self.myy).sqrt()).clamp(-1.0, 1.0))
    }
}

/// Class-conditional state for leakage checks against a categorical target.
#[derive(Default)]
struct ClassAssociation {
    /// Per feature: per class moments (numeric features).
    moments: HashMap<usize, Vec<Moments>>,
    /// Per text feature: joint (value, class) counts, capped.
    joint: HashMap<usize, HashMap<(u64, u32), u64>>,
    joint_capped: HashSet<usize>,
}

/// Profiles a CSV or Parquet file batch by batch; memory stays bounded by one batch plus
/// fixed-size sketches per column, so files larger than memory profile fine.
///
/// ```
/// use specweave_data::{ProfileOptions, profile_file};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("d.csv");
/// std::fs::write(&path, "x,y,label\n1,2,a\n2,4,b\n3,6,a\n3,6,a\n")?;
/// let profile = profile_file(&path, &ProfileOptions::new().target("label"))?;
/// assert_eq!(profile.rows, 4);
/// assert_eq!(profile.duplicate_rows, 1);
/// assert_eq!(profile.correlated_pairs[0].pearson, 1.0);
/// assert_eq!(profile.target.as_ref().and_then(|t| t.imbalance_ratio), Some(3.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn profile_file(path: impl AsRef<Path>, options: &ProfileOptions) -> Result<Profile> {
    let path = path.as_ref();
    let stream = open_batches(path, &options.read)?;
    let schema = stream.schema();
    let names = stream.column_names();
    let target_index = match options.target.as_deref() {
        Some(target) => Some(names.iter().position(|n| n == target).ok_or_else(|| {
            DataError::MissingColumn {
                path: path.to_path_buf(),
                column: target.to_owned(),
                available: names.join(", "),
            }
        })?),
        None => None,
    };
    let mut columns: Vec<ColumnState> = schema
        .fields()
        .iter()
        .map(|field| {
            let kind = convert::kind_of(field.data_type());
            let numeric = kind != ValueKind::Text;
            ColumnState {
                name: field.name().clone(),
                data_type: field.data_type().to_string(),
                kind,
                missing: 0,
                distinct: DistinctSketch::new(1024),
                moments: Moments::new(),
                min: f64::INFINITY,
                max: f64::NEG_INFINITY,
                digest: numeric.then(|| TDigest::new(200.0)),
                counts: HashMap::new(),
                counts_capped: false,
            }
        })
        .collect();
    let correlated: Vec<usize> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            matches!(
                c.kind,
                ValueKind::Integer | ValueKind::Float | ValueKind::Boolean
            )
        })
        .map(|(i, _)| i)
        .take(MAX_CORRELATED_COLUMNS)
        .collect();
    let pairs: Vec<(usize, usize)> = correlated
        .iter()
        .enumerate()
        .flat_map(|(a, &i)| correlated[a + 1..].iter().map(move |&j| (i, j)))
        .collect();
    let mut pair_states = vec![PairState::default(); pairs.len()];
    let mut row_hashes: HashSet<u64> = HashSet::new();
    let mut duplicate_rows = 0u64;
    let mut rows = 0u64;
    let mut class_index: HashMap<String, u32> = HashMap::new();
    let mut class_counts: Vec<u64> = Vec::new();
    let mut association = ClassAssociation::default();

    for batch in stream {
        let batch: RecordBatch = batch?;
        let n = batch.num_rows();
        let updates: Vec<(Vec<u64>, BatchValues)> = columns
            .par_iter_mut()
            .enumerate()
            .map(|(i, state)| state.update(batch.column(i), Some(i) == target_index))
            .collect::<Result<_>>()?;
        // Row hashes for duplicate detection.
        for row in 0..n {
            let mut h = 0x9e37_79b9_7f4a_7c15u64;
            for (hashes, _) in &updates {
                h = mix64(h ^ hashes[row]);
            }
            if row_hashes.contains(&h) {
                duplicate_rows += 1;
            } else if row_hashes.len() < MAX_ROW_HASHES {
                row_hashes.insert(h);
            }
        }
        let number_slices: HashMap<usize, &[f64]> = updates
            .iter()
            .enumerate()
            .filter_map(|(i, (_, v))| match v {
                BatchValues::Numbers(values) => Some((i, values.as_slice())),
                BatchValues::Text(_) => None,
            })
            .collect();
        pair_states
            .par_iter_mut()
            .zip(pairs.par_iter())
            .for_each(|(state, (i, j))| {
                if let (Some(x), Some(y)) = (number_slices.get(i), number_slices.get(j)) {
                    state.update(x, y);
                }
            });
        if let Some(t) = target_index {
            let labels: Vec<Option<u32>> = match &updates[t].1 {
                BatchValues::Text(values) => values
                    .iter()
                    .map(|v| v.as_deref().and_then(|v| class_of(&mut class_index, v)))
                    .collect(),
                BatchValues::Numbers(values) => values
                    .iter()
                    .map(|v| {
                        (!v.is_nan() && v.fract() == 0.0)
                            .then(|| crate::load::format_number(*v))
                            .and_then(|v| class_of(&mut class_index, &v))
                    })
                    .collect(),
            };
            for c in labels.iter().flatten() {
                let c = *c as usize;
                if class_counts.len() <= c {
                    class_counts.resize(c + 1, 0);
                }
                class_counts[c] += 1;
            }
            if class_index.len() <= MAX_CLASSES {
                update_association(&mut association, &updates, &labels, t);
            }
        }
        rows += n as u64;
    }
    if rows == 0 {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            what: "a header but no data rows".into(),
        });
    }
    finish(
        path,
        options,
        columns.as_mut_slice(),
        &pairs,
        &pair_states,
        rows,
        duplicate_rows,
        target_index,
        &class_index,
        &class_counts,
        &association,
    )
}

fn class_of(index: &mut HashMap<String, u32>, value: &str) -> Option<u32> {
    if let Some(&c) = index.get(value) {
        return Some(c);
    }
    if index.len() > MAX_CLASSES {
        return None;
    }
    let c = index.len() as u32;
    index.insert(value.to_owned(), c);
    Some(c)
}

fn update_association(
    association: &mut ClassAssociation,
    updates: &[(Vec<u64>, BatchValues)],
    labels: &[Option<u32>],
    target: usize,
) {
    for (feature, (hashes, values)) in updates.iter().enumerate() {
        if feature == target {
            continue;
        }
        match values {
            BatchValues::Numbers(values) => {
                let per_class = association.moments.entry(feature).or_default();
                let mut by_class: Vec<Vec<f64>> = Vec::new();
                for (&v, label) in values.iter().zip(labels) {
                    if let Some(c) = *label
                        && !v.is_nan()
                    {
                        let c = c as usize;
                        if by_class.len() <= c {
                            by_class.resize(c + 1, Vec::new());
                        }
                        by_class[c].push(v);
                    }
                }
                if per_class.len() < by_class.len() {
                    per_class.resize(by_class.len(), Moments::new());
                }
                for (c, values) in by_class.iter().enumerate() {
                    per_class[c].add_slice(values);
                }
            }
            BatchValues::Text(_) => {
                if association.joint_capped.contains(&feature) {
                    continue;
                }
                let joint = association.joint.entry(feature).or_default();
                for (hash, label) in hashes.iter().zip(labels) {
                    if let Some(c) = label
                        && *hash != MISSING_HASH
                    {
                        *joint.entry((*hash, *c)).or_insert(0) += 1;
                    }
                }
                if joint.len() > MAX_JOINT_CELLS {
                    association.joint.remove(&feature);
                    association.joint_capped.insert(feature);
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn finish(
    path: &Path,
    options: &ProfileOptions,
    columns: &mut [ColumnState],
    pairs: &[(usize, usize)],
    pair_states: &[PairState],
    rows: u64,
    duplicate_rows: u64,
    target_index: Option<usize>,
    class_index: &HashMap<String, u32>,
    class_counts: &[u64],
    association: &ClassAssociation,
) -> Result<Profile> {
    let mut profiles = Vec::with_capacity(columns.len());
    let mut constant_columns = Vec::new();
    for state in columns.iter_mut() {
        let (distinct, distinct_exact) = state.distinct.estimate();
        if distinct <= 1 {
            constant_columns.push(state.name.clone());
        }
        let numeric = match &mut state.digest {
            Some(digest) if state.moments.count > 0.0 => {
                let quantiles = QUANTILE_LEVELS
                    .iter()
                    .filter_map(|&level| {
                        digest
                            .quantile(level)
                            .map(|value| QuantileValue { level, value })
                    })
                    .collect();
                let m = &state.moments;
                Some(NumericSummary {
                    mean: m.mean,
                    std: if m.count > 1.0 {
                        (m.m2 / (m.count - 1.0)).sqrt()
                    } else {
                        f64::NAN
                    },
                    min: state.min,
                    max: state.max,
                    quantiles,
                })
            }
            _ => None,
        };
        let mut top: Vec<ValueCount> = state
            .counts
            .iter()
            .map(|(value, &count)| ValueCount {
                value: value.clone(),
                count,
            })
            .collect();
        top.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        let all_counts = top.clone();
        top.truncate(options.top_k);
        profiles.push((
            ColumnProfile {
                name: state.name.clone(),
                data_type: state.data_type.clone(),
                missing: state.missing,
                missing_fraction: state.missing as f64 / rows as f64,
                distinct,
                distinct_exact,
                numeric,
                top_values: top,
            },
            all_counts,
        ));
    }

    let mut correlated_pairs: Vec<CorrelatedPair> = pairs
        .iter()
        .zip(pair_states)
        .filter_map(|(&(i, j), state)| {
            let r = state.pearson()?;
            (r.abs() >= options.correlation_threshold
                && Some(i) != target_index
                && Some(j) != target_index)
                .then(|| CorrelatedPair {
                    left: columns[i].name.clone(),
                    right: columns[j].name.clone(),
                    pearson: r,
                })
        })
        .collect();
    correlated_pairs.sort_by(|a, b| b.pearson.abs().total_cmp(&a.pearson.abs()));

    let mut target = None;
    let mut leakage_suspects = Vec::new();
    if let Some(t) = target_index {
        let state = &columns[t];
        let float_target = state.kind == ValueKind::Float;
        let categorical = class_index.len() <= options.max_class_values
            && !(float_target && class_index.len() < state.distinct.estimate().0 as usize);
        let mut classes: Vec<ValueCount> = Vec::new();
        if categorical {
            let mut by_name: Vec<(String, u32)> =
                class_index.iter().map(|(k, &v)| (k.clone(), v)).collect();
            by_name.sort_by_key(|(_, v)| *v);
            let counts = |c: u32| class_counts.get(c as usize).copied().unwrap_or(0);
            classes = by_name
                .into_iter()
                .map(|(value, c)| ValueCount {
                    value,
                    count: counts(c),
                })
                .collect();
            classes.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        }
        let (imbalance_ratio, minority_fraction) = match (classes.first(), classes.last()) {
            (Some(most), Some(least)) if least.count > 0 => (
                Some(most.count as f64 / least.count as f64),
                Some(least.count as f64 / classes.iter().map(|c| c.count).sum::<u64>() as f64),
            ),
            _ => (None, None),
        };
        target = Some(TargetProfile {
            column: state.name.clone(),
            classes,
            imbalance_ratio,
            minority_fraction,
        });
        leakage_suspects = leakage(
            options,
            columns,
            pairs,
            pair_states,
            t,
            categorical,
            association,
            rows,
        );
    }
    Ok(Profile {
        source: path.display().to_string(),
        rows,
        columns: profiles.into_iter().map(|(p, _)| p).collect(),
        duplicate_rows,
        constant_columns,
        correlated_pairs,
        target,
        leakage_suspects,
    })
}

#[allow(clippy::too_many_arguments)]
fn leakage(
    options: &ProfileOptions,
    columns: &[ColumnState],
    pairs: &[(usize, usize)],
    pair_states: &[PairState],
    target: usize,
    categorical_target: bool,
    association: &ClassAssociation,
    rows: u64,
) -> Vec<LeakageSuspect> {
    let mut suspects = Vec::new();
    if !categorical_target {
        for (&(i, j), state) in pairs.iter().zip(pair_states) {
            let feature = if i == target {
                j
            } else if j == target {
                i
            } else {
                continue;
            };
            if let Some(r) = state.pearson()
                && r.abs() >= options.leakage_threshold
            {
                suspects.push(LeakageSuspect {
                    column: columns[feature].name.clone(),
                    measure: "pearson_r".into(),
                    strength: r.abs(),
                });
            }
        }
    } else {
        // Correlation ratio η: the share of a numeric feature's spread explained by the class.
        for (&feature, per_class) in &association.moments {
            let mut total = Moments::new();
            for m in per_class {
                total.merge(m.count, m.mean, m.m2);
            }
            if total.m2 <= 0.0 {
                continue;
            }
            let between: f64 = per_class
                .iter()
                .map(|m| m.count * (m.mean - total.mean).powi(2))
                .sum();
            let eta = (between / total.m2).clamp(0.0, 1.0).sqrt();
            if eta >= options.leakage_threshold {
                suspects.push(LeakageSuspect {
                    column: columns[feature].name.clone(),
                    measure: "correlation_ratio".into(),
                    strength: eta,
                });
            }
        }
        // Goodman–Kruskal λ: how much knowing the value cuts the error of guessing the class.
        for (&feature, joint) in &association.joint {
            let (distinct, _) = columns[feature].distinct.estimate();
            if distinct * 2 > rows {
                continue; // an id-like column predicts every row it has seen, and nothing else
            }
            let mut best_in_value: HashMap<u64, u64> = HashMap::new();
            let mut class_totals: HashMap<u32, u64> = HashMap::new();
            let mut n = 0u64;
            for (&(value, class), &count) in joint {
                let best = best_in_value.entry(value).or_insert(0);
                *best = (*best).max(count);
                *class_totals.entry(class).or_insert(0) += count;
                n += count;
            }
            let modal = class_totals.values().copied().max().unwrap_or(0);
            if n == modal {
                continue;
            }
            let lambda =
                (best_in_value.values().sum::<u64>() as f64 - modal as f64) / (n - modal) as f64;
            if lambda >= options.leakage_threshold {
                suspects.push(LeakageSuspect {
                    column: columns[feature].name.clone(),
                    measure: "goodman_kruskal_lambda".into(),
                    strength: lambda,
                });
            }
        }
    }
    suspects.sort_by(|a, b| {
        b.strength
            .total_cmp(&a.strength)
            .then_with(|| a.column.cmp(&b.column))
    });
    suspects
}

impl Profile {
    /// The readable summary written as `eda-summary.md`.
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# Exploratory data analysis\n");
        let _ = writeln!(md, "Source: `{}`\n", self.source);
        let _ = writeln!(md, "- Rows: {}", self.rows);
        let _ = writeln!(md, "- Columns: {}", self.columns.len());
        let _ = writeln!(
            md,
            "- Duplicate rows: {} ({:.2}%)",
            self.duplicate_rows,
            100.0 * self.duplicate_rows as f64 / self.rows.max(1) as f64
        );
        let list = |names: &[String]| {
            if names.is_empty() {
                "none".to_owned()
            } else {
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let _ = writeln!(md, "- Constant columns: {}", list(&self.constant_columns));
        let with_missing: Vec<String> = self
            .columns
            .iter()
            .filter(|c| c.missing > 0)
            .map(|c| format!("{} ({:.1}%)", c.name, 100.0 * c.missing_fraction))
            .collect();
        let _ = writeln!(
            md,
            "- Columns with missing values: {}\n",
            list(&with_missing)
        );

        if let Some(target) = &self.target {
            let _ = writeln!(md, "## Target `{}`\n", target.column);
            if target.classes.is_empty() {
                let _ = writeln!(md, "Continuous target (see its column statistics below).\n");
            } else {
                let total: u64 = target.classes.iter().map(|c| c.count).sum();
                let _ = writeln!(md, "| class | rows | share |\n|---|---:|---:|");
                for class in &target.classes {
                    let _ = writeln!(
                        md,
                        "| {} | {} | {:.2}% |",
                        class.value,
                        class.count,
                        100.0 * class.count as f64 / total.max(1) as f64
                    );
                }
                if let Some(ratio) = target.imbalance_ratio {
                    let _ = writeln!(
                        md,
                        "\nImbalance ratio (largest / smallest class): {ratio:.1}"
                    );
                    if ratio >= 10.0 {
                        let _ = writeln!(
                            md,
                            "The classes are strongly imbalanced: prefer stratified splits and \
                             precision-recall metrics over accuracy."
                        );
                    }
                }
                md.push('\n');
            }
            if !self.leakage_suspects.is_empty() {
                let _ = writeln!(md, "### Suspected target leakage\n");
                for s in &self.leakage_suspects {
                    let _ = writeln!(
                        md,
                        "- `{}` almost determines the target ({} = {:.3}); check that it is known at prediction time.",
                        s.column, s.measure, s.strength
                    );
                }
                md.push('\n');
            }
        }

        let _ = writeln!(md, "## Numeric columns\n");
        let _ = writeln!(
            md,
            "| column | missing | distinct | mean | std | min | 25% | 50% | 75% | max |"
        );
        let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for c in &self.columns {
            if let Some(n) = &c.numeric {
                let q = |level: f64| {
                    n.quantiles
                        .iter()
                        .find(|q| (q.level - level).abs() < 1e-9)
                        .map_or("".to_owned(), |q| fmt_num(q.value))
                };
                let _ = writeln!(
                    md,
                    "| {} | {} | {}{} | {} | {} | {} | {} | {} | {} | {} |",
                    c.name,
                    c.missing,
                    if c.distinct_exact { "" } else { "≈" },
                    c.distinct,
                    fmt_num(n.mean),
                    fmt_num(n.std),
                    fmt_num(n.min),
                    q(0.25),
                    q(0.5),
                    q(0.75),
                    fmt_num(n.max)
                );
            }
        }
        let text: Vec<&ColumnProfile> = self
            .columns
            .iter()
            .filter(|c| c.numeric.is_none())
            .collect();
        if !text.is_empty() {
            let _ = writeln!(md, "\n## Categorical and text columns\n");
            let _ = writeln!(
                md,
                "| column | missing | distinct | most frequent |\n|---|---:|---:|---|"
            );
            for c in text {
                let top = c
                    .top_values
                    .iter()
                    .take(5)
                    .map(|v| format!("{} ({})", v.value, v.count))
                    .collect::<Vec<_>>()
                    .join(", ");
                let _ = writeln!(
                    md,
                    "| {} | {} | {}{} | {} |",
                    c.name,
                    c.missing,
                    if c.distinct_exact { "" } else { "≈" },
                    c.distinct,
                    top
                );
            }
        }
        if !self.correlated_pairs.is_empty() {
            let _ = writeln!(md, "\n## Highly correlated pairs\n");
            for p in &self.correlated_pairs {
                let _ = writeln!(md, "- `{}` and `{}`: r = {:.3}", p.left, p.right, p.pearson);
            }
        }
        md
    }

    /// Writes `profile.json` and `eda-summary.md` into `dir` (created if needed), each through a
    /// temporary file and a rename.
    pub fn write_to(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(DataError::io(dir))?;
        let json = serde_json::to_vec_pretty(&JsonSafe(self))?;
        write_atomically(&dir.join("profile.json"), &json)?;
        write_atomically(&dir.join("eda-summary.md"), self.to_markdown().as_bytes())
    }
}

/// Serializes a profile with non-finite numbers (the std of a single value) as null, since
/// JSON has no NaN: `serde_json::Value` maps them to null.
struct JsonSafe<'a>(&'a Profile);

impl Serialize for JsonSafe<'_> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serde_json::to_value(self.0)
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }
}

fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    if v.abs() >= 1e6 || (v != 0.0 && v.abs() < 1e-3) {
        format!("{v:.3e}")
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}
