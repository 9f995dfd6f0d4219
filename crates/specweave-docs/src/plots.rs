//! SVG plots as pure functions over plain data: each takes slices and names and returns the
//! SVG text, so reports embed them and tests render them without an increment on disk.
//!
//! ```
//! let svg = specweave_docs::plots::roc_curve(&[0.0, 0.2, 1.0], &[0.0, 0.8, 1.0], 0.9)?;
//! assert!(svg.starts_with("<svg"));
//! # Ok::<(), specweave_docs::DocsError>(())
//! ```

use crate::error::{DocsError, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Width and height of every plot in pixels.
pub const PLOT_SIZE: (u32, u32) = (720, 480);
const FONT: &str = "sans-serif";
const LINE_COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

fn plot_error(plot: &str) -> impl Fn(String) -> DocsError + '_ {
    move |message| DocsError::Plot {
        plot: plot.to_string(),
        message,
    }
}

/// Draws on a fresh SVG canvas and returns the document.
fn render(
    plot: &str,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, PLOT_SIZE).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| e.to_string())
            .map_err(plot_error(plot))?;
        draw(&root).map_err(plot_error(plot))?;
        root.present()
            .map_err(|e| e.to_string())
            .map_err(plot_error(plot))?;
    }
    Ok(svg)
}

fn check_finite(what: &str, values: &[f64]) -> Result<()> {
    if values.is_empty() {
        return Err(DocsError::invalid(what, "is empty"));
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(DocsError::invalid(
            what,
            format!("value at index {i} is not finite"),
        ));
    }
    Ok(())
}

fn check_same_len(what: &str, a: &[f64], b: &[f64]) -> Result<()> {
    if a.len() != b.len() {
        return Err(DocsError::invalid(
            what,
            format!("lengths differ ({} and {})", a.len(), b.len()),
        ));
    }
    Ok(())
}

/// `(min, max)` padded so that a constant series still gets a visible range.
fn padded_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo {
        (hi - lo) * 0.05
    } else {
        lo.abs().max(1.0) * 0.1
    };
    (lo - pad, hi + pad)
}

/// Blue for low values, red for high, like shap's summary plot.
fn blue_to_red(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(lerp(0.0, 255.0), lerp(138.0, 0.0), lerp(255.0, 82.0))
}

fn s<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Two-axis line chart shared by the curve plots.
fn curve_plot(
    plot: &str,
    caption: &str,
    axes: (&str, &str),
    series: &[(String, Vec<(f64, f64)>)],
    diagonal: bool,
) -> Result<String> {
    render(plot, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(caption, (FONT, 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0f64..1f64, 0f64..1.02f64)
            .map_err(s)?;
        chart
            .configure_mesh()
            .x_desc(axes.0)
            .y_desc(axes.1)
            .draw()
            .map_err(s)?;
        if diagonal {
            chart
                .draw_series(LineSeries::new(
                    [(0.0, 0.0), (1.0, 1.0)],
                    BLACK.mix(0.4).stroke_width(1),
                ))
                .map_err(s)?;
        }
        for (i, (label, points)) in series.iter().enumerate() {
            let color = LINE_COLORS[i % LINE_COLORS.len()];
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    color.stroke_width(2),
                ))
                .map_err(s)?
                .label(label.as_str())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(s)
    })
}

/// ROC curve from false and true positive rates (as `specweave_eval`'s `roc_curve` returns
/// them), with the chance diagonal and the AUC in the legend.
pub fn roc_curve(fpr: &[f64], tpr: &[f64], auc: f64) -> Result<String> {
    check_finite("fpr", fpr)?;
    check_finite("tpr", tpr)?;
    check_same_len("roc curve", fpr, tpr)?;
    let points = fpr.iter().copied().zip(tpr.iter().copied()).collect();
    curve_plot(
        "roc",
        "ROC curve",
        ("False positive rate", "True positive rate"),
        &[(format!("ROC (AUC = {auc:.3})"), points)],
        true,
    )
}

/// Precision-recall curve, with the average precision in the legend and the positive rate
/// (the curve of a random classifier) as a dashed reference.
pub fn precision_recall_curve(
    recall: &[f64],
    precision: &[f64],
    average_precision: f64,
    positive_rate: f64,
) -> Result<String> {
    check_finite("recall", recall)?;
    check_finite("precision", precision)?;
    check_same_len("precision-recall curve", recall, precision)?;
    let points = recall
        .iter()
        .copied()
        .zip(precision.iter().copied())
        .collect();
    curve_plot(
        "precision-recall",
        "Precision-recall curve",
        ("Recall", "Precision"),
        &[
            (format!("PR (AP = {average_precision:.3})"), points),
            (
                format!("random ({positive_rate:.3})"),
                vec![(0.0, positive_rate), (1.0, positive_rate)],
            ),
        ],
        false,
    )
}

