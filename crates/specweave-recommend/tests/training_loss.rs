//! ALS reports its training loss per sweep, and the loss falls as alternating least squares
//! guarantees when every solve is exact.

mod support;

use specweave_core::MetricSink;
use specweave_recommend::{Als, AlsParams};
use std::sync::Mutex;
use support::Synthetic;

#[derive(Default)]
struct Recorded(Mutex<Vec<(String, f64, u64)>>);

impl MetricSink for Recorded {
    fn log_metric(&self, key: &str, value: f64, step: u64) {
        self.0
            .lock()
            .expect("metric lock not poisoned")
            .push((key.to_owned(), value, step));
    }
}

#[test]
fn exact_als_sweeps_never_increase_the_loss() -> Result<(), Box<dyn std::error::Error>> {
    let log = Synthetic {
        users: 120,
        items: 70,
        per_user: 10,
        ..Synthetic::default()
    }
    .generate();
    let params = AlsParams::default()
        .factors(6)
        .iterations(8)
        .cg_steps(30)
        .alpha(3.0)
        .regularization(0.3);
    let recorded = Recorded::default();
    let mut als = Als::new(params)?;
    als.fit_with_metrics(&log, &recorded)?;
    let records = recorded.0.into_inner().expect("metric lock not poisoned");
    assert_eq!(records.len(), 8);
    for (n, (key, loss, step)) in records.iter().enumerate() {
        assert_eq!((key.as_str(), *step), ("als_training_loss", n as u64 + 1));
        assert!(loss.is_finite() && *loss > 0.0);
    }
    for pair in records.windows(2) {
        assert!(
            pair[1].1 <= pair[0].1 * (1.0 + 1e-4),
            "{} then {}",
            pair[0].1,
            pair[1].1
        );
    }
    assert!(records[7].1 < records[0].1);

    // Plain fit gives the same model as the logged one.
    let mut plain = Als::new(
        AlsParams::default()
            .factors(6)
            .iterations(8)
            .cg_steps(30)
            .alpha(3.0)
            .regularization(0.3),
    )?;
    specweave_core::Recommender::fit(&mut plain, &log)?;
    assert_eq!(plain.user_factors(3)?, als.user_factors(3)?);
    Ok(())
}
