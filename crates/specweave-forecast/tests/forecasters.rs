//! Baselines, Holt-Winters and the automatic model on seeded synthetic series.

mod support;

use specweave_core::{Forecaster, Series};
use specweave_forecast::{
    AutoEts, Drift, HoltWinters, MovingAverage, Naive, RollingOrigin, SeasonalNaive, Seasonality,
    Trend, Window, load_forecaster,
};
use support::{additive_seasonal, mape, mase, multiplicative_seasonal};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn split(series: &Series, test: usize) -> Result<(Series, Vec<f64>), Box<dyn std::error::Error>> {
    let n = series.len();
    let train = series.slice(0, n - test)?;
    let actual = series.values().as_slice().ok_or("contiguous")?[n - test..].to_vec();
    Ok((train, actual))
}

fn holdout_mase(
    model: &mut dyn Forecaster,
    series: &Series,
    test: usize,
) -> Result<f64, Box<dyn std::error::Error>> {
    let (train, actual) = split(series, test)?;
    model.fit(&train)?;
    let forecast = model.forecast(test, 0.95)?;
    let train_values = train.values().to_vec();
    Ok(mase(
        &actual,
        forecast.mean.as_slice().ok_or("contiguous")?,
        &train_values,
        12,
    ))
}

#[test]
fn holt_winters_beats_seasonal_naive_on_mase_across_seeds() -> TestResult {
    for seed in 0..5 {
        let series = additive_seasonal(144, 12, 200.0, 0.8, 25.0, 4.0, seed);
        let mut hw = HoltWinters::builder()
            .trend(Trend::Additive)
            .seasonality(Seasonality::Additive, 12)
            .build()?;
        let mut snaive = SeasonalNaive::new(12)?;
        let hw_mase = holdout_mase(&mut hw, &series, 24)?;
        let snaive_mase = holdout_mase(&mut snaive, &series, 24)?;
        assert!(
            hw_mase < snaive_mase,
            "seed {seed}: HW {hw_mase} vs SNaive {snaive_mase}"
        );
        assert!(hw_mase < 0.8, "seed {seed}: HW MASE {hw_mase}");
    }
    Ok(())
}

#[test]
fn holt_winters_wins_the_rolling_origin_backtest() -> TestResult {
    let series = additive_seasonal(144, 12, 200.0, 0.8, 25.0, 4.0, 11);
    let plan = RollingOrigin::builder()
        .window(Window::Expanding { initial: 96 })
        .horizon(12)
        .step(6)
        .build()?;
    let mut hw = HoltWinters::builder().build()?;
    let hw_report = plan.run(&mut hw, &series)?;
    let snaive_report = plan.run(&mut SeasonalNaive::new(12)?, &series)?;
    let naive_report = plan.run(&mut Naive::new(), &series)?;
    assert_eq!(hw_report.origins.len(), 7);
    assert!(hw_report.mae() < snaive_report.mae());
    assert!(snaive_report.mae() < naive_report.mae());
    // 95% intervals of a well-specified model cover most outcomes
    assert!(
        hw_report.coverage() > 0.85,
        "coverage {}",
        hw_report.coverage()
    );
    Ok(())
}

#[test]
fn multiplicative_holt_winters_fits_growing_seasonality() -> TestResult {
    let series = multiplicative_seasonal(120, 12, 100.0, 1.5, 0.3, 0.02, 3);
    let (train, actual) = split(&series, 12)?;
    let mut multiplicative = HoltWinters::builder()
        .seasonality(Seasonality::Multiplicative, 12)
        .build()?;
    let mut additive = HoltWinters::builder()
        .seasonality(Seasonality::Additive, 12)
        .build()?;
    multiplicative.fit(&train)?;
    additive.fit(&train)?;
    let fm = multiplicative.forecast(12, 0.9)?;
    let fa = additive.forecast(12, 0.9)?;
    let m_mape = mape(&actual, fm.mean.as_slice().ok_or("contiguous")?);
    let a_mape = mape(&actual, fa.mean.as_slice().ok_or("contiguous")?);
    assert!(
        m_mape < a_mape,
        "multiplicative {m_mape} vs additive {a_mape}"
    );
    assert!(m_mape < 5.0, "MAPE {m_mape}");
    for h in 0..12 {
        assert!(
            fm.lower[h] < fm.mean[h] && fm.mean[h] < fm.upper[h],
            "step {h}"
        );
    }
    // simulated intervals are reproducible
    assert_eq!(multiplicative.forecast(12, 0.9)?, fm);
    Ok(())
}