/// Reliability diagram: observed fraction of positives against the mean predicted
/// probability per bin, with the perfectly calibrated diagonal.
pub fn calibration(mean_predicted: &[f64], fraction_of_positives: &[f64]) -> Result<String> {
    check_finite("mean predicted", mean_predicted)?;
    check_finite("fraction of positives", fraction_of_positives)?;
    check_same_len("calibration curve", mean_predicted, fraction_of_positives)?;
    let points = mean_predicted
        .iter()
        .copied()
        .zip(fraction_of_positives.iter().copied())
        .collect();
    curve_plot(
        "calibration",
        "Calibration",
        ("Mean predicted probability", "Fraction of positives"),
        &[("model".to_string(), points)],
        true,
    )
}

/// Confusion-matrix heatmap: `matrix[true][predicted]` counts, cells shaded by their share
/// of the true class's row and labelled with the count.
pub fn confusion_matrix(matrix: &[Vec<u64>], labels: &[String]) -> Result<String> {
    let n = labels.len();
    if n == 0 || matrix.len() != n || matrix.iter().any(|row| row.len() != n) {
        return Err(DocsError::invalid(
            "confusion matrix",
            format!("must be {n} x {n} to match the class labels"),
        ));
    }
    render("confusion-matrix", |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("Confusion matrix", (FONT, 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(segments(n), segments(n))
            .map_err(s)?;
        let name = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("Predicted")
            .y_desc("True")
            .x_label_formatter(&name)
            .y_label_formatter(&|v: &SegmentValue<usize>| match v {
                // rows run top-down, so the first class sits at the top
                SegmentValue::CenterOf(i) => (n - 1)
                    .checked_sub(*i)
                    .and_then(|k| labels.get(k))
                    .cloned()
                    .unwrap_or_default(),
                _ => String::new(),
            })
            .draw()
            .map_err(s)?;
        for (t, row) in matrix.iter().enumerate() {
            let total = row.iter().sum::<u64>().max(1) as f64;
            let y = n - 1 - t;
            for (p, &count) in row.iter().enumerate() {
                let share = count as f64 / total;
                let shade = (255.0 * (1.0 - 0.85 * share)).round() as u8;
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [
                            (SegmentValue::Exact(p), SegmentValue::Exact(y)),
                            (SegmentValue::Exact(p + 1), SegmentValue::Exact(y + 1)),
                        ],
                        RGBColor(shade, shade, 255).filled(),
                    )))
                    .map_err(s)?;
                let text_color = if share > 0.5 { WHITE } else { BLACK };
                chart
                    .draw_series(std::iter::once(Text::new(
                        count.to_string(),
                        (SegmentValue::CenterOf(p), SegmentValue::CenterOf(y)),
                        (FONT, 20).into_font().color(&text_color),
                    )))
                    .map_err(s)?;
            }
        }
        Ok(())
    })
}

/// Horizontal bars, largest first, shared by importance plots.
fn horizontal_bars(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    caption: &str,
    x_desc: &str,
    bars: &[(String, f64)],
    color: RGBColor,
) -> Result<(), String> {
    let n = bars.len();
    let max = bars.iter().map(|(_, v)| v.abs()).fold(0.0, f64::max);
    let max = if max > 0.0 { max * 1.08 } else { 1.0 };
    let min = bars.iter().map(|(_, v)| *v).fold(0.0, f64::min);
    let min = if min < 0.0 { min * 1.08 } else { 0.0 };
    let mut chart = ChartBuilder::on(root)
        .caption(caption, (FONT, 18))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(170)
        .build_cartesian_2d(min..max, segments(n))
        .map_err(s)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc(x_desc)
        .y_labels(n)
        .y_label_formatter(&|v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) => (n - 1)
                .checked_sub(*i)
                .and_then(|k| bars.get(k))
                .map(|(name, _)| name.clone())
                .unwrap_or_default(),
            _ => String::new(),
        })
        .draw()
        .map_err(s)?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (_, value))| {
            let y = n - 1 - i;
            let fill = if *value >= 0.0 {
                color
            } else {
                RGBColor(0, 138, 255)
            };
            let mut bar = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(y)),
                    (*value, SegmentValue::Exact(y + 1)),
                ],
                fill.filled(),
            );
            bar.set_margin(4, 4, 0, 0);
            bar
        }))
        .map_err(s)?;
    Ok(())
}

