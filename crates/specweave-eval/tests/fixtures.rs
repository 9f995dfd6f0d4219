//! Fixtures from scikit-learn's documentation, edge cases, statistics, reports, latency,
//! comparisons and error analysis.

use ndarray::{Array2, ArrayView2, array};
use specweave_core::{Model, ModelInfo, Predictions, ProblemKind};
use specweave_eval::EvalError;
use specweave_eval::analysis::{RowError, metrics_by_quantile, worst_n};
use specweave_eval::classification::{
    Average, ConfusionMatrix, OvrAverage, average_precision, roc_auc, roc_auc_ovr,
};
use specweave_eval::compare::{Comparison, Rule};
use specweave_eval::latency::{LatencyConfig, model_latency, model_size, model_throughput};
use specweave_eval::ranking::{Gain, RankingInput, evaluate_ranking};
use specweave_eval::registry::{EvalInput, MetricSettings, Task, evaluate_metrics, metric_names};
use specweave_eval::regression::{mape, r2};
use specweave_eval::report::{EvalOptions, evaluate};
use specweave_eval::stats::{
    Bootstrap, CvSummary, IntervalMethod, delong, mcnemar, permutation_test,
};

type TestResult = Result<(), EvalError>;

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

#[test]
fn sklearn_label_metric_fixtures() -> TestResult {
    // accuracy_score([0, 2, 1, 3], [0, 1, 2, 3]) == 0.5
    assert_eq!(
        ConfusionMatrix::new(&[0, 2, 1, 3], &[0, 1, 2, 3], None)?.accuracy(),
        0.5
    );
    // balanced_accuracy_score([0, 1, 0, 0, 1, 0], [0, 1, 0, 0, 0, 1]) == 0.625
    let cm = ConfusionMatrix::new(&[0, 1, 0, 0, 1, 0], &[0, 1, 0, 0, 0, 1], None)?;
    assert!(close(cm.balanced_accuracy(), 0.625, 1e-15));
    // precision_recall_fscore_support docs: y_true=[0,1,2,0,1,2], y_pred=[0,2,1,0,0,1]
    let cm = ConfusionMatrix::new(&[0, 1, 2, 0, 1, 2], &[0, 2, 1, 0, 0, 1], None)?;
    assert!(close(
        cm.precision(Average::Macro)?,
        0.2222222222222222,
        1e-15
    ));
    assert!(close(
        cm.precision(Average::Micro)?,
        0.3333333333333333,
        1e-15
    ));
    assert!(close(
        cm.precision(Average::Weighted)?,
        0.2222222222222222,
        1e-15
    ));
    assert!(close(cm.recall(Average::Macro)?, 0.3333333333333333, 1e-15));
    assert!(close(
        cm.fbeta(1.0, Average::Macro)?,
        0.26666666666666666,
        1e-15
    ));
    assert!(close(
        cm.fbeta(1.0, Average::Micro)?,
        0.3333333333333333,
        1e-15
    ));
    assert!(close(
        cm.fbeta(0.5, Average::Macro)?,
        0.23809523809523805,
        1e-15
    ));
    assert!(close(
        cm.fbeta(0.5, Average::Weighted)?,
        0.23809523809523805,
        1e-15
    ));
    // matthews_corrcoef([+1, +1, +1, -1], [+1, -1, +1, +1]) == -0.333...
    let cm = ConfusionMatrix::new(&[1, 1, 1, 0], &[1, 0, 1, 1], None)?;
    assert!(close(cm.mcc(), -0.3333333333333333, 1e-15));
    // zero division: nothing predicted positive gives precision 0
    let cm = ConfusionMatrix::new(&[1, 0], &[0, 0], None)?;
    assert_eq!(cm.precision(Average::Binary { positive: 1 })?, 0.0);
    Ok(())
}

