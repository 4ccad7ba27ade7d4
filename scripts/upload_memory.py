#!/usr/bin/env python3
"""Upload memory: the API's resident memory stays bounded while several large training bodies arrive at once.

Generates one ~150 MB training CSV once (../shared/tools/gen_classification_csv.py; cached under --scratch,
default .build/upload-memory/), starts redis-server (no persistence), the API (with --max-inflight-body-bytes if
given, else its default: twice the largest body) and one worker on 127.0.0.1 and free ports in a temporary
directory, then sends --uploads (8) concurrent POST /models of that file (Content-Length set; a client that is
answered early stops sending and reads the answer). The API's VmRSS is sampled from /proc/PID/status every 20 ms,
and VmHWM read at the end. Then every accepted job is waited for (the worker trains them one at a time), and the
API's idle resident memory once it settles.

Reported: each upload's answer, the budget, the idle baseline, the peak (max of the samples and VmHWM),
peak - baseline, peak / budget, the most bodies accepted at once and the cost per held byte
((peak - baseline) / (bodies held at once x body size)), the worker's peak, and the API's RSS when idle again.

usage: scripts/upload_memory.py [--binary .build/release/logit] [--uploads 8] [--rows 850000]
                                [--max-inflight-body-bytes B] [--overhead-mb 150] [--json] [--keep]

Exit code 0 when every answer is 201 or 503, every 201 job becomes "Ready to Use", and the API's peak resident
memory is at most the in-flight body budget + --overhead-mb.
"""
import argparse
import http.client
import json
import os
import select
import shutil
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

DEFAULT_MAX_TRAINING_BYTES = 512 << 20
DEFAULT_MAX_PREDICTION_BYTES = 64 << 20


class Sampler:
    """Samples VmRSS of some processes every `interval` seconds in a thread."""

    def __init__(self, pids, interval=0.02):
        self.pids = pids  # name -> pid
        self.interval = interval
        self.peak = {name: 0 for name in pids}
        self.peak_at = {name: None for name in pids}
        self.samples = 0
        self.stop = threading.Event()
        self.t0 = time.monotonic()
        self.thread = threading.Thread(target=self.loop, daemon=True, name="rss-sampler")

    def loop(self):
        while not self.stop.is_set():
            now = time.monotonic()
            for name, pid in self.pids.items():
                rss = h.proc_status(pid).get("VmRSS", 0)
                if rss > self.peak[name]:
                    self.peak[name] = rss
                    self.peak_at[name] = round(now - self.t0, 3)
            self.samples += 1
            self.stop.wait(self.interval)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)


def upload(port, body, start, chunk=1 << 20):
    """POST /models of `body`, sent chunk by chunk; stops sending as soon as the API answers (e.g. an early 503).

    Returns a dict: status (0 when no answer could be read), seconds, bytes sent, model id, the answer's text.
    """
    start.wait()
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    sent = 0
    result = {}
    try:
        conn.putrequest("POST", "/models")
        conn.putheader("Content-Type", "text/csv")
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        view = memoryview(body)
        try:
            while sent < len(body):
                readable, _, _ = select.select([conn.sock], [], [], 0)
                if readable:  # answered before the whole body was sent
                    break
                conn.sock.sendall(view[sent:sent + chunk])
                sent += min(chunk, len(body) - sent)
        except OSError as error:  # the API closed the connection after answering
            result["send_error"] = f"{type(error).__name__}: {error}"
        response = conn.getresponse()
        data = response.read()
        result.update(status=response.status, retry_after=response.getheader("Retry-After"),
                      model_id=h.json_of(data).get("model_id"), detail=data[:200].decode(errors="replace"))
    except (OSError, http.client.HTTPException) as error:
        result.update(status=0, detail=f"{type(error).__name__}: {error}")
    finally:
        conn.close()
    result.update(started=t0, finished=time.monotonic(), sent=sent)
    return result


def most_at_once(intervals):
    """The largest number of (start, end) intervals that overlap at one moment."""
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals], key=lambda x: (x[0], x[1]))
    best = current = 0
    for _, step in events:
        current += step
        best = max(best, current)
    return best


