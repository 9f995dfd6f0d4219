//! The inference pipeline: raw JSON records → schema validation → features → model →
//! label, probabilities or value and, on request, the strongest contributions per prediction.

use crate::bundle::ModelBundle;
use crate::drift::DriftMonitor;
use crate::error::{Result, ServeError};
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use specweave_core::{Dataset, FeatureKind, Predictions};
use specweave_data::{ColumnSchema, ColumnType};
use specweave_explain::{RowExplanation, TreeExplainer};

/// A raw input record: field name → JSON value.
pub type Record = Map<String, Value>;

/// The prediction for one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Predicted class name (classifiers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Probability per class, in class order (classifiers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probabilities: Option<Vec<f64>>,
    /// Predicted value (regressors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// The strongest contributions, when an explanation was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<RowExplanation>,
}

/// A bundle ready to predict, with its live drift counts.
///
/// ```
/// use ndarray::Array2;
/// use specweave_core::{Dataset, Target};
/// use specweave_serve::{BundleBuilder, ModelBundle, Predictor};
///
/// let x = Array2::from_shape_fn((200, 2), |(i, j)| ((i * (j + 3)) % 17) as f64);
/// let values = x.rows().into_iter().map(|r| 2.0 * r[0] - r[1]).collect();
/// let data = Dataset::builder(x)
///     .feature_names(["a", "b"])
///     .target(Target::Continuous(values))
///     .build()?;
/// let model = specweave_train::learner_from_params("random_forest", &serde_json::json!({"n_estimators": 5}))?.fit(&data)?;
/// let dir = tempfile::tempdir()?;
/// BundleBuilder::new(model.as_ref()).write_to(dir.path())?;
/// let predictor = Predictor::new(ModelBundle::load(dir.path())?);
///
/// let record = serde_json::json!({"a": 4.0, "b": 1.0});
/// let out = predictor.predict(&[record.as_object().expect("an object").clone()], true)?;
/// assert!(out[0].value.is_some());
/// assert!(out[0].explanation.is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Predictor {
    bundle: ModelBundle,
    inputs: Vec<InputColumn>,
    model_features: Vec<String>,
    drift: Option<DriftMonitor>,
}

#[derive(Debug)]
struct InputColumn {
    name: String,
    schema: Option<ColumnSchema>,
}

impl Predictor {
    /// Prepares a loaded bundle for prediction.
    pub fn new(bundle: ModelBundle) -> Predictor {
        let inputs = bundle
            .raw_input_names()
            .into_iter()
            .map(|name| InputColumn {
                schema: bundle.schema().and_then(|s| s.column(&name)).cloned(),
                name,
            })
            .collect();
        let drift = bundle.reference().cloned().map(DriftMonitor::new);
        Predictor {
            model_features: bundle.feature_names(),
            inputs,
            drift,
            bundle,
        }
    }

    /// The bundle.
    pub fn bundle(&self) -> &ModelBundle {
        &self.bundle
    }

    pub(crate) fn drift(&self) -> Option<&DriftMonitor> {
        self.drift.as_ref()
    }

    /// Validates records against the schema and turns them into model inputs
    /// (rows × model features).
    pub fn features(&self, records: &[Record]) -> Result<Array2<f64>> {
        if records.is_empty() {
            return Err(ServeError::Request("no records to predict".into()));
        }
        let mut raw = Array2::<f64>::zeros((records.len(), self.inputs.len()));
        let mut kinds: Vec<FeatureKind> = self.inputs.iter().map(column_kind).collect();
        for (row, record) in records.iter().enumerate() {
            self.check_fields(row, record)?;
            for (j, input) in self.inputs.iter().enumerate() {
                raw[[row, j]] = field_value(row, input, record.get(&input.name))?;
            }
        }
        let Some(pipeline) = self.bundle.pipeline() else {
            return Ok(raw);
        };
        let names: Vec<&str> = self.inputs.iter().map(|c| c.name.as_str()).collect();
        let data = Dataset::builder(raw)
            .feature_names(names)
            .feature_kinds(std::mem::take(&mut kinds))
            .build()?;
        let transformed = pipeline.transform(&data)?;
        let mut out = Array2::<f64>::zeros((records.len(), self.model_features.len()));
        for (j, name) in self.model_features.iter().enumerate() {
            let Some(at) = transformed.feature_names().iter().position(|n| n == name) else {
                return Err(ServeError::Request(format!(
                    "the feature pipeline did not produce model feature `{name}`"
                )));
            };
            out.column_mut(j).assign(&transformed.features().column(at));
        }
        Ok(out)
    }

