#!/usr/bin/env python3
"""Peer comparison for specweave-recommend: implicit's ALS and CosineRecommender on the same
1,000,000-interaction split that the `implicit_parity` example writes.

    cargo run --release -p specweave-recommend --example implicit_parity -- /tmp/recs
    python benches/peers/implicit_recs.py /tmp/recs

Prints training time and Precision@10 (hits in top 10 / 10, averaged over users with test
items, training items excluded, full ranking) for both libraries, the time ratio, and whether
Precision@10 agrees within 0.01.
"""
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from implicit.als import AlternatingLeastSquares
from implicit.nearest_neighbours import CosineRecommender
from threadpoolctl import threadpool_limits

REPEATS = 3


def load(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    return data[:, 0].astype(np.int64), data[:, 1].astype(np.int64), data[:, 2].astype(np.float32)


def fastest_fit(make, train):
    """Fits a fresh model `repeats` times; returns the last model and the fastest time."""
    best = float("inf")
    for _ in range(REPEATS):
        model = make()
        start = time.perf_counter()
        model.fit(train, show_progress=False)
        best = min(best, time.perf_counter() - start)
    return model, best


def precision_at_10(model, train, test_users, relevant):
    ids, _ = model.recommend(test_users, train[test_users], N=10, filter_already_liked_items=True)
    hits = [len(set(row.tolist()) & relevant[u]) for u, row in zip(test_users, ids)]
    return float(np.mean(hits)) / 10.0


def main():
    directory = Path(sys.argv[1] if len(sys.argv) > 1 else "recs-bench")
    ours = json.loads((directory / "specweave.json").read_text())
    settings = ours["settings"]
    global REPEATS
    REPEATS = settings["repeats"]
    train_users, train_items, train_weights = load(directory / "train.csv")
    test_users_col, test_items_col, _ = load(directory / "test.csv")
    n_users = int(max(train_users.max(), test_users_col.max())) + 1
    n_items = int(max(train_items.max(), test_items_col.max())) + 1
    train = sp.coo_matrix((train_weights, (train_users, train_items)), shape=(n_users, n_items)).tocsr()
    train.sum_duplicates()
    relevant = {}
    for u, i in zip(test_users_col, test_items_col):
        if train[u, i] == 0:
            relevant.setdefault(int(u), set()).add(int(i))
    test_users = np.array(sorted(relevant), dtype=np.int32)
    print(f"data: {train.nnz} train pairs, {len(test_users)} test users, {n_users} users, {n_items} items")

    rows = []
    with threadpool_limits(limits=1, user_api="blas"):
        als, als_seconds = fastest_fit(
            lambda: AlternatingLeastSquares(
                factors=settings["factors"],
                regularization=settings["regularization"],
                alpha=settings["implicit_alpha"],
                iterations=settings["iterations"],
                use_cg=True,
                random_state=7,
            ),
            train,
        )
        rows.append(("ALS", als_seconds, precision_at_10(als, train, test_users, relevant), ours["als"]))

        knn, knn_seconds = fastest_fit(lambda: CosineRecommender(K=settings["neighbours"]), train)
        rows.append(("item-kNN", knn_seconds, precision_at_10(knn, train, test_users, relevant), ours["item_knn"]))

    print(f"{'model':<9} {'implicit s':>10} {'specweave s':>11} {'ratio':>6} {'implicit P@10':>13} {'specweave P@10':>14} agree(±0.01)")
    for name, seconds, precision, theirs in rows:
        ratio = theirs["fit_seconds"] / seconds
        agree = abs(precision - theirs["precision_at_10"]) <= 0.01
        print(
            f"{name:<9} {seconds:>10.3f} {theirs['fit_seconds']:>11.3f} {ratio:>6.2f} "
            f"{precision:>13.4f} {theirs['precision_at_10']:>14.4f} {agree}"
        )


if __name__ == "__main__":
    main()
