//! Tabular datasets: a feature matrix with names and kinds, a target, and optional row metadata.

use crate::{Error, Result};
use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// How a feature column is to be interpreted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FeatureKind {
    /// A real-valued feature.
    Numeric,
    /// A 0/1 feature.
    Boolean,
    /// An ordinal code into `categories` (`0.0` is `categories[0]`); NaN when missing.
    Categorical {
        /// Category names in code order.
        categories: Vec<String>,
    },
}

/// What a dataset's rows should be predicted as.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// Class labels as indices into `class_names`.
    Classes {
        /// One label per row, each `< class_names.len()`.
        labels: Vec<usize>,
        /// Names of the classes, in label order (at least one).
        class_names: Vec<String>,
    },
    /// Continuous values, all finite.
    Continuous(Array1<f64>),
    /// No target (inference or unsupervised data).
    None,
}

impl Target {
    /// Number of rows the target covers, or `None` for [`Target::None`].
    pub fn len(&self) -> Option<usize> {
        match self {
            Target::Classes { labels, .. } => Some(labels.len()),
            Target::Continuous(values) => Some(values.len()),
            Target::None => None,
        }
    }

    /// True when the target holds no rows (or is [`Target::None`]).
    pub fn is_empty(&self) -> bool {
        self.len().unwrap_or(0) == 0
    }

    /// Number of classes for a classification target.
    pub fn n_classes(&self) -> Option<usize> {
        match self {
            Target::Classes { class_names, .. } => Some(class_names.len()),
            _ => None,
        }
    }

    /// The target as `f64` values: class indices for classes, the values for continuous.
    pub fn as_f64(&self) -> Option<Array1<f64>> {
        match self {
            Target::Classes { labels, .. } => Some(labels.iter().map(|&l| l as f64).collect()),
            Target::Continuous(values) => Some(values.clone()),
            Target::None => None,
        }
    }

    /// The target restricted to `rows`, in that order.
    pub fn select(&self, rows: &[usize]) -> Target {
        match self {
            Target::Classes {
                labels,
                class_names,
            } => Target::Classes {
                labels: rows.iter().map(|&r| labels[r]).collect(),
                class_names: class_names.clone(),
            },
            Target::Continuous(values) => {
                Target::Continuous(rows.iter().map(|&r| values[r]).collect())
            }
            Target::None => Target::None,
        }
    }
}

/// A table of `f64` features (rows × features) with everything learners and explainers need.
///
/// Built with [`Dataset::builder`], which validates shapes, labels and weights, so a `Dataset`
/// that exists is consistent.
///
/// ```
/// use ndarray::array;
/// use specweave_core::{Dataset, Target};
///
/// let data = Dataset::builder(array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
///     .feature_names(["age", "income"])
///     .target(Target::Classes { labels: vec![0, 1, 1], class_names: vec!["no".into(), "yes".into()] })
///     .build()?;
/// assert_eq!(data.n_rows(), 3);
/// assert_eq!(data.feature_names(), ["age", "income"]);
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    features: Array2<f64>,
    feature_names: Vec<String>,
    feature_kinds: Vec<FeatureKind>,
    target: Target,
    target_name: Option<String>,
    weights: Option<Array1<f64>>,
    groups: Option<Vec<String>>,
    timestamps: Option<Vec<i64>>,
}

impl Dataset {
    /// Starts a builder over a feature matrix.
    pub fn builder(features: Array2<f64>) -> DatasetBuilder {
        DatasetBuilder {
            features,
            feature_names: None,
            feature_kinds: None,
            target: Target::None,
            target_name: None,
            weights: None,
            groups: None,
            timestamps: None,
        }
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.features.nrows()
    }

    /// Number of feature columns.
    pub fn n_features(&self) -> usize {
        self.features.ncols()
    }

