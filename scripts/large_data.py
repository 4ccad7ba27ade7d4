#!/usr/bin/env python3
"""Large data, end to end: the logit service (POST to ready, measured by a client) against pandas `read_csv` +
`StandardScaler` + scikit-learn's default `LogisticRegression().fit` on the same file, side by side in one run,
with each logit process's memory.

The issue's goals, checked on the data sets 100,000 x 20 x 3, 200,000 x 50 x 2 and 1,000,000 x 20 x 3
(rows x features x classes; headerless CSV, label last, from ../shared/tools/gen_classification_csv.py with a fixed
seed, written into a temporary directory):
  - speed: logit, with the default parameters, is faster than scikit-learn while reaching 1e-6 (relative) of the
    optimum (scikit-learn's default fit does not); 1,000,000 x 20 x 3 in at most 3 s;
  - memory: the API at most ~1.5x the body for one upload; the worker at most 2.5x the parsed matrix
    (rows x features x 8 bytes); an idle API after the large jobs within 2x its idle size at start.

One redis-server (no persistence), `logit serve` and `logit worker` (separate processes, so that their memory is
measured separately) run on 127.0.0.1 and free ports, their logs in the temporary directory. For each data set,
--rounds rounds, interleaved (logit, then scikit-learn, per round):
  - logit: the time from just before `POST /models` (Content-Type text/csv, the file's bytes read beforehand) to
    the 201, and to the moment `GET /check_model_status/<id>` (polled every 10 ms on a keep-alive connection) says
    "state": "ready"; meanwhile the VmRSS of the API and the worker is sampled every 10 ms (their peaks during the
    job); then `GET /models/<id>` gives summary.objective, converged, n_iter, training_seconds;
  - scikit-learn: a fresh `python3 -c` process per round, timing with time.perf_counter around read_csv +
    StandardScaler().fit_transform + LogisticRegression().fit, then printing the objective it reached
    (log_loss of predict_proba on the standardized X + ||W||^2 / (2 C n), C = 1).
The optimum f* is computed once per data set the same way with LogisticRegression(tol=1e-10, max_iter=100000);
the gaps are (f - f*) / f*, shown as they are (negative when logit ends below that reference).
The API's idle RSS is read after /readyz first answers, and again 3 s after the last job.

usage: scripts/large_data.py [--sizes 100k,200kx50,1m] [--rounds 3] [--binary .build/release/logit]
                             [--data-dir DIR] [--keep]

Progress goes to stderr; stdout gets one Markdown table per data set (medians over the rounds; peaks are the
maximum over the rounds), the API's idle RSS line and the goals. Exit code 0 when every run completed (whatever
the goals), 1 on an error (the logs' tails are printed and the temporary directory kept), 130 on Ctrl-C.
Needs numpy, pandas and scikit-learn.
"""
import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

# name -> (rows, features, classes); "10k" is a quick one for debugging the script (not in the default set).
SIZES = {
    "10k": (10_000, 20, 3),
    "100k": (100_000, 20, 3),
    "200kx50": (200_000, 50, 2),
    "1m": (1_000_000, 20, 3),
}
DEFAULT_SIZES = "100k,200kx50,1m"
SEED = 42

# Run by `python3 -c` with argv [path, "default" | "optimum"]: prints one JSON line.
SKLEARN = r"""
import json, sys, time, warnings
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

path, mode = sys.argv[1], sys.argv[2]
C = 1.0
make = (lambda: LogisticRegression()) if mode == "default" else (lambda: LogisticRegression(tol=1e-10, max_iter=100000))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    t0 = time.perf_counter()
    frame = pd.read_csv(path, header=None)
    x = frame.iloc[:, :-1].to_numpy(dtype=float)
    y = frame.iloc[:, -1].to_numpy()
    t1 = time.perf_counter()
    z = StandardScaler().fit_transform(x)
    t2 = time.perf_counter()
    model = make().fit(z, y)
    t3 = time.perf_counter()
n = len(y)
objective = log_loss(y, model.predict_proba(z), labels=model.classes_) + float((model.coef_ ** 2).sum()) / (2 * C * n)
print(json.dumps({"seconds": t3 - t0, "read_seconds": t1 - t0, "scale_seconds": t2 - t1, "fit_seconds": t3 - t2,
                  "objective": float(objective), "n_iter": int(np.max(model.n_iter_)),
                  "warnings": sorted({type(w.message).__name__ for w in caught})}))
"""


