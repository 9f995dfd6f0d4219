"""Holt-Winters peer: statsmodels ExponentialSmoothing vs specweave-forecast on the same series.

Fits ExponentialSmoothing(trend='add', seasonal='add', seasonal_periods=12) and our
HoltWinters (additive trend and season, period 12) on seeded monthly series, then prints the
training time of each, their ratio, the holdout MASE of each and whether they agree.

    python -m venv /tmp/venv-forecast && /tmp/venv-forecast/bin/pip install statsmodels
    /tmp/venv-forecast/bin/python benches/peers/statsmodels_hw.py [--series 50] [--length 144]

Run from the repository root; it builds and runs the `holt_winters_series` example in release
mode.
"""
import argparse
import os
import subprocess
import tempfile
import time
import warnings

import numpy as np
from statsmodels.tsa.holtwinters import ExponentialSmoothing

PERIOD = 12
TEST = 24


def make_series(count, length, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    out = []
    for _ in range(count):
        level = rng.uniform(100, 300)
        slope = rng.uniform(-0.5, 1.5)
        amplitude = rng.uniform(5, 40)
        phase = rng.uniform(0, 2 * np.pi)
        noise = rng.uniform(1, 8)
        y = level + slope * t + amplitude * np.sin(2 * np.pi * t / PERIOD + phase)
        out.append(y + rng.normal(scale=noise, size=length))
    return out


def mase(actual, forecast, train):
    scale = np.mean(np.abs(train[PERIOD:] - train[:-PERIOD]))
    return np.mean(np.abs(actual - forecast)) / scale


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, default=50)
    parser.add_argument("--length", type=int, default=144)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    series = make_series(args.series, args.length, args.seed)

    warnings.simplefilter("ignore")
    sm_seconds, sm_mase, sm_sse = 0.0, [], []
    for y in series:
        train, test = y[:-TEST], y[-TEST:]
        started = time.perf_counter()
        fit = ExponentialSmoothing(
            train, trend="add", seasonal="add", seasonal_periods=PERIOD
        ).fit()
        sm_seconds += time.perf_counter() - started
        sm_mase.append(mase(test, fit.forecast(TEST), train))
        sm_sse.append(fit.sse)

    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as handle:
        for y in series:
            handle.write(",".join(repr(float(v)) for v in y) + "\n")
        path = handle.name
    try:
        output = subprocess.run(
            [
                "cargo", "run", "--release", "-q", "-p", "specweave-forecast",
                "--example", "holt_winters_series", "--", path, str(PERIOD), str(TEST),
            ],
            check=True, capture_output=True, text=True,
        ).stdout
    finally:
        os.unlink(path)
    rows = [tuple(map(float, line.split(","))) for line in output.strip().splitlines()]
    ours_seconds = sum(r[0] for r in rows)
    ours_mase = [r[1] for r in rows]
    ours_sse = [r[2] for r in rows]

    print(f"series: {len(series)} x {args.length} monthly points, holdout {TEST}")
    print(f"training time  statsmodels {sm_seconds:.4f} s   specweave {ours_seconds:.4f} s   "
          f"ratio (statsmodels / specweave) {sm_seconds / ours_seconds:.1f}x")
    print(f"mean MASE      statsmodels {np.mean(sm_mase):.4f}   specweave {np.mean(ours_mase):.4f}")
    sse_ratio = np.array(ours_sse) / np.array(sm_sse)
    print(f"in-sample SSE  specweave / statsmodels: median {np.median(sse_ratio):.4f}, "
          f"max {np.max(sse_ratio):.4f}")
    agree = abs(np.mean(ours_mase) - np.mean(sm_mase)) <= 0.05 * np.mean(sm_mase)
    print(f"agree (mean MASE within 5%): {'yes' if agree else 'no'}")


if __name__ == "__main__":
    main()
