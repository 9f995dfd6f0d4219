//! [`ShapValues`]: per-row, per-feature, per-output attributions with their expected values,
//! and what reports need from them: global summaries, per-row rationales and named columns.

use crate::{ExplainError, Result};
use ndarray::{Array2, Array3, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// Attributions of a batch of rows: `values[[row, feature, output]]`.
///
/// For every row and output, `expected_value[output]` plus the sum over features equals the
/// explained output (the raw score for trees, the model output for KernelSHAP).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShapValues {
    /// Attributions, rows × features × outputs.
    pub values: Array3<f64>,
    /// The expected output (the attribution baseline), one per output.
    pub expected_value: Vec<f64>,
    /// The explained rows (rows × features), for rationales and direction summaries.
    pub data: Array2<f64>,
    /// Feature names in column order.
    pub feature_names: Vec<String>,
    /// Output names (class names, or `"value"` for one output).
    pub output_names: Vec<String>,
}

/// How a feature's value relates to its attribution across the explained rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Higher values push the output up (correlation ≥ 0.1).
    HigherIncreases,
    /// Higher values push the output down (correlation ≤ −0.1).
    HigherDecreases,
    /// No clear monotone relation, or the feature is constant.
    Mixed,
}

/// One feature's global importance for one output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSummary {
    /// Feature name.
    pub feature: String,
    /// Mean absolute attribution (the usual global SHAP importance).
    pub mean_abs: f64,
    /// Mean signed attribution.
    pub mean: f64,
    /// Pearson correlation between the feature's value and its attribution (`None` when
    /// either is constant or a value is missing).
    pub correlation: Option<f64>,
    /// The direction the correlation implies.
    pub direction: Direction,
}

/// One feature's contribution to one row's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// Feature name.
    pub feature: String,
    /// The row's value of the feature.
    pub value: f64,
    /// The attribution.
    pub attribution: f64,
}

/// The explanation of one row's output: prediction, baseline and the strongest contributions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowExplanation {
    /// Row index in the explained batch.
    pub row: usize,
    /// Output name.
    pub output: String,
    /// The explained output (expected value plus all attributions).
    pub prediction: f64,
    /// The expected value.
    pub expected_value: f64,
    /// The strongest positive contributions, largest first.
    pub positive: Vec<Contribution>,
    /// The strongest negative contributions, most negative first.
    pub negative: Vec<Contribution>,
}

impl RowExplanation {
    /// A one-line text rationale, e.g.
    /// `value 3.10 (expected 2.20): up by x0 = 0.7 (+0.90); down by x1 = 2 (-0.10)`.
    pub fn rationale(&self) -> String {
        let list = |cs: &[Contribution]| {
            cs.iter()
                .map(|c| {
                    format!(
                        "{} = {} ({:+.4})",
                        c.feature,
                        fmt_value(c.value),
                        c.attribution
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut text = format!(
            "{} {:.4} (expected {:.4})",
            self.output, self.prediction, self.expected_value
        );
        if !self.positive.is_empty() {
            text.push_str(&format!(": up by {}", list(&self.positive)));
        }
        if !self.negative.is_empty() {
            text.push_str(if self.positive.is_empty() { ": " } else { "; " });
            text.push_str(&format!("down by {}", list(&self.negative)));
        }
        text
    }
}

fn fmt_value(v: f64) -> String {
    if v.is_nan() {
        "missing".to_string()
    } else if v == v.trunc() && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.4}")
    }
}

impl ShapValues {
    /// Assembles attributions, checking that every part agrees in shape.
    ///
    /// ```
    /// use ndarray::{Array3, array};
    /// use specweave_explain::ShapValues;
    ///
    /// let values = Array3::from_shape_vec((1, 2, 1), vec![0.5, -0.25])?;
    /// let shap = ShapValues::new(values, vec![1.0], array![[3.0, 4.0]], vec!["a".into(), "b".into()], vec!["value".into()])?;
    /// assert_eq!(shap.outputs_explained()[[0, 0]], 1.25);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        values: Array3<f64>,
        expected_value: Vec<f64>,
        data: Array2<f64>,
        feature_names: Vec<String>,
        output_names: Vec<String>,
    ) -> Result<ShapValues> {
        let (rows, features, outputs) = values.dim();
        if data.dim() != (rows, features) {
            return Err(ExplainError::shape(
                "explained rows vs attributions",
                format!("{rows}x{features}"),
                format!("{}x{}", data.nrows(), data.ncols()),
            ));
        }
        if feature_names.len() != features {
            return Err(ExplainError::shape(
                "feature names",
                features,
                feature_names.len(),
            ));
        }
        if expected_value.len() != outputs || output_names.len() != outputs {
            return Err(ExplainError::shape(
                "expected values and output names vs outputs",
                outputs,
                format!("{} and {}", expected_value.len(), output_names.len()),
            ));
        }
        Ok(ShapValues {
            values,
            expected_value,
            data,
            feature_names,
            output_names,
        })
    }

    /// Number of explained rows.
    pub fn n_rows(&self) -> usize {
        self.values.dim().0
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.values.dim().1
    }

    /// Number of outputs.
    pub fn n_outputs(&self) -> usize {
        self.values.dim().2
    }

    /// The attributions of one output, rows × features.
    pub fn output(&self, output: usize) -> ArrayView2<'_, f64> {
        self.values.index_axis(Axis(2), output)
    }