/// Feature-importance bars for the `top` most important features.
pub fn feature_importance(names: &[String], importances: &[f64], top: usize) -> Result<String> {
    check_finite("importances", importances)?;
    if names.len() != importances.len() {
        return Err(DocsError::invalid(
            "feature importance",
            format!(
                "{} names for {} importances",
                names.len(),
                importances.len()
            ),
        ));
    }
    let bars = top_by_magnitude(names, importances, top);
    render("feature-importance", |root| {
        horizontal_bars(
            root,
            "Feature importance",
            "Importance",
            &bars,
            RGBColor(31, 119, 180),
        )
    })
}

/// The `top` entries by absolute value, largest first; ties keep input order.
fn top_by_magnitude(names: &[String], values: &[f64], top: usize) -> Vec<(String, f64)> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].abs().total_cmp(&values[a].abs()));
    order
        .into_iter()
        .take(top.max(1))
        .map(|i| (names[i].clone(), values[i]))
        .collect()
}

/// SHAP summary (beeswarm): one row per feature (the `top` by mean |SHAP|), one dot per
/// explained row at its SHAP value, coloured from blue (low feature value) to red (high).
/// `shap_values[row][feature]` and `feature_values[row][feature]`.
pub fn shap_summary(
    names: &[String],
    shap_values: &[Vec<f64>],
    feature_values: &[Vec<f64>],
    top: usize,
) -> Result<String> {
    let m = names.len();
    if shap_values.is_empty() || m == 0 {
        return Err(DocsError::invalid("shap values", "no rows or no features"));
    }
    if shap_values.len() != feature_values.len() {
        return Err(DocsError::invalid(
            "shap summary",
            "shap values and feature values have different row counts",
        ));
    }
    for (r, (sv, fv)) in shap_values.iter().zip(feature_values).enumerate() {
        if sv.len() != m || fv.len() != m {
            return Err(DocsError::invalid(
                "shap summary",
                format!("row {r} does not have {m} features"),
            ));
        }
        check_finite(&format!("shap values of row {r}"), sv)?;
    }
    let mean_abs: Vec<f64> = (0..m)
        .map(|j| shap_values.iter().map(|r| r[j].abs()).sum::<f64>() / shap_values.len() as f64)
        .collect();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| mean_abs[b].total_cmp(&mean_abs[a]));
    order.truncate(top.max(1));
    let k = order.len();
    let (x_lo, x_hi) = padded_range(shap_values.iter().flat_map(|r| order.iter().map(|&j| r[j])));
    render("shap-summary", |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("SHAP summary", (FONT, 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(150)
            .build_cartesian_2d(x_lo..x_hi, -0.5f64..(k as f64 - 0.5))
            .map_err(s)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc("SHAP value (impact on model output)")
            .y_labels(k)
            .y_label_formatter(&|y: &f64| {
                let slot = y.round();
                if (y - slot).abs() > 1e-6 || slot < 0.0 || slot as usize >= k {
                    return String::new();
                }
                names[order[k - 1 - slot as usize]].clone()
            })
            .draw()
            .map_err(s)?;
        chart
            .draw_series(LineSeries::new(
                [(0.0, -0.5), (0.0, k as f64 - 0.5)],
                BLACK.mix(0.5),
            ))
            .map_err(s)?;
        for (rank, &j) in order.iter().enumerate() {
            let row_y = (k - 1 - rank) as f64;
            let (v_lo, v_hi) = feature_values
                .iter()
                .map(|r| r[j])
                .filter(|v| v.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                    (a.min(v), b.max(v))
                });
            let span = if v_hi > v_lo { v_hi - v_lo } else { 1.0 };
            let offsets = swarm_offsets(shap_values.iter().map(|r| r[j]), x_lo, x_hi);
            chart
                .draw_series(shap_values.iter().zip(feature_values).zip(offsets).map(
                    |((sv, fv), offset)| {
                        let color = blue_to_red((fv[j] - v_lo) / span);
                        Circle::new((sv[j], row_y + offset), 3, color.filled())
                    },
                ))
                .map_err(s)?;
        }
        Ok(())
    })
}

