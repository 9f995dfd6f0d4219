//! Diagnostics agree with statsmodels on committed fixtures (see fixtures/statsmodels_fixtures.py).

#[path = "fixtures/statsmodels.rs"]
mod sm;

use specweave_forecast::{
    Adf, AdfRegression, Kpss, KpssLags, KpssRegression, LagSelection, Stl, acf, adf, kpss,
    ljung_box, stl,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn close(actual: f64, expected: f64, tolerance: f64, what: &str) {
    let scale = expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= tolerance * scale,
        "{what}: {actual} vs statsmodels {expected}"
    );
}

struct AdfCase {
    stat: f64,
    p: f64,
    lag: usize,
    nobs: usize,
    crit5: f64,
    ic: f64,
}

#[test]
fn adf_matches_statsmodels_adfuller() -> TestResult {
    let cases: [(&str, &[f64], AdfRegression, AdfCase); 9] = [
        (
            "walk c",
            &sm::WALK,
            AdfRegression::Constant,
            AdfCase {
                stat: sm::WALK_ADF_C_STAT,
                p: sm::WALK_ADF_C_P,
                lag: sm::WALK_ADF_C_LAG,
                nobs: sm::WALK_ADF_C_NOBS,
                crit5: sm::WALK_ADF_C_CRIT5,
                ic: sm::WALK_ADF_C_IC,
            },
        ),
        (
            "walk ct",
            &sm::WALK,
            AdfRegression::ConstantTrend,
            AdfCase {
                stat: sm::WALK_ADF_CT_STAT,
                p: sm::WALK_ADF_CT_P,
                lag: sm::WALK_ADF_CT_LAG,
                nobs: sm::WALK_ADF_CT_NOBS,
                crit5: sm::WALK_ADF_CT_CRIT5,
                ic: sm::WALK_ADF_CT_IC,
            },
        ),
        (
            "walk n",
            &sm::WALK,
            AdfRegression::None,
            AdfCase {
                stat: sm::WALK_ADF_N_STAT,
                p: sm::WALK_ADF_N_P,
                lag: sm::WALK_ADF_N_LAG,
                nobs: sm::WALK_ADF_N_NOBS,
                crit5: sm::WALK_ADF_N_CRIT5,
                ic: sm::WALK_ADF_N_IC,
            },
        ),
        (
            "ar c",
            &sm::AR,
            AdfRegression::Constant,
            AdfCase {
                stat: sm::AR_ADF_C_STAT,
                p: sm::AR_ADF_C_P,
                lag: sm::AR_ADF_C_LAG,
                nobs: sm::AR_ADF_C_NOBS,
                crit5: sm::AR_ADF_C_CRIT5,
                ic: sm::AR_ADF_C_IC,
            },
        ),
        (
            "ar ct",
            &sm::AR,
            AdfRegression::ConstantTrend,
            AdfCase {
                stat: sm::AR_ADF_CT_STAT,
                p: sm::AR_ADF_CT_P,
                lag: sm::AR_ADF_CT_LAG,
                nobs: sm::AR_ADF_CT_NOBS,
                crit5: sm::AR_ADF_CT_CRIT5,
                ic: sm::AR_ADF_CT_IC,
            },
        ),
        (
            "ar n",
            &sm::AR,
            AdfRegression::None,
            AdfCase {
                stat: sm::AR_ADF_N_STAT,
                p: sm::AR_ADF_N_P,
                lag: sm::AR_ADF_N_LAG,
                nobs: sm::AR_ADF_N_NOBS,
                crit5: sm::AR_ADF_N_CRIT5,
                ic: sm::AR_ADF_N_IC,
            },
        ),
        (
            "ari c",
            &sm::ARI,
            AdfRegression::Constant,
            AdfCase {
                stat: sm::ARI_ADF_C_STAT,
                p: sm::ARI_ADF_C_P,
                lag: sm::ARI_ADF_C_LAG,
                nobs: sm::ARI_ADF_C_NOBS,
                crit5: sm::ARI_ADF_C_CRIT5,
                ic: sm::ARI_ADF_C_IC,
            },
        ),
        (
            "ari ct",
            &sm::ARI,
            AdfRegression::ConstantTrend,
            AdfCase {
                stat: sm::ARI_ADF_CT_STAT,
                p: sm::ARI_ADF_CT_P,
                lag: sm::ARI_ADF_CT_LAG,
                nobs: sm::ARI_ADF_CT_NOBS,
                crit5: sm::ARI_ADF_CT_CRIT5,
                ic: sm::ARI_ADF_CT_IC,
            },
        ),
        (
            "ari n",
            &sm::ARI,
            AdfRegression::None,
            AdfCase {
                stat: sm::ARI_ADF_N_STAT,
                p: sm::ARI_ADF_N_P,
                lag: sm::ARI_ADF_N_LAG,
                nobs: sm::ARI_ADF_N_NOBS,
                crit5: sm::ARI_ADF_N_CRIT5,
                ic: sm::ARI_ADF_N_IC,
            },
        ),
    ];
    for (name, values, regression, expected) in cases {
        let result = Adf::new().regression(regression).test(values)?;
        close(result.statistic, expected.stat, 1e-9, name);
        // p-values near 0 are compared absolutely
        assert!(
            (result.p_value - expected.p).abs() < 1e-9,
            "{name}: p {} vs {}",
            result.p_value,
            expected.p
        );
        assert_eq!(result.used_lag, expected.lag, "{name}");
        assert_eq!(result.n_obs, expected.nobs, "{name}");
        close(
            result.critical_values.five_percent,
            expected.crit5,
            1e-12,
            name,
        );
        close(result.ic_best.ok_or("ic")?, expected.ic, 1e-9, name);
    }
    assert_eq!(adf(&sm::ARI)?.used_lag, 2);
    for (values, stat, p) in [
        (
            &sm::WALK[..],
            sm::WALK_ADF_FIXED2_STAT,
            sm::WALK_ADF_FIXED2_P,
        ),
        (&sm::AR[..], sm::AR_ADF_FIXED2_STAT, sm::AR_ADF_FIXED2_P),
        (&sm::ARI[..], sm::ARI_ADF_FIXED2_STAT, sm::ARI_ADF_FIXED2_P),
    ] {
        let result = Adf::new().lags(LagSelection::Fixed(2)).test(values)?;
        close(result.statistic, stat, 1e-9, "fixed lag");
        assert!((result.p_value - p).abs() < 1e-9);
        assert!(result.ic_best.is_none());
    }
    Ok(())
}