def settled_rss(pid, timeout=15.0, window=5, tolerance=2 << 20):
    """VmRSS once `window` samples 200 ms apart lie within `tolerance` bytes (or the last one at `timeout`)."""
    deadline = time.monotonic() + timeout
    recent = []
    while True:
        recent = (recent + [h.proc_status(pid).get("VmRSS", 0)])[-window:]
        if len(recent) == window and max(recent) - min(recent) <= tolerance:
            return recent[-1]
        if time.monotonic() >= deadline:
            return recent[-1]
        time.sleep(0.2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=h.default_binary(), help="the logit binary (default: release if built, else debug)")
    ap.add_argument("--uploads", type=int, default=8, help="concurrent uploads (default 8)")
    ap.add_argument("--rows", type=int, default=850_000, help="rows of the CSV (default 850000: ~150 MB with 20 features)")
    ap.add_argument("--features", type=int, default=20)
    ap.add_argument("--classes", type=int, default=3)
    ap.add_argument("--max-inflight-body-bytes", type=int, default=None,
                    help="the API's budget; default: unset, the API's own default (2 x the largest body)")
    ap.add_argument("--max-training-bytes", type=int, default=None,
                    help="passed to the API when given (set to the budget when a budget below 512 MiB is given without it)")
    ap.add_argument("--overhead-mb", type=float, default=150.0, help="allowed peak above the budget (default 150 MB)")
    ap.add_argument("--ready-timeout", type=float, default=600.0, help="seconds for every accepted job to become ready")
    ap.add_argument("--scratch", default=os.path.join(h.ROOT, ".build", "upload-memory"),
                    help="where the CSV is cached (default .build/upload-memory)")
    ap.add_argument("--log-level", default="warning")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (logs)")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    a = ap.parse_args()
    if not os.path.exists(a.binary):
        sys.exit(f"{a.binary} not found: build it with `swift build -c release --product logit`")
    h.stop_on_signals()

    csv_path = h.generate_csv(os.path.join(a.scratch, f"train-{a.rows}x{a.features}x{a.classes}.csv"),
                              a.rows, a.features, a.classes, 5)
    with open(csv_path, "rb") as f:
        body = f.read()
    size = len(body)
    if a.max_inflight_body_bytes and not a.max_training_bytes and a.max_inflight_body_bytes < DEFAULT_MAX_TRAINING_BYTES:
        # The API refuses a budget below its largest body (512 MiB by default): lower that limit to the budget.
        a.max_training_bytes = a.max_inflight_body_bytes
        h.log(f"--max-training-bytes {a.max_training_bytes} too (the API needs the budget to hold its largest body)")
    max_training = a.max_training_bytes or DEFAULT_MAX_TRAINING_BYTES
    budget = a.max_inflight_body_bytes or 2 * max(max_training, DEFAULT_MAX_PREDICTION_BYTES)
    h.log(f"binary {a.binary}; CSV {csv_path}: {h.mb(size)} MB; budget {h.mb(budget)} MB "
          f"({'--max-inflight-body-bytes' if a.max_inflight_body_bytes else 'the API default'})")

    try:
        return run(a, body, size, budget, max_training)
    except (KeyboardInterrupt, h.Interrupted):
        return h.interrupted(a.keep)