    /// Expected value plus attributions, rows × outputs: what the attributions explain.
    pub fn outputs_explained(&self) -> Array2<f64> {
        let mut out = self.values.sum_axis(Axis(1));
        for (k, e) in self.expected_value.iter().enumerate() {
            out.column_mut(k).mapv_inplace(|v| v + e);
        }
        out
    }

    /// The largest absolute difference between [`outputs_explained`](Self::outputs_explained)
    /// and `model_outputs` (rows × outputs).
    pub fn additivity_error(&self, model_outputs: ArrayView2<'_, f64>) -> Result<f64> {
        let explained = self.outputs_explained();
        if explained.dim() != model_outputs.dim() {
            return Err(ExplainError::shape(
                "model outputs vs attributions",
                format!("{:?}", explained.dim()),
                format!("{:?}", model_outputs.dim()),
            ));
        }
        Ok(explained
            .iter()
            .zip(model_outputs.iter())
            .fold(0.0, |m, (a, b)| m.max((a - b).abs())))
    }

    /// Global importance of every feature for `output`, most important first.
    pub fn global_summary(&self, output: usize) -> Result<Vec<FeatureSummary>> {
        self.check_output(output)?;
        let phi = self.output(output);
        let mut summary: Vec<FeatureSummary> = (0..self.n_features())
            .map(|f| {
                let column = phi.column(f);
                let n = column.len().max(1) as f64;
                let mean_abs = column.iter().map(|v| v.abs()).sum::<f64>() / n;
                let mean = column.sum() / n;
                let correlation = pearson(self.data.column(f).iter(), column.iter());
                let direction = match correlation {
                    Some(c) if c >= 0.1 => Direction::HigherIncreases,
                    Some(c) if c <= -0.1 => Direction::HigherDecreases,
                    _ => Direction::Mixed,
                };
                FeatureSummary {
                    feature: self.feature_names[f].clone(),
                    mean_abs,
                    mean,
                    correlation,
                    direction,
                }
            })
            .collect();
        summary.sort_by(|a, b| b.mean_abs.total_cmp(&a.mean_abs));
        Ok(summary)
    }

    /// The `k` strongest positive and `k` strongest negative contributions to one row's output.
    pub fn explain_row(&self, row: usize, output: usize, k: usize) -> Result<RowExplanation> {
        self.check_output(output)?;
        if row >= self.n_rows() {
            return Err(ExplainError::param(
                "row",
                format!(
                    "row {row} is out of range; {} rows were explained",
                    self.n_rows()
                ),
            ));
        }
        let mut contributions: Vec<Contribution> = (0..self.n_features())
            .map(|f| Contribution {
                feature: self.feature_names[f].clone(),
                value: self.data[[row, f]],
                attribution: self.values[[row, f, output]],
            })
            .collect();
        contributions.sort_by(|a, b| b.attribution.total_cmp(&a.attribution));
        let positive = contributions
            .iter()
            .filter(|c| c.attribution > 0.0)
            .take(k)
            .cloned()
            .collect();
        let negative = contributions
            .iter()
            .rev()
            .filter(|c| c.attribution < 0.0)
            .take(k)
            .cloned()
            .collect();
        let prediction = self.expected_value[output]
            + (0..self.n_features())
                .map(|f| self.values[[row, f, output]])
                .sum::<f64>();
        Ok(RowExplanation {
            row,
            output: self.output_names[output].clone(),
            prediction,
            expected_value: self.expected_value[output],
            positive,
            negative,
        })
    }

