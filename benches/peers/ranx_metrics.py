#!/usr/bin/env python3
"""Times ranx against specweave-eval on 100,000 users x 100 candidates (threads=1).

The Rust side (`crates/specweave-eval/examples/eval_peer.rs`) generates the data from a seed,
writes raw little-endian columns, times itself in a one-thread pool and prints its values;
this script builds ranx Qrels (relevant items only) and a Run from the same columns, times
`ranx.evaluate` after a JIT warm-up, checks agreement to 1e-9 relative and prints both
times and the ratio.

    python benches/peers/ranx_metrics.py [USERS]      # default 100,000
"""
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ["NUMBA_NUM_THREADS"] = "1"

import numpy as np  # noqa: E402
import ranx  # noqa: E402
from ranx import Qrels, Run, evaluate  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOLERANCE = 1e-9
METRICS = ["ndcg@10", "precision@10", "recall@10", "map@10", "mrr@10", "hit_rate@10"]


def build(users, items, relevance, scores):
    qrels, run = {}, {}
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    ends = np.r_[starts[1:], len(users)]
    for a, b in zip(starts, ends):
        q = str(users[a])
        docs = [str(i) for i in items[a:b]]
        run[q] = dict(zip(docs, scores[a:b].tolist()))
        rel = {d: int(r) for d, r in zip(docs, relevance[a:b]) if r > 0}
        # A user without relevant items is judged with one zero grade: ranx then scores it
        # 0 and counts it in the mean, the convention specweave-eval follows.
        qrels[q] = rel if rel else {docs[0]: 0}
    return Qrels(qrels), Run(run)


def main():
    n_users = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as data:
        out = subprocess.run(
            ["cargo", "run", "--release", "-q", "-p", "specweave-eval", "--example", "eval_peer", "--", "ranking", data, str(n_users)],
            cwd=ROOT, check=True, capture_output=True, text=True,
        ).stdout
        ours = json.loads(out)
        users = np.fromfile(os.path.join(data, "users.u64"), dtype="<u8")
        items = np.fromfile(os.path.join(data, "items.u64"), dtype="<u8")
        relevance = np.fromfile(os.path.join(data, "relevance.f64"), dtype="<f8")
        scores = np.fromfile(os.path.join(data, "scores.f64"), dtype="<f8")
    # JIT warm-up on a tiny problem so compilation is not timed
    wq, wr = build(users[:200], items[:200], relevance[:200], scores[:200])
    evaluate(wq, wr, METRICS, threads=1, save_results_in_run=False)
    qrels, run = build(users, items, relevance, scores)
    n_judged = int(sum(1 for a in np.split(relevance, np.flatnonzero(users[1:] != users[:-1]) + 1) if (a > 0).any()))
    times, values = [], None
    for _ in range(3):
        start = time.perf_counter()
        values = evaluate(qrels, run, METRICS, threads=1, save_results_in_run=False)
        times.append(time.perf_counter() - start)
    seconds = sorted(times)[1]
    print(f"ranx {ranx.__version__ if hasattr(ranx, '__version__') else ''} threads=1; {n_users:,} users x 100 candidates "
          f"({n_judged:,} with relevant items), median of 3 runs")
    ours_seconds = ours["ndcg@10"]["seconds"]
    all_agree = True
    for name in METRICS:
        value = values[name]
        mine = ours[name]["value"]
        rel = abs(mine - value) / max(abs(value), 1e-300)
        agree = rel <= TOLERANCE
        all_agree &= agree
        print(f"{name:<14} ranx {value:.12f}  specweave {mine:.12f}  {agree} ({rel:.1e})")
    print(f"all six metrics: ranx evaluate {seconds:.3f} s, specweave {ours_seconds:.3f} s single-threaded "
          f"({ours['all_threads']['seconds']:.3f} s on all threads); ratio {seconds / ours_seconds:.1f}×")
    print("all values agree" if all_agree else "VALUES DISAGREE")
    sys.exit(0 if all_agree else 1)


if __name__ == "__main__":
    main()
