//! Jupyter notebooks (nbformat 4.5) whose Python cells load the increment's
//! `data/sample.parquet`, its experiments and the best run's SHAP values with pandas.
//! They are written relative to `notebooks/`, so they run from that folder.
//!
//! ```
//! let nb = specweave_docs::notebook("01-eda.ipynb", "exp-002-gbm").expect("a known notebook");
//! let json: serde_json::Value = serde_json::from_str(&nb)?;
//! assert_eq!(json["nbformat"], 4);
//! # Ok::<(), serde_json::Error>(())
//! ```

use serde_json::{Value, json};

/// File names of the notebooks, in `notebooks/`.
pub const NOTEBOOKS: [&str; 3] = [
    "01-eda.ipynb",
    "02-feature-engineering.ipynb",
    "03-model-analysis.ipynb",
];

const LOAD_EXPERIMENTS: &str = r#"import json
from pathlib import Path

def load_experiments(root=Path("../experiments")):
    rows = []
    for run in sorted(p for p in root.iterdir() if (p / "run.json").is_file()):
        record = json.loads((run / "run.json").read_text())
        metrics = json.loads((run / "metrics.json").read_text()) if (run / "metrics.json").is_file() else {}
        rows.append({"id": record["id"], "status": record["status"],
                     "role": record.get("tags", {}).get("specweave.role", ""), **metrics})
    return pd.DataFrame(rows)

experiments = load_experiments()
experiments"#;

fn cell_id(notebook: &str, index: usize) -> String {
    // ids must be unique per notebook and stable so regenerating is byte-identical
    let stem: String = notebook
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    format!("sw-{stem}-{index:02}")
}

fn cell(notebook: &str, index: usize, kind: &str, source: &str) -> Value {
    let lines: Vec<String> = source.split_inclusive('\n').map(str::to_string).collect();
    let mut cell = json!({
        "cell_type": kind,
        "id": cell_id(notebook, index),
        "metadata": {},
        "source": lines,
    });
    if kind == "code" {
        cell["execution_count"] = Value::Null;
        cell["outputs"] = json!([]);
    }
    cell
}

/// The notebook `name` (one of [`NOTEBOOKS`]) as nbformat JSON; `best_run` is the
/// experiment folder whose artifacts the model analysis loads. `None` for unknown names.
pub fn notebook(name: &str, best_run: &str) -> Option<String> {
    let shap = format!(
        "shap_path = Path(\"../experiments/{best_run}/artifacts/shap_values.json\")\n\
         if shap_path.is_file():\n    \
             raw = json.loads(shap_path.read_text())\n    \
             shap_values = pd.DataFrame(raw[\"values\"], columns=raw[\"feature_names\"])\n    \
             importance = shap_values.abs().mean().sort_values(ascending=False)\n    \
             print(importance.head(10))\n\
         else:\n    print(\"no SHAP values were saved for {best_run}\")"
    );
    let cells: Vec<(&str, String)> = match name {
        "01-eda.ipynb" => vec![
            ("markdown", "# Exploratory data analysis\n\nThe increment's data sample: shape, types, missing values and distributions.".into()),
            ("code", "import pandas as pd\n\nsample = pd.read_parquet(\"../data/sample.parquet\")\nsample.shape".into()),
            ("code", "sample.dtypes".into()),
            ("code", "sample.isna().mean().sort_values(ascending=False)".into()),
            ("code", "sample.describe(include=\"all\").T".into()),
        ],
        "02-feature-engineering.ipynb" => vec![
            ("markdown", "# Feature engineering\n\nCorrelations and candidate transformations on the data sample.".into()),
            ("code", "import numpy as np\nimport pandas as pd\n\nsample = pd.read_parquet(\"../data/sample.parquet\")\nnumeric = sample.select_dtypes(include=\"number\")".into()),
            ("code", "numeric.corr().round(3)".into()),
            ("code", "skew = numeric.skew().sort_values(ascending=False)\nlog_candidates = skew[skew > 1].index.tolist()\nlog_candidates".into()),
            ("code", "categorical = sample.select_dtypes(exclude=\"number\")\ncategorical.nunique().sort_values(ascending=False)".into()),
        ],
        "03-model-analysis.ipynb" => vec![
            ("markdown", format!("# Model analysis\n\nExperiments of the increment and the explanations of the best run, `{best_run}`.")),
            ("code", format!("import pandas as pd\n{LOAD_EXPERIMENTS}")),
            ("code", shap),
        ],
        _ => return None,
    };
    let cells: Vec<Value> = cells
        .iter()
        .enumerate()
        .map(|(i, (kind, source))| cell(name, i, kind, source))
        .collect();
    let doc = json!({
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5
    });
    serde_json::to_string_pretty(&doc).ok().map(|s| s + "\n")
}
