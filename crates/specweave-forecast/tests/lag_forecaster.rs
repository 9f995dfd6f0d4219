//! The learner-backed forecaster with a small ridge regression learner written for the test.

mod support;

use ndarray::{Array1, ArrayView2};
use serde::{Deserialize, Serialize};
use specweave_core::{
    Dataset, Forecaster, Learner, Model, ModelFile, ModelInfo, Predictions, ProblemKind, Target,
};
use specweave_forecast::{
    HoltWinters, LagFeatures, LagForecaster, RollingOrigin, SeasonalNaive, Window,
};
use std::sync::Arc;
use support::{additive_seasonal, mase};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Ridge regression on standardised features with an unpenalised intercept.
#[derive(Debug)]
struct Ridge {
    lambda: f64,
}

#[derive(Debug, Serialize, Deserialize)]
struct RidgeModel {
    names: Vec<String>,
    means: Vec<f64>,
    scales: Vec<f64>,
    coefficients: Vec<f64>,
    intercept: f64,
}

impl Learner for Ridge {
    fn name(&self) -> &str {
        "ridge"
    }
    fn problem(&self) -> ProblemKind {
        ProblemKind::Regression
    }
    fn params(&self) -> serde_json::Value {
        serde_json::json!({ "lambda": self.lambda })
    }
    fn fit(&self, data: &Dataset) -> specweave_core::Result<Box<dyn Model>> {
        let Target::Continuous(y) = data.target() else {
            return Err(specweave_core::Error::InvalidInput(
                "ridge needs a continuous target".into(),
            ));
        };
        let x = data.features();
        let (n, p) = x.dim();
        let means: Vec<f64> = (0..p).map(|j| x.column(j).mean().unwrap_or(0.0)).collect();
        let scales: Vec<f64> = (0..p)
            .map(|j| {
                let sd = x.column(j).std(0.0);
                if sd > 1e-12 { sd } else { 1.0 }
            })
            .collect();
        let y_mean = y.mean().unwrap_or(0.0);
        let z = |i: usize, j: usize| (x[[i, j]] - means[j]) / scales[j];
        // normal equations (ZᵀZ + λI)β = Zᵀ(y − ȳ), solved by Gaussian elimination
        let mut a = vec![vec![0.0; p + 1]; p];
        for (r, row) in a.iter_mut().enumerate() {
            for (c, cell) in row.iter_mut().take(p).enumerate() {
                let penalty = if r == c { self.lambda } else { 0.0 };
                *cell = (0..n).map(|i| z(i, r) * z(i, c)).sum::<f64>() + penalty;
            }
            row[p] = (0..n).map(|i| z(i, r) * (y[i] - y_mean)).sum();
        }
        for col in 0..p {
            let pivot = (col..p)
                .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
                .unwrap_or(col);
            a.swap(col, pivot);
            let (top, bottom) = a.split_at_mut(col + 1);
            let pivot_row = &top[col];
            for row in bottom.iter_mut() {
                let f = row[col] / pivot_row[col];
                for (x, v) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                    *x -= f * v;
                }
            }
        }
        let mut coefficients = vec![0.0; p];
        for r in (0..p).rev() {
            let s: f64 = (r + 1..p).map(|c| a[r][c] * coefficients[c]).sum();
            coefficients[r] = (a[r][p] - s) / a[r][r];
        }
        Ok(Box::new(RidgeModel {
            names: data.feature_names().to_vec(),
            means,
            scales,
            coefficients,
            intercept: y_mean,
        }))
    }
}

impl Model for RidgeModel {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            algorithm: "ridge".into(),
            problem: ProblemKind::Regression,
            params: serde_json::Value::Null,
            feature_names: self.names.clone(),
            class_names: vec![],
            framework: "test".into(),
        }
    }
    fn predict(&self, features: ArrayView2<'_, f64>) -> specweave_core::Result<Predictions> {
        if features.ncols() != self.coefficients.len() {
            return Err(specweave_core::Error::shape(
                "columns",
                self.coefficients.len(),
                features.ncols(),
            ));
        }
        let values: Array1<f64> = features
            .rows()
            .into_iter()
            .map(|row| {
                self.intercept
                    + row
                        .iter()
                        .enumerate()
                        .map(|(j, v)| self.coefficients[j] * (v - self.means[j]) / self.scales[j])
                        .sum::<f64>()
            })
            .collect();
        Ok(Predictions::Values(values))
    }
    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        Ok(ModelFile::from_json(self.info(), self)?.encode())
    }
}

fn load_ridge(bytes: &[u8]) -> specweave_core::Result<Box<dyn Model>> {
    let model: RidgeModel = ModelFile::decode(bytes)?.json_payload()?;
    Ok(Box::new(model))
}

fn features() -> Result<LagFeatures, specweave_forecast::ForecastError> {
    Ok(LagFeatures::new(vec![1, 2, 12])?
        .rolling_windows(vec![12])?
        .fourier(12, 2)?
        .trend(true))
}