#[test]
fn damped_trend_flattens_long_horizons() -> TestResult {
    let series = additive_seasonal(96, 12, 50.0, 1.0, 5.0, 1.0, 5);
    let mut damped = HoltWinters::builder()
        .trend(Trend::AdditiveDamped)
        .seasonality(Seasonality::None, 1)
        .build()?;
    damped.fit(&series)?;
    let phi = damped.smoothing()?.phi;
    assert!((0.8..=0.98).contains(&phi), "phi {phi}");
    let f = damped.forecast(200, 0.95)?;
    let late_growth = f.mean[199] - f.mean[189];
    let early_growth = f.mean[10] - f.mean[0];
    assert!(late_growth.abs() < early_growth.abs());
    Ok(())
}

#[test]
fn additive_interval_variance_matches_the_state_space_formula() -> TestResult {
    // without trend and season the h-step variance is σ²(1 + (h−1)α²)
    let series = additive_seasonal(80, 12, 10.0, 0.0, 0.0, 1.0, 9);
    let mut ses = HoltWinters::builder()
        .trend(Trend::None)
        .seasonality(Seasonality::None, 1)
        .build()?;
    ses.fit(&series)?;
    let alpha = ses.smoothing()?.alpha;
    let f = ses.forecast(5, 0.95)?;
    let half = |h: usize| (f.upper[h] - f.lower[h]) / 2.0;
    for h in 1..5 {
        let ratio = half(h) / half(0);
        let expected = (1.0 + h as f64 * alpha * alpha).sqrt();
        assert!(
            (ratio - expected).abs() < 1e-9,
            "h {h}: {ratio} vs {expected}"
        );
    }
    Ok(())
}

#[test]
fn auto_ets_picks_a_seasonal_model_for_seasonal_data() -> TestResult {
    let series = additive_seasonal(120, 12, 100.0, 0.5, 15.0, 2.0, 21);
    let mut auto = AutoEts::new(Some(12))?;
    auto.fit(&series)?;
    let selected = auto.selected().ok_or("selected")?;
    assert_ne!(selected.hyperparams().seasonality, Seasonality::None);
    assert_eq!(auto.candidates().len(), 9);
    let best = auto
        .candidates()
        .iter()
        .filter_map(|c| c.aicc)
        .fold(f64::INFINITY, f64::min);
    assert_eq!(selected.aicc()?, best);
    // non-positive data rules out multiplicative candidates instead of failing
    let shifted = Series::new(series.timestamps().to_vec(), series.values() - 150.0)?;
    auto.fit(&shifted)?;
    assert_eq!(auto.candidates().len(), 6);
    Ok(())
}

#[test]
fn baselines_follow_their_textbook_formulas() -> TestResult {
    let series = Series::new(
        (0..8).collect(),
        ndarray::array![1.0, 3.0, 2.0, 4.0, 3.0, 5.0, 4.0, 6.0],
    )?;
    // naive: σ² = mean of squared differences
    let mut naive = Naive::new();
    naive.fit(&series)?;
    let f = naive.forecast(4, 0.95)?;
    let diffs = [2.0, -1.0, 2.0, -1.0, 2.0, -1.0, 2.0_f64];
    let sigma = (diffs.iter().map(|d| d * d).sum::<f64>() / 7.0).sqrt();
    assert!((f.upper[3] - 6.0 - 1.959_963_984_540_054 * sigma * 2.0).abs() < 1e-9);
    // seasonal naive with period 2: k = ⌊(h−1)/m⌋ widens every second step
    let mut snaive = SeasonalNaive::new(2)?;
    snaive.fit(&series)?;
    let f = snaive.forecast(4, 0.8)?;
    assert_eq!(f.mean.to_vec(), vec![4.0, 6.0, 4.0, 6.0]);
    assert!((f.upper[0] - f.mean[0] - (f.upper[1] - f.mean[1])).abs() < 1e-12);
    let ratio = (f.upper[2] - f.mean[2]) / (f.upper[0] - f.mean[0]);
    assert!((ratio - 2.0_f64.sqrt()).abs() < 1e-12);
    // drift: slope (6 − 1)/7
    let mut drift = Drift::new();
    drift.fit(&series)?;
    assert!((drift.forecast(7, 0.9)?.mean[6] - 11.0).abs() < 1e-12);
    let mut average = MovingAverage::new(4)?;
    average.fit(&series)?;
    assert_eq!(average.forecast(1, 0.9)?.mean[0], 4.5);
    Ok(())
}

