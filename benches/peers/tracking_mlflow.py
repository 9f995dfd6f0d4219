"""Experiment tracking beside MLflow on the same workloads.

Workloads (specweave's side is `crates/specweave-tracking/examples/tracking_peer.rs`):
  1. log_metric on MLflow's file store (one call per point) vs specweave's buffered
     log_metric (and a durable log_metric + flush with fsync per point);
  2. log_metric over REST to a local `mlflow server` (sqlite backend), with --rest;
  3. search of N runs x 20 metrics with the same filter and order on both sides, checking
     that both return the same runs in the same order.

Usage (from the workspace root, after `scripts/python-env` and
`cargo build --release -p specweave-tracking --example tracking_peer`):
  .venv/bin/python benches/peers/tracking_mlflow.py [--points 2000] [--runs 200] [--rest]
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

PEER = os.path.join("target", "release", "examples", "tracking_peer")
FILTER = "metrics.m3 > 0.5 and params.model = 'gbdt'"
ORDER = ["metrics.m0 DESC"]


def model_of(run):
    return ["gbdt", "knn", "linear"][run % 3]


def value_of(run, metric):
    # Same as benches/support/fixture.rs.
    return ((run * 7919 + metric * 104729 + run * metric * 31) % 1000) / 1000.0


def specweave(*args):
    out = subprocess.run([PEER, *map(str, args)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def report(name, mlflow_s, specweave_s, agree):
    ratio = mlflow_s / specweave_s if specweave_s > 0 else float("inf")
    print(f"{name}: mlflow {mlflow_s * 1e3:.4f} ms, specweave {specweave_s * 1e3:.6f} ms, "
          f"ratio {ratio:.1f}x, values agree: {agree}")


def file_store_log(points):
    import mlflow
    from mlflow.tracking import MlflowClient

    root = tempfile.mkdtemp()
    try:
        uri = "file://" + root
        mlflow.set_tracking_uri(uri)
        client = MlflowClient(uri)
        experiment = client.create_experiment("peer")
        run = client.create_run(experiment)
        run_id = run.info.run_id
        started = time.perf_counter()
        for step in range(points):
            client.log_metric(run_id, "train/loss", 1.0 / (step + 1), step=step)
        elapsed = time.perf_counter() - started
        history = client.get_metric_history(run_id, "train/loss")
        return elapsed / points, len(history), history[-1].value
    finally:
        shutil.rmtree(root, ignore_errors=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rest_log(points):
    from mlflow.tracking import MlflowClient

    root = tempfile.mkdtemp()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--backend-store-uri",
         f"sqlite:///{root}/mlflow.db", "--default-artifact-root", f"{root}/art",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        uri = f"http://127.0.0.1:{port}"
        deadline = time.time() + 300
        while True:
            try:
                if urllib.request.urlopen(uri + "/health", timeout=2).status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("mlflow server did not start")
            time.sleep(0.25)
        client = MlflowClient(uri)
        run_id = client.create_run(client.create_experiment("peer")).info.run_id
        started = time.perf_counter()
        for step in range(points):
            client.log_metric(run_id, "loss", 0.5, step=step)
        per_call = (time.perf_counter() - started) / points
        return uri, per_call, len(client.get_metric_history(run_id, "loss"))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


def file_store_search(runs, metrics):
    import mlflow
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    root = tempfile.mkdtemp()
    try:
        uri = "file://" + root
        mlflow.set_tracking_uri(uri)
        client = MlflowClient(uri)
        experiment = client.create_experiment("search")
        for run in range(runs):
            run_id = client.create_run(experiment, run_name=f"run{run}").info.run_id
            client.log_batch(
                run_id,
                metrics=[Metric(f"m{m}", value_of(run, m), 0, 0) for m in range(metrics)],
                params=[Param("model", model_of(run))],
            )
            client.set_terminated(run_id)
        best = float("inf")
        names = []
        for _ in range(3):
            started = time.perf_counter()
            found = client.search_runs([experiment], FILTER, order_by=ORDER, max_results=50000)
            best = min(best, time.perf_counter() - started)
            names = [r.info.run_name for r in found]
        return best, names
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=2000, help="MLflow log_metric calls")
    parser.add_argument("--specweave-points", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200, help="runs for the search workload")
    parser.add_argument("--rest", action="store_true", help="also time REST logging (starts a server)")
    args = parser.parse_args()
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"

    ours = specweave("log", args.specweave_points)
    theirs, stored, last = file_store_log(args.points)
    agree = ours["stored_points"] == args.specweave_points and stored == args.points and \
        ours["last_value"] == 1.0 / args.specweave_points and last == 1.0 / args.points
    buffered = ours["buffered_seconds"] / ours["points"]
    durable = ours["durable_seconds"] / ours["durable_points"]
    print(f"specweave buffered log_metric: {ours['points'] / ours['buffered_seconds']:,.0f} points/s")
    report("log_metric per call, MLflow file store vs specweave buffered", theirs, buffered, agree)
    report("log_metric per call, MLflow file store vs specweave durable (flush+fsync each)", theirs, durable, agree)

    if args.rest:
        _, rest, stored = rest_log(min(args.points, 500))
        report("log_metric per call, MLflow REST vs specweave buffered", rest, buffered, stored == min(args.points, 500))

    theirs_s, their_names = file_store_search(args.runs, 20)
    ours_small = specweave("search", args.runs, 20)
    ours_big = specweave("search", 10_000, 20)
    same = their_names == ours_small["matches"]
    report(f"search {args.runs} runs x 20 metrics, MLflow file store vs specweave",
           theirs_s, ours_small["seconds"], same)
    print(f"specweave search 10,000 runs x 20 metrics: {ours_big['seconds'] * 1e3:.1f} ms "
          f"({len(ours_big['matches'])} matches)")


if __name__ == "__main__":
    main()
