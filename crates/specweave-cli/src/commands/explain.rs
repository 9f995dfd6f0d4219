//! `specweave explain`: SHAP values, LIME weights or permutation importances of a model on
//! a data file, written to Parquet, with the global summary printed.
//!
//! The model is one of our model files or a LightGBM (`dump_model()`) / XGBoost
//! (`save_model`) JSON file. The explainers are `specweave-explain`'s; this module only
//! reads the inputs, picks the explainer and writes the table.

use super::CommandError;
use ndarray::{Array2, ArrayView2, s};
use specweave::core::{Model, ModelFile, Predictions};
use specweave::data::{Table, TableBuilder, read_table, write_parquet};
use specweave::explain::{
    IMPORTED_ALGORITHM, ImportedModel, KernelExplainer, LimeTabular, PermutationImportance,
    ShapValues, TreeExplainer, import_lightgbm, import_xgboost,
};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Which explainer to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    /// Exact path-dependent TreeSHAP (tree models only).
    Tree,
    /// Interventional TreeSHAP over background rows (tree models only).
    Interventional,
    /// KernelSHAP over a k-means summary of the background (any model).
    Kernel,
    /// LIME tabular explanations (any model).
    Lime,
    /// Permutation importance; needs `--target`.
    Permutation,
}

/// Arguments of `specweave explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A specweave model file, or a LightGBM / XGBoost JSON model.
    pub model: PathBuf,
    /// Rows to explain (CSV or Parquet) with a column per model feature.
    #[arg(long)]
    pub data: PathBuf,
    /// The explainer; defaults to `tree` for tree models and `kernel` otherwise.
    #[arg(long, value_enum)]
    pub method: Option<Method>,
    /// Background rows for interventional, kernel and LIME (defaults to the data file).
    #[arg(long)]
    pub background: Option<PathBuf>,
    /// Explain only the first N rows of the data.
    #[arg(long)]
    pub rows: Option<usize>,
    /// Background rows used at most (the first ones); KernelSHAP summarises them further.
    #[arg(long, default_value_t = 100)]
    pub background_rows: usize,
    /// k-means centroids summarising the background for KernelSHAP.
    #[arg(long, default_value_t = 10)]
    pub kernel_centroids: usize,
    /// The label column, for permutation importance.
    #[arg(long)]
    pub target: Option<String>,
    /// Shuffles per feature for permutation importance.
    #[arg(long, default_value_t = 5)]
    pub repeats: usize,
    /// Which output to summarise and explain with LIME (class index; 0 for regression).
    #[arg(long, default_value_t = 0)]
    pub output: usize,
    /// Seed of the sampling explainers.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Features printed in the summary.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Where to write the values (Parquet).
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `specweave explain`.
pub fn run(args: ExplainArgs) -> Result<ExitCode, CommandError> {
    let model = load_any_model(&args.model)?;
    let info = model.info();
    let data = read_table(&args.data)?;
    let mut rows = feature_matrix(&data, &args.data, &info.feature_names)?;
    if let Some(n) = args.rows {
        rows = rows.slice(s![..n.min(rows.nrows()), ..]).to_owned();
    }
    if rows.nrows() == 0 {
        return Err(format!("{}: no rows to explain", args.data.display()).into());
    }
    let method = args.method.unwrap_or(if model.as_tree_model().is_some() {
        Method::Tree
    } else {
        Method::Kernel
    });
    let background = || -> Result<Array2<f64>, CommandError> {
        let matrix = match &args.background {
            Some(path) => feature_matrix(&read_table(path)?, path, &info.feature_names)?,
            None => rows.clone(),
        };
        let n = args.background_rows.min(matrix.nrows());
        Ok(matrix.slice(s![..n, ..]).to_owned())
    };

    let table = match method {
        Method::Tree | Method::Interventional => {
            let tree_model = model.as_tree_model().ok_or_else(|| {
                format!(
                    "--method {} needs a tree model; `{}` is not one (use kernel, lime or permutation)",
                    method_name(method),
                    info.algorithm
                )
            })?;
            let explainer =
                TreeExplainer::from_model(tree_model)?.feature_names(&info.feature_names)?;
            let shap = if method == Method::Tree {
                explainer.shap_values(rows.view())?
            } else {
                explainer.interventional_values(rows.view(), background()?.view())?
            };
            print_shap_summary(&shap, args.output, args.top)?;
            shap_table(&shap)?
        }
        Method::Kernel => {
            let background = background()?;
            let centroids = args.kernel_centroids.min(background.nrows()).max(1);
            let shap = KernelExplainer::summarized(
                model.as_ref(),
                background.view(),
                centroids,
                args.seed,
            )?
            .seed(args.seed)
            .shap_values(rows.view())?;
            print_shap_summary(&shap, args.output, args.top)?;
            shap_table(&shap)?
        }
        Method::Lime => {
            let explainer = LimeTabular::new(background()?.view())?
                .feature_names(&info.feature_names)?
                .seed(args.seed);
            let explanations = explainer.explain_rows(model.as_ref(), rows.view(), args.output)?;
            lime_table(&explanations, &info.feature_names, args.top)?
        }
        Method::Permutation => {
            let target = args
                .target
                .as_deref()
                .ok_or("--method permutation needs --target COL (the label column)")?;
            permutation_table(&*model, &data, &args, rows.view(), target)?
        }
    };
    write_atomically(&args.out, &table)?;
    println!(
        "wrote {} rows × {} columns to {}",
        table.n_rows(),
        table.column_names().len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Tree => "tree",
        Method::Interventional => "interventional",
        Method::Kernel => "kernel",
        Method::Lime => "lime",
        Method::Permutation => "permutation",
    }
}