#[test]
fn kpss_matches_statsmodels() -> TestResult {
    // (series, regression, bandwidth, statistic, p-value, lags) from statsmodels
    type KpssCase<'a> = (&'a [f64], KpssRegression, KpssLags, f64, f64, usize);
    let cases: [KpssCase<'_>; 12] = [
        (
            &sm::WALK,
            KpssRegression::Level,
            KpssLags::Auto,
            sm::WALK_KPSS_C_AUTO_STAT,
            sm::WALK_KPSS_C_AUTO_P,
            sm::WALK_KPSS_C_AUTO_LAGS,
        ),
        (
            &sm::WALK,
            KpssRegression::Level,
            KpssLags::Legacy,
            sm::WALK_KPSS_C_LEGACY_STAT,
            sm::WALK_KPSS_C_LEGACY_P,
            sm::WALK_KPSS_C_LEGACY_LAGS,
        ),
        (
            &sm::WALK,
            KpssRegression::Trend,
            KpssLags::Auto,
            sm::WALK_KPSS_CT_AUTO_STAT,
            sm::WALK_KPSS_CT_AUTO_P,
            sm::WALK_KPSS_CT_AUTO_LAGS,
        ),
        (
            &sm::WALK,
            KpssRegression::Trend,
            KpssLags::Legacy,
            sm::WALK_KPSS_CT_LEGACY_STAT,
            sm::WALK_KPSS_CT_LEGACY_P,
            sm::WALK_KPSS_CT_LEGACY_LAGS,
        ),
        (
            &sm::AR,
            KpssRegression::Level,
            KpssLags::Auto,
            sm::AR_KPSS_C_AUTO_STAT,
            sm::AR_KPSS_C_AUTO_P,
            sm::AR_KPSS_C_AUTO_LAGS,
        ),
        (
            &sm::AR,
            KpssRegression::Level,
            KpssLags::Legacy,
            sm::AR_KPSS_C_LEGACY_STAT,
            sm::AR_KPSS_C_LEGACY_P,
            sm::AR_KPSS_C_LEGACY_LAGS,
        ),
        (
            &sm::AR,
            KpssRegression::Trend,
            KpssLags::Auto,
            sm::AR_KPSS_CT_AUTO_STAT,
            sm::AR_KPSS_CT_AUTO_P,
            sm::AR_KPSS_CT_AUTO_LAGS,
        ),
        (
            &sm::AR,
            KpssRegression::Trend,
            KpssLags::Legacy,
            sm::AR_KPSS_CT_LEGACY_STAT,
            sm::AR_KPSS_CT_LEGACY_P,
            sm::AR_KPSS_CT_LEGACY_LAGS,
        ),
        (
            &sm::ARI,
            KpssRegression::Level,
            KpssLags::Auto,
            sm::ARI_KPSS_C_AUTO_STAT,
            sm::ARI_KPSS_C_AUTO_P,
            sm::ARI_KPSS_C_AUTO_LAGS,
        ),
        (
            &sm::ARI,
            KpssRegression::Level,
            KpssLags::Legacy,
            sm::ARI_KPSS_C_LEGACY_STAT,
            sm::ARI_KPSS_C_LEGACY_P,
            sm::ARI_KPSS_C_LEGACY_LAGS,
        ),
        (
            &sm::ARI,
            KpssRegression::Trend,
            KpssLags::Auto,
            sm::ARI_KPSS_CT_AUTO_STAT,
            sm::ARI_KPSS_CT_AUTO_P,
            sm::ARI_KPSS_CT_AUTO_LAGS,
        ),
        (
            &sm::ARI,
            KpssRegression::Trend,
            KpssLags::Legacy,
            sm::ARI_KPSS_CT_LEGACY_STAT,
            sm::ARI_KPSS_CT_LEGACY_P,
            sm::ARI_KPSS_CT_LEGACY_LAGS,
        ),
    ];
    for (i, (values, regression, lags, stat, p, used)) in cases.into_iter().enumerate() {
        let result = Kpss::new().regression(regression).lags(lags).test(values)?;
        assert_eq!(result.lags, used, "case {i}");
        close(
            result.statistic,
            stat,
            1e-10,
            &format!("case {i} statistic"),
        );
        close(result.p_value, p, 1e-10, &format!("case {i} p-value"));
    }
    assert_eq!(kpss(&sm::AR)?.lags, sm::AR_KPSS_C_AUTO_LAGS);
    assert!(
        Kpss::new()
            .lags(KpssLags::Fixed(200))
            .test(&sm::AR)
            .is_err()
    );
    Ok(())
}

