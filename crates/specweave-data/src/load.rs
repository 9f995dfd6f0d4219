//! Loading a CSV or Parquet file into a [`Dataset`], choosing the target, feature, id, weight,
//! group and timestamp columns by name.

use crate::convert::{self, ValueKind};
use crate::error::{DataError, Result};
use crate::table::{ReadOptions, open_batches};
use ndarray::{Array1, Array2};
use specweave_core::{Dataset, FeatureKind, Target};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// How the target column is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TargetKind {
    /// Text and boolean targets are classes; integer targets with few distinct values
    /// (see [`LoadOptions::max_class_values`]) are classes; everything else is continuous.
    #[default]
    Auto,
    /// Class labels, whatever the column type.
    Classes,
    /// Continuous values.
    Continuous,
}

/// Which columns of a file play which role, and how to read them.
///
/// ```
/// use specweave_data::{LoadOptions, TargetKind};
/// let options = LoadOptions::new()
///     .target("churned")
///     .target_kind(TargetKind::Classes)
///     .id("customer_id")
///     .timestamp("signup_date")
///     .categorical(["plan"]);
/// assert_eq!(options.get_target(), Some("churned"));
/// ```
#[derive(Debug, Clone)]
pub struct LoadOptions {
    target: Option<String>,
    target_kind: TargetKind,
    features: Option<Vec<String>>,
    ids: Vec<String>,
    weight: Option<String>,
    group: Option<String>,
    timestamp: Option<String>,
    categorical: Vec<String>,
    max_class_values: usize,
    read: ReadOptions,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            target: None,
            target_kind: TargetKind::Auto,
            features: None,
            ids: Vec::new(),
            weight: None,
            group: None,
            timestamp: None,
            categorical: Vec::new(),
            max_class_values: 20,
            read: ReadOptions::default(),
        }
    }
}

impl LoadOptions {
    /// Options with no target: every column is a feature.
    pub fn new() -> Self {
        Self::default()
    }

    /// The target column.
    pub fn target(mut self, column: impl Into<String>) -> Self {
        self.target = Some(column.into());
        self
    }

    /// How to read the target (default [`TargetKind::Auto`]).
    pub fn target_kind(mut self, kind: TargetKind) -> Self {
        self.target_kind = kind;
        self
    }

    /// The feature columns, in this order (default: every column without another role).
    pub fn features<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.features = Some(columns.into_iter().map(Into::into).collect());
        self
    }

    /// An id column (kept out of the features); may be called more than once.
    pub fn id(mut self, column: impl Into<String>) -> Self {
        self.ids.push(column.into());
        self
    }

    /// The sample-weight column.
    pub fn weight(mut self, column: impl Into<String>) -> Self {
        self.weight = Some(column.into());
        self
    }

    /// The group column (for group k-fold).
    pub fn group(mut self, column: impl Into<String>) -> Self {
        self.group = Some(column.into());
        self
    }

    /// The timestamp column (for time-ordered splits); dates, timestamps, ISO text or epoch ms.
    pub fn timestamp(mut self, column: impl Into<String>) -> Self {
        self.timestamp = Some(column.into());
        self
    }

    /// Columns to treat as categorical even when they hold numbers (text columns always are).
    pub fn categorical<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.categorical.extend(columns.into_iter().map(Into::into));
        self
    }

    /// Most distinct values an integer target may have to be read as classes under
    /// [`TargetKind::Auto`] (default 20).
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

    /// Names of the columns with a role other than feature (target, ids, weight, group, timestamp).
    pub(crate) fn non_feature_columns(&self) -> Vec<&str> {
        self.target
            .iter()
            .chain(self.ids.iter())
            .chain(self.weight.iter())
            .chain(self.group.iter())
            .chain(self.timestamp.iter())
            .map(String::as_str)
            .collect()
    }

    pub(crate) fn get_weight(&self) -> Option<&str> {
        self.weight.as_deref()
    }
    pub(crate) fn get_group(&self) -> Option<&str> {
        self.group.as_deref()
    }
    pub(crate) fn get_timestamp(&self) -> Option<&str> {
        self.timestamp.as_deref()
    }
}

enum FeatureValues {
    Numbers(Vec<f64>, FeatureKind),
    Text(Vec<Option<String>>),
}

