//! `schema.yaml`: inferring a data schema from a file, reading and writing it, and validating a
//! file against it with every violation named by column, row and reason.

use crate::convert::{self, ValueKind};
use crate::error::{DataError, Result};
use crate::table::{ReadOptions, open_batches, write_atomically};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

/// The type of a column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    /// Whole numbers.
    Int,
    /// Real numbers.
    Float,
    /// `true`/`false` (also `1`/`0`).
    Bool,
    /// Free text.
    String,
    /// Text from a closed set of categories.
    Categorical,
    /// Dates or date-times (ISO 8601 / RFC 3339).
    Timestamp,
}

/// The part a column plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ColumnRole {
    /// An input of the model.
    #[default]
    Feature,
    /// What the model predicts.
    Target,
    /// A row identifier, never a feature.
    Id,
    /// The time of the row.
    Timestamp,
    /// The sample weight.
    Weight,
    /// The group (for group-aware splits).
    Group,
}

/// One column of a schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSchema {
    /// Column name.
    pub name: String,
    /// Value type.
    #[serde(rename = "type")]
    pub column_type: ColumnType,
    /// Whether missing values are allowed.
    pub nullable: bool,
    /// Smallest allowed value (numbers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest allowed value (numbers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Allowed categories (categorical columns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
    /// The column's role.
    #[serde(default)]
    pub role: ColumnRole,
}

/// A data schema, the content of `schema.yaml`.
///
/// ```
/// use specweave_data::{ColumnType, DataSchema, SchemaOptions, infer_schema, validate_file};
/// let dir = tempfile::tempdir()?;
/// let train = dir.path().join("train.csv");
/// std::fs::write(&train, "age,plan,churned\n31,basic,no\n45,pro,yes\n23,basic,no\n")?;
/// let schema = infer_schema(&train, &SchemaOptions::new().target("churned"))?;
/// assert_eq!(schema.column("plan").map(|c| c.column_type), Some(ColumnType::Categorical));
/// let yaml = schema.to_yaml()?;
/// assert_eq!(DataSchema::from_yaml(&yaml)?, schema);
///
/// let new = dir.path().join("new.csv");
/// std::fs::write(&new, "age,plan,churned\n200,gold,no\n")?;
/// let report = validate_file(&new, &schema, 5)?;
/// assert_eq!(report.total_violations(), 2); // age out of range, unknown plan
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSchema {
    /// Columns in file order.
    pub columns: Vec<ColumnSchema>,
}

impl DataSchema {
    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnSchema> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The schema as YAML.
    pub fn to_yaml(&self) -> Result<String> {
        serde_norway::to_string(self).map_err(|e| DataError::Schema {
            path: "<memory>".into(),
            message: e.to_string(),
        })
    }

    /// Parses YAML.
    pub fn from_yaml(text: &str) -> Result<DataSchema> {
        serde_norway::from_str(text).map_err(|e| DataError::Schema {
            path: "<memory>".into(),
            message: e.to_string(),
        })
    }

