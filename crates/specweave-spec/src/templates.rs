//! The documents a new increment starts with, written for its problem kind: spec.md,
//! plan.md, tasks.md and tests.md.

use specweave_core::ProblemKind;

/// What the templates need to know about the increment being created.
#[derive(Debug, Clone)]
pub(crate) struct TemplateContext<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub kind: ProblemKind,
    /// Creation date, `YYYY-MM-DD`.
    pub date: &'a str,
    pub parent: Option<&'a str>,
}

/// Per-kind content of the documents.
struct Profile {
    problem_type: &'static str,
    input: &'static str,
    output: &'static str,
    training_window: &'static str,
    validation: &'static str,
    features: &'static [&'static str],
    latency: &'static str,
    throughput: &'static str,
    baseline_rule: &'static str,
    explainability: &'static str,
    headline_metric: &'static str,
    criteria: &'static [&'static str],
    baselines: &'static str,
    candidates: &'static str,
    architecture: &'static [&'static str],
    evaluation_protocol: &'static [&'static str],
}

fn profile(kind: ProblemKind) -> Profile {
    match kind {
        ProblemKind::Recommendation => Profile {
            problem_type: "Recommendation (top-k ranking from implicit feedback)",
            input: "user id, interaction history (user, item, weight, timestamp), item catalogue",
            output: "ranked list of k item ids per user, with scores; seen items excluded",
            training_window: "the last 12 months of interactions; the final 2 weeks held out",
            validation: "per-user temporal split: each user's most recent 20% of interactions form the test set",
            features: &[
                "user-item interaction matrix (implicit weights: views, carts, purchases)",
                "item popularity and recency",
                "item metadata (category, price band) for cold-start items",
            ],
            latency: "Latency: <100ms inference (p99, top-10 for one user)",
            throughput: "Throughput: 1000 req/sec",
            baseline_rule: "random and popularity baselines are logged first; every candidate must beat the best of them",
            explainability: "each recommendation names the items or neighbours that caused it",
            headline_metric: "precision@10",
            criteria: &[
                "Precision@10 > 0.25",
                "Recall@10 > 0.15",
                "Better than random baseline by 3x",
                "New model must beat best baseline by 20%+",
            ],
            baselines: "random and popularity",
            candidates: "item-kNN, user-kNN, ALS matrix factorisation (and BPR or a two-tower model if time allows)",
            architecture: &[
                "Load interactions, drop bots and duplicates, weight events (view < cart < purchase).",
                "Split per user by time; never let a test interaction leak into training.",
                "Candidate generation (item-kNN, ALS) produces a few hundred items per user; a ranking step orders them.",
                "Exclude items the user has already seen; fall back to popularity for cold-start users.",
                "Evaluate Precision@k, Recall@k, NDCG@k and MAP@k on the held-out interactions (k = 10).",
            ],
            evaluation_protocol: &[
                "Per-user temporal split; seen items excluded from the ranking.",
                "Metrics logged per run: `precision@10`, `recall@10`, `ndcg@10`, `map@10`, `latency_p99_ms`, `throughput_rps`.",
                "Users without relevant test items score 0 and count in the mean.",
            ],
        },
        ProblemKind::Classification => Profile {
            problem_type: "Binary classification with calibrated class probabilities",
            input: "one row per entity (customer, transaction) with numeric and categorical features",
            output: "probability of the positive class and a decision at a tuned threshold",
            training_window: "the last 12 months of labelled rows; the most recent month held out",
            validation: "stratified 5-fold cross-validation on the training window, then the held-out month",
            features: &[
                "behavioural aggregates over 7/30/90-day windows",
                "categorical features one-hot or target encoded inside the cross-validation folds",
                "ratios and recency features; no feature computed from the future",
            ],
            latency: "Latency: <50ms inference (p99, one row)",
            throughput: "Throughput: 500 req/sec",
            baseline_rule: "majority-class and logistic-regression baselines are logged first; candidates must beat the best of them",
            explainability: "global feature importance and SHAP values for every decision that is reviewed",
            headline_metric: "roc_auc",
            criteria: &[
                "ROC AUC > 0.85",
                "Precision >= 0.80",
                "Recall >= 0.70",
                "F1 >= 0.75",
                "New model must beat best baseline by 5%+",
            ],
            baselines: "majority class and logistic regression",
            candidates: "random forest, gradient-boosted trees, a small neural network",
            architecture: &[
                "Load and validate the data against `data/schema.yaml`; profile class balance.",
                "Class imbalance: stratified splits, class weights or resampling inside the training folds only, PR-AUC alongside ROC AUC.",
                "Threshold tuning: pick the decision threshold on validation data for the cost of false positives versus false negatives (fraud-like problems), never on the test set.",
                "Calibrate probabilities (Platt or isotonic) when decisions use them directly.",
                "Evaluate precision, recall, F1, ROC AUC and log loss with confidence intervals.",
            ],
            evaluation_protocol: &[
                "Stratified 5-fold cross-validation; final numbers on the held-out month.",
                "Metrics logged per run: `roc_auc`, `precision`, `recall`, `f1`, `accuracy`, `log_loss`, `latency_p99_ms`; fold spread as `<metric>_cv_std`.",
                "Precision and recall are reported at the tuned threshold.",
            ],
        },
        ProblemKind::Regression => Profile {
            problem_type: "Regression of a continuous amount",
            input: "one row per entity with numeric and categorical features",
            output: "predicted amount in the target's unit, with a prediction interval",
            training_window: "the last 24 months of rows with a known target",
            validation: "5-fold cross-validation, then a held-out test set of the most recent 20%",
            features: &[
                "historical aggregates of the target (e.g. spend over 30/90/365 days)",
                "categorical features encoded inside the cross-validation folds",
                "log-transformed skewed features",
            ],
            latency: "Latency: <100ms inference (p99, one row)",
            throughput: "Throughput: 500 req/sec",
            baseline_rule: "mean and linear-regression baselines are logged first; candidates must beat the best of them",
            explainability: "global feature importance and SHAP values for individual predictions",
            headline_metric: "rmse",
            criteria: &[
                "RMSE < $50",
                "MAE < $30",
                "R² > 0.70",
                "New model must beat best baseline by 20%+",
            ],
            baselines: "mean prediction and linear regression",
            candidates: "ridge regression, random forest, gradient-boosted trees",
            architecture: &[
                "Load and validate the data; cap or log-transform heavy-tailed targets.",
                "Fit the feature pipeline inside each fold so no statistic leaks from validation rows.",
                "Train baselines, then candidates; compare RMSE, MAE and R² with fold spread.",
                "Analyse residuals by segment to find where the model is biased.",
            ],
            evaluation_protocol: &[
                "5-fold cross-validation plus a held-out test set.",
                "Metrics logged per run: `rmse`, `mae`, `r2`, `latency_p99_ms`; fold spread as `<metric>_cv_std`.",
            ],
        },
        ProblemKind::Forecasting => Profile {
            problem_type: "Time-series forecasting",
            input: "a regular time series (timestamps, values) with optional exogenous columns",
            output: "point forecast and prediction interval for each step of the horizon",
            training_window: "at least 3 full seasonal cycles (e.g. 3 years of weekly data)",
            validation: "time-based rolling-origin validation: train on the past, forecast the next horizon, never shuffle",
            features: &[
                "lags and rolling statistics computed only from the past",
                "calendar features (week of year, holidays)",
                "exogenous drivers known at forecast time (promotions, prices)",
            ],
            latency: "Latency: <1s per series forecast",
            throughput: "Throughput: 100 req/sec",
            baseline_rule: "naive and seasonal-naive forecasts are logged first; candidates must beat the best of them",
            explainability: "decomposition into trend and seasonality, and the contribution of exogenous drivers",
            headline_metric: "mape",
            criteria: &["MAPE < 10%", "New model must beat best baseline by 10%+"],
            baselines: "naive (last value) and seasonal naive",
            candidates: "Holt-Winters exponential smoothing, ARIMA, gradient-boosted trees on lag features",
            architecture: &[
                "Load the series, fill or flag gaps, align exogenous columns to the timestamps.",
                "Test stationarity (ADF/KPSS) and decompose trend and seasonality before modelling.",
                "Time-based validation: rolling origin over the last cycles; no future value reaches a feature.",
                "Train baselines, then candidates; compare MAPE, RMSE and interval coverage.",
                "Residual analysis: autocorrelation (Ljung-Box) and bias by season.",
            ],
            evaluation_protocol: &[
                "Rolling-origin backtest over the last three horizons; never shuffled.",
                "Metrics logged per run: `mape` (a fraction), `rmse`, `mae`; fold spread as `mape_cv_std`.",
                "Prediction intervals are checked for coverage.",
            ],
        },
    }
}

