//! Small dense kernels for ALS on `f32` slices, written so the compiler vectorises them.

/// Dot product with eight independent accumulators (a plain fold would not vectorise,
/// because float addition is not associative).
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let chunks_a = a.chunks_exact(8);
    let chunks_b = b.chunks_exact(8);
    let tail: f32 = chunks_a
        .remainder()
        .iter()
        .zip(chunks_b.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (ca, cb) in chunks_a.zip(chunks_b) {
        for lane in 0..8 {
            lanes[lane] += ca[lane] * cb[lane];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// `y += a · x`.
pub(crate) fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// `out = M · x` for a row-major square `M`.
pub(crate) fn matvec(matrix: &[f32], x: &[f32], out: &mut [f32]) {
    let n = x.len();
    for (row, o) in matrix.chunks_exact(n).zip(out.iter_mut()) {
        *o = dot(row, x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_match_naive_loops() {
        let a: Vec<f32> = (0..19).map(|i| i as f32 * 0.5 - 3.0).collect();
        let b: Vec<f32> = (0..19).map(|i| 1.0 - i as f32 * 0.25).collect();
        let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-4);
        let mut y = b.clone();
        axpy(&mut y, 2.0, &a);
        assert!((y[3] - (b[3] + 2.0 * a[3])).abs() < 1e-6);
        let m = [1.0, 2.0, 3.0, 4.0];
        let mut out = [0.0; 2];
        matvec(&m, &[1.0, -1.0], &mut out);
        assert_eq!(out, [-1.0, -1.0]);
    }
}