    /// Reads `schema.yaml`.
    pub fn read(path: impl AsRef<Path>) -> Result<DataSchema> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(DataError::io(path))?;
        serde_norway::from_str(&text).map_err(|e| DataError::Schema {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Writes `schema.yaml` through a temporary file and a rename.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomically(path.as_ref(), self.to_yaml()?.as_bytes())
    }
}

/// Roles and limits for [`infer_schema`].
#[derive(Debug, Clone)]
pub struct SchemaOptions {
    roles: BTreeMap<String, ColumnRole>,
    max_categories: usize,
    read: ReadOptions,
}

impl Default for SchemaOptions {
    fn default() -> Self {
        SchemaOptions {
            roles: BTreeMap::new(),
            max_categories: 50,
            read: ReadOptions::default(),
        }
    }
}

impl SchemaOptions {
    /// Every column a feature; text with at most 50 distinct values is categorical.
    pub fn new() -> Self {
        Self::default()
    }
    /// Gives `column` a role.
    pub fn role(mut self, column: impl Into<String>, role: ColumnRole) -> Self {
        self.roles.insert(column.into(), role);
        self
    }
    /// Marks the target column.
    pub fn target(self, column: impl Into<String>) -> Self {
        self.role(column, ColumnRole::Target)
    }
    /// Most distinct values a text column may have to be inferred as categorical.
    pub fn max_categories(mut self, n: usize) -> Self {
        self.max_categories = n;
        self
    }
    /// Batch size and CSV type inference.
    pub fn read_options(mut self, read: ReadOptions) -> Self {
        self.read = read;
        self
    }
}

struct Inferring {
    kind: ValueKind,
    nulls: u64,
    min: f64,
    max: f64,
    values: BTreeSet<String>,
    too_many: bool,
}

/// Infers a schema from a file in one streaming pass: types from the data, `nullable` from
/// missing values, min/max of numbers, categories of text columns with few distinct values.
pub fn infer_schema(path: impl AsRef<Path>, options: &SchemaOptions) -> Result<DataSchema> {
    let path = path.as_ref();
    let stream = open_batches(path, &options.read)?;
    let names = stream.column_names();
    for column in options.roles.keys() {
        if !names.contains(column) {
            return Err(DataError::MissingColumn {
                path: path.to_path_buf(),
                column: column.clone(),
                available: names.join(", "),
            });
        }
    }
    let mut state: Vec<Inferring> = stream
        .schema()
        .fields()
        .iter()
        .map(|f| Inferring {
            kind: convert::kind_of(f.data_type()),
            nulls: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            values: BTreeSet::new(),
            too_many: false,
        })
        .collect();
    let mut rows = 0u64;
    for batch in stream {
        let batch = batch?;
        rows += batch.num_rows() as u64;
        for (i, column) in state.iter_mut().enumerate() {
            let array = batch.column(i);
            match column.kind {
                ValueKind::Integer | ValueKind::Float => {
                    for v in convert::to_f64(array, &names[i])? {
                        if v.is_nan() {
                            column.nulls += 1;
                        } else {
                            column.min = column.min.min(v);
                            column.max = column.max.max(v);
                        }
                    }
                }
                ValueKind::Boolean | ValueKind::Timestamp => {
                    column.nulls += array.null_count() as u64;
                }
                ValueKind::Text => {
                    for value in convert::to_strings(array)?.iter() {
                        match value {
                            None | Some("") => column.nulls += 1,
                            Some(v) if !column.too_many => {
                                if !column.values.contains(v) {
                                    column.values.insert(v.to_owned());
                                    column.too_many = column.values.len() > options.max_categories;
                                }
                            }
                            Some(_) => {}
                        }
                    }
                }
            }
        }
    }
    if rows == 0 {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            what: "a header but no data rows".into(),
        });
    }
    let columns = names
        .into_iter()
        .zip(state)
        .map(|(name, s)| {
            let role = options.roles.get(&name).copied().unwrap_or_default();
            let (column_type, categories) = match s.kind {
                ValueKind::Integer => (ColumnType::Int, None),
                ValueKind::Float => (ColumnType::Float, None),
                ValueKind::Boolean => (ColumnType::Bool, None),
                ValueKind::Timestamp => (ColumnType::Timestamp, None),
                ValueKind::Text => {
                    // Ids repeat nowhere; categories repeat. A target of text is always classes.
                    let repeats = (s.values.len() as u64) < rows - s.nulls;
                    let categorical = !s.too_many
                        && role != ColumnRole::Id
                        && (repeats || role == ColumnRole::Target);
                    if categorical {
                        (
                            ColumnType::Categorical,
                            Some(s.values.into_iter().collect()),
                        )
                    } else {
                        (ColumnType::String, None)
                    }
                }
            };
            let numeric = matches!(column_type, ColumnType::Int | ColumnType::Float);
            ColumnSchema {
                name,
                column_type,
                nullable: s.nulls > 0,
                min: (numeric && s.min.is_finite()).then_some(s.min),
                max: (numeric && s.max.is_finite()).then_some(s.max),
                categories,
                role,
            }
        })
        .collect();
    Ok(DataSchema { columns })
}