class Sampler:
    """Samples VmRSS of some processes every `interval` seconds in a thread; `peak[name]` is the largest seen."""

    def __init__(self, pids, interval=0.01):
        self.pids = pids  # name -> pid
        self.interval = interval
        self.peak = {name: 0 for name in pids}
        self.samples = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True, name="rss-sampler")

    def sample(self):
        for name, pid in self.pids.items():
            self.peak[name] = max(self.peak[name], h.proc_status(pid).get("VmRSS", 0))
        self.samples += 1

    def loop(self):
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(self.interval)

    def __enter__(self):
        # VmHWM reset too (when the kernel allows it): read at the end, it catches a peak between two samples.
        self.hwm = all(h.reset_peak_rss(pid) for pid in self.pids.values())
        self.sample()
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)
        self.sample()
        if self.hwm:
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], h.proc_status(pid).get("VmHWM", 0))


def run_logit(api_port, body, pids, timeout):
    """One training job, timed from the client; returns a dict (seconds to 201 and to ready, peaks, summary)."""
    before = {name: h.proc_status(pid).get("VmRSS", 0) for name, pid in pids.items()}
    poll = http.client.HTTPConnection("127.0.0.1", api_port, timeout=30)
    try:
        with Sampler(pids) as sampler:
            t0 = time.perf_counter()
            status, _, data = h.request("POST", api_port, "/models", body, {"Content-Type": "text/csv"}, timeout=300)
            t_created = time.perf_counter()
            if status != 201:
                raise RuntimeError(f"POST /models answered {status}: {data[:300]!r}")
            model_id = h.json_of(data)["model_id"]
            deadline = t0 + timeout
            while True:
                status, answer = h.model_status(api_port, model_id, connection=poll)
                state = answer.get("state")
                if status == 200 and state == "ready":
                    t_ready = time.perf_counter()
                    break
                if status == 200 and state == "failed":
                    raise RuntimeError(f"job {model_id} failed: {answer}")
                if status not in (200, 0):
                    raise RuntimeError(f"GET /check_model_status/{model_id} answered {status}: {answer}")
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"job {model_id} not ready after {timeout:g} s (last: {status} {answer})")
                time.sleep(0.01)
    finally:
        poll.close()
    status, _, data = h.request("GET", api_port, f"/models/{model_id}", timeout=60)
    if status != 200:
        raise RuntimeError(f"GET /models/{model_id} answered {status}: {data[:300]!r}")
    summary = h.json_of(data).get("summary", {})
    return {"model_id": model_id, "created": t_created - t0, "ready": t_ready - t0,
            "objective": summary.get("objective"), "converged": summary.get("converged"),
            "n_iter": summary.get("n_iter"), "training_seconds": summary.get("training_seconds"),
            "stop_reason": summary.get("stop_reason"),
            "peak": dict(sampler.peak), "before": before, "samples": sampler.samples, "hwm": sampler.hwm}


def run_sklearn(path, mode):
    out = subprocess.run([sys.executable, "-c", SKLEARN, path, mode], check=True, capture_output=True, text=True,
                         stdin=subprocess.DEVNULL)
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_range(values, fmt="{:.2f}"):
    return f"{fmt.format(statistics.median(values))} [{fmt.format(min(values))}, {fmt.format(max(values))}]"


def gap(f, optimum):
    return (f - optimum) / optimum