pub(crate) fn headline_metric(kind: ProblemKind) -> &'static str {
    profile(kind).headline_metric
}

fn bullets(items: &[&str]) -> String {
    items.iter().map(|i| format!("- {i}\n")).collect()
}

pub(crate) fn spec_md(ctx: &TemplateContext<'_>) -> String {
    let p = profile(ctx.kind);
    let parent = ctx.parent.unwrap_or("none");
    format!(
        "---\n\
increment: {id}\n\
title: {title}\n\
problem: {kind}\n\
status: planning\n\
created: {date}\n\
parent: {parent_yaml}\n\
headline_metric: {headline}\n\
min_candidates: 3\n\
---\n\
\n\
# {title_text}\n\
\n\
Increment `{id}` ({kind}); parent increment: {parent}.\n\
\n\
## ML Problem Definition\n\
\n\
- **Type**: {problem_type}\n\
- **Input**: {input}\n\
- **Output**: {output}\n\
\n\
## Data Requirements\n\
\n\
- **Training window**: {training_window}\n\
- **Validation**: {validation}\n\
- **Features**:\n\
{features}\
\n\
## Model Requirements\n\
\n\
- **{latency}**\n\
- **{throughput}**\n\
- **Baseline**: {baseline_rule}\n\
- **Candidates**: at least 3 model families ({candidates})\n\
- **Explainability**: {explainability}\n\
\n\
## Success Criteria\n\
\n\
Checked by `specweave validate` against the best model (headline metric `{headline}`).\n\
\n\
{criteria}",
        id = ctx.id,
        title = yaml_string(ctx.title),
        title_text = ctx.title,
        kind = ctx.kind,
        date = ctx.date,
        parent_yaml = ctx.parent.map_or_else(|| "null".to_string(), yaml_string),
        headline = p.headline_metric,
        problem_type = p.problem_type,
        input = p.input,
        output = p.output,
        training_window = p.training_window,
        validation = p.validation,
        features = p
            .features
            .iter()
            .map(|f| format!("  - {f}\n"))
            .collect::<String>(),
        latency = p.latency,
        throughput = p.throughput,
        baseline_rule = p.baseline_rule,
        candidates = p.candidates,
        explainability = p.explainability,
        criteria = bullets(p.criteria),
    )
}