/// A schema rule that can be broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A schema column is not in the file.
    MissingColumn,
    /// A file column is not in the schema.
    ExtraColumn,
    /// A value does not have the column's type.
    TypeMismatch,
    /// A missing value in a column that is not nullable.
    UnexpectedNull,
    /// A number below `min` or above `max`.
    OutOfRange,
    /// A value outside the column's categories.
    UnknownCategory,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rule::MissingColumn => "missing column",
            Rule::ExtraColumn => "extra column",
            Rule::TypeMismatch => "type mismatch",
            Rule::UnexpectedNull => "unexpected null",
            Rule::OutOfRange => "out of range",
            Rule::UnknownCategory => "unknown category",
        })
    }
}

/// One broken rule in one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViolationExample {
    /// 0-based data row, or `None` for column-level rules.
    pub row: Option<u64>,
    /// The offending value, when there is one.
    pub value: Option<String>,
    /// Why it is a violation.
    pub reason: String,
}

/// All violations of one rule in one column: a count and the first few examples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleViolations {
    /// The column.
    pub column: String,
    /// The rule.
    pub rule: Rule,
    /// How many values (or 1 for a column-level rule) break it.
    pub count: u64,
    /// The first few violations.
    pub examples: Vec<ViolationExample>,
}

/// The outcome of [`validate_file`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationReport {
    /// The file checked.
    pub source: String,
    /// Data rows read.
    pub rows_checked: u64,
    /// Violations grouped by column and rule, in schema order.
    pub violations: Vec<RuleViolations>,
}

impl ValidationReport {
    /// True when the file conforms to the schema.
    pub fn is_conforming(&self) -> bool {
        self.violations.is_empty()
    }

    /// Total number of violations over every rule.
    pub fn total_violations(&self) -> u64 {
        self.violations.iter().map(|v| v.count).sum()
    }
}

impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_conforming() {
            return writeln!(
                f,
                "{}: {} rows conform to the schema",
                self.source, self.rows_checked
            );
        }
        writeln!(
            f,
            "{}: {} violations in {} rows",
            self.source,
            self.total_violations(),
            self.rows_checked
        )?;
        for group in &self.violations {
            writeln!(
                f,
                "  column `{}`: {} ({} total)",
                group.column, group.rule, group.count
            )?;
            for e in &group.examples {
                let row = e.row.map(|r| format!("row {r}: ")).unwrap_or_default();
                let value = e
                    .value
                    .as_ref()
                    .map(|v| format!("`{v}` "))
                    .unwrap_or_default();
                writeln!(f, "    {row}{value}{}", e.reason)?;
            }
        }
        Ok(())
    }
}

#[derive(Default)]
struct Collector {
    max_examples: usize,
    groups: BTreeMap<(usize, Rule), RuleViolations>,
}

impl Collector {
    fn add(&mut self, order: usize, column: &str, rule: Rule, example: ViolationExample) {
        let group = self
            .groups
            .entry((order, rule))
            .or_insert_with(|| RuleViolations {
                column: column.to_owned(),
                rule,
                count: 0,
                examples: Vec::new(),
            });
        group.count += 1;
        if group.examples.len() < self.max_examples {
            group.examples.push(example);
        }
    }
}

fn parse_timestamp(text: &str) -> bool {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    DateTime::parse_from_rfc3339(text).is_ok()
        || NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
        || [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%d %H:%M:%S",
        ]
        .iter()
        .any(|f| NaiveDateTime::parse_from_str(text, f).is_ok())
}