#[test]
fn acf_and_ljung_box_match_statsmodels() -> TestResult {
    let r = acf(&sm::AR, 10)?;
    for (k, (ours, theirs)) in r.iter().zip(sm::AR_ACF.iter()).enumerate() {
        close(*ours, *theirs, 1e-12, &format!("acf lag {k}"));
    }
    let test = ljung_box(&sm::AR, 10, 0)?;
    close(test.statistic, sm::AR_LB10_STAT, 1e-10, "Q");
    assert!((test.p_value - sm::AR_LB10_P).abs() < 1e-25 + 1e-8 * sm::AR_LB10_P);
    let test = ljung_box(&sm::NOISE, 12, 2)?;
    assert_eq!(test.df, 10);
    close(
        test.statistic,
        sm::NOISE_LB12_DF2_STAT,
        1e-10,
        "Q white noise",
    );
    close(test.p_value, sm::NOISE_LB12_DF2_P, 1e-10, "p white noise");
    assert!(ljung_box(&sm::NOISE, 2, 2).is_err());
    assert!(acf(&[1.0; 10], 2).is_err());
    Ok(())
}

fn assert_series_close(ours: &[f64], theirs: &[f64], tolerance: f64, what: &str) {
    assert_eq!(ours.len(), theirs.len(), "{what}");
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        assert!(
            (a - b).abs() < tolerance,
            "{what}[{i}]: {a} vs statsmodels {b}"
        );
    }
}

