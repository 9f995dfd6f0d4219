//! Applying fitted steps: the same code path for training and inference data.

use super::{DatePart, Fill, FittedStep, RollingStat, UnseenCategory, category_names};
use crate::error::{DataError, Result};
use chrono::{DateTime, Datelike, Timelike};
use ndarray::Array2;
use specweave_core::{Dataset, FeatureKind};
use std::collections::HashMap;

/// Column-wise builder of a new feature table.
struct Columns {
    names: Vec<String>,
    kinds: Vec<FeatureKind>,
    values: Vec<Vec<f64>>,
}

impl Columns {
    fn from(data: &Dataset) -> Self {
        Columns {
            names: data.feature_names().to_vec(),
            kinds: data.feature_kinds().to_vec(),
            values: data
                .features()
                .columns()
                .into_iter()
                .map(|c| c.to_vec())
                .collect(),
        }
    }

    fn into_dataset(self, like: &Dataset) -> Result<Dataset> {
        let rows = like.n_rows();
        let mut matrix = Array2::<f64>::zeros((rows, self.values.len()));
        for (j, column) in self.values.into_iter().enumerate() {
            matrix.column_mut(j).assign(&ndarray::Array1::from(column));
        }
        let mut builder = Dataset::builder(matrix)
            .feature_names(self.names)
            .feature_kinds(self.kinds)
            .target(like.target().clone());
        if let Some(name) = like.target_name() {
            builder = builder.target_name(name);
        }
        if let Some(w) = like.weights() {
            builder = builder.weights(w.clone());
        }
        if let Some(g) = like.groups() {
            builder = builder.groups(g.to_vec());
        }
        if let Some(t) = like.timestamps() {
            builder = builder.timestamps(t.to_vec());
        }
        Ok(builder.build()?)
    }

    fn position(&self, name: &str) -> Result<usize> {
        self.names.iter().position(|n| n == name).ok_or_else(|| {
            DataError::Pipeline(format!(
                "column `{name}` not in the data; it has {}",
                self.names.join(", ")
            ))
        })
    }
}

fn date_part(ms: f64, part: DatePart) -> f64 {
    if !ms.is_finite() {
        return f64::NAN;
    }
    let Some(t) = DateTime::from_timestamp_millis(ms as i64) else {
        return f64::NAN;
    };
    f64::from(match part {
        DatePart::Year => t.year() as u32,
        DatePart::Month => t.month(),
        DatePart::Day => t.day(),
        DatePart::Weekday => t.weekday().num_days_from_monday(),
        DatePart::Hour => t.hour(),
        DatePart::DayOfYear => t.ordinal(),
    })
}

fn rolling(values: &[f64], row: usize, window: usize, stat: RollingStat) -> f64 {
    let start = row.saturating_sub(window);
    let past: Vec<f64> = values[start..row]
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    if past.is_empty() {
        return f64::NAN;
    }
    let n = past.len() as f64;
    match stat {
        RollingStat::Mean => past.iter().sum::<f64>() / n,
        RollingStat::Std => {
            if past.len() < 2 {
                return f64::NAN;
            }
            let mean = past.iter().sum::<f64>() / n;
            (past.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        }
        RollingStat::Min => past.iter().copied().fold(f64::INFINITY, f64::min),
        RollingStat::Max => past.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    }
}

fn stat_name(stat: RollingStat) -> &'static str {
    match stat {
        RollingStat::Mean => "mean",
        RollingStat::Std => "std",
        RollingStat::Min => "min",
        RollingStat::Max => "max",
    }
}

fn part_name(part: DatePart) -> &'static str {
    match part {
        DatePart::Year => "year",
        DatePart::Month => "month",
        DatePart::Day => "day",
        DatePart::Weekday => "weekday",
        DatePart::Hour => "hour",
        DatePart::DayOfYear => "dayofyear",
    }
}