/// Our model files (checked by their envelope), else LightGBM or XGBoost JSON.
fn load_any_model(path: &Path) -> Result<Box<dyn Model>, CommandError> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let context = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    if let Ok(file) = ModelFile::decode(&bytes) {
        if file.header.info.algorithm == IMPORTED_ALGORITHM {
            return Ok(Box::new(
                ImportedModel::from_bytes(&bytes).map_err(|e| context(&e))?,
            ));
        }
        return specweave::train::load_model(&bytes).map_err(|e| context(&e).into());
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        format!(
            "{}: neither a specweave model file nor a JSON model (LightGBM dump_model or XGBoost save_model)",
            path.display()
        )
    })?;
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "{}: not a specweave model file, and not JSON: {e}",
            path.display()
        )
    })?;
    let imported = if json.get("tree_info").is_some() {
        import_lightgbm(text)
    } else if json.get("learner").is_some() {
        import_xgboost(text)
    } else {
        return Err(format!(
            "{}: JSON model not recognised: expected LightGBM `dump_model()` (with `tree_info`) or XGBoost `save_model` (with `learner`)",
            path.display()
        )
        .into());
    };
    Ok(Box::new(imported.map_err(|e| context(&e))?))
}

/// The model's feature columns, in the model's order, as a finite `f64` matrix.
fn feature_matrix(
    table: &Table,
    path: &Path,
    features: &[String],
) -> Result<Array2<f64>, CommandError> {
    let available = table.column_names();
    let missing: Vec<&str> = features
        .iter()
        .filter(|f| !available.contains(f))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "{}: the model needs column(s) {} (columns: {})",
            path.display(),
            missing.join(", "),
            available.join(", ")
        )
        .into());
    }
    let mut matrix = Array2::zeros((table.n_rows(), features.len()));
    for (j, name) in features.iter().enumerate() {
        let column = table.f64_column(name).map_err(|e| {
            format!(
                "{}: feature column `{name}` is not numeric ({e})",
                path.display()
            )
        })?;
        for (i, value) in column.into_iter().enumerate() {
            matrix[[i, j]] = value;
        }
    }
    Ok(matrix)
}

fn print_shap_summary(shap: &ShapValues, output: usize, top: usize) -> Result<(), CommandError> {
    let summary = shap.global_summary(output)?;
    println!(
        "{:<28} {:>12} {:>12}  direction",
        "feature", "mean |SHAP|", "mean SHAP"
    );
    for feature in summary.iter().take(top) {
        println!(
            "{:<28} {:>12.6} {:>12.6}  {:?}",
            feature.feature, feature.mean_abs, feature.mean, feature.direction
        );
    }
    Ok(())
}

fn shap_table(shap: &ShapValues) -> Result<Table, CommandError> {
    let builder = shap
        .columns()
        .into_iter()
        .fold(Table::builder(), |b, (name, values)| b.f64(name, values));
    Ok(builder.build()?)
}

/// One row per explained row: the intercept, local and model predictions, the fit score and
/// one weight column per feature (zero where LIME did not select it).
fn lime_table(
    explanations: &[specweave::explain::LimeExplanation],
    features: &[String],
    top: usize,
) -> Result<Table, CommandError> {
    let mut weights = vec![vec![0.0; explanations.len()]; features.len()];
    for (row, explanation) in explanations.iter().enumerate() {
        for feature in &explanation.features {
            weights[feature.feature][row] = feature.weight;
        }
    }
    if let Some(first) = explanations.first() {
        println!("row 0 ({}): ", first.output);
        for feature in first.features.iter().take(top) {
            println!("  {:<40} {:+.6}", feature.condition, feature.weight);
        }
    }
    let builder = TableBuilder::default()
        .f64(
            "intercept",
            explanations.iter().map(|e| e.intercept).collect::<Vec<_>>(),
        )
        .f64(
            "local_prediction",
            explanations
                .iter()
                .map(|e| e.local_prediction)
                .collect::<Vec<_>>(),
        )
        .f64(
            "model_prediction",
            explanations
                .iter()
                .map(|e| e.model_prediction)
                .collect::<Vec<_>>(),
        );
    let builder = features
        .iter()
        .zip(weights)
        .fold(builder, |b, (name, column)| {
            b.f64(format!("lime_{name}"), column)
        });
    Ok(builder.build()?)
}

