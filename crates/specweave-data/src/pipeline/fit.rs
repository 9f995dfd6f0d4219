//! Fitting: what each step learns from the training data.

use super::{
    Fill, FittedStep, Imputation, Step, category_names, finite, index_of, is_categorical, select,
};
use crate::error::{DataError, Result};
use specweave_core::Dataset;
use std::collections::BTreeMap;

pub(super) fn fit_step(step: &Step, data: &Dataset) -> Result<FittedStep> {
    let no_values =
        |column: &str| DataError::Pipeline(format!("column `{column}` has no values to fit on"));
    Ok(match step {
        Step::Impute { columns, strategy } => {
            let mut fills = Vec::new();
            for name in select(data, columns, false).into_iter().chain(
                // Most-frequent also fills categorical columns when none are named.
                if columns.is_empty() && *strategy == Imputation::MostFrequent {
                    select(data, &[], true)
                } else {
                    Vec::new()
                },
            ) {
                let col = index_of(data, &name)?;
                let categorical = is_categorical(&data.feature_kinds()[col]);
                let fill = match strategy {
                    Imputation::Constant(v) => Fill::Number(*v),
                    Imputation::MostFrequent if categorical => {
                        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
                        for v in category_names(data, col).into_iter().flatten() {
                            *counts.entry(v).or_insert(0) += 1;
                        }
                        let best = counts.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)));
                        Fill::Category(
                            best.map(|(k, _)| k.clone())
                                .ok_or_else(|| no_values(&name))?,
                        )
                    }
                    _ if categorical => {
                        return Err(DataError::Pipeline(format!(
                            "column `{name}` is categorical; impute it with most_frequent or a constant"
                        )));
                    }
                    Imputation::Mean => {
                        let values = finite(data, col);
                        if values.is_empty() {
                            return Err(no_values(&name));
                        }
                        Fill::Number(values.iter().sum::<f64>() / values.len() as f64)
                    }
                    Imputation::Median => {
                        let mut values = finite(data, col);
                        if values.is_empty() {
                            return Err(no_values(&name));
                        }
                        values.sort_by(f64::total_cmp);
                        let mid = values.len() / 2;
                        Fill::Number(if values.len().is_multiple_of(2) {
                            (values[mid - 1] + values[mid]) / 2.0
                        } else {
                            values[mid]
                        })
                    }
                    Imputation::MostFrequent => {
                        let mut counts: BTreeMap<u64, (f64, usize)> = BTreeMap::new();
                        for v in finite(data, col) {
                            counts.entry(v.to_bits()).or_insert((v, 0)).1 += 1;
                        }
                        let best = counts
                            .values()
                            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.total_cmp(&a.0)))
                            .ok_or_else(|| no_values(&name))?;
                        Fill::Number(best.0)
                    }
                };
                fills.push((name, fill));
            }
            FittedStep::Impute { fills }
        }
        Step::StandardScale { columns } | Step::MinMaxScale { columns } => {
            let mut fitted = Vec::new();
            for name in select(data, columns, false) {
                let col = index_of(data, &name)?;
                let values = finite(data, col);
                if values.is_empty() {
                    return Err(no_values(&name));
                }
                let n = values.len() as f64;
                let (a, b) = if matches!(step, Step::StandardScale { .. }) {
                    let mean = values.iter().sum::<f64>() / n;
                    let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
                    (mean, if std > 0.0 { std } else { 1.0 })
                } else {
                    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
                    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    (min, if max > min { max - min } else { 1.0 })
                };
                fitted.push((name, a, b));
            }
            if matches!(step, Step::StandardScale { .. }) {
                FittedStep::StandardScale { columns: fitted }
            } else {
                FittedStep::MinMaxScale { columns: fitted }
            }
        }
        Step::OneHot { columns, unseen } | Step::Ordinal { columns, unseen } => {
            let mut fitted = Vec::new();
            for name in select(data, columns, true) {
                let col = index_of(data, &name)?;
                let mut categories: Vec<String> =
                    category_names(data, col).into_iter().flatten().collect();
                categories.sort();
                categories.dedup();
                fitted.push((name, categories));
            }
            if matches!(step, Step::OneHot { .. }) {
                FittedStep::OneHot {
                    columns: fitted,
                    unseen: *unseen,
                }
            } else {
                FittedStep::Ordinal {
                    columns: fitted,
                    unseen: *unseen,
                }
            }
        }
        Step::DateParts { columns, parts } => {
            if parts.is_empty() {
                return Err(DataError::Pipeline(
                    "date parts: name at least one part".into(),
                ));
            }
            FittedStep::DateParts {
                columns: columns.clone(),
                parts: parts.clone(),
            }
        }
        Step::Lag { columns, lags } => {
            if lags.is_empty() || lags.contains(&0) {
                return Err(DataError::Pipeline(
                    "lags must be at least 1 (and at least one lag)".into(),
                ));
            }
            FittedStep::Lag {
                columns: columns.clone(),
                lags: lags.clone(),
            }
        }
        Step::Rolling {
            columns,
            window,
            stats,
        } => {
            if *window == 0 || stats.is_empty() {
                return Err(DataError::Pipeline(
                    "a rolling window needs window >= 1 and a statistic".into(),
                ));
            }
            FittedStep::Rolling {
                columns: columns.clone(),
                window: *window,
                stats: stats.clone(),
            }
        }
    })
}