#[test]
fn sklearn_regression_fixtures_and_edge_cases() -> TestResult {
    // r2_score on constant labels: perfect → 1.0, otherwise 0.0 (force_finite)
    assert_eq!(r2(&[-2.0, -2.0, -2.0], &[-2.0, -2.0, -2.0], None)?, 1.0);
    assert_eq!(
        r2(&[-2.0, -2.0, -2.0], &[-2.0, -2.0, -2.0 + 1e-8], None)?,
        0.0
    );
    // mean_absolute_percentage_error with a zero label (epsilon guard)
    let m = mape(&[1.0, 0.0, 2.4, 7.0], &[1.2, 0.1, 2.4, 8.0], None)?;
    assert!(close(m / 112_589_990_684_262.48, 1.0, 1e-12), "{m}");
    Ok(())
}

#[test]
fn binary_edge_cases() -> TestResult {
    // one class only: NaN, not a panic
    assert!(roc_auc(&[1.0, 1.0], &[0.2, 0.3], None)?.is_nan());
    // no positives: average precision 0
    assert_eq!(average_precision(&[0.0, 0.0], &[0.2, 0.3], None)?, 0.0);
    // all tied: AUC one half
    assert_eq!(roc_auc(&[0.0, 1.0, 0.0, 1.0], &[0.5; 4], None)?, 0.5);
    // bad input gets errors naming the problem
    let err = roc_auc(&[0.0, 2.0], &[0.1, 0.2], None).expect_err("label 2 is not binary");
    assert!(err.to_string().contains("row 1"), "{err}");
    let err = roc_auc(&[0.0, 1.0], &[0.1, f64::NAN], None).expect_err("NaN score");
    assert!(err.to_string().contains("non-finite"), "{err}");
    assert!(matches!(
        roc_auc(&[0.0, 1.0], &[0.1], None),
        Err(EvalError::LengthMismatch { .. })
    ));
    assert!(roc_auc(&[0.0, 1.0], &[0.1, 0.2], Some(&[1.0, -1.0])).is_err());
    // multiclass one-vs-rest, weighted by prevalence
    let p = array![
        [0.7, 0.2, 0.1],
        [0.2, 0.5, 0.3],
        [0.1, 0.3, 0.6],
        [0.4, 0.4, 0.2],
        [0.3, 0.3, 0.4]
    ];
    let y = [0, 1, 2, 1, 2];
    let macro_auc = roc_auc_ovr(&y, p.view(), None, OvrAverage::Macro)?;
    let weighted_auc = roc_auc_ovr(&y, p.view(), None, OvrAverage::Weighted)?;
    assert!(macro_auc > 0.5 && macro_auc <= 1.0 && weighted_auc > 0.5);
    Ok(())
}

#[test]
fn ranking_edge_cases() -> TestResult {
    // k larger than the list: precision still divides by k
    let input = RankingInput {
        users: &[1, 1],
        items: &[1, 2],
        relevance: &[1.0, 0.0],
        scores: &[0.9, 0.1],
    };
    let s = evaluate_ranking(&input, 10, Gain::Linear)?;
    assert_eq!(s.mean.precision, 0.1);
    assert_eq!(s.mean.recall, 1.0);
    assert_eq!(s.mean.ndcg, 1.0);
    // all-zero relevance: the user scores 0 and counts in the mean
    let input = RankingInput {
        users: &[1, 1, 2, 2],
        items: &[1, 2, 1, 2],
        relevance: &[1.0, 0.0, 0.0, 0.0],
        scores: &[0.9, 0.1, 0.5, 0.4],
    };
    let s = evaluate_ranking(&input, 2, Gain::Exponential)?;
    assert_eq!(s.mean.ndcg, 0.5);
    assert_eq!(s.mean.hit, 0.5);
    // ties: item id descending wins
    let input = RankingInput {
        users: &[1, 1],
        items: &[3, 8],
        relevance: &[1.0, 0.0],
        scores: &[0.5, 0.5],
    };
    assert_eq!(
        evaluate_ranking(&input, 1, Gain::Linear)?.mean.precision,
        0.0
    );
    // ungrouped rows are grouped by user
    let input = RankingInput {
        users: &[1, 2, 1, 2],
        items: &[1, 1, 2, 2],
        relevance: &[1.0, 0.0, 0.0, 1.0],
        scores: &[0.9, 0.5, 0.1, 0.4],
    };
    let s = evaluate_ranking(&input, 1, Gain::Linear)?;
    assert_eq!(s.users, vec![1, 2]);
    assert_eq!(s.mean.precision, 0.5);
    assert!(evaluate_ranking(&input, 0, Gain::Linear).is_err());
    // coverage with sparse (hashed) item ids
    let big = u64::MAX - 10;
    let input = RankingInput {
        users: &[1, 1, 2, 2],
        items: &[big, big - 1, big, big - 2],
        relevance: &[1.0, 0.0, 0.0, 1.0],
        scores: &[0.9, 0.1, 0.5, 0.4],
    };
    let s = evaluate_ranking(&input, 1, Gain::Linear)?;
    assert_eq!((s.recommended_items, s.catalog_items), (1, 3));
    Ok(())
}