#[test]
fn every_forecaster_round_trips_through_its_model_file() -> TestResult {
    let series = additive_seasonal(72, 12, 30.0, 0.1, 3.0, 0.5, 8);
    let mut models: Vec<Box<dyn Forecaster>> = vec![
        Box::new(Naive::new()),
        Box::new(SeasonalNaive::new(12)?),
        Box::new(Drift::new()),
        Box::new(MovingAverage::new(6)?),
        Box::new(HoltWinters::builder().build()?),
        Box::new(
            HoltWinters::builder()
                .seasonality(Seasonality::Multiplicative, 12)
                .build()?,
        ),
        Box::new(AutoEts::new(Some(12))?),
    ];
    for model in &mut models {
        assert!(
            model.to_bytes().is_err(),
            "{} saved before fit",
            model.name()
        );
        model.fit(&series)?;
        let bytes = model.to_bytes()?;
        let loaded = load_forecaster(&bytes)?;
        assert_eq!(loaded.name(), model.name());
        assert_eq!(
            loaded.forecast(13, 0.9)?,
            model.forecast(13, 0.9)?,
            "{}",
            model.name()
        );
        let mut corrupted = bytes.clone();
        let last = corrupted.len() - 2;
        corrupted[last] ^= 0x20;
        assert!(load_forecaster(&corrupted).is_err());
    }
    Ok(())
}

#[test]
fn bad_input_gets_clear_errors() -> TestResult {
    let short = Series::new((0..10).collect(), ndarray::Array1::linspace(1.0, 10.0, 10))?;
    let mut hw = HoltWinters::builder().build()?;
    let err = hw.fit(&short).err().ok_or("too short must fail")?;
    assert!(
        err.to_string().contains("at least 24 observations"),
        "{err}"
    );
    assert!(hw.forecast(3, 0.9).is_err());
    assert!(SeasonalNaive::new(0).is_err());
    assert!(MovingAverage::new(1).is_err());
    let mut naive = Naive::new();
    naive.fit(&short)?;
    assert!(naive.forecast(0, 0.9).is_err());
    assert!(naive.forecast(3, 1.0).is_err());
    let negative = Series::new((0..30).collect(), ndarray::Array1::linspace(-5.0, 10.0, 30))?;
    let mut multiplicative = HoltWinters::builder()
        .seasonality(Seasonality::Multiplicative, 4)
        .build()?;
    let err = multiplicative
        .fit(&negative)
        .err()
        .ok_or("negative must fail")?;
    assert!(err.to_string().contains("strictly positive"), "{err}");
    Ok(())
}

#[test]
fn holt_winters_residuals_pass_ljung_box_and_naive_residuals_do_not() -> TestResult {
    use specweave_forecast::ljung_box;
    let series = additive_seasonal(144, 12, 200.0, 0.8, 25.0, 4.0, 17);
    let mut hw = HoltWinters::builder().build()?;
    hw.fit(&series)?;
    // a well-specified model leaves white-noise residuals (2 smoothing parameters + states)
    let residuals = &hw.residuals()?[12..];
    let test = ljung_box(residuals, 24, 0)?;
    assert!(test.p_value > 0.01, "HW residuals: {test:?}");
    // differences of a seasonal series keep the season: strongly autocorrelated
    let values = series.values().to_vec();
    let differences: Vec<f64> = values.windows(2).map(|w| w[1] - w[0]).collect();
    let naive = ljung_box(&differences, 24, 0)?;
    assert!(naive.p_value < 1e-6, "naive residuals: {naive:?}");
    Ok(())
}