    /// The feature matrix.
    pub fn features(&self) -> ArrayView2<'_, f64> {
        self.features.view()
    }

    /// Feature column names.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Feature kinds, one per column.
    pub fn feature_kinds(&self) -> &[FeatureKind] {
        &self.feature_kinds
    }

    /// The target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Name of the target column, when known.
    pub fn target_name(&self) -> Option<&str> {
        self.target_name.as_deref()
    }

    /// Sample weights, when given.
    pub fn weights(&self) -> Option<&Array1<f64>> {
        self.weights.as_ref()
    }

    /// Group ids (for group k-fold), when given.
    pub fn groups(&self) -> Option<&[String]> {
        self.groups.as_deref()
    }

    /// Timestamps in milliseconds since the Unix epoch (for time-ordered splits), when given.
    pub fn timestamps(&self) -> Option<&[i64]> {
        self.timestamps.as_deref()
    }

    /// A new dataset holding `rows` in that order (repeats allowed, as in bootstrap samples).
    ///
    /// Fails when a row index is out of range.
    pub fn select_rows(&self, rows: &[usize]) -> Result<Dataset> {
        if let Some(&bad) = rows.iter().find(|&&r| r >= self.n_rows()) {
            return Err(Error::InvalidInput(format!(
                "row index {bad} out of range for a dataset of {} rows",
                self.n_rows()
            )));
        }
        Ok(Dataset {
            features: self.features.select(Axis(0), rows),
            feature_names: self.feature_names.clone(),
            feature_kinds: self.feature_kinds.clone(),
            target: self.target.select(rows),
            target_name: self.target_name.clone(),
            weights: self
                .weights
                .as_ref()
                .map(|w| rows.iter().map(|&r| w[r]).collect()),
            groups: self
                .groups
                .as_ref()
                .map(|g| rows.iter().map(|&r| g[r].clone()).collect()),
            timestamps: self
                .timestamps
                .as_ref()
                .map(|t| rows.iter().map(|&r| t[r]).collect()),
        })
    }

    /// Splits the dataset into its parts, for code that needs ownership of the arrays.
    pub fn into_parts(self) -> (Array2<f64>, Vec<String>, Target) {
        (self.features, self.feature_names, self.target)
    }
}

/// Builder for [`Dataset`]; see [`Dataset::builder`].
#[derive(Debug, Clone)]
pub struct DatasetBuilder {
    features: Array2<f64>,
    feature_names: Option<Vec<String>>,
    feature_kinds: Option<Vec<FeatureKind>>,
    target: Target,
    target_name: Option<String>,
    weights: Option<Array1<f64>>,
    groups: Option<Vec<String>>,
    timestamps: Option<Vec<i64>>,
}

impl DatasetBuilder {
    /// Names of the feature columns (default: `f0`, `f1`, ...).
    pub fn feature_names<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.feature_names = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Kinds of the feature columns (default: all numeric).
    pub fn feature_kinds(mut self, kinds: Vec<FeatureKind>) -> Self {
        self.feature_kinds = Some(kinds);
        self
    }

    /// The target.
    pub fn target(mut self, target: Target) -> Self {
        self.target = target;
        self
    }

    /// Name of the target column.
    pub fn target_name(mut self, name: impl Into<String>) -> Self {
        self.target_name = Some(name.into());
        self
    }

    /// Sample weights, one per row, finite and non-negative.
    pub fn weights(mut self, weights: Array1<f64>) -> Self {
        self.weights = Some(weights);
        self
    }

    /// Group ids, one per row.
    pub fn groups(mut self, groups: Vec<String>) -> Self {
        self.groups = Some(groups);
        self
    }

    /// Timestamps (ms since the Unix epoch), one per row.
    pub fn timestamps(mut self, timestamps: Vec<i64>) -> Self {
        self.timestamps = Some(timestamps);
        self
    }