def run(a, body, size, budget, max_training):
    workdir = h.make_workdir("logit-upload-memory-")
    report = {"body_mb": h.mb(size), "uploads": a.uploads, "budget_mb": h.mb(budget), "max_training_bytes": max_training,
              "budget_source": "argument" if a.max_inflight_body_bytes else "default", "problems": []}
    problems = report["problems"]
    with h.Processes(workdir) as procs:
        try:
            redis_port, api_port = h.free_port(), h.free_port()
            url = f"redis://127.0.0.1:{redis_port}"
            procs.start("redis", h.redis_argv(redis_port, workdir, "--appendonly", "no"))
            h.wait_redis(redis_port)
            api_args = [a.binary, "serve", "--port", str(api_port), "--redis-url", url, "--log-level", a.log_level]
            if a.max_inflight_body_bytes:
                api_args += ["--max-inflight-body-bytes", str(a.max_inflight_body_bytes)]
            if a.max_training_bytes:
                api_args += ["--max-training-bytes", str(a.max_training_bytes)]
            api = procs.start("api", api_args)
            worker = procs.start("worker", [a.binary, "worker", "--redis-url", url, "--log-level", a.log_level])
            h.wait_api(procs, "api", api_port)
            # Warm the routes once (a small job), so the baseline is the idle, running API.
            status, _, data = h.request("POST", api_port, "/models", open(h.IRIS, "rb").read(), {"Content-Type": "text/csv"})
            if status != 201:
                raise RuntimeError(f"warm-up POST answered {status}: {data[:200]!r}")
            warm_id = h.json_of(data)["model_id"]
            h.wait_until(lambda: h.model_status(api_port, warm_id)[1].get("state") == "ready", 30, "the warm-up job")
            baseline = settled_rss(api.pid)
            report["baseline_mb"] = h.mb(baseline)

            start = threading.Event()
            results = [None] * a.uploads

            def run(i):
                results[i] = upload(api_port, body, start)

            threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(a.uploads)]
            with Sampler({"api": api.pid, "worker": worker.pid}) as sampler:
                for thread in threads:
                    thread.start()
                t0 = time.monotonic()
                start.set()
                for thread in threads:
                    thread.join(max(1.0, 900 - (time.monotonic() - t0)))
                uploads_seconds = time.monotonic() - t0
                api_hwm = h.proc_status(api.pid).get("VmHWM", 0)
            if any(thread.is_alive() for thread in threads):
                raise RuntimeError("an upload did not finish within 900 s")
            h.log(f"{a.uploads} uploads answered in {uploads_seconds:.1f} s")

            answers = [r["status"] for r in results]
            accepted = [r for r in results if r["status"] == 201]
            held_at_once = most_at_once([(r["started"], r["finished"]) for r in accepted])
            peak = max(sampler.peak["api"], api_hwm)
            report.update({
                "answers": answers,
                "accepted": len(accepted),
                "rejected_503": answers.count(503),
                "upload_seconds": [round(r["finished"] - r["started"], 2) for r in results],
                "uploads_seconds": round(uploads_seconds, 2),
                "peak_rss_mb": h.mb(peak),
                "peak_sampled_mb": h.mb(sampler.peak["api"]),
                "vmhwm_mb": h.mb(api_hwm),
                "rss_samples": sampler.samples,
                "peak_minus_baseline_mb": h.mb(peak - baseline),
                "peak_over_budget": round(peak / budget, 3),
                "held_at_once": held_at_once,
                "held_mb": h.mb(held_at_once * size),
                "cost_per_held_byte": round((peak - baseline) / (held_at_once * size), 3) if held_at_once else None,
                "limit_mb": h.mb(budget + a.overhead_mb * 1e6),
            })
            report["503_without_retry_after"] = sum(1 for r in results if r["status"] == 503 and not r.get("retry_after"))
            if report["503_without_retry_after"]:
                problems.append(f"{report['503_without_retry_after']} answers 503 without Retry-After")
            bad = [(i, r["status"], r["detail"]) for i, r in enumerate(results) if r["status"] not in (201, 503)]
            if bad:
                problems.append(f"answers other than 201/503: {bad}")
            if not accepted:
                problems.append("no upload was accepted")
            if peak > budget + a.overhead_mb * 1e6:
                problems.append(f"peak RSS {h.mb(peak)} MB > budget {h.mb(budget)} MB + overhead {a.overhead_mb:g} MB")

            # Every accepted job must be trained.
            t1 = time.monotonic()
            ids = [r["model_id"] for r in accepted]
            pending = set(ids)
            states = {}
            deadline = time.monotonic() + a.ready_timeout
            while pending and time.monotonic() < deadline:
                for model_id in list(pending):
                    status, state = h.model_status(api_port, model_id)
                    states[model_id] = (status, state.get("state"), state.get("status"))
                    if status == 200 and state.get("state") in ("ready", "failed"):
                        pending.discard(model_id)
                if pending:
                    time.sleep(0.5)
            ready = [m for m in ids if states.get(m, (0, None))[1] == "ready"]
            report.update({
                "ready": len(ready),
                "not_ready": {m: states.get(m) for m in ids if m not in ready},
                "training_seconds": round(time.monotonic() - t1, 1),
                "worker_peak_mb": h.mb(max(sampler.peak["worker"], h.proc_status(worker.pid).get("VmHWM", 0))),
                "redis_peak_memory": h.redis_cli(redis_port, "INFO", "memory").split("used_memory_peak_human:")[-1].split()[0],
            })
            if len(ready) != len(ids):
                problems.append(f"{len(ids) - len(ready)} accepted jobs not ready within {a.ready_timeout:g} s: {report['not_ready']}")
            report["idle_after_mb"] = h.mb(settled_rss(api.pid))
            for name in ("api", "worker"):
                if not procs.alive(name):
                    problems.append(f"the {name} process exited ({procs[name].poll()})")
        except Exception as error:  # noqa: BLE001 (reported, with the logs' place)
            problems.append(f"{type(error).__name__}: {error}")
        finally:
            if problems:
                for name in ("api", "worker"):
                    for line in h.tail(procs.log_path(name), 15, grep=["error", "warning", "critical", "Error", "fatal"]):
                        problems.append(f"    {name}.log: {line}")
    passed = not problems
    report["passed"] = passed
    report["workdir"] = workdir if (a.keep or not passed) else None
    if report["workdir"] is None:
        shutil.rmtree(workdir, ignore_errors=True)

    if a.json:
        print(json.dumps(report, indent=2))
    else:
        r = report
        if "answers" in r:
            print(f"uploads: {r['uploads']} x {r['body_mb']} MB at once -> answers {r['answers']} "
                  f"({r['accepted']} accepted, {r['rejected_503']} 503) in {r['uploads_seconds']} s")
            print(f"API RSS: baseline {r['baseline_mb']} MB, peak {r['peak_rss_mb']} MB (sampled {r['peak_sampled_mb']}, "
                  f"VmHWM {r['vmhwm_mb']}), peak - baseline {r['peak_minus_baseline_mb']} MB")
            print(f"budget {r['budget_mb']} MB ({r['budget_source']}): peak/budget {r['peak_over_budget']}; "
                  f"{r['held_at_once']} bodies held at once ({r['held_mb']} MB): cost {r['cost_per_held_byte']} byte per byte held; "
                  f"limit {r['limit_mb']} MB")
        if "ready" in r:
            print(f"jobs: {r['ready']}/{r['accepted']} ready in {r['training_seconds']} s; worker peak {r['worker_peak_mb']} MB; "
                  f"Redis peak {r['redis_peak_memory']}; API idle afterwards {r.get('idle_after_mb')} MB")
        for line in r["problems"]:
            print(f"  {line}")
        if r["workdir"]:
            print(f"  logs: {r['workdir']}")
        print(f"upload memory: {'PASS' if passed else 'FAIL'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
