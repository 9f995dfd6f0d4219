//! The synthetic generators: seeded, shaped as documented.

use specweave_core::Target;
use specweave_data::synth::{ClassificationSpec, InteractionsSpec, RegressionSpec, SeriesSpec};

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn classification_is_seeded_and_exactly_imbalanced() -> TestResult {
    let a = ClassificationSpec::new(100_000)
        .positive_rate(0.001)
        .seed(5)
        .generate()?;
    let b = ClassificationSpec::new(100_000)
        .positive_rate(0.001)
        .seed(5)
        .generate()?;
    let c = ClassificationSpec::new(100_000)
        .positive_rate(0.001)
        .seed(6)
        .generate()?;
    assert_eq!(a, b);
    assert_ne!(a, c);
    let Target::Classes { labels, .. } = a.target() else {
        return Err("classes expected".into());
    };
    assert_eq!(labels.iter().filter(|&&l| l == 1).count(), 100);
    // Informative features separate the classes; noise does not.
    let mean_of = |col: usize, class: usize| {
        let rows: Vec<f64> = labels
            .iter()
            .enumerate()
            .filter(|(_, l)| **l == class)
            .map(|(r, _)| a.features()[[r, col]])
            .collect();
        rows.iter().sum::<f64>() / rows.len() as f64
    };
    assert!((mean_of(0, 1) - mean_of(0, 0) - 1.5).abs() < 0.4);
    assert!((mean_of(4, 1) - mean_of(4, 0)).abs() < 0.4);
    assert!(
        ClassificationSpec::new(10)
            .positive_rate(1.5)
            .generate()
            .is_err()
    );
    Ok(())
}

#[test]
fn regression_target_is_positive_and_right_skewed() -> TestResult {
    let data = RegressionSpec::new(20_000).seed(2).generate()?;
    let y = data.target().as_f64().ok_or("continuous")?;
    assert!(y.iter().all(|v| *v > 0.0));
    let n = y.len() as f64;
    let mean = y.sum() / n;
    let std = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    let skew = y.iter().map(|v| ((v - mean) / std).powi(3)).sum::<f64>() / n;
    assert!(skew > 1.0, "skewness {skew}");
    Ok(())
}

#[test]
fn interactions_follow_a_power_law_and_time_order_per_user() -> TestResult {
    let log = InteractionsSpec::new(500, 1_000)
        .interactions_per_user(30.0)
        .seed(9)
        .generate()?;
    assert_eq!(
        log,
        InteractionsSpec::new(500, 1_000)
            .interactions_per_user(30.0)
            .seed(9)
            .generate()?
    );
    let mut counts = vec![0usize; log.n_items()];
    for &item in log.items() {
        counts[item as usize] += 1;
    }
    let head: usize = counts[..100].iter().sum();
    let tail: usize = counts[900..].iter().sum();
    assert!(
        head > 3 * tail,
        "popular items dominate: head {head}, tail {tail}"
    );
    // No repeated (user, item) pair and increasing timestamps within each user.
    let mut seen = std::collections::HashSet::new();
    for i in 0..log.len() {
        assert!(seen.insert((log.users()[i], log.items()[i])));
        if i > 0 && log.users()[i] == log.users()[i - 1] {
            assert!(log.timestamps()[i] >= log.timestamps()[i - 1]);
        }
    }
    Ok(())
}

#[test]
fn series_has_trend_and_season() -> TestResult {
    let series = SeriesSpec::new(365)
        .period(7)
        .trend(0.2)
        .amplitude(5.0)
        .noise(1.0)
        .seed(4)
        .generate()?;
    let v = series.values();
    let first: f64 = v.iter().take(28).sum::<f64>() / 28.0;
    let last: f64 = v.iter().skip(337).sum::<f64>() / 28.0;
    assert!(
        (last - first - 0.2 * 337.0).abs() < 3.0,
        "trend: {first} -> {last}"
    );
    assert_eq!(series.timestamps()[1] - series.timestamps()[0], 86_400_000);
    assert!(SeriesSpec::new(10).period(1).generate().is_err());
    Ok(())
}