/// Quotes a YAML scalar so titles with `:` or `#` stay strings.
fn yaml_string(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| format!("\"{}\"", value.replace('"', "'")))
}

pub(crate) fn plan_md(ctx: &TemplateContext<'_>) -> String {
    let p = profile(ctx.kind);
    let steps: String = p
        .architecture
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}. {s}\n", i + 1))
        .collect();
    format!(
        "# Plan: {title}\n\
\n\
## Pipeline Architecture\n\
\n\
{steps}\
\n\
## Experiments\n\
\n\
- Baselines: {baselines}.\n\
- Candidates: {candidates}.\n\
- Tuning: the best candidate's main hyperparameters, with the same validation scheme.\n\
- Every run is logged under `experiments/exp-NNN-<name>/` (run.json, params.json, metrics.json) and ranked by `{headline}`.\n\
\n\
## Validation Strategy\n\
\n\
{validation}.\n\
{rare_events}\
\n\
## Deliverables\n\
\n\
- `models/model-vN/` with `models/model-vN.metadata.json` for the best model\n\
- `experiments/comparison.md` and `reports/evaluation-report.md`\n\
- `reports/explainability-report.md` ({explainability})\n\
- `reports/ab-test-plan.md` and `reports/monitoring.md`\n",
        title = ctx.title,
        baselines = p.baselines,
        candidates = p.candidates,
        headline = p.headline_metric,
        validation = capitalize(p.validation),
        explainability = p.explainability,
        rare_events = if ctx.kind == ProblemKind::Classification && is_rare_event(ctx.title) {
            RARE_EVENTS
        } else {
            ""
        },
    )
}

