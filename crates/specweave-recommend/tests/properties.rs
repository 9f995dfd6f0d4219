//! Property tests of the building blocks: sparse construction and top-k selection.

use proptest::prelude::*;
use specweave_recommend::{CsrMatrix, top_k};

proptest! {
    #[test]
    fn csr_sums_duplicates_like_a_dense_matrix(
        triplets in prop::collection::vec((0u32..7, 0u32..9, -4i32..5), 0..80)
    ) {
        let rows: Vec<u32> = triplets.iter().map(|t| t.0).collect();
        let cols: Vec<u32> = triplets.iter().map(|t| t.1).collect();
        let vals: Vec<f32> = triplets.iter().map(|t| t.2 as f32).collect();
        let m = CsrMatrix::from_triplets(7, 9, &rows, &cols, &vals).expect("indices in range");
        let mut dense = [[0f32; 9]; 7];
        let mut stored = [[false; 9]; 7];
        for ((&r, &c), &v) in rows.iter().zip(&cols).zip(&vals) {
            dense[r as usize][c as usize] += v;
            stored[r as usize][c as usize] = true;
        }
        for r in 0..7 {
            for c in 0..9u32 {
                let expected = stored[r][c as usize].then_some(dense[r][c as usize]);
                prop_assert_eq!(m.get(r, c), expected);
            }
            let (cols, _) = m.row(r);
            prop_assert!(cols.windows(2).all(|w| w[0] < w[1]));
        }
        prop_assert_eq!(m.transpose().transpose(), m);
    }

    #[test]
    fn top_k_is_a_prefix_of_the_full_ranking(
        scores in prop::collection::vec(0u8..20, 0..60),
        exclude in prop::collection::vec(0u32..70, 0..10),
        k in 0usize..70,
    ) {
        let scores: Vec<f64> = scores.into_iter().map(f64::from).collect();
        let mut full: Vec<(u32, f64)> = scores
            .iter()
            .enumerate()
            .filter(|(i, _)| !exclude.contains(&(*i as u32)))
            .map(|(i, &s)| (i as u32, s))
            .collect();
        // Higher score first, then smaller item id: the documented tie rule.
        full.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        full.truncate(k);
        prop_assert_eq!(top_k(&scores, k, &exclude), full);
    }
}