#[test]
fn bootstrap_is_seeded_and_independent_of_threads() -> TestResult {
    let (y, s) = specweave_eval::synthetic::binary(400, 1);
    let auc = |rows: &[usize]| {
        let yy: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
        let ss: Vec<f64> = rows.iter().map(|&i| s[i]).collect();
        roc_auc(&yy, &ss, None).unwrap_or(f64::NAN)
    };
    let boot = Bootstrap::new().resamples(200).seed(11);
    let parallel = boot.interval(y.len(), auc)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| EvalError::Empty(e.to_string()))?;
    let single = pool.install(|| boot.interval(y.len(), auc))?;
    assert_eq!(parallel, single);
    assert!(parallel.lower < parallel.estimate && parallel.estimate < parallel.upper);
    let bca = boot.method(IntervalMethod::Bca).interval(y.len(), auc)?;
    assert!(bca.lower < bca.estimate && bca.estimate < bca.upper);
    assert_ne!(
        Bootstrap::new()
            .resamples(200)
            .seed(12)
            .interval(y.len(), auc)?,
        parallel
    );
    Ok(())
}

#[test]
fn statistical_tests() -> TestResult {
    // McNemar, chi-squared path: 30 rows only A gets right, 10 only B
    let mut y = vec![1usize; 40];
    y.extend([0; 10]);
    let a: Vec<usize> = (0..50)
        .map(|i| {
            if !(30..40).contains(&i) {
                y[i]
            } else {
                1 - y[i]
            }
        })
        .collect();
    let b: Vec<usize> = (0..50)
        .map(|i| if i < 30 { 1 - y[i] } else { y[i] })
        .collect();
    let test = mcnemar(&y, &a, &b)?;
    assert!(close(test.statistic, 9.025, 1e-12));
    assert!(
        test.p_value < 0.003 && test.p_value > 0.002,
        "{}",
        test.p_value
    );
    // permutation test of identical predictions: nothing to find
    let p = [0.1, 0.5, 0.9];
    let same = permutation_test(&p, &p, 99, 0, |v: &[f64]| v.iter().sum())?;
    assert_eq!(same.p_value, 1.0);
    // DeLong against the pairwise definition of its structural components
    let (y, sa) = specweave_eval::synthetic::binary(300, 5);
    let (_, sb) = specweave_eval::synthetic::binary(300, 6);
    let ours = delong(&y, &sa, &sb)?;
    let naive_z = naive_delong_z(&y, &sa, &sb);
    assert!(close(ours.z, naive_z, 1e-9), "{} vs {naive_z}", ours.z);
    // CV summary with a Student-t interval
    let cv = CvSummary::new("roc_auc", &[0.81, 0.83, 0.80, 0.82, 0.84], 0.95)?;
    assert!(close(
        cv.upper - cv.mean,
        2.7764451051977987 * 0.015811388300841896 / 5f64.sqrt(),
        1e-9
    ));
    Ok(())
}