/// Vertical offsets that spread points sharing an x bin above and below their row, so dense
/// regions show as wide swarms (bounded to ±0.4 of a row).
fn swarm_offsets(xs: impl Iterator<Item = f64>, lo: f64, hi: f64) -> Vec<f64> {
    const BINS: usize = 60;
    let xs: Vec<f64> = xs.collect();
    let bin_of =
        |x: f64| (((x - lo) / (hi - lo)) * BINS as f64).clamp(0.0, BINS as f64 - 1.0) as usize;
    let mut totals = [0usize; BINS];
    for &x in &xs {
        totals[bin_of(x)] += 1;
    }
    let widest = totals.iter().copied().max().unwrap_or(1).max(1) as f64;
    let mut seen = [0usize; BINS];
    xs.iter()
        .map(|&x| {
            let b = bin_of(x);
            let k = seen[b];
            seen[b] += 1;
            let level = k.div_ceil(2) as f64;
            let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
            sign * level / widest * 0.8
        })
        .collect()
}

/// One stepped metric series for [`learning_curves`].
#[derive(Debug, Clone, PartialEq)]
pub struct StepSeries {
    /// Legend label, e.g. `exp-003-mlp train_loss`.
    pub label: String,
    /// `(step, value)` points in step order.
    pub points: Vec<(u64, f64)>,
}

/// Learning curves: each series' value against its step (epoch, boosting round, trial).
pub fn learning_curves(series: &[StepSeries]) -> Result<String> {
    if series.iter().all(|s| s.points.is_empty()) {
        return Err(DocsError::invalid("learning curves", "no stepped points"));
    }
    let max_step = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let (y_lo, y_hi) = padded_range(
        series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .filter(|v| v.is_finite()),
    );
    render("learning-curves", |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("Learning curves", (FONT, 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..max_step, y_lo..y_hi)
            .map_err(s)?;
        chart
            .configure_mesh()
            .x_desc("Step")
            .y_desc("Value")
            .draw()
            .map_err(s)?;
        for (i, series) in series.iter().enumerate() {
            let color = LINE_COLORS[i % LINE_COLORS.len()];
            chart
                .draw_series(LineSeries::new(
                    series
                        .points
                        .iter()
                        .filter(|p| p.1.is_finite())
                        .map(|&(step, v)| (step as f64, v)),
                    color.stroke_width(2),
                ))
                .map_err(s)?
                .label(series.label.as_str())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(s)
    })
}

/// One bar of [`model_comparison`]: a run's headline metric and its interval, if known.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonBar {
    /// Run name.
    pub name: String,
    /// Metric value.
    pub value: f64,
    /// Lower and upper end of the interval drawn as a whisker.
    pub interval: Option<(f64, f64)>,
    /// Whether this is the best run (drawn in a stronger colour).
    pub best: bool,
}

/// Model comparison: one bar per run with interval whiskers, the best run highlighted.
pub fn model_comparison(metric: &str, bars: &[ComparisonBar]) -> Result<String> {
    if bars.is_empty() {
        return Err(DocsError::invalid("model comparison", "no runs"));
    }
    let values: Vec<f64> = bars.iter().map(|b| b.value).collect();
    check_finite("model comparison values", &values)?;
    let (lo, hi) = padded_range(
        bars.iter()
            .flat_map(|b| {
                [
                    b.value,
                    b.interval.map_or(b.value, |i| i.0),
                    b.interval.map_or(b.value, |i| i.1),
                ]
            })
            .chain(std::iter::once(0.0))
            .filter(|v| v.is_finite()),
    );
    let n = bars.len();
    render("model-comparison", |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(format!("Model comparison: {metric}"), (FONT, 22))
            .margin(12)
            .x_label_area_size(60)
            .y_label_area_size(60)
            .build_cartesian_2d(segments(n), lo..hi)
            .map_err(s)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc(metric)
            .x_labels(n)
            .x_label_formatter(&|v: &SegmentValue<usize>| match v {
                SegmentValue::CenterOf(i) => {
                    bars.get(*i).map(|b| b.name.clone()).unwrap_or_default()
                }
                _ => String::new(),
            })
            .draw()
            .map_err(s)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, bar)| {
                let color = if bar.best {
                    RGBColor(44, 160, 44)
                } else {
                    RGBColor(150, 150, 150)
                };
                let mut rect = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), 0.0),
                        (SegmentValue::Exact(i + 1), bar.value),
                    ],
                    color.filled(),
                );
                rect.set_margin(0, 0, 12, 12);
                rect
            }))
            .map_err(s)?;
        chart
            .draw_series(bars.iter().enumerate().filter_map(|(i, bar)| {
                let (low, high) = bar.interval?;
                Some(ErrorBar::new_vertical(
                    SegmentValue::CenterOf(i),
                    low,
                    bar.value,
                    high,
                    BLACK.stroke_width(2),
                    16,
                ))
            }))
            .map_err(s)?;
        Ok(())
    })
}