/// Checks `text` against a column; `Some((rule, reason))` when it breaks one.
fn check_value(column: &ColumnSchema, text: &str) -> Option<(Rule, String)> {
    let number = |v: f64| -> Option<(Rule, String)> {
        if let Some(min) = column.min
            && v < min
        {
            return Some((Rule::OutOfRange, format!("below the minimum {min}")));
        }
        if let Some(max) = column.max
            && v > max
        {
            return Some((Rule::OutOfRange, format!("above the maximum {max}")));
        }
        None
    };
    match column.column_type {
        ColumnType::Int => match text.trim().parse::<f64>() {
            Ok(v) if v.fract() == 0.0 => number(v),
            _ => Some((Rule::TypeMismatch, "not an integer".into())),
        },
        ColumnType::Float => match text.trim().parse::<f64>() {
            Ok(v) => number(v),
            Err(_) => Some((Rule::TypeMismatch, "not a number".into())),
        },
        ColumnType::Bool => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "false" | "1" | "0" => None,
            _ => Some((Rule::TypeMismatch, "not a boolean".into())),
        },
        ColumnType::Timestamp => (!parse_timestamp(text.trim()))
            .then(|| (Rule::TypeMismatch, "not a date or timestamp".into())),
        ColumnType::Categorical => match &column.categories {
            Some(categories) if !categories.iter().any(|c| c == text) => Some((
                Rule::UnknownCategory,
                format!("not one of {} known categories", categories.len()),
            )),
            _ => None,
        },
        ColumnType::String => None,
    }
}

/// Validates a CSV or Parquet file against a schema in one streaming pass, keeping a count and
/// the first `max_examples` violations of each rule in each column.
pub fn validate_file(
    path: impl AsRef<Path>,
    schema: &DataSchema,
    max_examples: usize,
) -> Result<ValidationReport> {
    let path = path.as_ref();
    // CSV columns are read as text so a bad value is reported, not a failed parse.
    let stream = open_batches(path, &ReadOptions::default().text_columns(true))?;
    let names = stream.column_names();
    let mut collector = Collector {
        max_examples,
        ..Collector::default()
    };
    let mut present: Vec<(usize, &ColumnSchema, usize)> = Vec::new();
    for (order, column) in schema.columns.iter().enumerate() {
        match names.iter().position(|n| n == &column.name) {
            Some(index) => present.push((order, column, index)),
            None => collector.add(
                order,
                &column.name,
                Rule::MissingColumn,
                ViolationExample {
                    row: None,
                    value: None,
                    reason: "the schema has this column; the file does not".into(),
                },
            ),
        }
    }
    for name in names.iter().filter(|n| schema.column(n).is_none()) {
        collector.add(
            schema.columns.len(),
            name,
            Rule::ExtraColumn,
            ViolationExample {
                row: None,
                value: None,
                reason: "the file has this column; the schema does not".into(),
            },
        );
    }
    let mut rows = 0u64;
    for batch in stream {
        let batch = batch?;
        for &(order, column, index) in &present {
            let values = convert::to_strings(batch.column(index))?;
            for (offset, value) in values.iter().enumerate() {
                let row = rows + offset as u64;
                let missing = match value {
                    None | Some("") => true,
                    Some(v) => {
                        matches!(column.column_type, ColumnType::Float | ColumnType::Int)
                            && v.trim().eq_ignore_ascii_case("nan")
                    }
                };
                if missing {
                    if !column.nullable {
                        collector.add(
                            order,
                            &column.name,
                            Rule::UnexpectedNull,
                            ViolationExample {
                                row: Some(row),
                                value: None,
                                reason: "missing value in a column that is not nullable".into(),
                            },
                        );
                    }
                    continue;
                }
                let text = value.unwrap_or_default();
                if let Some((rule, reason)) = check_value(column, text) {
                    collector.add(
                        order,
                        &column.name,
                        rule,
                        ViolationExample {
                            row: Some(row),
                            value: Some(text.to_owned()),
                            reason,
                        },
                    );
                }
            }
        }
        rows += batch.num_rows() as u64;
    }
    Ok(ValidationReport {
        source: path.display().to_string(),
        rows_checked: rows,
        violations: collector.groups.into_values().collect(),
    })
}