/// Reads a whole CSV or Parquet file into a [`Dataset`].
///
/// Text columns become categorical features (codes into sorted category names), booleans
/// 0/1 features, dates and timestamps epoch-millisecond numbers. Fails on an empty file, a
/// column that does not exist, and a missing or NaN target value (naming the row).
///
/// ```
/// use specweave_data::{LoadOptions, load_dataset};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("churn.csv");
/// std::fs::write(&path, "age,plan,churned\n31,basic,no\n45,pro,yes\n23,basic,no\n")?;
/// let data = load_dataset(&path, &LoadOptions::new().target("churned"))?;
/// assert_eq!(data.feature_names(), ["age", "plan"]);
/// assert_eq!(data.target().n_classes(), Some(2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_dataset(path: impl AsRef<Path>, options: &LoadOptions) -> Result<Dataset> {
    let path = path.as_ref();
    let stream = open_batches(path, &options.read)?;
    let schema = stream.schema();
    let names = stream.column_names();
    let require = |column: &str| -> Result<usize> {
        names
            .iter()
            .position(|n| n == column)
            .ok_or_else(|| DataError::MissingColumn {
                path: path.to_path_buf(),
                column: column.to_owned(),
                available: names.join(", "),
            })
    };
    for column in options.non_feature_columns() {
        require(column)?;
    }
    let excluded: BTreeSet<&str> = options.non_feature_columns().into_iter().collect();
    let feature_names: Vec<String> = match &options.features {
        Some(list) => {
            for column in list {
                require(column)?;
            }
            list.clone()
        }
        None => names
            .iter()
            .filter(|n| !excluded.contains(n.as_str()))
            .cloned()
            .collect(),
    };
    let forced_categorical: BTreeSet<&str> =
        options.categorical.iter().map(String::as_str).collect();
    let mut features: Vec<(usize, FeatureValues)> = feature_names
        .iter()
        .map(|name| -> Result<(usize, FeatureValues)> {
            let index = require(name)?;
            let kind = convert::kind_of(schema.field(index).data_type());
            let values = if kind == ValueKind::Text || forced_categorical.contains(name.as_str()) {
                FeatureValues::Text(Vec::new())
            } else if kind == ValueKind::Boolean {
                FeatureValues::Numbers(Vec::new(), FeatureKind::Boolean)
            } else {
                FeatureValues::Numbers(Vec::new(), FeatureKind::Numeric)
            };
            Ok((index, values))
        })
        .collect::<Result<_>>()?;

    let target_index = options.target.as_deref().map(require).transpose()?;
    let mut target_text: Vec<Option<String>> = Vec::new();
    let mut target_numbers: Vec<f64> = Vec::new();
    let target_value_kind = target_index.map(|i| convert::kind_of(schema.field(i).data_type()));
    let target_as_text = matches!(
        target_value_kind,
        Some(ValueKind::Text) | Some(ValueKind::Boolean)
    );
    let mut weights = Vec::new();
    let mut groups = Vec::new();
    let mut timestamps = Vec::new();
    let mut rows = 0usize;

    for batch in stream {
        let batch = batch?;
        for (index, values) in &mut features {
            let array = batch.column(*index);
            match values {
                FeatureValues::Numbers(out, _) => {
                    out.extend(convert::to_f64(array, &names[*index])?)
                }
                FeatureValues::Text(out) => out.extend(
                    convert::to_strings(array)?
                        .iter()
                        .map(|s| s.map(str::to_owned)),
                ),
            }
        }
        if let Some(index) = target_index {
            let array = batch.column(index);
            if target_as_text {
                target_text.extend(
                    convert::to_strings(array)?
                        .iter()
                        .map(|s| s.map(str::to_owned)),
                );
            } else {
                target_numbers.extend(convert::to_f64(array, &names[index])?);
            }
        }
        if let Some(column) = options.get_weight() {
            weights.extend(convert::to_f64(batch.column(require(column)?), column)?);
        }
        if let Some(column) = options.get_group() {
            for (offset, value) in convert::to_strings(batch.column(require(column)?))?
                .iter()
                .enumerate()
            {
                let value = value.ok_or_else(|| DataError::InvalidValue {
                    path: path.to_path_buf(),
                    column: column.to_owned(),
                    row: rows + offset,
                    reason: "empty group id".into(),
                })?;
                groups.push(value.to_owned());
            }
        }
        if let Some(column) = options.get_timestamp() {
            let millis = convert::to_millis(batch.column(require(column)?)).map_err(|e| {
                DataError::InvalidValue {
                    path: path.to_path_buf(),
                    column: column.to_owned(),
                    row: rows,
                    reason: format!("not a timestamp: {e}"),
                }
            })?;
            for (offset, value) in millis.into_iter().enumerate() {
                timestamps.push(value.ok_or_else(|| DataError::InvalidValue {
                    path: path.to_path_buf(),
                    column: column.to_owned(),
                    row: rows + offset,
                    reason: "empty timestamp".into(),
                })?);
            }
        }
        rows += batch.num_rows();
    }
    if rows == 0 {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            what: "a header but no data rows".into(),
        });
    }

    let mut matrix = Array2::<f64>::zeros((rows, features.len()));
    let mut kinds = Vec::with_capacity(features.len());
    for (col, (_, values)) in features.iter_mut().enumerate() {
        match values {
            FeatureValues::Numbers(values, kind) => {
                matrix
                    .column_mut(col)
                    .assign(&Array1::from(std::mem::take(values)));
                kinds.push(kind.clone());
            }
            FeatureValues::Text(values) => {
                let categories: Vec<String> = values
                    .iter()
                    .flatten()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .cloned()
                    .collect();
                let code: HashMap<&str, f64> = categories
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.as_str(), i as f64))
                    .collect();
                for (row, value) in values.iter().enumerate() {
                    matrix[[row, col]] = value
                        .as_deref()
                        .and_then(|v| code.get(v).copied())
                        .unwrap_or(f64::NAN);
                }
                kinds.push(FeatureKind::Categorical { categories });
            }
        }
    }

    let mut builder = Dataset::builder(matrix)
        .feature_names(feature_names)
        .feature_kinds(kinds);
    if let Some(name) = options.target.as_deref() {
        let target = build_target(
            path,
            name,
            options,
            target_as_text,
            target_text,
            target_numbers,
        )?;
        builder = builder.target(target).target_name(name);
    }
    if options.weight.is_some() {
        builder = builder.weights(Array1::from(weights));
    }
    if options.group.is_some() {
        builder = builder.groups(groups);
    }
    if options.timestamp.is_some() {
        builder = builder.timestamps(timestamps);
    }
    Ok(builder.build()?)
}

