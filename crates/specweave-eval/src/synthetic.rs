//! Seeded synthetic evaluation data for benches, peer comparisons and tests: binary labels
//! with informative scores, and users × candidates with graded relevance.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Binary labels (about 30% positive) and probabilities that rank positives higher.
///
/// Scores are rounded to 1e-6 so that ties occur, as they do with real model outputs.
///
/// ```
/// let (y, p) = specweave_eval::synthetic::binary(1000, 42);
/// assert_eq!((y.len(), p.len()), (1000, 1000));
/// assert!(p.iter().all(|&s| s > 0.0 && s < 1.0));
/// ```
pub fn binary(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut labels = Vec::with_capacity(n);
    let mut scores = Vec::with_capacity(n);
    for _ in 0..n {
        let y = f64::from(u8::from(rng.random_bool(0.3)));
        // logistic of a shifted uniform mixture: informative but overlapping
        let z = (rng.random::<f64>() - 0.5) * 6.0 + if y == 1.0 { 1.0 } else { -0.5 };
        let p = 1.0 / (1.0 + (-z).exp());
        let p = ((p * 1e6).round() / 1e6).clamp(1e-6, 1.0 - 1e-6);
        labels.push(y);
        scores.push(p);
    }
    (labels, scores)
}

/// Ranking rows: `users` users × `candidates` candidates each, rows grouped by user.
///
/// Returns (users, items, relevance, scores); about 5% of candidates are relevant with
/// grades 1–3, and scores are higher for relevant items on average.
pub fn ranking(
    users: usize,
    candidates: usize,
    seed: u64,
) -> (Vec<u64>, Vec<u64>, Vec<f64>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = users * candidates;
    let (mut u, mut i, mut r, mut s) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for user in 0..users {
        let offset = rng.random_range(0..100_000u64);
        for c in 0..candidates {
            let relevance = if rng.random_bool(0.05) {
                f64::from(rng.random_range(1..=3u8))
            } else {
                0.0
            };
            u.push(user as u64);
            i.push(offset + c as u64 * 7);
            r.push(relevance);
            s.push(rng.random::<f64>() + relevance * 0.3);
        }
    }
    (u, i, r, s)
}
