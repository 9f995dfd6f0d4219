#!/usr/bin/env python3
"""Times scikit-learn's binary metrics against specweave-eval on the same data.

The Rust side (`crates/specweave-eval/examples/eval_peer.rs`) generates the data from a seed,
writes it as raw little-endian columns, times itself single-threaded and prints its values;
this script reads the same columns, times scikit-learn (single-threaded BLAS/OpenMP), checks
agreement to 1e-9 relative and prints both times and the ratio.

    python benches/peers/sklearn_metrics.py [ROWS]      # default 10,000,000
"""
import json
import os
import subprocess
import sys
import tempfile
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    auc,
    average_precision_score,
    brier_score_loss,
    log_loss,
    precision_recall_curve,
    roc_auc_score,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOLERANCE = 1e-9


def timed(f, repeats):
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = f()
        times.append(time.perf_counter() - start)
    return value, sorted(times)[len(times) // 2]


def pr_auc(y, s):
    precision, recall, _ = precision_recall_curve(y, s)
    return auc(recall, precision)


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    repeats = 3
    with tempfile.TemporaryDirectory() as data:
        out = subprocess.run(
            ["cargo", "run", "--release", "-q", "-p", "specweave-eval", "--example", "eval_peer", "--", "binary", data, str(rows)],
            cwd=ROOT, check=True, capture_output=True, text=True,
        ).stdout
        ours = json.loads(out)
        y = np.fromfile(os.path.join(data, "labels.f64"), dtype="<f8")
        s = np.fromfile(os.path.join(data, "scores.f64"), dtype="<f8")
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}; {rows:,} rows, median of {repeats} runs")
    peers = {
        "roc_auc": (lambda: roc_auc_score(y, s), True),
        "average_precision": (lambda: average_precision_score(y, s), True),
        "log_loss": (lambda: log_loss(y, s), True),
        "pr_auc": (lambda: pr_auc(y, s), False),
        "brier": (lambda: brier_score_loss(y, s), False),
    }
    all_agree = True
    print(f"{'metric':<18} {'sklearn s':>10} {'specweave s':>12} {'ratio':>8}  agree (rel. diff)")
    for name, (f, time_it) in peers.items():
        value, seconds = timed(f, repeats if time_it else 1)
        mine = ours[name]
        rel = abs(mine["value"] - value) / max(abs(value), 1e-300)
        agree = rel <= TOLERANCE
        all_agree &= agree
        if time_it:
            ratio = seconds / mine["seconds"]
            print(f"{name:<18} {seconds:>10.4f} {mine['seconds']:>12.4f} {ratio:>7.1f}×  {agree} ({rel:.1e})")
        else:
            print(f"{name:<18} {'':>10} {'':>12} {'':>8}  {agree} ({rel:.1e})")
    _, np_sort = timed(lambda: np.sort(s), repeats)
    print(f"sort bound: radix sort of the u64 keys {ours['sort_bound_radix']['seconds']:.4f} s, "
          f"std sort_unstable {ours['sort_bound_std']['seconds']:.4f} s, np.sort {np_sort:.4f} s; "
          f"ROC AUC / radix sort = {ours['roc_auc']['seconds'] / ours['sort_bound_radix']['seconds']:.2f}")
    print("all values agree" if all_agree else "VALUES DISAGREE")
    sys.exit(0 if all_agree else 1)


if __name__ == "__main__":
    main()
