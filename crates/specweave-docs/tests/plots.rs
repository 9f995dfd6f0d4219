//! Every plot renders to a PNG that is not blank. The PNGs are kept under the target
//! folder (`specweave-docs-plots/`) for looking at them.

use specweave_docs::plots::{
    self, ComparisonBar, ForecastPlot, RecommendationExplanation, StepSeries,
};
use std::path::PathBuf;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Rasterises `svg`, saves it as `<name>.png` and returns the share of non-white pixels and
/// the number of distinct colours.
fn rasterise(name: &str, svg: &str) -> Result<(f64, usize), Box<dyn std::error::Error>> {
    let tree = resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default())?;
    let size = tree.size().to_int_size();
    let mut pixmap =
        resvg::tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("empty plot size")?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("specweave-docs-plots");
    std::fs::create_dir_all(&dir)?;
    pixmap.save_png(dir.join(format!("{name}.png")))?;
    let pixels = pixmap.pixels();
    let inked = pixels
        .iter()
        .filter(|p| p.red() < 250 || p.green() < 250 || p.blue() < 250)
        .count();
    let mut colours: Vec<[u8; 3]> = pixels
        .iter()
        .map(|p| [p.red(), p.green(), p.blue()])
        .collect();
    colours.sort_unstable();
    colours.dedup();
    Ok((inked as f64 / pixels.len() as f64, colours.len()))
}

fn assert_drawn(name: &str, svg: &str) -> TestResult {
    let (inked, colours) = rasterise(name, svg)?;
    // axes alone ink well under 1%; a plot with its data inks more and uses several colours
    assert!(
        inked > 0.01,
        "{name}: only {:.3}% of pixels drawn",
        inked * 100.0
    );
    assert!(colours > 3, "{name}: only {colours} colours");
    Ok(())
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("feature_{i}")).collect()
}

#[test]
fn curve_plots_render() -> TestResult {
    assert_drawn(
        "roc",
        &plots::roc_curve(&[0.0, 0.1, 0.3, 1.0], &[0.0, 0.6, 0.9, 1.0], 0.87)?,
    )?;
    assert_drawn(
        "precision-recall",
        &plots::precision_recall_curve(&[1.0, 0.8, 0.5, 0.0], &[0.4, 0.6, 0.8, 1.0], 0.71, 0.4)?,
    )?;
    assert_drawn(
        "calibration",
        &plots::calibration(&[0.1, 0.3, 0.5, 0.7, 0.9], &[0.05, 0.32, 0.55, 0.66, 0.93])?,
    )?;
    Ok(())
}

#[test]
fn confusion_matrix_renders() -> TestResult {
    let labels = vec!["stay".to_string(), "churn".to_string()];
    assert_drawn(
        "confusion-matrix",
        &plots::confusion_matrix(&[vec![812, 41], vec![57, 90]], &labels)?,
    )
}

#[test]
fn importance_and_shap_summary_render() -> TestResult {
    let importances = [0.31, 0.02, 0.12, 0.08, 0.2];
    let bars = plots::feature_importance(&names(5), &importances, 10)?;
    assert!(
        bars.contains("feature_0"),
        "feature names are drawn as text"
    );
    assert_drawn("feature-importance", &bars)?;
    let rows = 200;
    let feature_values: Vec<Vec<f64>> = (0..rows)
        .map(|r| (0..5).map(|j| ((r * (j + 3)) % 17) as f64).collect())
        .collect();
    let shap_values: Vec<Vec<f64>> = feature_values
        .iter()
        .map(|x| {
            x.iter()
                .enumerate()
                .map(|(j, v)| (v - 8.0) * importances[j] / 8.0)
                .collect()
        })
        .collect();
    assert_drawn(
        "shap-summary",
        &plots::shap_summary(&names(5), &shap_values, &feature_values, 10)?,
    )
}

#[test]
fn learning_curves_and_comparison_render() -> TestResult {
    let series = vec![
        StepSeries {
            label: "train_loss".into(),
            points: (0..30).map(|s| (s, 1.0 / (1.0 + s as f64))).collect(),
        },
        StepSeries {
            label: "val_loss".into(),
            points: (0..30)
                .map(|s| (s, 1.2 / (1.0 + 0.8 * s as f64) + 0.05))
                .collect(),
        },
    ];
    assert_drawn("learning-curves", &plots::learning_curves(&series)?)?;
    let bars = vec![
        ComparisonBar {
            name: "popularity".into(),
            value: 0.11,
            interval: Some((0.10, 0.12)),
            best: false,
        },
        ComparisonBar {
            name: "item-knn".into(),
            value: 0.25,
            interval: Some((0.22, 0.28)),
            best: false,
        },
        ComparisonBar {
            name: "gbdt".into(),
            value: 0.31,
            interval: Some((0.29, 0.33)),
            best: true,
        },
    ];
    assert_drawn(
        "model-comparison",
        &plots::model_comparison("precision@10", &bars)?,
    )
}

#[test]
fn forecast_and_recommendations_render() -> TestResult {
    let actual: Vec<f64> = (0..48)
        .map(|t| 100.0 + 10.0 * (t as f64 * std::f64::consts::PI / 6.0).sin() + t as f64)
        .collect();
    let mean: Vec<f64> = (36..48)
        .map(|t| 100.0 + 10.0 * (t as f64 * std::f64::consts::PI / 6.0).sin() + t as f64 + 1.5)
        .collect();
    let data = ForecastPlot {
        actual,
        start: 36,
        lower: mean.iter().map(|m| m - 6.0).collect(),
        upper: mean.iter().map(|m| m + 6.0).collect(),
        mean,
    };
    assert_drawn("forecast", &plots::forecast(&data)?)?;
    let recs: Vec<RecommendationExplanation> = (0..3)
        .map(|i| RecommendationExplanation {
            user: "u17".into(),
            item: format!("item-{}", 40 + i),
            score: 0.9 - 0.1 * i as f64,
            contributions: vec![
                (format!("similar to item-{}", 3 + i), 0.4 - 0.05 * i as f64),
                ("popular this week".into(), 0.2),
                ("seen category".into(), -0.05),
            ],
        })
        .collect();
    assert_drawn(
        "recommendation-explanations",
        &plots::recommendation_explanations(&recs)?,
    )
}

#[test]
fn bad_plot_input_is_an_error_not_a_panic() {
    assert!(plots::roc_curve(&[0.0, 1.0], &[0.0], 0.5).is_err());
    assert!(plots::feature_importance(&names(2), &[f64::NAN, 1.0], 5).is_err());
    assert!(plots::confusion_matrix(&[vec![1, 2]], &["a".into(), "b".into()]).is_err());
    assert!(plots::model_comparison("auc", &[]).is_err());
}