    fn check_fields(&self, row: usize, record: &Record) -> Result<()> {
        for field in record.keys() {
            let known = match self.bundle.schema() {
                Some(schema) => schema.column(field).is_some(),
                None => self.inputs.iter().any(|c| &c.name == field),
            };
            if !known {
                return Err(ServeError::Input {
                    row,
                    field: field.clone(),
                    rule: "extra_column",
                    message: "the field is not an input of this model".into(),
                });
            }
        }
        Ok(())
    }

    /// Predicts raw records; with `explain`, adds the strongest contributions of tree models.
    pub fn predict(&self, records: &[Record], explain: bool) -> Result<Vec<Prediction>> {
        let features = self.features(records)?;
        self.predict_features(features.view(), explain)
    }

    /// Predicts the rows of an Arrow record batch (columns by raw input name), with the same
    /// schema checks as JSON records.
    pub fn predict_batch(
        &self,
        batch: &arrow::record_batch::RecordBatch,
        explain: bool,
    ) -> Result<Vec<Prediction>> {
        self.predict(&crate::arrow_input::records_from_batch(batch)?, explain)
    }

    /// Predicts model inputs directly (rows × model features).
    pub fn predict_features(
        &self,
        features: ArrayView2<'_, f64>,
        explain: bool,
    ) -> Result<Vec<Prediction>> {
        let predictions = self.bundle.model().predict(features)?;
        if let Some(drift) = &self.drift {
            drift.observe(features);
        }
        let mut out = self.outputs(&predictions)?;
        if explain {
            let explanations = self.explain(features, &out)?;
            for (prediction, explanation) in out.iter_mut().zip(explanations) {
                prediction.explanation = Some(explanation);
            }
        }
        Ok(out)
    }

    fn outputs(&self, predictions: &Predictions) -> Result<Vec<Prediction>> {
        Ok(match predictions {
            Predictions::Values(values) => values
                .iter()
                .map(|&v| Prediction {
                    label: None,
                    probabilities: None,
                    value: Some(v),
                    explanation: None,
                })
                .collect(),
            Predictions::Probabilities {
                probabilities,
                class_names,
            } => {
                let labels = predictions.labels().unwrap_or_default();
                let threshold = self.bundle.manifest().threshold;
                probabilities
                    .rows()
                    .into_iter()
                    .zip(labels)
                    .map(|(row, argmax)| {
                        let label = match threshold {
                            Some(t) if row.len() == 2 => usize::from(row[1] >= t),
                            _ => argmax,
                        };
                        Prediction {
                            label: class_names.get(label).cloned(),
                            probabilities: Some(row.to_vec()),
                            value: None,
                            explanation: None,
                        }
                    })
                    .collect()
            }
        })
    }

    fn explain(
        &self,
        features: ArrayView2<'_, f64>,
        predictions: &[Prediction],
    ) -> Result<Vec<RowExplanation>> {
        let Some(trees) = self.bundle.model().as_tree_model() else {
            return Err(ServeError::Request(format!(
                "explanations need a tree model; `{}` is not one",
                self.bundle.model().info().algorithm
            )));
        };
        let explainer = TreeExplainer::from_model(trees)?
            .feature_names(self.model_features.iter().cloned())?
            .check_additivity(false);
        let values = explainer.shap_values(features)?;
        let n_outputs = values.n_outputs();
        let class_names = &self.bundle.manifest().class_names;
        let top_k = self.bundle.manifest().explainer.top_k;
        predictions
            .iter()
            .enumerate()
            .map(|(row, prediction)| {
                // one output per class explains the predicted class; a single margin output
                // (binary boosting, regression) is explained as it is
                let output = match (&prediction.label, n_outputs) {
                    (Some(label), n) if n > 1 && n == class_names.len() => {
                        class_names.iter().position(|c| c == label).unwrap_or(0)
                    }
                    _ => 0,
                };
                Ok(values.explain_row(row, output, top_k)?)
            })
            .collect()
    }
}

