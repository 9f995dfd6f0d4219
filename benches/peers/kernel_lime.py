#!/usr/bin/env python3
"""KernelSHAP and LIME peer: the Python shap and lime packages beside specweave-explain.

Trains a LightGBM regressor, dumps it, and explains the same rows of its raw score with
  - shap.KernelExplainer (same background, same sample budget) and our KernelExplainer;
    with 10 features the default budget (2M + 2048, capped at 2^M - 2) enumerates every
    coalition, so both must give the exact Shapley values and agree to 1e-6;
  - lime.lime_tabular.LimeTabularExplainer (quartiles, 5000 samples) and our LimeTabular;
    both sample randomly, so we compare the top feature and the fidelity (weighted R^2).
Prints rows per second for each, the ratio, and whether the values agree.

usage: kernel_lime.py [--rows N] [--lime-rows N]
"""

import argparse
import json
import os
import subprocess
import tempfile
import time

import lightgbm as lgb
import numpy as np
import shap
from lime import lime_tabular

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.path.join(REPO, "target", "release", "examples", "model_agnostic_peer")


def ours(method, model, rows, background, samples, threads):
    with tempfile.TemporaryDirectory() as tmp:
        paths = [os.path.join(tmp, n) for n in ("rows.json", "bg.json", "out.json")]
        json.dump(rows.tolist(), open(paths[0], "w"))
        json.dump(background.tolist(), open(paths[1], "w"))
        subprocess.run(
            [BINARY, method, model, paths[0], paths[1], paths[2], str(threads), str(samples)],
            check=True,
        )
        out = json.load(open(paths[2]))
    return np.asarray(out["values"]), np.asarray(out["score"]), out["seconds"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--lime-rows", type=int, default=20)
    args = parser.parse_args()
    subprocess.run(
        ["cargo", "build", "--release", "-p", "specweave-explain", "--example", "model_agnostic_peer"],
        check=True,
        cwd=REPO,
    )
    rng = np.random.default_rng(3)
    m = 10
    x = rng.normal(size=(2000, m))
    y = x[:, 0] * 2 - x[:, 1] + np.sin(x[:, 2]) + x[:, 3] * x[:, 4] + 0.1 * rng.normal(size=2000)
    model = lgb.LGBMRegressor(n_estimators=100, num_leaves=15, learning_rate=0.1, verbose=-1, n_jobs=1)
    model.fit(x, y)
    booster = model.booster_
    f = lambda data: booster.predict(data, raw_score=True)
    rows = rng.normal(size=(args.rows, m))
    background = x[:50]
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.json")
        json.dump(booster.dump_model(), open(path, "w"))

        budget = min(2 * m + 2048, 2**m - 2)
        explainer = shap.KernelExplainer(f, background)
        start = time.perf_counter()
        # shap's default L1 step (LARS, num_features(10)) can zero a feature even when every
        # coalition is enumerated; l1_reg=False is its exact efficiency-constrained solve.
        theirs = np.asarray(explainer.shap_values(rows, nsamples=budget, l1_reg=False, silent=True))
        shap_s = time.perf_counter() - start
        ours1, _, ours1_s = ours("kernel", path, rows, background, budget, 1)
        oursn, _, oursn_s = ours("kernel", path, rows, background, budget, cores)
        diff = float(np.max(np.abs(ours1 - theirs)))
        print(
            f"KernelSHAP ({m} features, {len(background)} background rows, {budget} coalitions, "
            f"{args.rows} rows): shap {args.rows / shap_s:,.1f} rows/s | specweave 1 thread "
            f"{args.rows / ours1_s:,.1f} rows/s ({shap_s / ours1_s:.2f}x) | {cores} threads "
            f"{args.rows / oursn_s:,.1f} rows/s | max |diff| {diff:.2e} "
            f"{'agree' if diff <= 1e-6 and np.allclose(ours1, oursn) else 'DISAGREE'}"
        )

        training = x[:500]
        lime_rows = rows[: args.lime_rows]
        lime_explainer = lime_tabular.LimeTabularExplainer(
            training, mode="regression", discretize_continuous=True, discretizer="quartile", random_state=0
        )
        start = time.perf_counter()
        lime_top, lime_scores = [], []
        for row in lime_rows:
            e = lime_explainer.explain_instance(row, f, num_features=m, num_samples=5000)
            weights = dict(next(iter(e.local_exp.values())))
            lime_top.append(max(weights, key=lambda k: abs(weights[k])))
            lime_scores.append(e.score)
        lime_s = time.perf_counter() - start
        values, scores, our_lime_s = ours("lime", path, lime_rows, training, 5000, 1)
        our_top = [int(np.argmax(np.abs(v))) for v in values]
        same_top = np.mean([a == b for a, b in zip(lime_top, our_top)])
        print(
            f"LIME (5000 samples, {args.lime_rows} rows): lime {args.lime_rows / lime_s:,.1f} rows/s | "
            f"specweave 1 thread {args.lime_rows / our_lime_s:,.1f} rows/s ({lime_s / our_lime_s:.2f}x) | "
            f"same top feature {same_top:.0%} | mean fidelity lime {np.mean(lime_scores):.3f} "
            f"ours {np.mean(scores):.3f}"
        )


if __name__ == "__main__":
    main()