fn build_target(
    path: &Path,
    column: &str,
    options: &LoadOptions,
    as_text: bool,
    text: Vec<Option<String>>,
    numbers: Vec<f64>,
) -> Result<Target> {
    let bad = |row: usize, reason: &str| DataError::InvalidValue {
        path: path.to_path_buf(),
        column: column.to_owned(),
        row,
        reason: reason.to_owned(),
    };
    if as_text {
        if options.target_kind == TargetKind::Continuous {
            let mut values = Vec::with_capacity(text.len());
            for (row, value) in text.iter().enumerate() {
                let value = value.as_deref().ok_or_else(|| bad(row, "empty target"))?;
                let parsed: f64 = value
                    .trim()
                    .parse()
                    .map_err(|_| bad(row, &format!("target `{value}` is not a number")))?;
                if !parsed.is_finite() {
                    return Err(bad(row, "NaN or infinite target"));
                }
                values.push(parsed);
            }
            return Ok(Target::Continuous(Array1::from(values)));
        }
        if let Some(row) = text
            .iter()
            .position(|v| v.as_deref().is_none_or(str::is_empty))
        {
            return Err(bad(row, "empty target"));
        }
        if let Some(row) = text
            .iter()
            .position(|v| v.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("nan")))
        {
            return Err(bad(row, "NaN target"));
        }
        let class_names: Vec<String> = text
            .iter()
            .flatten()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .cloned()
            .collect();
        let index: HashMap<&str, usize> = class_names
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let labels = text
            .iter()
            .map(|v| {
                v.as_deref()
                    .and_then(|v| index.get(v).copied())
                    .unwrap_or(0)
            })
            .collect();
        return Ok(Target::Classes {
            labels,
            class_names,
        });
    }
    if let Some(row) = numbers.iter().position(|v| !v.is_finite()) {
        return Err(bad(row, "empty, NaN or infinite target"));
    }
    let integral = numbers.iter().all(|v| v.fract() == 0.0);
    let as_classes = match options.target_kind {
        TargetKind::Classes => true,
        TargetKind::Continuous => false,
        TargetKind::Auto => {
            integral && {
                let mut distinct = BTreeSet::new();
                for v in &numbers {
                    distinct.insert(v.to_bits());
                    if distinct.len() > options.max_class_values {
                        break;
                    }
                }
                distinct.len() <= options.max_class_values
            }
        }
    };
    if !as_classes {
        return Ok(Target::Continuous(Array1::from(numbers)));
    }
    // Class order follows numeric order, so label 0 is the smallest value (0 before 1).
    let mut ordered: BTreeMap<OrderedF64, usize> = BTreeMap::new();
    for &v in &numbers {
        ordered.insert(OrderedF64(v), 0);
    }
    let class_names: Vec<String> = ordered.keys().map(|v| format_number(v.0)).collect();
    for (i, slot) in ordered.values_mut().enumerate() {
        *slot = i;
    }
    let labels = numbers.iter().map(|v| ordered[&OrderedF64(*v)]).collect();
    Ok(Target::Classes {
        labels,
        class_names,
    })
}

/// Formats a number the way a person writes it: integers without a fractional part.
pub(crate) fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct OrderedF64(f64);
impl Eq for OrderedF64 {}
impl PartialOrd for OrderedF64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrderedF64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}