fn column_kind(column: &InputColumn) -> FeatureKind {
    match column
        .schema
        .as_ref()
        .map(|s| (s.column_type, &s.categories))
    {
        Some((ColumnType::Categorical, Some(categories))) => FeatureKind::Categorical {
            categories: categories.clone(),
        },
        Some((ColumnType::Bool, _)) => FeatureKind::Boolean,
        _ => FeatureKind::Numeric,
    }
}

fn input_error(row: usize, field: &str, rule: &'static str, message: String) -> ServeError {
    ServeError::Input {
        row,
        field: field.to_owned(),
        rule,
        message,
    }
}

/// One field as a model-input number, checked against its schema column.
fn field_value(row: usize, column: &InputColumn, value: Option<&Value>) -> Result<f64> {
    let name = column.name.as_str();
    let Some(schema) = &column.schema else {
        return match value {
            Some(Value::Number(n)) => n.as_f64().ok_or_else(|| {
                input_error(
                    row,
                    name,
                    "type_mismatch",
                    "the number is not finite".into(),
                )
            }),
            Some(Value::Null) => Ok(f64::NAN),
            None => Err(input_error(
                row,
                name,
                "missing_column",
                "the field is required".into(),
            )),
            Some(other) => Err(input_error(
                row,
                name,
                "type_mismatch",
                format!("expected a number, got {}", json_kind(other)),
            )),
        };
    };
    let value = match value {
        None | Some(Value::Null) if schema.nullable => return Ok(f64::NAN),
        None => {
            return Err(input_error(
                row,
                name,
                "missing_column",
                "the field is required".into(),
            ));
        }
        Some(Value::Null) => {
            return Err(input_error(
                row,
                name,
                "unexpected_null",
                "the column is not nullable".into(),
            ));
        }
        Some(v) => v,
    };
    let mismatch = |expected: &str| {
        input_error(
            row,
            name,
            "type_mismatch",
            format!("expected {expected}, got {}", json_kind(value)),
        )
    };
    let number = match schema.column_type {
        ColumnType::Float | ColumnType::Int => {
            let n = value.as_f64().ok_or_else(|| mismatch("a number"))?;
            if schema.column_type == ColumnType::Int && n.fract() != 0.0 {
                return Err(mismatch("a whole number"));
            }
            n
        }
        ColumnType::Bool => match value {
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Number(n) if n.as_f64() == Some(0.0) || n.as_f64() == Some(1.0) => {
                n.as_f64().unwrap_or_default()
            }
            _ => return Err(mismatch("true or false")),
        },
        ColumnType::Categorical => {
            let text = value.as_str().ok_or_else(|| mismatch("a category name"))?;
            let categories = schema.categories.as_deref().unwrap_or_default();
            return categories
                .iter()
                .position(|c| c == text)
                .map(|code| code as f64)
                .ok_or_else(|| {
                    input_error(
                        row,
                        name,
                        "unknown_category",
                        format!("`{text}` is not one of {categories:?}"),
                    )
                });
        }
        ColumnType::Timestamp => {
            let text = value.as_str().ok_or_else(|| mismatch("an RFC 3339 time"))?;
            return chrono::DateTime::parse_from_rfc3339(text)
                .map(|t| t.timestamp_millis() as f64)
                .map_err(|e| mismatch(&format!("an RFC 3339 time ({e})")));
        }
        ColumnType::String => {
            return Err(input_error(
                row,
                name,
                "type_mismatch",
                "free-text columns cannot be model inputs".into(),
            ));
        }
    };
    if schema.min.is_some_and(|min| number < min) || schema.max.is_some_and(|max| number > max) {
        return Err(input_error(
            row,
            name,
            "out_of_range",
            format!(
                "{number} is outside [{}, {}]",
                schema.min.map_or("-inf".into(), |v| v.to_string()),
                schema.max.map_or("inf".into(), |v| v.to_string())
            ),
        ));
    }
    Ok(number)
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