fn naive_delong_z(y: &[f64], a: &[f64], b: &[f64]) -> f64 {
    let psi = |x: f64, z: f64| {
        if x > z {
            1.0
        } else if x == z {
            0.5
        } else {
            0.0
        }
    };
    let pos: Vec<usize> = (0..y.len()).filter(|&i| y[i] == 1.0).collect();
    let neg: Vec<usize> = (0..y.len()).filter(|&i| y[i] == 0.0).collect();
    let comps = |s: &[f64]| {
        let v10: Vec<f64> = pos
            .iter()
            .map(|&i| neg.iter().map(|&j| psi(s[i], s[j])).sum::<f64>() / neg.len() as f64)
            .collect();
        let v01: Vec<f64> = neg
            .iter()
            .map(|&j| pos.iter().map(|&i| psi(s[i], s[j])).sum::<f64>() / pos.len() as f64)
            .collect();
        let auc = v10.iter().sum::<f64>() / v10.len() as f64;
        (auc, v10, v01)
    };
    let cov = |x: &[f64], z: &[f64]| {
        let mx = x.iter().sum::<f64>() / x.len() as f64;
        let mz = z.iter().sum::<f64>() / z.len() as f64;
        x.iter()
            .zip(z)
            .map(|(p, q)| (p - mx) * (q - mz))
            .sum::<f64>()
            / (x.len() - 1) as f64
    };
    let (auc_a, a10, a01) = comps(a);
    let (auc_b, b10, b01) = comps(b);
    let var = (cov(&a10, &a10) + cov(&b10, &b10) - 2.0 * cov(&a10, &b10)) / pos.len() as f64
        + (cov(&a01, &a01) + cov(&b01, &b01) - 2.0 * cov(&a01, &b01)) / neg.len() as f64;
    (auc_a - auc_b) / var.sqrt()
}

#[test]
fn reports_for_every_task() -> TestResult {
    let (y, s) = specweave_eval::synthetic::binary(300, 3);
    let options = EvalOptions::default().bootstrap(100).seed(1);
    let report = evaluate(Task::Classification, &EvalInput::scored(&y, &s), &options)?;
    assert_eq!(
        report.metrics.len(),
        metric_names(Task::Classification, 10).len()
    );
    for m in &report.metrics {
        let (lower, upper) = (
            m.lower.expect("bootstrapped"),
            m.upper.expect("bootstrapped"),
        );
        assert!(
            lower <= m.value + 1e-12 && m.value <= upper + 1e-12,
            "{} {} [{lower}, {upper}]",
            m.name,
            m.value
        );
    }
    let json = report.to_json()?;
    let back: serde_json::Value =
        serde_json::from_str(&json).map_err(|e| EvalError::Empty(e.to_string()))?;
    assert_eq!(back["metrics"][0]["name"], "accuracy");
    let table = report.to_table();
    assert!(
        table.contains("roc_auc") && table.contains("95% interval"),
        "{table}"
    );

    // multiclass with probabilities, BCa intervals
    let p = Array2::from_shape_fn((60, 3), |(i, j)| if i % 3 == j { 0.6 } else { 0.2 });
    let labels: Vec<f64> = (0..60).map(|i| ((i + i / 7) % 3) as f64).collect();
    let input = EvalInput::scored(&labels, &[]).with_probabilities(p.view());
    let report = evaluate(
        Task::Classification,
        &input,
        &options.method(IntervalMethod::Bca),
    )?;
    assert!(report.value("roc_auc").is_some() && report.value("log_loss").is_some());

    // ranking resamples users
    let (u, i, r, sc) = specweave_eval::synthetic::ranking(50, 20, 2);
    let report = evaluate(
        Task::Ranking,
        &EvalInput::ranking(&r, &sc, &u, &i),
        &options.k(5),
    )?;
    assert_eq!(report.rows, 50);
    assert!(report.value("ndcg@5").is_some() && report.value("coverage").is_some());

    // forecasting with the training series and intervals
    let actual = [10.0, 12.0, 11.0, 13.0];
    let forecast = [10.5, 11.0, 11.5, 12.0];
    let lower = [9.0, 11.5, 10.0, 12.5];
    let upper = [12.0, 12.5, 12.0, 14.0];
    let train = [8.0, 9.0, 10.0, 9.0, 11.0];
    let input = EvalInput::scored(&actual, &forecast)
        .with_interval(&lower, &upper)
        .with_training_series(&train);
    let m = evaluate_metrics(Task::Forecasting, &input, &MetricSettings::default())?;
    assert_eq!(m["interval_coverage"], 1.0);
    assert!(close(m["mase"], 0.75 / 1.25, 1e-12));
    assert!("ranking".parse::<Task>().is_ok() && "nonsense".parse::<Task>().is_err());
    Ok(())
}

