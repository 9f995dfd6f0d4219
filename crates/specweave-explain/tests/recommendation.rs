//! Recommendation explanations on an item-kNN recommender built in the test.

use ndarray::{Array2, Array3, array};
use specweave_core::Interactions;
use specweave_explain::{FactorSimilarity, ItemSimilarity, RecommendationExplainer, ShapValues};

fn log() -> Interactions {
    let mut builder = Interactions::builder();
    let events = [
        ("ann", "Alien", 5.0, 1),
        ("ann", "Heat", 3.0, 2),
        ("ann", "Up", 1.0, 3),
        ("bob", "Alien", 4.0, 4),
        ("bob", "Aliens", 5.0, 5),
        ("bob", "Heat", 2.0, 6),
        ("cat", "Aliens", 4.0, 100),
        ("cat", "Ronin", 5.0, 101),
        ("dan", "Heat", 5.0, 102),
        ("dan", "Ronin", 4.0, 103),
        ("eve", "Aliens", 3.0, 104),
        ("eve", "Up", 2.0, 105),
    ];
    for (user, item, weight, ts) in events {
        builder.push(user, item, weight, ts).expect("valid event");
    }
    builder.build()
}

/// Cosine similarity of item columns of the user × item matrix.
fn cosine(log: &Interactions) -> Array2<f64> {
    let mut matrix: Array2<f64> = Array2::zeros((log.n_users(), log.n_items()));
    for ((&u, &i), &w) in log.users().iter().zip(log.items()).zip(log.weights()) {
        matrix[[u as usize, i as usize]] += w;
    }
    let mut similarity = Array2::zeros((log.n_items(), log.n_items()));
    for a in 0..log.n_items() {
        for b in 0..log.n_items() {
            let (x, y) = (matrix.column(a), matrix.column(b));
            similarity[[a, b]] = x.dot(&y) / (x.dot(&x) * y.dot(&y)).sqrt();
        }
    }
    similarity
}

#[test]
fn knn_scores_decompose_into_history_contributions() {
    let log = log();
    let similarity = cosine(&log);
    let sim = |a: u32, b: u32| similarity[[a as usize, b as usize]];
    let ann = log.user_index("ann").expect("ann");
    let seen: Vec<u32> = ["Alien", "Heat", "Up"]
        .iter()
        .map(|i| log.item_index(i).expect("item"))
        .collect();
    let weights = [5.0, 3.0, 1.0];
    let mut recommendations: Vec<(u32, f64)> = (0..log.n_items() as u32)
        .filter(|i| !seen.contains(i))
        .map(|i| {
            (
                i,
                seen.iter().zip(weights).map(|(&j, w)| sim(i, j) * w).sum(),
            )
        })
        .collect();
    recommendations.sort_by(|a, b| b.1.total_cmp(&a.1));
    let explainer = RecommendationExplainer::new(&log, &sim)
        .contributors(10)
        .trending_since(100, 1, "popular this week");
    let explanation = explainer
        .explain(ann, &recommendations, None)
        .expect("explanation");
    assert_eq!(explanation.user_id, "ann");
    assert_eq!(explanation.items.len(), 2);
    let top = &explanation.items[0];
    assert_eq!(top.item_id, "Aliens");
    let total: f64 = top.contributors.iter().map(|c| c.weight).sum();
    assert!(
        (total - top.score).abs() < 1e-12,
        "contributions sum to the kNN score"
    );
    assert!((top.contributors.iter().map(|c| c.share).sum::<f64>() - 1.0).abs() < 1e-12);
    assert_eq!(top.contributors[0].item_id, "Alien");
    assert!(
        top.trending,
        "Aliens has the most interactions since t = 100"
    );
    assert!(
        top.rationale
            .starts_with("because you interacted with Alien, "),
        "{}",
        top.rationale
    );
    assert!(
        top.rationale.ends_with("; popular this week"),
        "{}",
        top.rationale
    );
    assert!(!explanation.items[1].trending);
}

#[test]
fn rationale_names_two_items_and_the_reranker() {
    let log = log();
    let similarity = cosine(&log);
    let sim = |a: u32, b: u32| similarity[[a as usize, b as usize]];
    let ann = log.user_index("ann").expect("ann");
    let aliens = log.item_index("Aliens").expect("item");
    let ronin = log.item_index("Ronin").expect("item");
    let reranker = ShapValues::new(
        Array3::from_shape_vec((2, 2, 1), vec![0.4, -0.1, -0.2, 0.05]).expect("shape"),
        vec![0.0],
        array![[3.0, 1.0], [9.0, 2.0]],
        vec!["recency_days".into(), "price".into()],
        vec!["value".into()],
    )
    .expect("shap");
    let explainer = RecommendationExplainer::new(&log, &sim);
    let explanation = explainer
        .explain(ann, &[(aliens, 1.0), (ronin, 0.5)], Some(&reranker))
        .expect("explanation");
    let first = &explanation.items[0];
    assert_eq!(first.contributors.len(), 2);
    assert_eq!(first.reranker[0].feature, "recency_days");
    assert_eq!(
        first.rationale,
        format!(
            "because you interacted with {} and {}; ranked up by recency_days",
            first.contributors[0].item_id, first.contributors[1].item_id
        )
    );
    assert_eq!(explanation.items[1].reranker[0].feature, "price");
    assert!(explainer.explain(99, &[(aliens, 1.0)], None).is_err());
    let short = ShapValues::new(
        Array3::zeros((1, 2, 1)),
        vec![0.0],
        Array2::zeros((1, 2)),
        vec!["a".into(), "b".into()],
        vec!["value".into()],
    )
    .expect("shap");
    assert!(
        explainer
            .explain(ann, &[(aliens, 1.0), (ronin, 0.5)], Some(&short))
            .is_err()
    );
}

#[test]
fn factor_similarity_is_cosine_of_item_factors() {
    let factors = array![[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]];
    let similarity = FactorSimilarity::new(factors.view());
    assert!((similarity.similarity(0, 1) - 1.0 / 2f64.sqrt()).abs() < 1e-12);
    assert_eq!(similarity.similarity(0, 2), 0.0);
    assert_eq!(similarity.similarity(0, 7), 0.0);
}