#[test]
fn ridge_on_lag_features_beats_seasonal_naive() -> TestResult {
    for seed in [1, 2, 3] {
        let series = additive_seasonal(144, 12, 200.0, 0.8, 25.0, 4.0, seed);
        let n = series.len();
        let train = series.slice(0, n - 24)?;
        let actual = &series.values().as_slice().ok_or("contiguous")?[n - 24..];
        let train_values = train.values().to_vec();
        let mut lagged = LagForecaster::new(Arc::new(Ridge { lambda: 1.0 }), features()?)?;
        lagged.fit(&train)?;
        let f = lagged.forecast(24, 0.95)?;
        let mut snaive = SeasonalNaive::new(12)?;
        snaive.fit(&train)?;
        let s = snaive.forecast(24, 0.95)?;
        let lag_mase = mase(
            actual,
            f.mean.as_slice().ok_or("contiguous")?,
            &train_values,
            12,
        );
        let snaive_mase = mase(
            actual,
            s.mean.as_slice().ok_or("contiguous")?,
            &train_values,
            12,
        );
        assert!(
            lag_mase < snaive_mase,
            "seed {seed}: lag {lag_mase} vs snaive {snaive_mase}"
        );
        // intervals widen with the horizon, past the calibrated 12 steps too
        let width = |h: usize| f.upper[h] - f.lower[h];
        assert!(width(0) > 0.0 && width(23) > width(11) && width(11) >= width(0));
    }
    Ok(())
}

#[test]
fn lag_forecaster_backtests_and_round_trips() -> TestResult {
    let series = additive_seasonal(120, 12, 100.0, 0.3, 10.0, 2.0, 4);
    let mut lagged =
        LagForecaster::new(Arc::new(Ridge { lambda: 0.5 }), features()?)?.calibration(4, 6)?;
    let plan = RollingOrigin::builder()
        .window(Window::Sliding { size: 84 })
        .horizon(6)
        .step(6)
        .build()?;
    let report = plan.run(&mut lagged, &series)?;
    assert_eq!(report.origins.len(), 6);
    assert!(
        report
            .origins
            .iter()
            .all(|o| o.train_start + 84 == o.origin)
    );
    let hw_report = plan.run(&mut HoltWinters::builder().build()?, &series)?;
    // both are far better than the noise-free seasonal swing would allow a flat forecast
    assert!(
        report.mae() < 4.0 && hw_report.mae() < 4.0,
        "{} {}",
        report.mae(),
        hw_report.mae()
    );

    lagged.fit(&series)?;
    let bytes = lagged.to_bytes()?;
    let loaded = LagForecaster::from_bytes(&bytes, &load_ridge)?;
    assert_eq!(loaded.forecast(15, 0.8)?, lagged.forecast(15, 0.8)?);
    assert_eq!(loaded.params()["learner"], "ridge");
    // a loaded forecaster has no learner until one is given
    let mut refit = LagForecaster::from_bytes(&bytes, &load_ridge)?;
    assert!(refit.fit(&series).is_err());
    let mut refit = refit.with_learner(Arc::new(Ridge { lambda: 0.5 }));
    refit.fit(&series)?;
    assert!(LagForecaster::from_bytes(&bytes[..bytes.len() - 3], &load_ridge).is_err());
    Ok(())
}

#[test]
fn lag_forecaster_rejects_bad_configuration() -> TestResult {
    assert!(LagFeatures::new(vec![]).is_err());
    assert!(LagFeatures::new(vec![0, 1]).is_err());
    assert!(LagFeatures::new(vec![1])?.rolling_windows(vec![1]).is_err());
    assert!(LagFeatures::new(vec![1])?.fourier(12, 7).is_err());
    let mut lagged = LagForecaster::new(Arc::new(Ridge { lambda: 1.0 }), features()?)?;
    let short = additive_seasonal(30, 12, 10.0, 0.0, 1.0, 0.1, 0);
    let err = lagged.fit(&short).err().ok_or("too short must fail")?;
    assert!(err.to_string().contains("at least"), "{err}");
    assert!(lagged.forecast(3, 0.9).is_err());
    Ok(())
}

#[test]
fn backtest_calibrated_intervals_cover_most_outcomes() -> TestResult {
    let series = additive_seasonal(180, 12, 150.0, 0.5, 20.0, 3.0, 12);
    let mut lagged =
        LagForecaster::new(Arc::new(Ridge { lambda: 1.0 }), features()?)?.calibration(8, 6)?;
    let plan = RollingOrigin::builder()
        .window(Window::Expanding { initial: 120 })
        .horizon(6)
        .step(3)
        .level(0.9)
        .build()?;
    let report = plan.run(&mut lagged, &series)?;
    let coverage = report.coverage();
    // neither too narrow nor uselessly wide (0.90 with this seed)
    assert!(
        (0.75..=0.98).contains(&coverage),
        "90% intervals covered {coverage}"
    );
    assert_eq!(report.errors_by_step().len(), 6);
    Ok(())
}