def table(r):
    """The Markdown table of one data set."""
    n, d, k = r["shape"]
    logit, sk = r["logit"], r["sklearn"]
    body, matrix = r["file_bytes"], n * d * 8
    api_peak = max(x["peak"]["api"] for x in logit)
    worker_peak = max(x["peak"]["worker"] for x in logit)
    api_growth = max(x["peak"]["api"] - x["before"]["api"] for x in logit)
    worker_growth = max(x["peak"]["worker"] - x["before"]["worker"] for x in logit)
    ready = [x["ready"] for x in logit]
    sk_seconds = [x["seconds"] for x in sk]
    ratios = [s["seconds"] / l["ready"] for l, s in zip(logit, sk)]
    logit_gaps = [gap(x["objective"], r["optimum"]) for x in logit]
    sk_gaps = [gap(x["objective"], r["optimum"]) for x in sk]
    rows = [
        ("rows × features × classes", f"{n:,} × {d} × {k}"),
        ("file", f"{body / 1e6:.1f} MB (matrix {matrix / 1e6:.1f} MB)"),
        ("rounds", str(len(logit))),
        ("logit POST→201, median [min, max]", median_range([x["created"] for x in logit], "{:.3f}") + " s"),
        ("logit POST→ready, median [min, max]", median_range(ready, "{:.3f}") + " s"),
        ("  of which the fit (summary.training_seconds)",
         median_range([x["training_seconds"] for x in logit if x["training_seconds"] is not None], "{:.3f}") + " s"
         if any(x["training_seconds"] is not None for x in logit) else "–"),
        ("sklearn read_csv+scale+fit, median [min, max]", median_range(sk_seconds, "{:.3f}") + " s"),
        ("  of which read_csv / scale / fit (medians)",
         " / ".join(f"{statistics.median(x[key] for x in sk):.3f}" for key in ("read_seconds", "scale_seconds", "fit_seconds"))
         + " s"),
        ("sklearn / logit (per round), median [min, max]", median_range(ratios) + "×"),
        ("logit iterations, converged", f"{statistics.median(x['n_iter'] for x in logit):g}, "
                                        + ", ".join(sorted({str(x['converged']) for x in logit}))),
        ("sklearn iterations (warnings)", f"{statistics.median(x['n_iter'] for x in sk):g} "
                                          f"({', '.join(sorted({w for x in sk for w in x['warnings']})) or 'none'})"),
        ("optimum f* (lbfgs tol 1e-10)", f"{r['optimum']:.12g} ({r['optimum_n_iter']} iterations, {r['optimum_seconds']:.1f} s)"),
        ("logit rel. gap (f − f*)/f*, median [min, max]", median_range(logit_gaps, "{:.1e}")),
        ("sklearn rel. gap (f − f*)/f*, median [min, max]", median_range(sk_gaps, "{:.1e}")),
        ("API peak RSS (× body)", f"{api_peak / 1e6:.1f} MB ({api_peak / body:.2f}×)"),
        ("  API peak above its RSS before the POST (× body)", f"{api_growth / 1e6:.1f} MB ({api_growth / body:.2f}×)"),
        ("worker peak RSS (× matrix)", f"{worker_peak / 1e6:.1f} MB ({worker_peak / matrix:.2f}×)"),
        ("  worker peak above its RSS before the POST (× matrix)",
         f"{worker_growth / 1e6:.1f} MB ({worker_growth / matrix:.2f}×)"),
    ]
    lines = [f"### {r['name']}: {n:,} × {d} × {k}", "", "| measure | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines), {
        "name": r["name"], "ready": statistics.median(ready), "ratio": statistics.median(ratios),
        "logit_gap": max(logit_gaps), "sklearn_gap": min(sk_gaps), "api_ratio": api_peak / body,
        "worker_ratio": worker_peak / matrix, "shape": r["shape"], "api_growth": api_growth / body,
        "worker_growth": worker_growth / matrix, "created": statistics.median(x["created"] for x in logit),
        "sklearn": statistics.median(sk_seconds), "file_mb": body / 1e6, "api_peak": api_peak, "worker_peak": worker_peak,
        "logit_gap_median": statistics.median(logit_gaps), "sklearn_gap_median": statistics.median(sk_gaps),
    }