/// Importance per feature: accuracy drop for classifiers, R² drop for regressors.
fn permutation_table(
    model: &dyn Model,
    data: &Table,
    args: &ExplainArgs,
    rows: ArrayView2<'_, f64>,
    target: &str,
) -> Result<Table, CommandError> {
    let info = model.info();
    let path = args.data.as_path();
    let labels = data
        .string_column(target)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let labels = &labels[..rows.nrows()];
    let importance = PermutationImportance::new()
        .repeats(args.repeats)
        .seed(args.seed);
    let result = if info.class_names.is_empty() {
        let actual: Vec<f64> = labels
            .iter()
            .enumerate()
            .map(|(row, label)| {
                label
                    .as_deref()
                    .and_then(|l| l.trim().parse::<f64>().ok())
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| {
                        format!(
                            "{}: target `{target}` has a missing or non-numeric value at row {}",
                            path.display(),
                            row + 1
                        )
                    })
            })
            .collect::<Result<_, _>>()?;
        println!("score: R² (drop when a feature is shuffled)");
        importance.compute(model, rows, |predictions| r_squared(&actual, predictions))?
    } else {
        let actual: Vec<usize> = labels
            .iter()
            .enumerate()
            .map(|(row, label)| {
                class_index(label.as_deref(), &info.class_names).ok_or_else(|| {
                    format!(
                        "{}: target `{target}` at row {} is not one of the model's classes ({})",
                        path.display(),
                        row + 1,
                        info.class_names.join(", ")
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        println!("score: accuracy (drop when a feature is shuffled)");
        importance.compute(model, rows, |predictions| accuracy(&actual, predictions))?
    };
    let ranked = result.ranked();
    println!("{:<28} {:>12} {:>12}", "feature", "importance", "std");
    for (name, mean, std) in ranked.iter().take(args.top) {
        println!("{name:<28} {mean:>12.6} {std:>12.6}");
    }
    Ok(Table::builder()
        .strings("feature", result.feature_names.iter())
        .f64("importance_mean", result.mean.clone())
        .f64("importance_std", result.std.clone())
        .build()?)
}

/// A label as a class index: by class name, else as a number indexing the classes.
fn class_index(label: Option<&str>, class_names: &[String]) -> Option<usize> {
    let label = label?.trim();
    class_names.iter().position(|c| c == label).or_else(|| {
        label
            .parse::<f64>()
            .ok()
            .filter(|v| v.fract() == 0.0 && *v >= 0.0 && (*v as usize) < class_names.len())
            .map(|v| v as usize)
    })
}

fn accuracy(actual: &[usize], predictions: &Predictions) -> specweave::core::Result<f64> {
    let predicted = predictions.labels().ok_or_else(|| {
        specweave::core::Error::InvalidInput(
            "permutation importance: expected class probabilities from a classifier".into(),
        )
    })?;
    let hits = actual
        .iter()
        .zip(&predicted)
        .filter(|(a, p)| a == p)
        .count();
    Ok(hits as f64 / actual.len().max(1) as f64)
}

fn r_squared(actual: &[f64], predictions: &Predictions) -> specweave::core::Result<f64> {
    let predicted = predictions.scores()?;
    let mean = actual.iter().sum::<f64>() / actual.len().max(1) as f64;
    let total: f64 = actual.iter().map(|a| (a - mean).powi(2)).sum();
    let residual: f64 = actual
        .iter()
        .zip(predicted.iter())
        .map(|(a, p)| (a - p).powi(2))
        .sum();
    Ok(if total > 0.0 {
        1.0 - residual / total
    } else {
        0.0
    })
}

/// Writes beside the destination and renames, so a failed write never leaves a truncated
/// file where an earlier result was.
fn write_atomically(out: &Path, table: &Table) -> Result<(), CommandError> {
    let file_name = out
        .file_name()
        .ok_or_else(|| format!("--out {}: not a file path", out.display()))?;
    let mut temporary = out.to_path_buf();
    temporary.set_file_name(format!(".{}.partial", file_name.to_string_lossy()));
    write_parquet(&temporary, table)?;
    std::fs::rename(&temporary, out).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(())
}
