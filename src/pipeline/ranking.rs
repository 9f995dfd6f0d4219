//! Ranking evaluation of a fitted recommender on a held-out split, through
//! `specweave-eval`: every metric of the ranking task with bootstrap intervals over users,
//! the per-user scores behind them (for paired comparisons) and catalog coverage.

use crate::error::Result;
use specweave_core::Recommender;
use specweave_eval::ranking::{Gain, RankingInput, UserScores, catalog_coverage, evaluate_ranking};
use specweave_eval::registry::{EvalInput, Task};
use specweave_eval::report::{EvalOptions, EvalReport, evaluate};
use specweave_recommend::{InteractionSplit, recommend_all};

/// What one evaluation of a recommender found.
#[derive(Debug, Clone)]
pub struct RankingEvaluation {
    /// Every ranking metric at the cutoff, with intervals when resamples were asked for.
    pub report: EvalReport,
    /// Per-user scores, in the order of `users`.
    pub per_user: Vec<UserScores>,
    /// The evaluated users (those with at least one relevant held-out item).
    pub users: Vec<u32>,
    /// Distinct recommended items over the whole catalog (not only the evaluated items).
    pub coverage: f64,
}

impl RankingEvaluation {
    /// The metrics to log: the report's values, with coverage over the whole catalog.
    pub fn metrics(&self) -> Vec<(String, f64)> {
        let mut out: Vec<(String, f64)> = self
            .report
            .metrics
            .iter()
            .filter(|m| m.name != "coverage")
            .map(|m| (m.name.clone(), m.value))
            .collect();
        out.push(("coverage".to_owned(), self.coverage));
        out
    }

    /// Interval bounds as `<metric>_lower` / `<metric>_upper`, for metrics that have them.
    pub fn interval_metrics(&self) -> Vec<(String, f64)> {
        self.report
            .metrics
            .iter()
            .filter_map(|m| Some((m.name.clone(), m.lower?, m.upper?)))
            .flat_map(|(name, lower, upper)| {
                [
                    (format!("{name}_lower"), lower),
                    (format!("{name}_upper"), upper),
                ]
            })
            .collect()
    }

    /// The value of a metric, coverage included.
    pub fn value(&self, name: &str) -> Option<f64> {
        self.metrics()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }
}

/// Ranks the top `k` unseen items for every user with relevant held-out items and scores
/// the lists against `split.test` (binary relevance, linear gain).
///
/// Each user's relevant items that the list missed are added as rows below every listed
/// item, so recall and the ideal DCG see them. `resamples` bootstrap replicates over users
/// give the intervals (0 for none).
///
/// ```
/// use specweave::pipeline::evaluate_recommender;
/// use specweave::recommend::{Popularity, temporal_split};
/// use specweave::core::{Interactions, Recommender};
///
/// let mut log = Interactions::builder();
/// for (user, item, ts) in [("a", "x", 1), ("a", "y", 2), ("b", "x", 1), ("b", "y", 2), ("c", "x", 1), ("c", "z", 2)] {
///     log.push(user, item, 1.0, ts)?;
/// }
/// let split = temporal_split(&log.build(), 0.5)?;
/// let mut model = Popularity::default();
/// model.fit(&split.train)?;
/// let evaluation = evaluate_recommender(&model, &split, 1, 0, 0)?;
/// assert!(evaluation.value("precision@1").is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn evaluate_recommender(
    model: &dyn Recommender,
    split: &InteractionSplit,
    k: usize,
    resamples: usize,
    seed: u64,
) -> Result<RankingEvaluation> {
    let relevant = split.relevant_items();
    let users = split.test_users();
    let lists = recommend_all(model, &users, k, true)?;
    let (mut user_col, mut item_col, mut relevance, mut scores) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (&user, list) in users.iter().zip(&lists) {
        let wanted = &relevant[user as usize];
        // Rank positions as scores keep ties impossible and the model's order exact.
        for (position, &(item, _)) in list.iter().enumerate() {
            user_col.push(u64::from(user));
            item_col.push(u64::from(item));
            relevance.push(f64::from(u8::from(wanted.binary_search(&item).is_ok())));
            scores.push(-(position as f64));
        }
        for &item in wanted {
            if !list.iter().any(|&(listed, _)| listed == item) {
                user_col.push(u64::from(user));
                item_col.push(u64::from(item));
                relevance.push(1.0);
                scores.push(-(k as f64) - 1.0);
            }
        }
    }
    let options = EvalOptions::default().k(k).bootstrap(resamples).seed(seed);
    let report = evaluate(
        Task::Ranking,
        &EvalInput::ranking(&relevance, &scores, &user_col, &item_col),
        &options,
    )?;
    let per_user = evaluate_ranking(
        &RankingInput {
            users: &user_col,
            items: &item_col,
            relevance: &relevance,
            scores: &scores,
        },
        k,
        Gain::Linear,
    )?
    .per_user;
    let listed: Vec<Vec<u64>> = lists
        .iter()
        .map(|l| l.iter().map(|&(i, _)| u64::from(i)).collect())
        .collect();
    let coverage = catalog_coverage(&listed, split.train.n_items())?;
    Ok(RankingEvaluation {
        report,
        per_user,
        users,
        coverage,
    })
}