    /// Validates every part against the feature matrix and builds the dataset.
    pub fn build(self) -> Result<Dataset> {
        let (rows, cols) = self.features.dim();
        let feature_names = match self.feature_names {
            Some(names) => {
                if names.len() != cols {
                    return Err(Error::shape("feature names vs columns", cols, names.len()));
                }
                names
            }
            None => (0..cols).map(|i| format!("f{i}")).collect(),
        };
        let feature_kinds = match self.feature_kinds {
            Some(kinds) => {
                if kinds.len() != cols {
                    return Err(Error::shape("feature kinds vs columns", cols, kinds.len()));
                }
                kinds
            }
            None => vec![FeatureKind::Numeric; cols],
        };
        match &self.target {
            Target::Classes {
                labels,
                class_names,
            } => {
                if labels.len() != rows {
                    return Err(Error::shape("target length vs rows", rows, labels.len()));
                }
                if class_names.is_empty() {
                    return Err(Error::InvalidInput(
                        "a classification target needs at least one class name".into(),
                    ));
                }
                if let Some((row, &label)) = labels
                    .iter()
                    .enumerate()
                    .find(|(_, l)| **l >= class_names.len())
                {
                    return Err(Error::InvalidInput(format!(
                        "label {label} at row {row} is out of range for {} classes",
                        class_names.len()
                    )));
                }
            }
            Target::Continuous(values) => {
                if values.len() != rows {
                    return Err(Error::shape("target length vs rows", rows, values.len()));
                }
                if let Some((row, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite())
                {
                    return Err(Error::NonFinite {
                        what: "target".into(),
                        row,
                        value,
                    });
                }
            }
            Target::None => {}
        }
        if let Some(weights) = &self.weights {
            if weights.len() != rows {
                return Err(Error::shape("weights length vs rows", rows, weights.len()));
            }
            if let Some((row, &value)) = weights
                .iter()
                .enumerate()
                .find(|(_, w)| !w.is_finite() || **w < 0.0)
            {
                return Err(Error::NonFinite {
                    what: "sample weights (must be finite and >= 0)".into(),
                    row,
                    value,
                });
            }
        }
        if let Some(groups) = &self.groups
            && groups.len() != rows
        {
            return Err(Error::shape("groups length vs rows", rows, groups.len()));
        }
        if let Some(timestamps) = &self.timestamps
            && timestamps.len() != rows
        {
            return Err(Error::shape(
                "timestamps length vs rows",
                rows,
                timestamps.len(),
            ));
        }
        Ok(Dataset {
            features: self.features,
            feature_names,
            feature_kinds,
            target: self.target,
            target_name: self.target_name,
            weights: self.weights,
            groups: self.groups,
            timestamps: self.timestamps,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn rejects_wrong_target_length() {
        let err = Dataset::builder(array![[1.0], [2.0]])
            .target(Target::Continuous(array![1.0]))
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("target length vs rows"), "{err}");
    }

    #[test]
    fn rejects_nan_target() {
        let err = Dataset::builder(array![[1.0], [2.0]])
            .target(Target::Continuous(array![1.0, f64::NAN]))
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::NonFinite { row: 1, .. }), "{err}");
    }

    #[test]
    fn rejects_label_out_of_range() {
        let err = Dataset::builder(array![[1.0], [2.0]])
            .target(Target::Classes {
                labels: vec![0, 2],
                class_names: vec!["a".into(), "b".into()],
            })
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("label 2 at row 1"), "{err}");
    }

    #[test]
    fn select_rows_keeps_everything_aligned() -> Result<()> {
        let data = Dataset::builder(array![[1.0], [2.0], [3.0]])
            .target(Target::Continuous(array![10.0, 20.0, 30.0]))
            .weights(array![1.0, 2.0, 3.0])
            .timestamps(vec![100, 200, 300])
            .build()?;
        let picked = data.select_rows(&[2, 0, 2])?;
        assert_eq!(picked.features(), array![[3.0], [1.0], [3.0]]);
        assert_eq!(
            picked.target(),
            &Target::Continuous(array![30.0, 10.0, 30.0])
        );
        assert_eq!(picked.weights(), Some(&array![3.0, 1.0, 3.0]));
        assert_eq!(picked.timestamps(), Some(&[300, 100, 300][..]));
        assert!(data.select_rows(&[3]).is_err());
        Ok(())
    }
}
