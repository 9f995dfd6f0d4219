//! Sorting of `f64` scores through order-preserving `u64` keys and an LSD radix sort.
//!
//! Ranking metrics over millions of rows are bound by sorting. Comparison sorts of `f64`
//! pay for a branchy comparator; mapping each float to a `u64` whose unsigned order equals
//! the float order lets a radix sort do the work in a fixed number of linear passes (six
//! passes of 11 bits, skipping passes whose digit is the same for every key).

/// Maps a float to a `u64` whose unsigned order is the numeric order of the floats.
///
/// `-0.0` and `0.0` map to the same key (they compare equal, as in NumPy). NaN must be
/// rejected by the caller before; it would sort above `+inf`.
#[inline]
pub fn f64_key(x: f64) -> u64 {
    // Adding 0.0 turns -0.0 into +0.0 so both land on one key.
    let bits = (x + 0.0).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// Inverse of [`f64_key`].
#[inline]
pub fn key_f64(key: u64) -> f64 {
    if key >> 63 == 1 {
        f64::from_bits(key & !(1 << 63))
    } else {
        f64::from_bits(!key)
    }
}

const DIGIT_BITS: u32 = 11;
const BUCKETS: usize = 1 << DIGIT_BITS;
const PASSES: usize = 64_usize.div_ceil(DIGIT_BITS as usize);

/// Sorts `values` ascending by `key`, stably, with an LSD radix sort.
///
/// Allocates one scratch buffer of the same length. Small inputs fall back to the standard
/// library's sort.
pub fn radix_sort_by_key<T: Copy, F: Fn(&T) -> u64>(values: &mut Vec<T>, key: F) {
    let n = values.len();
    if n < 256 {
        values.sort_by_key(|v| key(v));
        return;
    }
    // All histograms in one read pass.
    let mut counts = vec![[0usize; BUCKETS]; PASSES];
    for v in values.iter() {
        let k = key(v);
        for (pass, hist) in counts.iter_mut().enumerate() {
            hist[digit(k, pass)] += 1;
        }
    }
    let mut current = std::mem::take(values);
    let mut scratch: Vec<T> = Vec::with_capacity(n);
    for (pass, hist) in counts.iter().enumerate() {
        // A digit shared by every key leaves the order unchanged.
        if hist.contains(&n) {
            continue;
        }
        let mut offsets = [0usize; BUCKETS];
        let mut running = 0;
        for (offset, &count) in offsets.iter_mut().zip(hist.iter()) {
            *offset = running;
            running += count;
        }
        scatter(&current, &mut scratch, &mut offsets, pass, &key);
        std::mem::swap(&mut current, &mut scratch);
    }
    *values = current;
}

#[inline]
fn digit(key: u64, pass: usize) -> usize {
    ((key >> (pass as u32 * DIGIT_BITS)) as usize) & (BUCKETS - 1)
}

fn scatter<T: Copy, F: Fn(&T) -> u64>(
    src: &[T],
    dst: &mut Vec<T>,
    offsets: &mut [usize; BUCKETS],
    pass: usize,
    key: &F,
) {
    // `dst` is filled in bucket order; resizing to the source length first lets every
    // slot be written by index.
    if dst.len() != src.len() {
        dst.clear();
        dst.extend_from_slice(src);
    }
    for v in src {
        let d = digit(key(v), pass);
        dst[offsets[d]] = *v;
        offsets[d] += 1;
    }
}

/// Sorts keys ascending with the radix sort.
pub fn radix_sort_u64(keys: &mut Vec<u64>) {
    radix_sort_by_key(keys, |&k| k);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keys_preserve_order_including_signed_zero_and_infinities() {
        let xs = [
            f64::NEG_INFINITY,
            -1e300,
            -1.0,
            -0.0,
            0.0,
            1e-300,
            1.0,
            f64::INFINITY,
        ];
        for w in xs.windows(2) {
            assert!(f64_key(w[0]) <= f64_key(w[1]), "{} vs {}", w[0], w[1]);
        }
        assert_eq!(f64_key(-0.0), f64_key(0.0));
        for &x in &xs {
            assert_eq!(key_f64(f64_key(x)), x + 0.0);
        }
    }

    proptest! {
        #[test]
        fn radix_sort_matches_std_sort(mut xs in proptest::collection::vec(-1e6f64..1e6, 0..2000)) {
            let mut keys: Vec<u64> = xs.iter().map(|&x| f64_key(x)).collect();
            radix_sort_u64(&mut keys);
            xs.sort_by(f64::total_cmp);
            let back: Vec<f64> = keys.iter().map(|&k| key_f64(k)).collect();
            prop_assert_eq!(back, xs.iter().map(|x| x + 0.0).collect::<Vec<_>>());
        }

        #[test]
        fn radix_sort_is_stable(pairs in proptest::collection::vec((0u64..8, 0u32..1000), 0..1500)) {
            let mut ours = pairs.clone();
            radix_sort_by_key(&mut ours, |p| p.0);
            let mut reference = pairs;
            reference.sort_by_key(|p| p.0);
            prop_assert_eq!(ours, reference);
        }
    }
}
