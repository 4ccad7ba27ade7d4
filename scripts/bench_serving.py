#!/usr/bin/env python3
"""Serving benchmark: every measurement of the serving-performance issue, side by side in one run.

Builds the release binaries (unless --skip-build), then starts on 127.0.0.1 and free ports: one redis-server (no
persistence), `logit serve`, `logit worker`, and `hummingbird-reference` (a bare Hummingbird app whose `GET /alive`
answers the same constant JSON with no middleware: the ceiling). Then, with wrk (-t1 -c32, --duration seconds,
--rounds interleaved rounds, medians):
  - GET /alive on our API and on the reference;
  - POST /models/{id}/predict with 1 iris row, and with 100 rows (text/csv in, JSON out), with wrk's p99;
  - one 100,000-row batch: CSV in and JSON out, CSV in and CSV out (Accept: text/csv), JSON instances in
    (medians of --batch-repeats single requests on a keep-alive connection);
  - iris POST /models to "Ready to Use", --trainings times: a client polling GET /check_model_status every 1 ms,
    and a client asking with ?wait=5 (p50 and p90);
  - the API's peak RSS (VmHWM) after all that, with 100 models trained and each predicted once (all cached);
  - cold start: a second `logit serve` process started on the same Redis, from exec to its first 200 prediction of
    an existing model (median of 3).
Prints one Markdown table with the goals and the ratios, then the machine. Needs wrk and redis-server on PATH.

usage: scripts/bench_serving.py [--skip-build] [--duration 8] [--rounds 3] [--trainings 30] [--batch-repeats 5]
"""
import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

IRIS = os.path.join(h.ROOT, "Fixtures", "iris.csv")
FLOWER = "6.9,3.1,5.1,2.3\n"


def wrk(url, duration, lua=None):
    """Requests/s and p99 latency (ms) of one wrk run."""
    argv = ["wrk", "-t1", "-c32", f"-d{duration}s", "--latency", url]
    if lua:
        argv[1:1] = ["-s", lua]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} non-2xx answers from {url}")
    return rps, float(p99.group(1)) * scale