    /// The attributions as named columns for a table writer: for each output and feature a
    /// column `shap_<feature>` (suffixed `__<output>` when there are several outputs), then
    /// one `expected_value` column per output. Each column holds one value per row.
    pub fn columns(&self) -> Vec<(String, Vec<f64>)> {
        let suffix = |k: usize| {
            if self.n_outputs() == 1 {
                String::new()
            } else {
                format!("__{}", self.output_names[k])
            }
        };
        let mut columns = Vec::with_capacity(self.n_outputs() * (self.n_features() + 1));
        for k in 0..self.n_outputs() {
            for (f, name) in self.feature_names.iter().enumerate() {
                columns.push((
                    format!("shap_{name}{}", suffix(k)),
                    (0..self.n_rows()).map(|r| self.values[[r, f, k]]).collect(),
                ));
            }
        }
        for k in 0..self.n_outputs() {
            columns.push((
                format!("expected_value{}", suffix(k)),
                vec![self.expected_value[k]; self.n_rows()],
            ));
        }
        columns
    }

    fn check_output(&self, output: usize) -> Result<()> {
        if output >= self.n_outputs() {
            return Err(ExplainError::param(
                "output",
                format!(
                    "output {output} is out of range; there are {} outputs",
                    self.n_outputs()
                ),
            ));
        }
        Ok(())
    }
}

/// Pearson correlation, `None` when undefined (constant input or a non-finite value).
fn pearson<'a>(
    xs: impl Iterator<Item = &'a f64> + Clone,
    ys: impl Iterator<Item = &'a f64> + Clone,
) -> Option<f64> {
    let pairs: Vec<(f64, f64)> = xs.zip(ys).map(|(&x, &y)| (x, y)).collect();
    if pairs.len() < 2 || pairs.iter().any(|(x, y)| !x.is_finite() || !y.is_finite()) {
        return None;
    }
    let n = pairs.len() as f64;
    let (mx, my) = pairs
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in &pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    Some(sxy / (sxx * syy).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn sample() -> ShapValues {
        let values =
            Array3::from_shape_vec((3, 2, 1), vec![0.5, -0.1, 1.0, -0.2, 1.5, 0.3]).expect("shape");
        ShapValues::new(
            values,
            vec![2.0],
            array![[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]],
            vec!["age".into(), "plan".into()],
            vec!["value".into()],
        )
        .expect("valid")
    }

    #[test]
    fn summary_ranks_by_mean_abs_and_finds_direction() {
        let summary = sample().global_summary(0).expect("summary");
        assert_eq!(summary[0].feature, "age");
        assert!((summary[0].mean_abs - 1.0).abs() < 1e-12);
        assert_eq!(summary[0].direction, Direction::HigherIncreases);
        assert_eq!(summary[1].direction, Direction::Mixed);
        assert!(summary[1].correlation.is_none());
    }

    #[test]
    fn row_explanation_and_rationale() {
        let row = sample().explain_row(1, 0, 3).expect("row");
        assert!((row.prediction - 2.8).abs() < 1e-12);
        assert_eq!(row.positive.len(), 1);
        assert_eq!(row.negative[0].feature, "plan");
        let text = row.rationale();
        assert!(text.contains("age = 2 (+1.0000)"), "{text}");
        assert!(text.contains("down by plan = 5 (-0.2000)"), "{text}");
    }

    #[test]
    fn columns_are_named_and_complete() {
        let columns = sample().columns();
        let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["shap_age", "shap_plan", "expected_value"]);
        assert_eq!(columns[1].1, vec![-0.1, -0.2, 0.3]);
    }

    #[test]
    fn rejects_mismatched_shapes_and_bad_indices() {
        let bad = ShapValues::new(
            Array3::zeros((2, 2, 1)),
            vec![0.0],
            Array2::zeros((3, 2)),
            vec!["a".into(), "b".into()],
            vec!["v".into()],
        );
        assert!(matches!(bad, Err(ExplainError::Shape { .. })));
        assert!(sample().explain_row(7, 0, 2).is_err());
        assert!(sample().global_summary(1).is_err());
    }
}