/// Words that mark a classification problem whose positives are rare and costly to miss.
const RARE_EVENT_WORDS: [&str; 6] = [
    "fraud",
    "anomal",
    "abuse",
    "intrusion",
    "default",
    "chargeback",
];

fn is_rare_event(title: &str) -> bool {
    let title = title.to_lowercase();
    RARE_EVENT_WORDS.iter().any(|w| title.contains(w))
}

/// Plan section for fraud-like problems, where accuracy and ROC AUC flatter a useless model.
const RARE_EVENTS: &str = "\n## Rare Positives (fraud-like problem)\n\n\
- Expect well under 1% positives: report PR-AUC and precision at the recall the review team can handle; accuracy is not a success metric.\n\
- Resample or weight only inside training folds; validation and test keep the real class ratio.\n\
- Split by time as well as by class, because fraud patterns drift and labels arrive late (chargebacks).\n\
- Tune the decision threshold on validation data against a cost matrix (missed fraud versus blocked good customers) and record it with the model.\n";

pub(crate) fn tasks_md(ctx: &TemplateContext<'_>) -> String {
    let p = profile(ctx.kind);
    let mut tasks: Vec<(String, &str, String)> = vec![
        (
            "Exploratory data analysis".into(),
            "none",
            "Profile the data, check quality and leakage risks; write `data/eda-summary.md` and `notebooks/01-eda.ipynb`.".into(),
        ),
        (
            "Feature engineering".into(),
            "T-001",
            "Build the feature pipeline described in the spec, fitted on training data only.".into(),
        ),
        (
            format!("Train baseline models ({})", p.baselines),
            "T-002",
            "Log each baseline as an experiment tagged `specweave.role=baseline`.".into(),
        ),
        (
            "Train at least 3 candidate models".into(),
            "T-003",
            format!("Candidates: {}. Tag each run `specweave.role=candidate`.", p.candidates),
        ),
        (
            "Hyperparameter tuning".into(),
            "T-004",
            "Tune the best candidate with the same validation scheme; tag trials `specweave.role=tuning`.".into(),
        ),
        (
            "Evaluate against the success criteria".into(),
            "T-005",
            "Write `experiments/comparison.md` and `reports/evaluation-report.md`; save the best model with its metadata.".into(),
        ),
        (
            "Explainability".into(),
            "T-006",
            format!("{}; write `reports/explainability-report.md`.", capitalize(p.explainability)),
        ),
        (
            "Deployment preparation".into(),
            "T-006, T-007",
            "Bundle the model with its feature pipeline, measure latency and throughput, write `reports/monitoring.md`.".into(),
        ),
        (
            "A/B test plan".into(),
            "T-008",
            "Write `reports/ab-test-plan.md`: hypothesis, primary metric, sample size, guardrails, rollout.".into(),
        ),
    ];
    if ctx.kind == ProblemKind::Forecasting {
        tasks.push((
            "Stationarity tests".into(),
            "T-001",
            "Run ADF and KPSS tests, decompose trend and seasonality, decide on differencing."
                .into(),
        ));
        tasks.push((
            "Residual analysis".into(),
            "T-006",
            "Check residual autocorrelation (Ljung-Box) and bias by season of the best model."
                .into(),
        ));
    }
    let mut text = format!(
        "# Tasks: {}\n\nStatuses: `[ ] pending`, `[~] in_progress`, `[x] completed`, `[-] canceled`.\n",
        ctx.title
    );
    for (index, (title, depends, description)) in tasks.iter().enumerate() {
        text.push_str(&format!(
            "\n### T-{:03}: {title}\n**Status**: [ ] pending | **Depends on**: {depends}\n{description}\n",
            index + 1
        ));
    }
    text
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub(crate) fn tests_md(ctx: &TemplateContext<'_>) -> String {
    let p = profile(ctx.kind);
    let mut text = format!(
        "# Evaluation Criteria: {}\n\n## Protocol\n\n{}\n## Test Cases\n",
        ctx.title,
        bullets(p.evaluation_protocol)
    );
    let cases = p.criteria.iter().chain([&p.latency, &p.throughput]);
    for (index, criterion) in cases.enumerate() {
        text.push_str(&format!(
            "\n### TC-{:03}: {criterion}\n**Criterion**: {criterion} | **Checked on**: best model\n",
            index + 1
        ));
    }
    text
}