def post_script(workdir, name, body, content_type="text/csv"):
    path = os.path.join(workdir, f"{name}.lua")
    with open(path, "w") as f:
        f.write(f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\nwrk.headers["Content-Type"] = "{content_type}"\n')
    return path


def train_iris(port, connection=None):
    status, _, body = h.request("POST", port, "/models", body=open(IRIS, "rb").read(), headers={"Content-Type": "text/csv"},
                                connection=connection)
    assert status == 201, body
    return h.json_of(body)["model_id"]


def to_ready(port, mode):
    """Seconds from just before POST /models (iris) to the first answer that says Ready to Use."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    start = time.perf_counter()
    model_id = train_iris(port, connection)
    while True:
        path = f"/check_model_status/{model_id}" + ("?wait=5" if mode == "wait" else "")
        _, _, body = h.request("GET", port, path, connection=connection)
        if h.json_of(body)["status"] == "Ready to Use":
            return time.perf_counter() - start
        if mode == "poll":
            time.sleep(0.001)


def batch_seconds(port, model_id, body, content_type, accept, repeats):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        status, _, _ = h.request("POST", port, f"/models/{model_id}/predict", body=body,
                              headers={"Content-Type": content_type, "Accept": accept}, connection=connection)
        times.append(time.perf_counter() - start)
        assert status == 200, status
    return statistics.median(times)


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip-build", action="store_true")
    ap.add_argument("--binary", default=os.path.join(h.ROOT, ".build/release/logit"))
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--trainings", type=int, default=30)
    ap.add_argument("--batch-repeats", type=int, default=5)
    a = ap.parse_args()
    if not a.skip_build:
        for product in ("logit", "hummingbird-reference"):
            subprocess.run(["swift", "build", "-c", "release", "--product", product], cwd=h.ROOT, check=True)
    reference_binary = os.path.join(os.path.dirname(a.binary), "hummingbird-reference")
    h.stop_on_signals()
    workdir = h.make_workdir("logit-bench-serving-")
    results = {}
    try:
        with h.Processes(workdir) as procs:
            redis_port, api_port = h.start_service(procs, a.binary, workdir, log_level="warning")
            ref_port, cold_port = h.free_port(), h.free_port()
            url = f"redis://127.0.0.1:{redis_port}"
            procs.start("reference", [reference_binary, str(ref_port)])
            h.wait_until(lambda: h.request("GET", ref_port, "/alive")[0] == 200, 30, "the reference app")

            model_id = train_iris(api_port)
            h.wait_until(lambda: h.model_status(api_port, model_id)[1].get("status") == "Ready to Use", 60, "iris ready")
            one_row = post_script(workdir, "one", FLOWER)
            hundred = post_script(workdir, "hundred", FLOWER * 100)
            predict_url = f"http://127.0.0.1:{api_port}/models/{model_id}/predict"
            rows = {k: [] for k in ("alive", "reference", "one", "one_p99", "hundred", "hundred_p99")}
            for r in range(a.rounds):
                h.log(f"wrk round {r + 1}/{a.rounds}")
                rows["reference"].append(wrk(f"http://127.0.0.1:{ref_port}/alive", a.duration)[0])
                rows["alive"].append(wrk(f"http://127.0.0.1:{api_port}/alive", a.duration)[0])
                rps, p99 = wrk(predict_url, a.duration, one_row)
                rows["one"].append(rps)
                rows["one_p99"].append(p99)
                rps, p99 = wrk(predict_url, a.duration, hundred)
                rows["hundred"].append(rps)
                rows["hundred_p99"].append(p99)
            for key, values in rows.items():
                results[key] = statistics.median(values)

            h.log("100,000-row batches")
            batch_csv = (FLOWER * 100_000).encode()
            batch_json = json.dumps({"instances": [[6.9, 3.1, 5.1, 2.3]] * 100_000}).encode()
            results["batch_csv_json"] = batch_seconds(api_port, model_id, batch_csv, "text/csv", "application/json", a.batch_repeats)
            results["batch_csv_csv"] = batch_seconds(api_port, model_id, batch_csv, "text/csv", "text/csv", a.batch_repeats)
            results["batch_json_json"] = batch_seconds(api_port, model_id, batch_json, "application/json", "application/json",
                                                       a.batch_repeats)

            h.log(f"iris to ready, {a.trainings} times each way")
            poll, wait = [], []
            for _ in range(a.trainings):
                poll.append(to_ready(api_port, "poll"))
                wait.append(to_ready(api_port, "wait"))
            results["poll_p50"], results["poll_p90"] = percentile(poll, 0.5), percentile(poll, 0.9)
            results["wait_p50"], results["wait_p90"] = percentile(wait, 0.5), percentile(wait, 0.9)

            h.log("100 models, each predicted once")
            ids = [train_iris(api_port) for _ in range(100)]
            for model in ids:
                h.wait_until(lambda m=model: h.model_status(api_port, m)[1].get("status") == "Ready to Use", 60, "ready")
                assert h.request("POST", api_port, f"/models/{model}/predict", body=FLOWER.encode(),
                                 headers={"Content-Type": "text/csv"})[0] == 200
            status = h.proc_status(procs.pid("api"))
            results["api_peak_mb"] = status["VmHWM"] / 1e6
            results["api_rss_mb"] = status["VmRSS"] / 1e6

            h.log("cold start")
            colds = []
            for attempt in range(3):
                start = time.perf_counter()
                procs.start(f"cold{attempt}", [a.binary, "serve", "--port", str(cold_port), "--redis-url", url, "--log-level", "warning"])

                def answered():
                    try:
                        return h.request("POST", cold_port, f"/models/{model_id}/predict", body=FLOWER.encode(),
                                         headers={"Content-Type": "text/csv"}, timeout=5)[0] == 200
                    except OSError:
                        return False
                h.wait_until(answered, 30, "the cold API's first prediction", interval=0.002)
                colds.append(time.perf_counter() - start)
                procs.stop(f"cold{attempt}")
            results["cold"] = statistics.median(colds)
    except h.Interrupted:
        return h.interrupted()
    except KeyboardInterrupt:
        return h.interrupted()

    r = results
    def ok(condition):
        return "met" if condition else "**not met**"
    print("| figure | ours | goal | met? |")
    print("|---|---|---|---|")
    print(f"| `GET /alive` | {r['alive']:,.0f} rps; bare Hummingbird {r['reference']:,.0f} rps: **{r['alive'] / r['reference']:.2f}×** | ≥ 0.8× the bare app | {ok(r['alive'] >= 0.8 * r['reference'])} |")
    print(f"| 1-row prediction | {r['one']:,.0f} rps (**{r['one'] / r['alive']:.2f}×** `/alive`), p99 {r['one_p99']:.2f} ms | ≥ 0.7× `/alive`, p99 ≤ 5 ms | {ok(r['one'] >= 0.7 * r['alive'] and r['one_p99'] <= 5)} |")
    print(f"| 100-row prediction | {r['hundred']:,.0f} rps (**{r['hundred'] / r['alive']:.2f}×** `/alive`), p99 {r['hundred_p99']:.2f} ms | ≥ 0.5× `/alive` | {ok(r['hundred'] >= 0.5 * r['alive'])} |")
    worst = max(r['batch_csv_json'], r['batch_csv_csv'], r['batch_json_json'])
    print(f"| 100,000-row batch | CSV→JSON {r['batch_csv_json']:.3f} s, CSV→CSV {r['batch_csv_csv']:.3f} s, JSON→JSON {r['batch_json_json']:.3f} s | ≤ 0.1 s | {ok(worst <= 0.1)} |")
    print(f"| iris POST → Ready, polling every 1 ms | p50 {r['poll_p50'] * 1e3:.1f} ms, p90 {r['poll_p90'] * 1e3:.1f} ms | p50 ≤ 2 ms, p90 ≤ 4 ms | {ok(r['poll_p50'] <= 0.002 and r['poll_p90'] <= 0.004)} |")
    print(f"| iris POST → Ready, `?wait=5` | p50 {r['wait_p50'] * 1e3:.1f} ms, p90 {r['wait_p90'] * 1e3:.1f} ms | p50 ≤ 2 ms, p90 ≤ 4 ms | {ok(r['wait_p50'] <= 0.002 and r['wait_p90'] <= 0.004)} |")
    print(f"| API peak RSS, 100 models cached | {r['api_peak_mb']:.1f} MB (now {r['api_rss_mb']:.1f} MB) | ≤ 64 MB | {ok(r['api_peak_mb'] <= 64)} |")
    print(f"| cold start to first prediction | {r['cold']:.3f} s | keep (0.04 s) | {ok(r['cold'] <= 0.1)} |")
    print()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    print(f"Machine: {os.cpu_count()} cores, {cpu}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
          f"wrk -t1 -c32 -d{a.duration}s, {a.rounds} interleaved rounds, medians.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
