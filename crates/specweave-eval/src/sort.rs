//! Sorting of `f64` scores through order-preserving `u64` keys and a radix sort.
//!
//! Ranking metrics over millions of rows are bound by sorting. Comparison sorts of `f64`
//! pay for a branchy comparator; mapping each float to a `u64` whose unsigned order equals
//! the float order lets a radix sort do the work in a few linear passes (see
//! [`radix_sort_by_key`]).

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
/// Leading bits of the range-normalised key sorted by the radix passes (three passes of
/// 11 bits). Keys that agree on them are put in order afterwards by a comparison sort of
/// each run of equals, which is short unless the data is dominated by near-duplicates.
const RADIX_BITS: u32 = 33;

/// Sorts `values` ascending by `key`.
///
/// Keys are first normalised by the smallest key, so only the bits that vary are sorted.
/// An LSD radix sort orders the values by the leading 33 of those bits in at most three
/// linear passes (a pass whose digit is the same for every key is skipped); runs that tie
/// on them (10 million random keys give a few thousand short runs) are finished with the
/// standard library's sort. When the keys vary in at most 33 bits the sort is stable;
/// otherwise runs finished by the comparison sort may reorder equal keys, which no caller
/// relies on. Allocates one scratch buffer of the same length. Small inputs use the
/// standard library's sort.
///
/// ```
/// use specweave_eval::sort::{f64_key, key_f64, radix_sort_u64};
/// let mut keys: Vec<u64> = (0..1000).map(|i| f64_key(((i * 7919) % 1000) as f64 - 500.0)).collect();
/// radix_sort_u64(&mut keys);
/// assert_eq!(key_f64(keys[0]), -500.0);
/// assert!(keys.windows(2).all(|w| w[0] <= w[1]));
/// ```
pub fn radix_sort_by_key<T: Copy, F: Fn(&T) -> u64>(values: &mut Vec<T>, key: F) {
    let n = values.len();
    if n < 256 {
        values.sort_by_key(|v| key(v));
        return;
    }
    let (min, max) = values.iter().fold((u64::MAX, 0), |(lo, hi), v| {
        let k = key(v);
        (lo.min(k), hi.max(k))
    });
    let significant = 64 - (max - min).leading_zeros();
    if significant == 0 {
        return;
    }
    // sort by the bits [low, significant) of key - min
    let low = significant.saturating_sub(RADIX_BITS);
    let digit = |v: &T, pass: usize| {
        (((key(v) - min) >> (low + pass as u32 * DIGIT_BITS)) as usize) & (BUCKETS - 1)
    };
    let passes = (significant - low).div_ceil(DIGIT_BITS) as usize;
    let mut counts = vec![[0u32; BUCKETS]; passes];
    for v in values.iter() {
        for (pass, hist) in counts.iter_mut().enumerate() {
            hist[digit(v, pass)] += 1;
        }
    }
    let mut current = std::mem::take(values);
    let mut scratch: Vec<T> = current.clone();
    for (pass, hist) in counts.iter().enumerate() {
        // A digit shared by every key leaves the order unchanged.
        if hist.contains(&(n as u32)) {
            continue;
        }
        let mut offsets = [0usize; BUCKETS];
        let mut running = 0;
        for (offset, &count) in offsets.iter_mut().zip(hist.iter()) {
            *offset = running;
            running += count as usize;
        }
        for v in current.iter() {
            let d = digit(v, pass);
            scratch[offsets[d]] = *v;
            offsets[d] += 1;
        }
        std::mem::swap(&mut current, &mut scratch);
    }
    if low > 0 {
        // finish runs that agree on the radix-sorted bits
        let prefix = |v: &T| (key(v) - min) >> low;
        let mut start = 0;
        while start < n {
            let p = prefix(&current[start]);
            let mut end = start + 1;
            while end < n && prefix(&current[end]) == p {
                end += 1;
            }
            if end - start > 1 {
                current[start..end].sort_unstable_by_key(|v| key(v));
            }
            start = end;
        }
    }
    *values = current;
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
        fn radix_sort_is_stable_on_narrow_keys(pairs in proptest::collection::vec((0u64..8, 0u32..1000), 0..1500)) {
            let mut ours = pairs.clone();
            radix_sort_by_key(&mut ours, |p| p.0);
            let mut reference = pairs;
            reference.sort_by_key(|p| p.0);
            prop_assert_eq!(ours, reference);
        }

        #[test]
        fn radix_sort_finishes_runs_that_share_leading_bits(
            low_bits in proptest::collection::vec(0u64..(1 << 40), 300..1500),
            high in proptest::collection::vec(0u64..4, 1..4),
        ) {
            // a wide range, so only the leading bits are radix-sorted, and many keys that
            // agree on them
            let mut keys: Vec<u64> = low_bits
                .iter()
                .zip(high.iter().cycle())
                .map(|(l, h)| (h << 62) | (l & !0xff_ffff))
                .collect();
            keys.push(u64::MAX);
            keys.push(0);
            let mut reference = keys.clone();
            reference.sort_unstable();
            radix_sort_u64(&mut keys);
            prop_assert_eq!(keys, reference);
        }
    }
}