#[derive(Debug)]
struct Doubler;

impl Model for Doubler {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            algorithm: "doubler".into(),
            problem: ProblemKind::Regression,
            params: serde_json::json!({}),
            feature_names: vec!["x".into()],
            class_names: vec![],
            framework: "test".into(),
        }
    }

    fn predict(&self, features: ArrayView2<'_, f64>) -> specweave_core::Result<Predictions> {
        Ok(Predictions::Values(features.column(0).mapv(|v| 2.0 * v)))
    }

    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        Ok(vec![0; 42])
    }
}

#[test]
fn latency_and_throughput_of_a_model() -> TestResult {
    let features = Array2::from_shape_fn((100, 1), |(i, _)| i as f64);
    let config = LatencyConfig {
        warmup: 3,
        iterations: 30,
        batch_size: 16,
    };
    let latency = model_latency(&Doubler, features.view(), &config)?;
    assert_eq!(latency.single_row.samples, 30);
    assert!(
        latency.single_row.p50 <= latency.single_row.p95
            && latency.single_row.p99 <= latency.single_row.max
    );
    let t = model_throughput(&Doubler, features.view(), 16, 2, 10)?;
    assert_eq!((t.requests, t.rows), (20, 320));
    assert_eq!(model_size(&Doubler)?, 42);
    Ok(())
}

#[test]
fn comparison_rules() -> TestResult {
    let c = Comparison::new("rmse", 8.0)
        .baseline("mean", 10.0)
        .baseline("last_value", 12.0)
        .random(16.0)
        .previous(7.9);
    assert_eq!(c.best_baseline(), Some(("mean", 10.0)));
    assert!(
        c.check(Rule::BeatsBestBaseline {
            min_improvement: 0.2
        })?
        .passed
    );
    assert!(
        !c.check(Rule::BeatsBestBaseline {
            min_improvement: 0.25
        })?
        .passed
    );
    assert!(c.check(Rule::MultipleOfRandom { factor: 2.0 })?.passed);
    assert!(
        !c.check(Rule::NotWorseThanPrevious { tolerance: 0.0 })?
            .passed
    );
    assert!(
        c.check(Rule::NotWorseThanPrevious { tolerance: 0.05 })?
            .passed
    );
    assert!(
        Comparison::new("f1", 0.5)
            .check(Rule::MultipleOfRandom { factor: 2.0 })
            .is_err()
    );
    Ok(())
}

#[test]
fn error_analysis() -> TestResult {
    let worst = worst_n(&[1.0, 0.0, 1.0], &[0.9, 0.8, 0.1], 1, RowError::LogLoss)?;
    assert_eq!(worst[0].row, 2);
    // equal values stay in one bin
    let input = EvalInput::scored(&[1.0, 2.0, 3.0, 4.0, 5.0], &[1.0, 2.0, 3.0, 4.0, 6.0]);
    let slices = metrics_by_quantile(
        Task::Regression,
        &input,
        &[1.0, 1.0, 1.0, 2.0, 3.0],
        3,
        &MetricSettings::default(),
    )?;
    assert_eq!(slices[0].rows, 3);
    assert_eq!(slices.iter().map(|s| s.rows).sum::<usize>(), 5);
    // a slice with one class reports why its AUC is missing instead of failing
    let y = [0.0, 1.0, 1.0, 1.0];
    let s = [0.2, 0.8, 0.6, 0.9];
    let slices = specweave_eval::analysis::metrics_by_category(
        Task::Classification,
        &EvalInput::scored(&y, &s),
        &["a", "a", "b", "b"],
        &MetricSettings::default(),
    )?;
    assert!(slices[1].metrics["roc_auc"].is_nan());
    Ok(())
}
