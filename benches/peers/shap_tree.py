#!/usr/bin/env python3
"""TreeSHAP peer: LightGBM and XGBoost models, their raw predictions and shap's values.

Two modes:

  shap_tree.py fixtures DIR
      Trains small models and writes, per model, the JSON dump(s), the rows, the library's raw
      predictions and shap's TreeExplainer values (`<name>.expected.json`). The Rust tests in
      crates/specweave-explain/tests/import.rs read them without Python.

  shap_tree.py bench [--rows N] [--trees T] [--features M] [--depth D]
      Trains a LightGBM and an XGBoost binary model, times shap's TreeExplainer.shap_values
      (single-threaded C++) beside `specweave-explain`'s TreeSHAP (the `tree_shap_peer`
      example, one thread and all threads), and checks the values agree to 1e-6.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import lightgbm as lgb
import numpy as np
import shap
import xgboost as xgb

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def make_data(rows, features, seed, missing=0.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features))
    # XGBoost compares in float32; rows representable in float32 make both libraries exact.
    x = x.astype(np.float32).astype(np.float64)
    logit = x[:, 0] * 1.5 - x[:, 1] + 0.5 * x[:, 2] * x[:, 3] + (x[:, 4] > 0.3)
    if missing > 0:
        mask = rng.random(size=x.shape) < missing
        x[mask] = np.nan
    return x, logit


def rows_json(x):
    return [[None if np.isnan(v) else float(v) for v in row] for row in x]


def shap_as_list(values, n_rows, n_features):
    """shap returns (rows, features) or (rows, features, classes); normalise to rows x features x outputs."""
    arr = np.asarray(values)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    assert arr.shape[:2] == (n_rows, n_features), arr.shape
    return arr.tolist()


def write_expected(path, x, raw, explainer):
    values = explainer.shap_values(x)
    expected = np.atleast_1d(np.asarray(explainer.expected_value, dtype=np.float64)).tolist()
    raw = np.asarray(raw, dtype=np.float64)
    if raw.ndim == 1:
        raw = raw[:, None]
    with open(path, "w") as f:
        json.dump(
            {
                "rows": rows_json(x),
                "raw": raw.tolist(),
                "shap_values": shap_as_list(values, x.shape[0], x.shape[1]),
                "expected_value": expected,
            },
            f,
        )


def fixtures(out):
    os.makedirs(out, exist_ok=True)
    n_rows = 12

    # LightGBM binary with missing values in training (missing_type NaN) and in the rows.
    x, logit = make_data(400, 6, 1, missing=0.1)
    y = (logit > 0).astype(int)
    model = lgb.LGBMClassifier(n_estimators=6, num_leaves=6, learning_rate=0.3, verbose=-1)
    model.fit(x, y)
    json.dump(model.booster_.dump_model(), open(f"{out}/lightgbm_binary.json", "w"))
    rows = x[:n_rows]
    write_expected(
        f"{out}/lightgbm_binary.expected.json",
        rows,
        model.predict(rows, raw_score=True),
        shap.TreeExplainer(model.booster_),
    )

    # LightGBM regression without missing values (missing_type None).
    x, logit = make_data(400, 5, 2)
    model = lgb.LGBMRegressor(n_estimators=5, num_leaves=5, learning_rate=0.5, verbose=-1)
    model.fit(x, logit)
    json.dump(model.booster_.dump_model(), open(f"{out}/lightgbm_regression.json", "w"))
    rows = x[:n_rows]
    write_expected(
        f"{out}/lightgbm_regression.expected.json",
        rows,
        model.predict(rows, raw_score=True),
        shap.TreeExplainer(model.booster_),
    )

    # LightGBM multiclass: one tree per class per iteration.
    x, logit = make_data(400, 5, 3)
    y = np.digitize(logit, [-0.5, 0.8])
    model = lgb.LGBMClassifier(n_estimators=3, num_leaves=4, learning_rate=0.5, verbose=-1)
    model.fit(x, y)
    json.dump(model.booster_.dump_model(), open(f"{out}/lightgbm_multiclass.json", "w"))
    rows = x[:n_rows]
    write_expected(
        f"{out}/lightgbm_multiclass.expected.json",
        rows,
        model.predict(rows, raw_score=True),
        shap.TreeExplainer(model.booster_),
    )

    # XGBoost binary with missing values: save_model JSON and get_dump JSON.
    x, logit = make_data(400, 6, 4, missing=0.1)
    y = (logit > 0).astype(int)
    model = xgb.XGBClassifier(n_estimators=6, max_depth=3, learning_rate=0.3, n_jobs=1)
    model.fit(x, y)
    booster = model.get_booster()
    booster.save_model(f"{out}/xgboost_binary.json")
    json.dump(
        [json.loads(t) for t in booster.get_dump(dump_format="json", with_stats=True)],
        open(f"{out}/xgboost_binary.dump.json", "w"),
    )
    rows = x[:n_rows]
    write_expected(
        f"{out}/xgboost_binary.expected.json",
        rows,
        model.predict(rows, output_margin=True),
        shap.TreeExplainer(booster),
    )

    # XGBoost multiclass (multi:softprob): one tree per class per round.
    x, logit = make_data(400, 5, 5)
    y = np.digitize(logit, [-0.5, 0.8])
    model = xgb.XGBClassifier(n_estimators=3, max_depth=2, learning_rate=0.5, n_jobs=1)
    model.fit(x, y)
    booster = model.get_booster()
    booster.save_model(f"{out}/xgboost_multiclass.json")
    rows = x[:n_rows]
    write_expected(
        f"{out}/xgboost_multiclass.expected.json",
        rows,
        model.predict(rows, output_margin=True),
        shap.TreeExplainer(booster),
    )

    # XGBoost regression.
    x, logit = make_data(400, 5, 6)
    model = xgb.XGBRegressor(n_estimators=4, max_depth=3, learning_rate=0.5, n_jobs=1)
    model.fit(x, logit)
    booster = model.get_booster()
    booster.save_model(f"{out}/xgboost_regression.json")
    rows = x[:n_rows]
    write_expected(
        f"{out}/xgboost_regression.expected.json",
        rows,
        model.predict(rows, output_margin=True),
        shap.TreeExplainer(booster),
    )
    print(f"fixtures written to {out}")


def run_ours(model_path, fmt, rows, threads):
    with tempfile.TemporaryDirectory() as tmp:
        rows_path = os.path.join(tmp, "rows.json")
        out_path = os.path.join(tmp, "out.json")
        json.dump(rows_json(rows), open(rows_path, "w"))
        cmd = [
            os.path.join(REPO, "target", "release", "examples", "tree_shap_peer"),
            fmt,
            model_path,
            rows_path,
            out_path,
            str(threads),
        ]
        subprocess.run(cmd, check=True)
        result = json.load(open(out_path))
    return np.asarray(result["shap_values"]), result["seconds"]


def bench(args):
    subprocess.run(
        ["cargo", "build", "--release", "-p", "specweave-explain", "--example", "tree_shap_peer"],
        check=True,
        cwd=REPO,
    )
    x, logit = make_data(args.train_rows, args.features, 7)
    y = (logit > 0).astype(int)
    rows = make_data(args.rows, args.features, 8)[0]
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        models = []
        lgbm = lgb.LGBMClassifier(
            n_estimators=args.trees, num_leaves=args.leaves, max_depth=args.depth,
            learning_rate=0.1, verbose=-1, n_jobs=1,
        ).fit(x, y)
        path = os.path.join(tmp, "lgbm.json")
        json.dump(lgbm.booster_.dump_model(), open(path, "w"))
        models.append(("LightGBM", "lightgbm", path, lgbm.booster_))
        xgbm = xgb.XGBClassifier(
            n_estimators=args.trees, max_depth=args.depth, learning_rate=0.1, n_jobs=1
        ).fit(x, y)
        path = os.path.join(tmp, "xgb.json")
        xgbm.get_booster().save_model(path)
        models.append(("XGBoost", "xgboost", path, xgbm.get_booster()))
        print(
            f"binary models, {args.trees} trees, depth <= {args.depth} (LightGBM <= {args.leaves} "
            f"leaves), {args.features} features, {args.rows} rows explained"
        )
        for label, fmt, path, booster in models:
            explainer = shap.TreeExplainer(booster)
            start = time.perf_counter()
            theirs = np.asarray(explainer.shap_values(rows))
            shap_s = time.perf_counter() - start
            # shap computes XGBoost models in float32, so agreement there is at float32 precision.
            tolerance = 1e-6 if theirs.dtype == np.float64 else 1e-5
            ours1, ours1_s = run_ours(path, fmt, rows, 1)
            oursn, oursn_s = run_ours(path, fmt, rows, cores)
            ours1 = ours1[:, :, 0]
            diff = float(np.max(np.abs(ours1 - theirs.astype(np.float64))))
            same = np.array_equal(ours1, oursn[:, :, 0])
            print(
                f"{label}: shap {args.rows / shap_s:,.0f} rows/s | specweave 1 thread "
                f"{args.rows / ours1_s:,.0f} rows/s ({shap_s / ours1_s:.2f}x) | specweave "
                f"{cores} threads {args.rows / oursn_s:,.0f} rows/s (scaling "
                f"{ours1_s / oursn_s:.2f}x) | max |diff| {diff:.2e} (shap {theirs.dtype}) "
                f"{'agree' if diff <= tolerance and same else 'DISAGREE'}"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    f = sub.add_parser("fixtures")
    f.add_argument("dir")
    b = sub.add_parser("bench")
    b.add_argument("--rows", type=int, default=2000)
    b.add_argument("--train-rows", type=int, default=5000)
    b.add_argument("--trees", type=int, default=200)
    b.add_argument("--features", type=int, default=30)
    b.add_argument("--depth", type=int, default=8)
    b.add_argument("--leaves", type=int, default=31)
    args = parser.parse_args()
    if args.mode == "fixtures":
        fixtures(args.dir)
    else:
        bench(args)


if __name__ == "__main__":
    sys.exit(main())