/// Data for [`forecast`]: the observed series and a forecast with its interval, where
/// `mean[i]` forecasts `actual[start + i]` (the actual may end before the forecast does).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ForecastPlot {
    /// Observed values, history then the test window.
    pub actual: Vec<f64>,
    /// Index into `actual` of the first forecast step.
    pub start: usize,
    /// Point forecast.
    pub mean: Vec<f64>,
    /// Lower end of the prediction interval.
    pub lower: Vec<f64>,
    /// Upper end of the prediction interval.
    pub upper: Vec<f64>,
}

/// Forecast against actual, with the prediction interval shaded.
pub fn forecast(data: &ForecastPlot) -> Result<String> {
    check_finite("actual", &data.actual)?;
    check_finite("forecast mean", &data.mean)?;
    check_same_len("forecast interval", &data.mean, &data.lower)?;
    check_same_len("forecast interval", &data.mean, &data.upper)?;
    let end = (data.start + data.mean.len()).max(data.actual.len()) as f64;
    let (lo, hi) = padded_range(
        data.actual
            .iter()
            .chain(&data.mean)
            .chain(&data.lower)
            .chain(&data.upper)
            .copied()
            .filter(|v| v.is_finite()),
    );
    render("forecast", |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("Forecast vs actual", (FONT, 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..end, lo..hi)
            .map_err(s)?;
        chart
            .configure_mesh()
            .x_desc("Time step")
            .y_desc("Value")
            .draw()
            .map_err(s)?;
        let band: Vec<(f64, f64)> = data
            .upper
            .iter()
            .enumerate()
            .map(|(i, &u)| ((data.start + i) as f64, u))
            .chain(
                data.lower
                    .iter()
                    .enumerate()
                    .rev()
                    .map(|(i, &l)| ((data.start + i) as f64, l)),
            )
            .filter(|p| p.1.is_finite())
            .collect();
        let band_color = LINE_COLORS[1];
        chart
            .draw_series(std::iter::once(Polygon::new(
                band,
                band_color.mix(0.25).filled(),
            )))
            .map_err(s)?
            .label("prediction interval")
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 20, y + 5)], band_color.mix(0.25).filled())
            });
        let actual_color = LINE_COLORS[0];
        chart
            .draw_series(LineSeries::new(
                data.actual.iter().enumerate().map(|(i, &v)| (i as f64, v)),
                actual_color.stroke_width(2),
            ))
            .map_err(s)?
            .label("actual")
            .legend(move |(x, y)| {
                PathElement::new([(x, y), (x + 20, y)], actual_color.stroke_width(2))
            });
        chart
            .draw_series(LineSeries::new(
                data.mean
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| ((data.start + i) as f64, v)),
                band_color.stroke_width(2),
            ))
            .map_err(s)?
            .label("forecast")
            .legend(move |(x, y)| {
                PathElement::new([(x, y), (x + 20, y)], band_color.stroke_width(2))
            });
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(s)
    })
}

/// One recommended item and the reasons behind its score, for [`recommendation_explanations`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RecommendationExplanation {
    /// The user the list is for.
    pub user: String,
    /// The recommended item.
    pub item: String,
    /// The item's score.
    pub score: f64,
    /// `(reason, contribution)` pairs, e.g. `("similar to item 42", 0.31)`.
    pub contributions: Vec<(String, f64)>,
}

/// The top-3 recommendations, one panel each with the contributions behind the score.
pub fn recommendation_explanations(top: &[RecommendationExplanation]) -> Result<String> {
    if top.is_empty() {
        return Err(DocsError::invalid(
            "recommendation explanations",
            "no recommendations",
        ));
    }
    let shown = &top[..top.len().min(3)];
    render("recommendation-explanations", |root| {
        let panels = root.split_evenly((shown.len(), 1));
        for (panel, rec) in panels.iter().zip(shown) {
            let names: Vec<String> = rec.contributions.iter().map(|c| c.0.clone()).collect();
            let values: Vec<f64> = rec.contributions.iter().map(|c| c.1).collect();
            let bars = if values.is_empty() {
                vec![("score".to_string(), rec.score)]
            } else {
                top_by_magnitude(&names, &values, 5)
            };
            horizontal_bars(
                panel,
                &format!("{} for {} (score {:.3})", rec.item, rec.user, rec.score),
                "Contribution",
                &bars,
                RGBColor(255, 0, 82),
            )?;
        }
        Ok(())
    })
}

/// Category axis with exactly `n` slots (plotters' segmented `0..m` has `m + 1`).
fn segments(
    n: usize,
) -> plotters::coord::ranged1d::SegmentedCoord<plotters::coord::types::RangedCoordusize> {
    (0..n.saturating_sub(1)).into_segmented()
}
