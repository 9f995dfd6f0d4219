#!/usr/bin/env python3
"""Training peers for specweave-train: scikit-learn (LogisticRegression, RandomForest with
n_jobs=2, HistGradientBoosting) and LightGBM on the same generated data as
`cargo run --release -p specweave-train --example peer_comparison`.

Usage:
    cargo run --release -p specweave-train --example peer_comparison > /tmp/ours.jsonl
    python benches/peers/sklearn_train.py --ours /tmp/ours.jsonl [--rows 200000]

Prints train and predict seconds and the held-out metric (ROC AUC for the binary task, RMSE
for regression) of every peer beside ours, the time ratio, and whether the metrics agree
(ROC AUC within 0.005, RMSE within 2%).
"""
import argparse
import json
import time

import numpy as np

GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def uniform(seed, counters):
    """SplitMix64 of a counter, as the Rust example computes it."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + (counters + np.uint64(1)) * GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def generate(rows, features, seed):
    x = 2.0 * uniform(seed, np.arange(rows * features, dtype=np.uint64)).reshape(rows, features) - 1.0
    s = (1.5 * x[:, 0] - 2.0 * x[:, 1] + 2.0 * x[:, 2] * x[:, 3] + np.sin(3.0 * x[:, 4])
         + 0.5 * x[:, 5] ** 2 - np.abs(x[:, 6]) + 0.25 * (x[:, 7] + x[:, 8] + x[:, 9]))
    base = np.uint64(rows * features)
    i = np.arange(rows, dtype=np.uint64)
    value = s + 0.3 * (uniform(seed, base + np.uint64(rows) + i) - 0.5)
    p = 1.0 / (1.0 + np.exp(-2.0 * s))
    label = (uniform(seed, base + i) < p).astype(np.int64)
    return x, label, value


def timed(fit, predict):
    t = time.perf_counter()
    model = fit()
    train_s = time.perf_counter() - t
    t = time.perf_counter()
    out = predict(model)
    return train_s, time.perf_counter() - t, out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--ours", help="JSON lines printed by the Rust example")
    args = parser.parse_args()

    from sklearn.ensemble import (HistGradientBoostingClassifier, HistGradientBoostingRegressor,
                                  RandomForestClassifier)
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import mean_squared_error, roc_auc_score
    import lightgbm as lgb

    rows, test_rows = args.rows, 50_000
    x, y, v = generate(rows + test_rows, 30, 42)
    xtr, xte, ytr, yte, vtr, vte = x[:rows], x[rows:], y[:rows], y[rows:], v[:rows], v[rows:]

    boost = dict(learning_rate=0.1, max_leaf_nodes=31, max_iter=100, min_samples_leaf=20,
                 l2_regularization=0.0, max_bins=255, early_stopping=False)
    lgbm = dict(n_estimators=100, learning_rate=0.1, num_leaves=31, min_child_samples=20,
                reg_lambda=0.0, max_bin=255, n_jobs=2, verbose=-1)
    peers = [
        ("logistic_regression", "binary", "sklearn LogisticRegression",
         lambda: LogisticRegression(max_iter=100).fit(xtr, ytr)),
        ("random_forest", "binary", "sklearn RandomForest(n_jobs=2)",
         lambda: RandomForestClassifier(n_estimators=100, n_jobs=2, random_state=0).fit(xtr, ytr)),
        ("gradient_boosting", "binary", "sklearn HistGradientBoosting",
         lambda: HistGradientBoostingClassifier(**boost).fit(xtr, ytr)),
        ("gradient_boosting", "binary", "LightGBM",
         lambda: lgb.LGBMClassifier(**lgbm).fit(xtr, ytr)),
        ("gradient_boosting", "regression", "sklearn HistGradientBoosting",
         lambda: HistGradientBoostingRegressor(**boost).fit(xtr, vtr)),
        ("gradient_boosting", "regression", "LightGBM",
         lambda: lgb.LGBMRegressor(**lgbm).fit(xtr, vtr)),
    ]
    ours = {}
    if args.ours:
        with open(args.ours) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    ours[(r["model"], r["task"])] = r
    data_check = float(ytr.sum() + x.sum())
    for mine in ours.values():
        same = abs(mine.get("data_check", float("nan")) - data_check) < 1e-6 * max(1.0, abs(data_check))
        print(f"data identical to ours: {'yes' if same else 'NO'} ({data_check:.6f})")
        break
    print(f"{'model':20} {'task':10} {'library':32} {'train s':>9} {'predict s':>9} {'metric':>9} "
          f"{'ours train':>10} {'ours metric':>11} {'time ratio':>10} agree")
    for model, task, library, fit in peers:
        if task == "binary":
            train_s, predict_s, metric = timed(fit, lambda m: roc_auc_score(yte, m.predict_proba(xte)[:, 1]))
        else:
            train_s, predict_s, metric = timed(
                fit, lambda m: float(np.sqrt(mean_squared_error(vte, m.predict(xte)))))
        mine = ours.get((model, task))
        if mine:
            ratio = mine["train_s"] / train_s
            agree = (abs(mine["value"] - metric) <= 0.005 if task == "binary"
                     else abs(mine["value"] - metric) <= 0.02 * metric)
            extra = f"{mine['train_s']:>10.2f} {mine['value']:>11.4f} {ratio:>10.2f} {'yes' if agree else 'NO'}"
        else:
            extra = ""
        print(f"{model:20} {task:10} {library:32} {train_s:>9.2f} {predict_s:>9.3f} {metric:>9.4f} {extra}",
              flush=True)


if __name__ == "__main__":
    main()
