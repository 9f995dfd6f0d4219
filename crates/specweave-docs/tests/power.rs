//! Sample sizes agree with statsmodels 0.15 (`fixtures/statsmodels_power.json`, computed
//! with `NormalIndPower().solve_power` and `TTestIndPower().solve_power`).

use serde::Deserialize;
use specweave_docs::power::{proportion_effect_size, t_test_sample_size, z_test_sample_size};

#[derive(Deserialize)]
struct Fixtures {
    z_test: Vec<ZCase>,
    t_test: Vec<TCase>,
}

#[derive(Deserialize)]
struct ZCase {
    p1: f64,
    p2: f64,
    alpha: f64,
    power: f64,
    ratio: f64,
    effect_size: f64,
    nobs1: f64,
}

#[derive(Deserialize)]
struct TCase {
    effect_size: f64,
    alpha: f64,
    power: f64,
    ratio: f64,
    nobs1: f64,
}

fn fixtures() -> Result<Fixtures, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/statsmodels_power.json"
    ))?;
    Ok(serde_json::from_str(&text)?)
}

#[test]
fn two_proportion_z_test_matches_statsmodels() -> Result<(), Box<dyn std::error::Error>> {
    for case in fixtures()?.z_test {
        let h = proportion_effect_size(case.p1, case.p2)?;
        assert!(
            (h - case.effect_size).abs() < 1e-12,
            "h {h} vs {}",
            case.effect_size
        );
        let n = z_test_sample_size(h, case.alpha, case.power, case.ratio)?;
        assert!(
            (n - case.nobs1).abs() / case.nobs1 < 1e-6,
            "z-test n {n} vs statsmodels {}",
            case.nobs1
        );
    }
    Ok(())
}

#[test]
fn t_test_matches_statsmodels() -> Result<(), Box<dyn std::error::Error>> {
    for case in fixtures()?.t_test {
        let n = t_test_sample_size(case.effect_size, case.alpha, case.power, case.ratio)?;
        assert!(
            (n - case.nobs1).abs() / case.nobs1 < 1e-5,
            "t-test d={} n {n} vs statsmodels {}",
            case.effect_size,
            case.nobs1
        );
    }
    Ok(())
}

#[test]
fn invalid_power_inputs_are_errors() {
    assert!(z_test_sample_size(0.0, 0.05, 0.8, 1.0).is_err());
    assert!(t_test_sample_size(0.2, 1.5, 0.8, 1.0).is_err());
    assert!(t_test_sample_size(0.2, 0.05, 0.8, -1.0).is_err());
    assert!(proportion_effect_size(1.2, 0.5).is_err());
}
