//! Property tests against naive definitions written straight from the formulas.

use proptest::prelude::*;
use specweave_eval::classification::{average_precision, roc_auc};
use specweave_eval::ranking::{Gain, RankingInput, evaluate_ranking};
use specweave_eval::stats::delong;

/// Weighted Mann-Whitney U / (W₁·W₀), ties counted one half.
fn naive_auc(y: &[f64], s: &[f64], w: &[f64]) -> f64 {
    let (mut u, mut wp, mut wn) = (0.0, 0.0, 0.0);
    for i in 0..y.len() {
        if y[i] == 1.0 {
            wp += w[i];
        } else {
            wn += w[i];
        }
        for j in 0..y.len() {
            if y[i] == 1.0 && y[j] == 0.0 {
                let pair = w[i] * w[j];
                if s[i] > s[j] {
                    u += pair;
                } else if s[i] == s[j] {
                    u += 0.5 * pair;
                }
            }
        }
    }
    u / (wp * wn)
}

/// Σ over distinct thresholds t (descending) of (R(t) − R(prev)) · P(t), by full scans.
fn naive_ap(y: &[f64], s: &[f64], w: &[f64]) -> f64 {
    let mut thresholds: Vec<f64> = s
        .iter()
        .zip(w)
        .filter(|p| *p.1 > 0.0)
        .map(|p| *p.0)
        .collect();
    thresholds.sort_by(|a, b| b.total_cmp(a));
    thresholds.dedup();
    let total: f64 = y.iter().zip(w).map(|(y, w)| y * w).sum();
    let (mut ap, mut prev_recall) = (0.0, 0.0);
    for t in thresholds {
        let (mut tp, mut fp) = (0.0, 0.0);
        for i in 0..y.len() {
            if s[i] >= t {
                if y[i] == 1.0 {
                    tp += w[i];
                } else {
                    fp += w[i];
                }
            }
        }
        let recall = tp / total;
        if tp + fp > 0.0 {
            ap += (recall - prev_recall) * tp / (tp + fp);
        }
        prev_recall = recall;
    }
    ap
}

fn binary_case() -> impl Strategy<Value = (Vec<f64>, Vec<f64>, Vec<f64>)> {
    (2usize..120).prop_flat_map(|n| {
        (
            proptest::collection::vec(prop_oneof![Just(0.0), Just(1.0)], n),
            // few distinct values so that ties are common
            proptest::collection::vec((0u8..12).prop_map(|v| f64::from(v) / 4.0 - 1.0), n),
            proptest::collection::vec(prop_oneof![Just(0.0), Just(1.0), Just(0.5), Just(2.5)], n),
        )
    })
}

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