#[test]
fn rolling_origin_folds_respect_time_order() -> TestResult {
    use specweave_core::{Dataset, Splitter, Target};
    let plan = RollingOrigin::builder()
        .window(Window::Sliding { size: 4 })
        .horizon(2)
        .step(3)
        .build()?;
    assert_eq!(plan.origins(11)?, vec![(0, 4), (3, 7)]);
    assert!(plan.origins(5).is_err());
    // rows given out of time order are sorted by timestamp before folding
    let timestamps = vec![50, 10, 40, 20, 30, 60, 80, 70, 100, 90, 110];
    let data = Dataset::builder(ndarray::Array2::zeros((11, 1)))
        .target(Target::Continuous(ndarray::Array1::zeros(11)))
        .timestamps(timestamps.clone())
        .build()?;
    assert!(plan.is_time_ordered());
    for fold in plan.split(&data)? {
        let last_train = fold
            .train
            .iter()
            .map(|&r| timestamps[r])
            .max()
            .ok_or("train")?;
        let first_valid = fold
            .validation
            .iter()
            .map(|&r| timestamps[r])
            .min()
            .ok_or("valid")?;
        assert!(last_train < first_valid);
        assert_eq!((fold.train.len(), fold.validation.len()), (4, 2));
    }
    let without_time = Dataset::builder(ndarray::Array2::zeros((11, 1))).build()?;
    assert!(plan.split(&without_time).is_err());
    assert!(RollingOrigin::builder().step(0).build().is_err());
    assert!(RollingOrigin::builder().horizon(0).build().is_err());
    Ok(())
}

#[test]
fn auto_ets_prefers_a_trend_without_season_for_a_drifting_walk() -> TestResult {
    let steps = support::white_noise(150, 77);
    let mut level = 100.0;
    let values: Vec<f64> = steps
        .iter()
        .map(|e| {
            level += 0.5 + e;
            level
        })
        .collect();
    let series = Series::new(support::timestamps(150), values.into_iter().collect())?;
    let mut auto = AutoEts::new(None)?;
    auto.fit(&series)?;
    let selected = auto.selected().ok_or("selected")?;
    assert_eq!(selected.hyperparams().seasonality, Seasonality::None);
    assert_eq!(auto.candidates().len(), 3);
    // a random walk has α close to 1
    assert!(
        selected.smoothing()?.alpha > 0.8,
        "{:?}",
        selected.smoothing()?
    );
    Ok(())
}

#[test]
fn edge_case_series_fit_without_panicking() -> TestResult {
    let constant = Series::new(support::timestamps(48), ndarray::Array1::from_elem(48, 7.0))?;
    let scaled = Series::new(
        support::timestamps(48),
        additive_seasonal(48, 12, 1e12, 1e9, 1e10, 1e8, 3)
            .values()
            .clone(),
    )?;
    for series in [&constant, &scaled] {
        let mut models: Vec<Box<dyn Forecaster>> = vec![
            Box::new(Naive::new()),
            Box::new(SeasonalNaive::new(12)?),
            Box::new(Drift::new()),
            Box::new(MovingAverage::new(12)?),
            Box::new(HoltWinters::builder().build()?),
            Box::new(
                HoltWinters::builder()
                    .trend(Trend::AdditiveDamped)
                    .build()?,
            ),
            Box::new(
                HoltWinters::builder()
                    .seasonality(Seasonality::Multiplicative, 12)
                    .build()?,
            ),
            Box::new(AutoEts::new(Some(12))?),
        ];
        for model in &mut models {
            model.fit(series)?;
            let f = model.forecast(6, 0.95)?;
            assert!(
                f.mean
                    .iter()
                    .chain(&f.lower)
                    .chain(&f.upper)
                    .all(|v| v.is_finite()),
                "{}: {f:?}",
                model.name()
            );
        }
    }
    // exactly the minimum length of a seasonal model
    let minimal = additive_seasonal(24, 12, 10.0, 0.1, 2.0, 0.3, 4);
    let mut hw = HoltWinters::builder().build()?;
    hw.fit(&minimal)?;
    assert!(hw.forecast(3, 0.9)?.mean.iter().all(|v| v.is_finite()));
    Ok(())
}
