#!/usr/bin/env python3
"""Data-stage peer benchmark: specweave's streaming profile against pandas.

Runs, on the same generated 1,000,000 x 20 Parquet file:
  * specweave: `profile_file FILE OUT` (load + full profile: moments, quantiles, distinct
    counts, top values, duplicates, correlations), as a child process;
  * pandas: `pd.read_parquet` + `describe()` + `isnull().sum()`, as a child process.
Prints both wall times, the ratio, each peak RSS (from wait4), the file's in-memory Arrow
size, and whether the statistics agree (counts, missing, mean, std, min, max exactly up to
float rounding; quartiles by rank within 0.5%).

Usage:
  cargo build --release -p specweave-data --example profile_file
  python3 benches/peers/pandas_profile.py [--file /tmp/specweave-bench/wide-1000000x20.parquet]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_child(argv):
    """Runs argv, returns (seconds, peak RSS in MiB, stdout)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{argv[0]} failed:\n{err.decode()}")
    return seconds, usage.ru_maxrss / 1024.0, out.decode()


def pandas_only(path, profile_json):
    import numpy as np
    import pandas as pd
    import pyarrow.parquet as pq

    start = time.perf_counter()
    frame = pd.read_parquet(path)
    described = frame.describe()
    missing = frame.isnull().sum()
    seconds = time.perf_counter() - start

    arrow_bytes = pq.read_table(path).nbytes
    agree, problems = True, []
    if profile_json:
        with open(profile_json) as f:
            profile = json.load(f)
        if profile["rows"] != len(frame):
            problems.append(f"rows {profile['rows']} vs {len(frame)}")
        for column in profile["columns"]:
            name = column["name"]
            if column["missing"] != int(missing[name]):
                problems.append(f"{name}: missing {column['missing']} vs {int(missing[name])}")
            numeric = column.get("numeric")
            if numeric is None or name not in described:
                continue
            d = described[name]
            for key in ("mean", "std", "min", "max"):
                ours, theirs = numeric[key], float(d[key])
                if abs(ours - theirs) > 1e-9 * max(1.0, abs(theirs)):
                    problems.append(f"{name}: {key} {ours} vs {theirs}")
            values = np.sort(frame[name].dropna().to_numpy(dtype=float))
            for q in numeric["quantiles"]:
                if q["level"] in (0.25, 0.5, 0.75):
                    rank = np.searchsorted(values, q["value"]) / len(values)
                    if abs(rank - q["level"]) > 0.005:
                        problems.append(f"{name}: q{q['level']} rank {rank:.4f}")
        agree = not problems
    print(json.dumps({"seconds": seconds, "arrow_bytes": arrow_bytes, "agree": agree, "problems": problems[:10]}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", default=os.path.join(tempfile.gettempdir(), "specweave-bench", "wide-1000000x20.parquet"))
    parser.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "examples", "profile_file"))
    parser.add_argument("--pandas-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile-json", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pandas_only:
        pandas_only(args.file, args.profile_json)
        return
    if not os.path.exists(args.bin):
        sys.exit(f"{args.bin} not found; run: cargo build --release -p specweave-data --example profile_file")
    if not os.path.exists(args.file):
        os.makedirs(os.path.dirname(args.file), exist_ok=True)
        run_child([args.bin, args.file, "-", "--generate", "1000000", "20"])
    out_dir = tempfile.mkdtemp(prefix="specweave-profile-")
    ours_wall, ours_mib, ours_out = run_child([args.bin, args.file, out_dir])
    match = re.search(r"in ([0-9.]+) s", ours_out)
    ours_s = float(match.group(1)) if match else ours_wall
    pandas_s, pandas_mib, pandas_out = run_child(
        [sys.executable, __file__, "--pandas-only", "--file", args.file,
         "--profile-json", os.path.join(out_dir, "profile.json")])
    result = json.loads(pandas_out.strip().splitlines()[-1])
    print(f"file: {args.file} ({os.path.getsize(args.file) / 2**20:.1f} MiB on disk, "
          f"{result['arrow_bytes'] / 2**20:.1f} MiB as Arrow)")
    print(f"specweave load+profile: {ours_s:.3f} s (in-process), {ours_wall:.3f} s wall (process), "
          f"peak RSS {ours_mib:.0f} MiB")
    print(f"pandas read_parquet+describe+isnull: {result['seconds']:.3f} s (in-process), "
          f"{pandas_s:.3f} s wall (process incl. import), peak RSS {pandas_mib:.0f} MiB")
    print(f"ratio pandas/specweave (in-process times): {result['seconds'] / ours_s:.2f}x")
    print(f"values agree: {result['agree']}")
    for problem in result["problems"]:
        print(f"  {problem}")


if __name__ == "__main__":
    main()