proptest! {
    #[test]
    fn roc_auc_is_the_mann_whitney_statistic((y, s, _) in binary_case()) {
        let ours = roc_auc(&y, &s, None).expect("valid input");
        let ones = vec![1.0; y.len()];
        let both = y.contains(&1.0) && y.contains(&0.0);
        if both {
            prop_assert!(close(ours, naive_auc(&y, &s, &ones)), "{ours} vs naive");
        } else {
            prop_assert!(ours.is_nan());
        }
    }

    #[test]
    fn weighted_roc_auc_is_the_weighted_mann_whitney_statistic((y, s, w) in binary_case()) {
        let wp: f64 = y.iter().zip(&w).map(|(y, w)| y * w).sum();
        let wn: f64 = y.iter().zip(&w).map(|(y, w)| (1.0 - y) * w).sum();
        prop_assume!(wp > 0.0 && wn > 0.0);
        let ours = roc_auc(&y, &s, Some(&w)).expect("valid input");
        prop_assert!(close(ours, naive_auc(&y, &s, &w)));
    }

    #[test]
    fn average_precision_is_the_stepwise_sum((y, s, w) in binary_case()) {
        let ones = vec![1.0; y.len()];
        prop_assume!(y.contains(&1.0));
        let ours = average_precision(&y, &s, None).expect("valid input");
        prop_assert!(close(ours, naive_ap(&y, &s, &ones)));
        let wp: f64 = y.iter().zip(&w).map(|(y, w)| y * w).sum();
        if wp > 0.0 {
            let weighted = average_precision(&y, &s, Some(&w)).expect("valid input");
            prop_assert!(close(weighted, naive_ap(&y, &s, &w)));
        }
    }

    #[test]
    fn zero_weights_equal_removed_rows((y, s, w) in binary_case()) {
        let kept: Vec<usize> = (0..y.len()).filter(|&i| w[i] > 0.0).collect();
        let yk: Vec<f64> = kept.iter().map(|&i| y[i]).collect();
        let sk: Vec<f64> = kept.iter().map(|&i| s[i]).collect();
        let wk: Vec<f64> = kept.iter().map(|&i| w[i]).collect();
        let full = roc_auc(&y, &s, Some(&w)).expect("valid input");
        let reduced = roc_auc(&yk, &sk, Some(&wk)).expect("valid input");
        prop_assert!(close(full, reduced));
    }

    #[test]
    fn delong_auc_matches_and_identical_models_do_not_differ((y, s, _) in binary_case()) {
        let positives = y.iter().filter(|&&v| v == 1.0).count();
        prop_assume!(positives >= 2 && y.len() - positives >= 2);
        let test = delong(&y, &s, &s).expect("two classes");
        prop_assert!(close(test.auc_a, roc_auc(&y, &s, None).expect("valid")));
        prop_assert_eq!(test.p_value, 1.0);
    }

    #[test]
    fn ranking_metrics_match_their_definitions(
        lists in proptest::collection::vec(
            proptest::collection::vec((0u8..4, 0u8..6), 1..25), 1..12),
        k in 1usize..30,
        exponential in any::<bool>(),
    ) {
        let gain = if exponential { Gain::Exponential } else { Gain::Linear };
        let (mut users, mut items, mut rel, mut scores) = (vec![], vec![], vec![], vec![]);
        for (u, list) in lists.iter().enumerate() {
            for (i, &(r, s)) in list.iter().enumerate() {
                users.push(u as u64);
                items.push(i as u64);
                // mostly irrelevant, some graded
                rel.push(if r == 3 { 0.0 } else { f64::from(r) * f64::from(u8::from(s % 2 == 0)) });
                scores.push(f64::from(s));
            }
        }
        let input = RankingInput { users: &users, items: &items, relevance: &rel, scores: &scores };
        let ours = evaluate_ranking(&input, k, gain).expect("valid input");
        let g = |r: f64| if exponential { 2f64.powf(r) - 1.0 } else { r };
        let mut sums = [0.0; 6];
        for (u, list) in lists.iter().enumerate() {
            // rank: score descending, then item id descending
            let mut order: Vec<usize> = (0..list.len()).collect();
            let row0 = users.iter().position(|&x| x == u as u64).expect("user rows");
            order.sort_by(|&a, &b| scores[row0 + b].total_cmp(&scores[row0 + a]).then(b.cmp(&a)));
            let ranked: Vec<f64> = order.iter().map(|&i| rel[row0 + i]).collect();
            let n_rel = ranked.iter().filter(|&&r| r > 0.0).count();
            let top = &ranked[..k.min(ranked.len())];
            let hits = top.iter().filter(|&&r| r > 0.0).count();
            let dcg: f64 = top.iter().enumerate().map(|(i, &r)| g(r) / ((i + 2) as f64).log2()).sum();
            let mut ideal: Vec<f64> = ranked.iter().copied().filter(|&r| r > 0.0).collect();
            ideal.sort_by(|a, b| b.total_cmp(a));
            let idcg: f64 = ideal.iter().take(k).enumerate().map(|(i, &r)| g(r) / ((i + 2) as f64).log2()).sum();
            let mut ap = 0.0;
            let mut found = 0.0;
            for (i, &r) in top.iter().enumerate() {
                if r > 0.0 { found += 1.0; ap += found / (i + 1) as f64; }
            }
            let first = top.iter().position(|&r| r > 0.0);
            sums[0] += hits as f64 / k as f64;
            sums[1] += if n_rel > 0 { hits as f64 / n_rel as f64 } else { 0.0 };
            sums[2] += if idcg > 0.0 { dcg / idcg } else { 0.0 };
            sums[3] += if n_rel > 0 { ap / n_rel as f64 } else { 0.0 };
            sums[4] += first.map_or(0.0, |i| 1.0 / (i + 1) as f64);
            sums[5] += f64::from(u8::from(first.is_some()));
        }
        let n = lists.len() as f64;
        let m = ours.mean;
        for (ours, naive) in [m.precision, m.recall, m.ndcg, m.average_precision, m.reciprocal_rank, m.hit].iter().zip(sums) {
            prop_assert!(close(*ours, naive / n), "{ours} vs {}", naive / n);
        }
    }
}
