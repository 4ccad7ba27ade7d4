#!/usr/bin/env python3
"""logit-bench and scikit-learn side by side, in one run, on the issue's three data sets.

usage: python3 scripts/bench_vs_sklearn.py [--repetitions 5] [--sizes 100k,1m,wide] [--skip-build] [--solver cg|fista]
                                          [--tol T] [--kernels baseline,avx2]

Generates the data with ../shared/tools/gen_classification_csv.py into bench-data/ (git-ignored), builds
logit-bench in release mode (scratch path .build-numerics unless LOGIT_BENCH_SCRATCH is set), then for each set runs
N interleaved rounds, each of:
  - logit-bench once per kernel set (--kernels, default: the best this CPU runs): parse, the kernels, one full fit
    with the default parameters (--solver / --tol passed on);
  - scikit-learn once: read (pandas if available, else numpy), StandardScaler, LogisticRegression().fit (default
    lbfgs, tol 1e-4);
and prints medians over the rounds, the median (and range) of the per-round fit ratios, and how far each fit stops
above the optimum (with --tol: one extra logit fit at tol 1e-12). Needs numpy and scikit-learn (pip install scikit-learn).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "bench-data")
GEN = os.environ.get("GEN_CLASSIFICATION_CSV", os.path.join(ROOT, "..", "shared", "tools", "gen_classification_csv.py"))
if not os.path.exists(GEN):
    GEN = "/work/shared/tools/gen_classification_csv.py"
SCRATCH = os.environ.get("LOGIT_BENCH_SCRATCH", os.path.join(ROOT, ".build-numerics"))
SIZES = {"100k": (100_000, 20, 3), "1m": (1_000_000, 20, 3), "wide": (20_000, 500, 10)}


def objective(coef, intercept, z, y, C=1.0):
    logits = z @ coef.T + intercept
    if coef.shape[0] == 1:
        t = logits[:, 0]
        loss = np.logaddexp(0, t) - (y == 1) * t
    else:
        top = logits.max(axis=1, keepdims=True)
        loss = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1)) - logits[np.arange(len(y)), y]
    return float(loss.mean() + (coef ** 2).sum() / (2 * C * len(y)))


def read(path):
    try:
        import pandas
        frame = pandas.read_csv(path, header=None)
        return frame.iloc[:, :-1].to_numpy(dtype=float), frame.iloc[:, -1].to_numpy()
    except ImportError:
        data = np.loadtxt(path, delimiter=",")
        return data[:, :-1], data[:, -1].astype(int)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--sizes", default="100k,1m,wide")
    ap.add_argument("--skip-build", action="store_true")
    ap.add_argument("--solver", choices=["cg", "fista"], default=None)
    ap.add_argument("--kernels", default=None,
                    help="comma-separated kernel sets for logit-bench (baseline, avx2); default: the best this CPU runs")
    ap.add_argument("--tol", default=None,
                    help="logit's tol for the timed fits (default: the trainer's, 1e-12); the gap to the optimum is then "
                         "measured against one extra fit at tol 1e-12")
    a = ap.parse_args()
    os.makedirs(DATA, exist_ok=True)
    if not a.skip_build:
        subprocess.run(["swift", "build", "-c", "release", "--scratch-path", SCRATCH, "--product", "logit-bench"],
                       cwd=ROOT, check=True)
    bench = os.path.join(SCRATCH, "release", "logit-bench")
    rows = []
    for size in a.sizes.split(","):
        n, d, k = SIZES[size]
        path = os.path.join(DATA, f"{size}_{n}x{d}x{k}.csv")
        if not os.path.exists(path):
            subprocess.run([sys.executable, GEN, path, "--n", str(n), "--d", str(d), "--k", str(k), "--seed", "7"], check=True)
        base = [bench, path, "--repetitions", "1", "--json"]
        if a.solver:
            base += ["--solver", a.solver]
        kernel_sets = a.kernels.split(",") if a.kernels else [None]
        # Rounds: each runs every logit-bench variant once, then scikit-learn once, so that both sides see the same
        # machine state (this VM's speed drifts by up to 1.5x over minutes); ratios are taken per round.
        ours_by_set = {kernels: [] for kernels in kernel_sets}
        read_times, scale_times, fit_times = [], [], []
        for _ in range(a.repetitions):
            for kernels in kernel_sets:
                command = base + (["--kernels", kernels] if kernels else []) + (["--tol", a.tol] if a.tol else [])
                out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
                print(out, end="")
                ours_by_set[kernels].append(json.loads(out.strip().splitlines()[-1]))
            t0 = time.perf_counter()
            x, y = read(path)
            t1 = time.perf_counter()
            z = StandardScaler().fit_transform(x)
            t2 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = LogisticRegression().fit(z, y)
            t3 = time.perf_counter()
            read_times.append(t1 - t0)
            scale_times.append(t2 - t1)
            fit_times.append(t3 - t2)
            print(f"sklearn   fit {t3 - t2:.4f} s", flush=True)
        optimum = min(r["objective"] for runs in ours_by_set.values() for r in runs)
        if a.tol:
            reference = subprocess.run(base + ["--tol", "1e-12"], check=True, capture_output=True, text=True).stdout
            optimum = json.loads(reference.strip().splitlines()[-1])["objective"]
        classes = np.unique(y)
        sk_objective = objective(model.coef_, model.intercept_, z, np.searchsorted(classes, y))
        sk_fit = statistics.median(fit_times)
        for kernels, runs in ours_by_set.items():
            last = runs[-1]
            ratios = [sk / r["fit_seconds"] for sk, r in zip(fit_times, runs)]
            row = {
                "set": f"{n}x{d}x{k}", "solver": last.get("solver", "?") + " " + last.get("kernels", ""),
                "logit_parse_s": statistics.median(r["parse_seconds"] for r in runs),
                "logit_fit_s": statistics.median(r["fit_seconds"] for r in runs),
                "logit_iter": last["n_iter"], "logit_passes": last["passes"], "limit_s": last["limit_seconds"],
                "sklearn_read_s": statistics.median(read_times), "sklearn_scale_s": statistics.median(scale_times),
                "sklearn_fit_s": sk_fit, "sklearn_iter": int(np.max(model.n_iter_)),
                "logit_gap": (last["objective"] - optimum) / optimum, "sklearn_gap": (sk_objective - optimum) / optimum,
                "ratio": statistics.median(ratios), "ratio_low": min(ratios), "ratio_high": max(ratios),
            }
            rows.append(row)
        print(f"sklearn   read {row['sklearn_read_s']:.3f} s, scale {row['sklearn_scale_s']:.3f} s, fit {sk_fit:.3f} s "
              f"({row['sklearn_iter']} lbfgs iterations, objective {sk_objective:.15g}, "
              f"{row['sklearn_gap']:.2e} relative above the optimum)", flush=True)
    print()
    print("| data | solver, kernels | logit fit (s) | iterations / passes | logit above optimum | sklearn fit (s) | sklearn iter "
          "| sklearn above optimum | sklearn / logit, per round: median (range) | logit parse (s) | sklearn read+scale (s) "
          "| logit fit / physical limit |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['set']} | {r['solver']} | {r['logit_fit_s']:.3f} | {r['logit_iter']} / {r['logit_passes']} | {r['logit_gap']:.1e} "
              f"| {r['sklearn_fit_s']:.3f} | {r['sklearn_iter']} | {r['sklearn_gap']:.1e} "
              f"| {r['ratio']:.2f}× ({r['ratio_low']:.2f}–{r['ratio_high']:.2f}) "
              f"| {r['logit_parse_s']:.3f} | {r['sklearn_read_s'] + r['sklearn_scale_s']:.3f} | {r['logit_fit_s'] / r['limit_s']:.1f}× |")

if __name__ == "__main__":
    main()