def overview(summaries):
    """One row per data set (medians over the rounds; peaks: the largest over the rounds)."""
    lines = ["| data | file MB | logit POST→201 s | logit POST→ready s | sklearn s | sklearn / logit | logit gap "
             "| sklearn gap | API peak MB (× body) | worker peak MB (× matrix) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for s in summaries:
        n, d, k = s["shape"]
        lines.append(f"| {n:,} × {d} × {k} | {s['file_mb']:.1f} | {s['created']:.3f} | {s['ready']:.3f} | {s['sklearn']:.3f} "
                     f"| {s['ratio']:.2f}× | {s['logit_gap_median']:.1e} | {s['sklearn_gap_median']:.1e} "
                     f"| {s['api_peak'] / 1e6:.1f} ({s['api_ratio']:.2f}×) | {s['worker_peak'] / 1e6:.1f} ({s['worker_ratio']:.2f}×) |")
    return "\n".join(lines)


def goals(summaries, idle_ratio):
    lines = ["", "Goals:"]

    def line(ok, text):
        lines.append(f"- {'ok    ' if ok else 'MISSED'} {text}")

    for s in summaries:
        if s["name"] not in DEFAULT_SIZES.split(","):
            lines.append(f"- {s['name']}: not one of the issue's data sets, no goals")
            continue
        line(s["ratio"] > 1, f"{s['name']}: logit faster than scikit-learn (median ratio {s['ratio']:.2f}×)")
        line(s["logit_gap"] <= 1e-6, f"{s['name']}: logit within 1e-6 of the optimum (worst {s['logit_gap']:.1e}); "
                                     f"scikit-learn's best {s['sklearn_gap']:.1e}")
        if s["shape"] == SIZES["1m"]:
            line(s["ready"] <= 3.0, f"{s['name']}: POST→ready ≤ 3 s (median {s['ready']:.2f} s)")
        line(s["api_ratio"] <= 1.5, f"{s['name']}: API peak RSS ≤ ~1.5× the body ({s['api_ratio']:.2f}×; "
                                    f"{s['api_growth']:.2f}× counting only the growth above its RSS before the POST)")
        line(s["worker_ratio"] <= 2.5, f"{s['name']}: worker peak RSS ≤ 2.5× the matrix ({s['worker_ratio']:.2f}×; "
                                       f"{s['worker_growth']:.2f}× counting only the growth above its RSS before the POST)")
    if idle_ratio is not None:
        line(idle_ratio <= 2, f"idle API after the jobs ≤ 2× its idle size at start ({idle_ratio:.2f}×)")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default=DEFAULT_SIZES,
                    help=f"comma-separated data sets among 100k, 200kx50, 1m (default {DEFAULT_SIZES})")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per data set, each logit then scikit-learn (default 3)")
    ap.add_argument("--binary", default=h.default_binary(), help="the logit binary (default: release if built, else debug)")
    ap.add_argument("--data-dir", default=None,
                    help="keep the generated CSVs there and reuse them on the next run (default: in the temporary directory)")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds a job may take to become ready (default 600)")
    ap.add_argument("--log-level", default="notice", help="the API's and the worker's --log-level (default notice)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, data)")
    a = ap.parse_args()
    sizes = [s.strip() for s in a.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown or not sizes:
        ap.error(f"unknown --sizes {unknown}: choose among 100k, 200kx50, 1m")
    if a.rounds < 1:
        ap.error("--rounds must be at least 1")
    missing = [m for m in ("numpy", "pandas", "sklearn") if subprocess.run(
        [sys.executable, "-c", f"import {m}"], capture_output=True).returncode != 0]
    if missing:
        sys.exit(f"{sys.executable} lacks {', '.join(missing)}: python3 -m pip install numpy pandas scikit-learn")
    if not os.path.exists(a.binary):
        sys.exit(f"{a.binary} not found: build it with `swift build -c release --product logit`")
    h.stop_on_signals()
    try:
        return run(a, sizes)
    except (KeyboardInterrupt, h.Interrupted):
        return h.interrupted(a.keep)


def run(a, sizes):
    workdir = h.make_workdir("logit-large-data-")
    data_dir = a.data_dir or os.path.join(workdir, "data")
    h.log(f"binary {a.binary}; work dir {workdir}")
    results, problems = [], []
    idle_start = idle_after = None
    with h.Processes(workdir) as procs:
        try:
            paths = {}
            for name in sizes:
                n, d, k = SIZES[name]
                path = os.path.join(data_dir, f"{name}-{n}x{d}x{k}-seed{SEED}.csv")
                if not os.path.exists(path):
                    h.log(f"generating {name}: {n} x {d} x {k} -> {path}")
                paths[name] = h.generate_csv(path, n, d, k, SEED)

            redis_port, api_port = h.free_port(), h.free_port()
            url = f"redis://127.0.0.1:{redis_port}"
            procs.start("redis", h.redis_argv(redis_port, workdir, "--appendonly", "no"))
            h.wait_redis(redis_port)
            api = procs.start("api", [a.binary, "serve", "--port", str(api_port), "--redis-url", url,
                                      "--log-level", a.log_level])
            worker = procs.start("worker", [a.binary, "worker", "--redis-url", url, "--log-level", a.log_level])
            h.wait_api(procs, "api", api_port)
            idle_start = h.proc_status(api.pid).get("VmRSS", 0)
            h.log(f"API ready on port {api_port}: idle RSS {h.mb(idle_start)} MB; worker RSS "
                  f"{h.mb(h.proc_status(worker.pid).get('VmRSS', 0))} MB")
            pids = {"api": api.pid, "worker": worker.pid}
            # Warm-up: one small job, so that the first timed round does not pay for first-use costs.
            with open(h.IRIS, "rb") as f:
                warm = run_logit(api_port, f.read(), pids, 60)
            h.log(f"warm-up (iris) ready in {warm['ready']:.3f} s")

            for name in sizes:
                path = paths[name]
                with open(path, "rb") as f:
                    body = f.read()
                h.log(f"{name}: {h.mb(len(body))} MB; the optimum (lbfgs tol 1e-10, max_iter 100000) ...")
                optimum = run_sklearn(path, "optimum")
                h.log(f"{name}: f* = {optimum['objective']:.15g} ({optimum['n_iter']} iterations, "
                      f"{optimum['seconds']:.1f} s{', ' + ', '.join(optimum['warnings']) if optimum['warnings'] else ''})")
                result = {"name": name, "shape": SIZES[name], "file_bytes": len(body), "optimum": optimum["objective"],
                          "optimum_n_iter": optimum["n_iter"], "optimum_seconds": optimum["seconds"],
                          "logit": [], "sklearn": []}
                for i in range(a.rounds):
                    for who in ("api", "worker"):
                        if not procs.alive(who):
                            raise RuntimeError(f"the {who} process exited ({procs[who].poll()})")
                    ours = run_logit(api_port, body, pids, a.timeout)
                    gap_ours = gap(ours["objective"], optimum["objective"])
                    h.log(f"{name} round {i + 1}/{a.rounds}: logit 201 in {ours['created']:.3f} s, ready in "
                          f"{ours['ready']:.3f} s (fit {ours['training_seconds']} s, {ours['n_iter']} iterations, "
                          f"converged {ours['converged']}, gap {gap_ours:.1e}); peaks API {h.mb(ours['peak']['api'])} MB, "
                          f"worker {h.mb(ours['peak']['worker'])} MB ({ours['samples']} samples{', VmHWM reset' if ours['hwm'] else ''})")
                    theirs = run_sklearn(path, "default")
                    h.log(f"{name} round {i + 1}/{a.rounds}: sklearn {theirs['seconds']:.3f} s (read {theirs['read_seconds']:.3f}, "
                          f"scale {theirs['scale_seconds']:.3f}, fit {theirs['fit_seconds']:.3f}; {theirs['n_iter']} iterations, "
                          f"gap {gap(theirs['objective'], optimum['objective']):.1e})")
                    result["logit"].append(ours)
                    result["sklearn"].append(theirs)
                del body
                results.append(result)

            time.sleep(3)
            idle_after = h.proc_status(api.pid).get("VmRSS", 0)
            h.log(f"API idle RSS after the jobs: {h.mb(idle_after)} MB")
            for who in ("api", "worker"):
                if not procs.alive(who):
                    problems.append(f"the {who} process exited ({procs[who].poll()})")
        except subprocess.CalledProcessError as error:
            problems.append(f"{error.cmd[0]} ... {error.cmd[-2:]} exited {error.returncode}: "
                            f"{(error.stderr or '').strip()[-1500:]}")
        except Exception as error:  # noqa: BLE001 (reported, with the logs' place)
            problems.append(f"{type(error).__name__}: {error}")
        finally:
            if problems:
                for name in ("api", "worker"):
                    for line in h.tail(procs.log_path(name), 15):
                        problems.append(f"    {name}.log: {line}")

    summaries = []
    for r in results:
        text, summary = table(r)
        summaries.append(summary)
        print(text)
        print()
    if summaries:
        print(overview(summaries))
        print()
    idle_ratio = None
    if idle_start and idle_after:
        idle_ratio = idle_after / idle_start
        print(f"API idle RSS: {h.mb(idle_start)} MB at start (after /readyz answered), {h.mb(idle_after)} MB 3 s after "
              f"the last job: {idle_ratio:.2f}×")
    if summaries:
        print(goals(summaries, idle_ratio))
    for line in problems:
        print(line)
    keep = a.keep or bool(problems)
    if keep:
        print(f"work dir (logs{', data' if not a.data_dir else ''}): {workdir}", file=sys.stderr)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
