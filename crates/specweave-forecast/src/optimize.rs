//! A derivative-free minimiser (Nelder–Mead) for the smoothing-parameter fits.
//!
//! The loss surfaces are low-dimensional (at most six parameters) and cheap, so a careful
//! Nelder–Mead with restarts is enough; parameters are mapped to their bounds by the caller,
//! which keeps the search unconstrained.

/// Outcome of a minimisation.
#[derive(Debug, Clone)]
pub(crate) struct Minimum {
    /// The best point found.
    pub point: Vec<f64>,
    /// The loss at that point.
    pub value: f64,
}

/// Minimises `loss` from `start` with initial step `step`, restarting from the best point
/// until a restart no longer improves (Nelder–Mead can stall on a collapsed simplex).
pub(crate) fn nelder_mead(
    loss: &dyn Fn(&[f64]) -> f64,
    start: &[f64],
    step: f64,
    max_evaluations: usize,
) -> Minimum {
    let mut best = simplex_search(loss, start, step, max_evaluations);
    for _ in 0..3 {
        let again = simplex_search(loss, &best.point, step, max_evaluations);
        let improved = again.value < best.value - 1e-10 * best.value.abs().max(1e-12);
        if again.value < best.value {
            best = again;
        }
        if !improved {
            break;
        }
    }
    best
}

fn simplex_search(
    loss: &dyn Fn(&[f64]) -> f64,
    start: &[f64],
    step: f64,
    max_evaluations: usize,
) -> Minimum {
    let dim = start.len();
    let evaluate = |p: &[f64]| {
        let v = loss(p);
        if v.is_finite() { v } else { f64::INFINITY }
    };
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(dim + 1);
    simplex.push((start.to_vec(), evaluate(start)));
    for i in 0..dim {
        let mut p = start.to_vec();
        p[i] += step;
        let v = evaluate(&p);
        simplex.push((p, v));
    }
    let mut evaluations = dim + 1;
    // standard coefficients: reflection 1, expansion 2, contraction 1/2, shrink 1/2
    while evaluations < max_evaluations {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let best = simplex[0].1;
        let worst = simplex[dim].1;
        let spread = (worst - best).abs();
        let size = simplex
            .iter()
            .skip(1)
            .map(|(p, _)| {
                p.iter()
                    .zip(&simplex[0].0)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max)
            })
            .fold(0.0, f64::max);
        if best.is_finite() && spread <= 1e-12 * (1.0 + best.abs()) && size < 1e-9 {
            break;
        }
        if size < 1e-12 {
            break;
        }
        let centroid: Vec<f64> = (0..dim)
            .map(|j| simplex[..dim].iter().map(|(p, _)| p[j]).sum::<f64>() / dim as f64)
            .collect();
        let along = |t: f64| -> Vec<f64> {
            centroid
                .iter()
                .zip(&simplex[dim].0)
                .map(|(c, w)| c + t * (c - w))
                .collect()
        };
        let reflected = along(1.0);
        let reflected_value = evaluate(&reflected);
        evaluations += 1;
        if reflected_value < simplex[0].1 {
            let expanded = along(2.0);
            let expanded_value = evaluate(&expanded);
            evaluations += 1;
            simplex[dim] = if expanded_value < reflected_value {
                (expanded, expanded_value)
            } else {
                (reflected, reflected_value)
            };
        } else if reflected_value < simplex[dim - 1].1 {
            simplex[dim] = (reflected, reflected_value);
        } else {
            let (contracted, contracted_value) = if reflected_value < simplex[dim].1 {
                let p = along(0.5);
                let v = evaluate(&p);
                (p, v)
            } else {
                let p = along(-0.5);
                let v = evaluate(&p);
                (p, v)
            };
            evaluations += 1;
            if contracted_value < simplex[dim].1.min(reflected_value) {
                simplex[dim] = (contracted, contracted_value);
            } else {
                let anchor = simplex[0].0.clone();
                for vertex in simplex.iter_mut().skip(1) {
                    for (x, a) in vertex.0.iter_mut().zip(&anchor) {
                        *x = a + 0.5 * (*x - a);
                    }
                    vertex.1 = evaluate(&vertex.0);
                }
                evaluations += dim;
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (point, value) = simplex.swap_remove(0);
    Minimum { point, value }
}

/// The logistic map from the real line onto (0, 1).
pub(crate) fn logistic(u: f64) -> f64 {
    1.0 / (1.0 + (-u).exp())
}

/// The inverse of [`logistic`], clamped away from the ends.
pub(crate) fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    (p / (1.0 - p)).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_rosenbrock_minimum() {
        let rosenbrock = |p: &[f64]| (1.0 - p[0]).powi(2) + 100.0 * (p[1] - p[0] * p[0]).powi(2);
        let found = nelder_mead(&rosenbrock, &[-1.2, 1.0], 0.5, 5_000);
        assert!((found.point[0] - 1.0).abs() < 1e-4, "{found:?}");
        assert!((found.point[1] - 1.0).abs() < 1e-4, "{found:?}");
        assert!(found.value < 1e-8);
    }

    #[test]
    fn logit_inverts_logistic() {
        for p in [0.01, 0.3, 0.5, 0.97] {
            assert!((logistic(logit(p)) - p).abs() < 1e-12);
        }
    }
}
