//! The evaluation protocol: splits respect time per user, and parallel ranking matches
//! ranking user by user.

mod support;

use specweave_core::Recommender;
use specweave_recommend::{ItemKnn, ItemKnnParams, leave_last_out, recommend_all, temporal_split};
use support::Synthetic;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn temporal_split_puts_each_users_latest_events_in_test() -> TestResult {
    let log = Synthetic {
        users: 50,
        items: 40,
        per_user: 10,
        ..Synthetic::default()
    }
    .generate();
    let split = temporal_split(&log, 0.3)?;
    assert_eq!(split.train.len() + split.test.len(), log.len());
    assert_eq!(split.test.len(), 50 * 3);
    for user in 0..50u32 {
        let times = |part: &specweave_core::Interactions| -> Vec<i64> {
            part.users()
                .iter()
                .zip(part.timestamps())
                .filter(|(u, _)| **u == user)
                .map(|(_, &t)| t)
                .collect()
        };
        let (train, test) = (times(&split.train), times(&split.test));
        assert_eq!((train.len(), test.len()), (7, 3));
        let latest_train = train.iter().max().copied().unwrap_or(i64::MIN);
        assert!(test.iter().all(|&t| t > latest_train), "user {user}");
    }
    assert_eq!(split.test_users().len(), 50);
    assert!(split.relevant_items().iter().all(|items| items.len() == 3));
    assert!(temporal_split(&log, 1.0).is_err());
    assert!(temporal_split(&log, 0.0).is_err());
    Ok(())
}

#[test]
fn leave_last_out_holds_out_one_event_per_user() -> TestResult {
    let log = Synthetic {
        users: 30,
        items: 20,
        per_user: 5,
        ..Synthetic::default()
    }
    .generate();
    let split = leave_last_out(&log)?;
    assert_eq!(split.test.len(), 30);
    for (row, &user) in split.test.users().iter().enumerate() {
        let latest = log
            .users()
            .iter()
            .zip(log.timestamps())
            .filter(|(u, _)| **u == user)
            .map(|(_, &t)| t)
            .max();
        assert_eq!(Some(split.test.timestamps()[row]), latest);
    }
    Ok(())
}

#[test]
fn parallel_ranking_matches_sequential_ranking() -> TestResult {
    let log = Synthetic {
        users: 120,
        items: 90,
        per_user: 12,
        ..Synthetic::default()
    }
    .generate();
    let mut knn = ItemKnn::new(ItemKnnParams::default())?;
    knn.fit(&log)?;
    let users: Vec<u32> = (0..120).rev().collect();
    let parallel = recommend_all(&knn, &users, 10, true)?;
    for (user, list) in users.iter().zip(&parallel) {
        assert_eq!(list, &knn.recommend(*user, 10, true)?);
        assert!(list.windows(2).all(|w| w[0].1 >= w[1].1));
    }
    assert!(recommend_all(&knn, &[0, 120], 10, true).is_err());
    Ok(())
}