#[test]
fn stl_matches_statsmodels() -> TestResult {
    let parts = stl(&sm::SEASONAL, 12)?;
    assert_series_close(&parts.trend, &sm::STL_TREND, 1e-9, "trend");
    assert_series_close(&parts.seasonal, &sm::STL_SEASONAL, 1e-9, "seasonal");
    for ((y, t), (s, r)) in sm::SEASONAL
        .iter()
        .zip(&parts.trend)
        .zip(parts.seasonal.iter().zip(&parts.residual))
    {
        assert!((y - t - s - r).abs() < 1e-12);
    }
    let robust = Stl::new(12)?.robust(true).decompose(&sm::SEASONAL)?;
    assert_series_close(&robust.trend, &sm::STL_ROBUST_TREND, 1e-9, "robust trend");
    assert_series_close(
        &robust.seasonal,
        &sm::STL_ROBUST_SEASONAL,
        1e-9,
        "robust seasonal",
    );
    assert_series_close(
        &robust.weights,
        &sm::STL_ROBUST_WEIGHTS,
        1e-9,
        "robust weights",
    );
    // the injected outlier at t = 40 is downweighted
    assert!(robust.weights[40] < 0.1);
    let custom = Stl::new(12)?
        .seasonal(13)?
        .trend(31)?
        .decompose(&sm::SEASONAL)?;
    assert_series_close(&custom.trend, &sm::STL_S13_T31_TREND, 1e-9, "s13 t31 trend");
    assert_series_close(
        &custom.seasonal,
        &sm::STL_S13_T31_SEASONAL,
        1e-9,
        "s13 t31 seasonal",
    );
    assert!(parts.seasonal_strength() > 0.8);
    assert!(Stl::new(12)?.seasonal(8).is_err());
    assert!(stl(&sm::SEASONAL[..20], 12).is_err());
    Ok(())
}

#[test]
fn holt_winters_reaches_the_statsmodels_optimum() -> TestResult {
    use specweave_core::{Forecaster, Series};
    use specweave_forecast::HoltWinters;
    let series = Series::new((0..120).collect(), sm::HW_SERIES.iter().copied().collect())?;
    let mut model = HoltWinters::builder().build()?;
    model.fit(&series)?;
    // statsmodels also estimates the start states; our fit must be at least as good
    let sse = model.sse()?;
    assert!(
        sse <= sm::HW_SSE * 1.001,
        "SSE {sse} vs statsmodels {}",
        sm::HW_SSE
    );
    let forecast = model.forecast(12, 0.95)?;
    for (h, (ours, theirs)) in forecast.mean.iter().zip(sm::HW_FORECAST.iter()).enumerate() {
        assert!(
            (ours - theirs).abs() < 0.01 * theirs.abs(),
            "step {h}: {ours} vs {theirs}"
        );
    }
    Ok(())
}

#[test]
fn diagnose_reports_the_joint_verdict() -> TestResult {
    use specweave_forecast::{Stationarity, diagnose};
    let walk = diagnose(&sm::WALK, None)?;
    assert_eq!(walk.stationarity, Stationarity::UnitRoot);
    assert_eq!(walk.adf.statistic, adf(&sm::WALK)?.statistic);
    assert!(walk.seasonal_strength.is_none());
    let seasonal = diagnose(&sm::SEASONAL, Some(12))?;
    assert!(seasonal.seasonal_strength.ok_or("strength")? > 0.8);
    assert_eq!(seasonal.ljung_box.lags, 19); // min(2·12, 96/5)
    let markdown = seasonal.to_markdown();
    assert!(markdown.contains("| KPSS |") && markdown.contains("STL (period 12)"));
    assert!(diagnose(&sm::WALK[..10], None).is_err());
    Ok(())
}

#[test]
fn adf_skips_collinear_lags_of_exactly_periodic_data() -> TestResult {
    let periodic: Vec<f64> = (0..120)
        .map(|t| ((t * 7) % 5) as f64 + (t % 12) as f64)
        .collect();
    let result = adf(&periodic)?;
    assert!(result.statistic.is_finite() && result.p_value.is_finite());
    Ok(())
}