pub(super) fn apply_step(step: &FittedStep, data: &Dataset) -> Result<Dataset> {
    let mut table = Columns::from(data);
    let snapshot = Columns::from(data);
    let names_of = |col: usize| -> Vec<Option<String>> { category_names(data, col) };
    match step {
        FittedStep::Impute { fills } => {
            for (name, fill) in fills {
                let col = table.position(name)?;
                let value = match fill {
                    Fill::Number(v) => *v,
                    Fill::Category(category) => match &mut table.kinds[col] {
                        FeatureKind::Categorical { categories } => {
                            match categories.iter().position(|c| c == category) {
                                Some(code) => code as f64,
                                None => {
                                    categories.push(category.clone());
                                    (categories.len() - 1) as f64
                                }
                            }
                        }
                        _ => category.parse().unwrap_or(f64::NAN),
                    },
                };
                for v in table.values[col].iter_mut().filter(|v| v.is_nan()) {
                    *v = value;
                }
            }
        }
        FittedStep::StandardScale { columns } | FittedStep::MinMaxScale { columns } => {
            for (name, offset, scale) in columns {
                let col = table.position(name)?;
                for v in &mut table.values[col] {
                    *v = (*v - offset) / scale;
                }
            }
        }
        FittedStep::OneHot { columns, unseen } | FittedStep::Ordinal { columns, unseen } => {
            let one_hot = matches!(step, FittedStep::OneHot { .. });
            let mut replacements: HashMap<String, Vec<(String, FeatureKind, Vec<f64>)>> =
                HashMap::new();
            for (name, categories) in columns {
                let col = snapshot.position(name)?;
                let code: HashMap<&str, usize> = categories
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.as_str(), i))
                    .collect();
                let rows = names_of(col);
                let mut codes = Vec::with_capacity(rows.len());
                for (row, value) in rows.iter().enumerate() {
                    codes.push(match value {
                        None => None,
                        Some(v) => match code.get(v.as_str()) {
                            Some(&c) => Some(c),
                            None if *unseen == UnseenCategory::Ignore => None,
                            None => {
                                return Err(DataError::Pipeline(format!(
                                    "column `{name}`, row {row}: category `{v}` was not seen in training (policy: error)"
                                )));
                            }
                        },
                    });
                }
                let outputs = if one_hot {
                    categories
                        .iter()
                        .enumerate()
                        .map(|(c, category)| {
                            let values = codes
                                .iter()
                                .map(|code| f64::from(u8::from(*code == Some(c))))
                                .collect();
                            (format!("{name}={category}"), FeatureKind::Boolean, values)
                        })
                        .collect()
                } else {
                    let values = codes
                        .iter()
                        .map(|c| c.map_or(f64::NAN, |c| c as f64))
                        .collect();
                    vec![(
                        name.clone(),
                        FeatureKind::Categorical {
                            categories: categories.clone(),
                        },
                        values,
                    )]
                };
                replacements.insert(name.clone(), outputs);
            }
            table = expand(snapshot, replacements);
        }
        FittedStep::DateParts { columns, parts } => {
            let mut replacements = HashMap::new();
            for name in columns {
                let col = snapshot.position(name)?;
                let outputs = parts
                    .iter()
                    .map(|&part| {
                        let values = snapshot.values[col]
                            .iter()
                            .map(|&ms| date_part(ms, part))
                            .collect();
                        (
                            format!("{name}_{}", part_name(part)),
                            FeatureKind::Numeric,
                            values,
                        )
                    })
                    .collect();
                replacements.insert(name.clone(), outputs);
            }
            table = expand(snapshot, replacements);
        }
        FittedStep::Lag { columns, lags } => {
            for name in columns {
                let col = snapshot.position(name)?;
                let source = &snapshot.values[col];
                for &lag in lags {
                    table.names.push(format!("{name}_lag_{lag}"));
                    table.kinds.push(FeatureKind::Numeric);
                    table.values.push(
                        (0..source.len())
                            .map(|r| if r >= lag { source[r - lag] } else { f64::NAN })
                            .collect(),
                    );
                }
            }
        }
        FittedStep::Rolling {
            columns,
            window,
            stats,
        } => {
            for name in columns {
                let col = snapshot.position(name)?;
                let source = &snapshot.values[col];
                for &stat in stats {
                    table
                        .names
                        .push(format!("{name}_roll{window}_{}", stat_name(stat)));
                    table.kinds.push(FeatureKind::Numeric);
                    table.values.push(
                        (0..source.len())
                            .map(|r| rolling(source, r, *window, stat))
                            .collect(),
                    );
                }
            }
        }
    }
    table.into_dataset(data)
}

type Outputs = Vec<(String, FeatureKind, Vec<f64>)>;

/// Replaces each named column by its outputs, in place, keeping the other columns' order.
fn expand(input: Columns, mut replacements: HashMap<String, Outputs>) -> Columns {
    let mut out = Columns {
        names: Vec::new(),
        kinds: Vec::new(),
        values: Vec::new(),
    };
    for ((name, kind), values) in input.names.into_iter().zip(input.kinds).zip(input.values) {
        match replacements.remove(&name) {
            Some(outputs) => {
                for (n, k, v) in outputs {
                    out.names.push(n);
                    out.kinds.push(k);
                    out.values.push(v);
                }
            }
            None => {
                out.names.push(name);
                out.kinds.push(kind);
                out.values.push(values);
            }
        }
    }
    out
}
