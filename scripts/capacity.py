#!/usr/bin/env python3
"""Capacity model, measured: the Redis commands a training job and a prediction cost (INFO commandstats), and how
many of those Redis itself serves per second here.

Starts one redis-server, `logit serve` and `logit worker` on free ports (release build), then:
  1. idle: the commands the processes send on their own in --idle seconds (heartbeats, the queue's blocking pops,
     the reaper), to subtract;
  2. --jobs iris trainings, one after another (POST, then GET ?wait= until ready): commands per job;
  3. --predictions predictions of one ready model: commands per prediction (0 when it is served from the cache);
  4. Redis's own rate for the commands of a job, with redis-benchmark (-P 1, 50 clients) on the same server.
Prints a Markdown table: commands per job and per prediction by command, and the jobs/s one Redis primary carries.

usage: scripts/capacity.py [--binary .build/release/logit] [--jobs 50] [--predictions 2000] [--idle 5]
"""
import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

IRIS = os.path.join(h.ROOT, "Fixtures", "iris.csv")


def commandstats(port):
    """{command: calls}, plus "usec:<command>" entries: the microseconds Redis spent in it (for a script, EVAL's
    own entry includes the commands it ran, which are also counted under their names)."""
    out = subprocess.run(["redis-cli", "-p", str(port), "INFO", "commandstats"], capture_output=True, text=True).stdout
    stats = {}
    for m in re.finditer(r"cmdstat_([a-z|]+):calls=(\d+),usec=(\d+)", out):
        stats[m.group(1)] = int(m.group(2))
        stats["usec:" + m.group(1)] = int(m.group(3))
    return stats


def delta(after, before):
    return {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) - before.get(k, 0) > 0}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(h.ROOT, ".build/release/logit"))
    ap.add_argument("--jobs", type=int, default=50)
    ap.add_argument("--predictions", type=int, default=2000)
    ap.add_argument("--idle", type=float, default=5)
    a = ap.parse_args()
    h.stop_on_signals()
    workdir = h.make_workdir("logit-capacity-")
    try:
        with h.Processes(workdir) as procs:
            redis_port, api_port = h.start_service(procs, a.binary, workdir, log_level="warning")
            iris = open(IRIS, "rb").read()

            def train():
                status, _, body = h.request("POST", api_port, "/models", body=iris, headers={"Content-Type": "text/csv"})
                model_id = h.json_of(body)["model_id"]
                while h.json_of(h.request("GET", api_port, f"/check_model_status/{model_id}?wait=5")[2])["status"] != "Ready to Use":
                    pass
                return model_id

            model_id = train()
            h.log(f"idle for {a.idle} s")
            before = commandstats(redis_port)
            time.sleep(a.idle)  # measuring the background rate itself: a fixed window, not a synchronization
            idle = delta(commandstats(redis_port), before)
            idle_rate = {k: v / a.idle for k, v in idle.items()}

            h.log(f"{a.jobs} trainings")
            before, started = commandstats(redis_port), time.monotonic()
            for _ in range(a.jobs):
                train()
            elapsed = time.monotonic() - started
            jobs = delta(commandstats(redis_port), before)
            per_job = {k: max(0.0, (v - idle_rate.get(k, 0) * elapsed) / a.jobs) for k, v in jobs.items()}

            h.log(f"{a.predictions} predictions")
            h.request("POST", api_port, f"/models/{model_id}/predict", body=b"6.9,3.1,5.1,2.3\n", headers={"Content-Type": "text/csv"})
            before, started = commandstats(redis_port), time.monotonic()
            import http.client
            connection = http.client.HTTPConnection("127.0.0.1", api_port)
            for _ in range(a.predictions):
                h.request("POST", api_port, f"/models/{model_id}/predict", body=b"6.9,3.1,5.1,2.3\n",
                          headers={"Content-Type": "text/csv"}, connection=connection)
            elapsed = time.monotonic() - started
            predictions = delta(commandstats(redis_port), before)
            per_prediction = {k: max(0.0, (v - idle_rate.get(k, 0) * elapsed) / a.predictions) for k, v in predictions.items()}

            h.log("redis-benchmark")
            bench = subprocess.run(
                ["redis-benchmark", "-p", str(redis_port), "-q", "-n", "100000", "-c", "50", "-t", "set,get,lpush,hset,eval"]
                + ["-d", "100"], capture_output=True, text=True, timeout=300).stdout
            rates = {m.group(1).lower(): float(m.group(2)) for m in re.finditer(r"^([A-Za-z_ ()]+?):\s+([\d.]+) requests per second", bench, re.M)}
    except (h.Interrupted, KeyboardInterrupt):
        return h.interrupted()

    usec_job = {k[5:]: v for k, v in per_job.items() if k.startswith("usec:")}
    per_job = {k: v for k, v in per_job.items() if not k.startswith("usec:")}
    per_prediction = {k: v for k, v in per_prediction.items() if not k.startswith("usec:")}
    idle_rate = {k: v for k, v in idle_rate.items() if not k.startswith("usec:")}
    # Redis time per job: EVAL's usec already includes the commands its scripts ran; add the commands sent directly.
    scripted = {"hset", "hdel", "hget", "hincrby", "hincrbyfloat", "publish", "lpos", "lrem", "lpush", "zadd", "del", "exists",
                "rename", "persist", "lrange", "smembers", "srem", "rpush", "zrem"}
    redis_usec = sum(v for k, v in usec_job.items() if k == "eval" or k not in scripted)
    total_job = sum(per_job.values())
    print("| command | per training job (iris) | per prediction (cached model) | idle, per second (all processes) |")
    print("|---|---|---|---|")
    for name in sorted(set(per_job) | set(per_prediction) | set(idle_rate)):
        print(f"| `{name}` | {per_job.get(name, 0):.2f} | {per_prediction.get(name, 0):.3f} | {idle_rate.get(name, 0):.2f} |")
    print(f"| **total** | **{total_job:.1f}** | **{sum(per_prediction.values()):.3f}** | **{sum(idle_rate.values()):.1f}** |")
    print()
    print("redis-benchmark on this machine (-c 50, -n 100000, 100-byte values), requests/s: "
          + ", ".join(f"{k} {v:,.0f}" for k, v in rates.items()))
    print(f"Redis time per iris job (INFO commandstats usec; scripts counted once, as EVAL): {redis_usec:.0f} µs, so one "
          f"primary's core is saturated at about {1e6 / max(redis_usec, 1):,.0f} such jobs/s, before the jobs' data "
          "(a body's bytes cost about 1 s per GB to write and read back).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
