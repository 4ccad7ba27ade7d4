#!/usr/bin/env python3
"""Restart probe: the production fault "Redis restarted under load" reproduced as a check.

Per run, in a fresh temporary directory on 127.0.0.1 and free ports:
  1. redis-server with AOF (--appendonly yes --appendfsync everysec --aof-use-rdb-preamble no, so the AOF replays
     command by command; automatic AOF rewrites off, so the file keeps every write), the API and ONE worker;
  2. a few large models (generated CSVs, ~60 MB of AOF by default) and iris are trained, and waited for;
  3. load: one thread predicts 1-row iris inputs on the ready iris model without pause, one thread POSTs iris
     training jobs without pause (each answer recorded: 201 with its id, or 503);
  4. `redis-cli SHUTDOWN`, then redis-server is started again on the same port and directory; PING is polled on a
     raw socket to measure how long it cannot serve (and how long it answers -LOADING);
  5. the load goes on for a few seconds after Redis serves again, then stops.
Then it checks: every 201-accepted job reaches "Ready to Use" within --ready-timeout; none is "Training Failed";
every prediction answered 200 with the label the model gave before the restart, or 503 (never 404, a wrong label,
another status or a broken connection); `LLEN lr:jobs` is 0 and every `lr:processing:*` list is empty; the API
and the worker are the processes started at the beginning (same PIDs, never restarted).

usage: scripts/restart_probe.py [--binary .build/release/logit] [--runs 3] [--big-models 3] [--big-rows 240000]
                                [--load-before 3] [--load-after 4] [--ready-timeout 60] [--json] [--keep]

Processes' logs stay in each run's temporary directory; its path is printed when the run fails (and the
directory kept), otherwise it is removed (--keep keeps it). Exit code 0 only if every run passes.
"""
import argparse
import calendar
import collections
import http.client
import json
import os
import shutil
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

# 1-row inputs (the first iris row of each class) and the label the ready model must keep answering.
PROBE_ROWS = ["5.1,3.5,1.4,0.2", "7.0,3.2,4.7,1.4", "6.3,3.3,6.0,2.5"]
# Hash fields too large to print when a job is reported.
BULKY_FIELDS = {"model", "coefficients", "summary"}


class Load(h.LoadThreads):
    """The two load threads: 1-row predictions on one ready model, and iris training POSTs."""

    def __init__(self, api_port, model_id, expected, iris):
        self.api_port = api_port
        self.model_id = model_id
        self.expected = expected  # row -> label
        self.iris = iris
        self.t0 = time.monotonic()
        self.predictions = collections.Counter()  # status (or "wrong-label") -> answers
        self.prediction_problems = []  # (seconds since start, status, body) of every answer that is not allowed
        self.accepted = []  # (seconds, model id) of every 201
        self.train_statuses = collections.Counter()
        self.train_problems = []
        self.after = None  # monotonic time Redis served again; answers after it are counted separately
        self.prediction_200_after = 0
        self.accepted_after = 0
        self.no_retry_after = 0  # 503 answers without a Retry-After header
        super().__init__([self.predict_loop, self.train_loop])

    def predict_loop(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=30)
        path = f"/models/{self.model_id}/predict"
        i = 0
        while not self.stop.is_set():
            row = PROBE_ROWS[i % len(PROBE_ROWS)]
            i += 1
            status, headers, data = h.request("POST", self.api_port, path, row.encode(), {"Content-Type": "text/csv"},
                                              connection=connection)
            now = time.monotonic()
            if status == 503 and "retry-after" not in headers:
                self.no_retry_after += 1
            if status == 200:
                labels = h.json_of(data).get("predictions")
                if labels != [self.expected[row]]:
                    self.predictions["wrong-label"] += 1
                    self.prediction_problems.append((round(now - self.t0, 3), status, data[:300].decode(errors="replace")))
                else:
                    self.predictions[200] += 1
                    if self.after is not None and now >= self.after:
                        self.prediction_200_after += 1
                continue
            self.predictions[status] += 1
            if status != 503:
                self.prediction_problems.append((round(now - self.t0, 3), status, data[:300].decode(errors="replace")))
            time.sleep(0.01)  # Redis is away: do not spin (Retry-After says 1 s; we want to see it come back)

    def train_loop(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=30)
        while not self.stop.is_set():
            status, headers, data = h.request("POST", self.api_port, "/models", self.iris, {"Content-Type": "text/csv"},
                                              connection=connection)
            now = time.monotonic()
            self.train_statuses[status] += 1
            if status == 503 and "retry-after" not in headers:
                self.no_retry_after += 1
            if status == 201:
                model_id = h.json_of(data).get("model_id")
                self.accepted.append((round(now - self.t0, 3), model_id))
                if self.after is not None and now >= self.after:
                    self.accepted_after += 1
                continue
            if status != 503:
                self.train_problems.append((round(now - self.t0, 3), status, data[:300].decode(errors="replace")))
            time.sleep(0.01)


def watch_restart(port, timeout):
    """Polls PING on one raw connection (re-dialled when it fails) until +PONG.

    Returns (monotonic time of the first +PONG or None, -LOADING replies seen, first and last -LOADING times).
    While Redis replays a long run of large commands it accepts no connection and answers nothing at all; it
    answers -LOADING only when it looks at its clients between commands (every 1024 commands of the AOF).
    """
    deadline = time.monotonic() + timeout
    loading = 0
    first_loading = last_loading = None
    sock = None
    buffer = b""
    try:
        while time.monotonic() < deadline:
            if sock is None:
                try:
                    sock = socket.create_connection(("127.0.0.1", port), timeout=0.5)
                    sock.settimeout(max(0.1, deadline - time.monotonic()))
                    buffer = b""
                except OSError:
                    sock = None
                    time.sleep(0.002)
                    continue
            try:
                sock.sendall(b"PING\r\n")
                while b"\r\n" not in buffer:
                    chunk = sock.recv(256)
                    if not chunk:
                        raise ConnectionError("closed")
                    buffer += chunk
            except OSError:
                sock.close()
                sock = None
                continue
            line, _, buffer = buffer.partition(b"\r\n")
            now = time.monotonic()
            if line.startswith(b"-LOADING"):
                loading += 1
                first_loading = first_loading or now
                last_loading = now
            elif line == b"+PONG":
                return now, loading, first_loading, last_loading
        return None, loading, first_loading, last_loading
    finally:
        if sock is not None:
            sock.close()


def redis_loading_seconds(redis_log):
    """Redis's own figure: "DB loaded from append only file: X seconds" in its log, after the restart."""
    lines = h.tail(redis_log, 5, grep=["DB loaded from append only file"])
    if not lines:
        return None
    try:
        return float(lines[-1].rsplit(":", 1)[1].split()[0])
    except (IndexError, ValueError):
        return None


def post_and_wait(api_port, body, timeout, what):
    status, _, data = h.request("POST", api_port, "/models", body, {"Content-Type": "text/csv"}, timeout=120)
    if status != 201:
        raise RuntimeError(f"POST /models ({what}) answered {status}: {data[:300]!r}")
    return h.json_of(data)["model_id"]


def describe_jobs(redis_port, ids, workdir, limit=10):
    """HGETALL (without the bulky fields), where the id is queued or held (and the holder's lease), and the log
    lines that name each id."""
    lines = []
    lists = ["lr:jobs"] + [k for k in h.redis_cli(redis_port, "--scan", "--pattern", "lr:processing:*").split("\n") if k]
    for model_id in ids[:limit]:
        fields = h.redis_cli(redis_port, "HGETALL", f"lr:model:{model_id}").split("\n")
        pairs = dict(zip(fields[0::2], fields[1::2]))
        shown = {k: v for k, v in pairs.items() if k not in BULKY_FIELDS}
        lines.append(f"  {model_id}: HGETALL {json.dumps(shown) if pairs else '(no such key)'}")
        held = [key for key in lists if h.redis_cli(redis_port, "LPOS", key, model_id) != ""]
        lease = ""
        if pairs.get("worker"):
            lease = f"; lease lr:worker:{pairs['worker']} PTTL {h.redis_cli(redis_port, 'PTTL', 'lr:worker:' + pairs['worker'])} ms"
        lines.append(f"    in lists: {held or 'none'}{lease}")
        for name in ("api", "worker"):
            for line in h.tail(os.path.join(workdir, f"{name}.log"), 5, grep=[model_id]):
                lines.append(f"    {name}.log: {line}")
    if len(ids) > limit:
        lines.append(f"  ... and {len(ids) - limit} more")
    return lines


def late_loading_errors(workdir, served_at):
    """Log lines of the API and the worker that report LOADING with a time stamp at least 2 s after Redis served
    again (wall clock `served_at`): a LOADING reply that old was waiting unread on a pooled connection."""
    late = []
    for name in ("api", "worker"):
        for line in h.tail(os.path.join(workdir, f"{name}.log"), 10_000, grep=["LOADING"]):
            try:
                stamp = calendar.timegm(time.strptime(line[:19], "%Y-%m-%dT%H:%M:%S"))
            except ValueError:
                continue
            if stamp >= int(served_at) + 2:
                late.append(f"{name}.log: {line}")
    return late


def run_once(a, index, big_csv, iris):
    workdir = h.make_workdir(f"logit-restart-probe-{index}-")
    redis_port, api_port = h.free_port(), h.free_port()
    redis_args = h.redis_argv(redis_port, workdir, "--appendonly", "yes", "--appendfsync", "everysec",
                              "--aof-use-rdb-preamble", "no", "--auto-aof-rewrite-percentage", "0")
    url = f"redis://127.0.0.1:{redis_port}"
    result = {"run": index, "workdir": workdir, "problems": []}
    problems = result["problems"]
    load = None
    with h.Processes(workdir) as procs:
        try:
            procs.start("redis", redis_args)
            h.wait_redis(redis_port)
            api = procs.start("api", [a.binary, "serve", "--port", str(api_port), "--redis-url", url, "--log-level", a.log_level])
            worker = procs.start("worker", [a.binary, "worker", "--redis-url", url, "--log-level", a.log_level])
            pids = {"api": api.pid, "worker": worker.pid}
            h.wait_api(procs, "api", api_port)

            with open(big_csv, "rb") as f:
                big = f.read()
            started = time.monotonic()
            ids = [post_and_wait(api_port, big, 120, f"large model {i + 1}") for i in range(a.big_models)]
            iris_id = post_and_wait(api_port, iris, 30, "iris")
            states = h.settle(api_port, ids + [iris_id], a.ready_timeout)
            not_ready = [m for m, s in states.items() if s[1] != "ready"]
            if not_ready:
                raise RuntimeError(f"models trained before the load did not become ready: {not_ready} {states}")
            aof_dir = os.path.join(workdir, "appendonlydir")
            result["setup_seconds"] = round(time.monotonic() - started, 1)
            result["aof_mb_before_load"] = h.mb(h.dir_size(aof_dir))
            h.log(f"run {index}: {a.big_models} large models and iris ready in {result['setup_seconds']} s; "
                  f"AOF {result['aof_mb_before_load']} MB")

            expected = {}
            for row in PROBE_ROWS:
                status, _, data = h.request("POST", api_port, f"/models/{iris_id}/predict", row.encode(), {"Content-Type": "text/csv"})
                if status != 200:
                    raise RuntimeError(f"prediction before the restart answered {status}: {data[:300]!r}")
                expected[row] = h.json_of(data)["predictions"][0]
            result["expected_labels"] = list(expected.values())

            load = Load(api_port, iris_id, expected, iris)
            load.start()
            time.sleep(a.load_before)  # a phase of load, not a wait for something
            if not load.accepted or not load.predictions.get(200):
                problems.append(f"no load before the restart (accepted {len(load.accepted)}, predictions {dict(load.predictions)})")
            result["aof_mb"] = h.mb(h.dir_size(aof_dir))
            result["accepted_before_shutdown"] = len(load.accepted)

            t_shutdown = time.monotonic()
            h.redis_cli(redis_port, "SHUTDOWN")
            procs.wait("redis", 60)
            t_spawn = time.monotonic()
            procs.start("redis", redis_args)
            pong, loading_replies, first_loading, last_loading = watch_restart(redis_port, 60)
            if pong is None:
                raise RuntimeError("redis-server did not serve again within 60 s of its restart")
            load.after = pong
            served_at = time.time() - (time.monotonic() - pong)
            result["stopped_s"] = round(t_spawn - t_shutdown, 3)  # SHUTDOWN until the process had exited
            result["unavailable_s"] = round(pong - t_shutdown, 3)  # SHUTDOWN until PING answers PONG again
            result["loading_s"] = round(pong - t_spawn, 3)  # restart until PONG: the loading window clients see
            result["loading_replies"] = loading_replies
            result["loading_replied_s"] = round(pong - first_loading, 3) if first_loading else 0.0
            result["redis_loaded_s"] = redis_loading_seconds(os.path.join(workdir, "redis-server.log"))
            h.log(f"run {index}: Redis restarted; PONG {result['loading_s']} s after the restart "
                  f"({loading_replies} -LOADING replies; Redis's log: loaded in {result['redis_loaded_s']} s)")

            time.sleep(a.load_after)
            if not load.finish():
                problems.append("a load thread did not stop within 60 s")

            accepted = [model_id for _, model_id in load.accepted]
            states = h.settle(api_port, accepted, a.ready_timeout)
            ready = [m for m, s in states.items() if s[0] == 200 and s[1] == "ready"]
            failed = [m for m, s in states.items() if s[0] == 200 and s[1] == "failed"]
            missing = [m for m, s in states.items() if s[0] == 404]
            stranded = [m for m in accepted if m not in ready and m not in failed]
            wrong_status = [m for m in ready if states[m][2] != "Ready to Use"]
            attempts = h.redis_batch(redis_port, [["HGET", f"lr:model:{m}", "attempts"] for m in accepted])
            processing_keys = [k for k in h.redis_cli(redis_port, "--scan", "--pattern", "lr:processing:*").split("\n") if k]
            processing = {k: int(h.redis_cli(redis_port, "LLEN", k) or 0) for k in processing_keys}
            jobs_left = int(h.redis_cli(redis_port, "LLEN", "lr:jobs") or 0)
            stats = h.redis_cli(redis_port, "HGETALL", "lr:stats").split("\n")

            result.update({
                "accepted": len(accepted),
                "accepted_after_restart": load.accepted_after,
                "train_503": load.train_statuses.get(503, 0),
                "train_answers": {str(k): v for k, v in sorted(load.train_statuses.items(), key=str)},
                "ready": len(ready),
                "failed": len(failed),
                "stranded": len(stranded),
                "missing_404": len(missing),
                "max_attempts": max([int(x) for x in attempts if x.isdigit()] or [0]),
                "predictions": {str(k): v for k, v in sorted(load.predictions.items(), key=str)},
                "predictions_200_after_restart": load.prediction_200_after,
                "jobs_queued_at_end": jobs_left,
                "processing_at_end": sum(processing.values()),
                "reclaimed": int(dict(zip(stats[0::2], stats[1::2])).get("reclaimed", 0) or 0),
                "503_without_retry_after": load.no_retry_after,
            })
            if load.no_retry_after:
                problems.append(f"{load.no_retry_after} answers 503 without Retry-After")
            late = late_loading_errors(workdir, served_at)
            result["late_loading_errors"] = len(late)
            if late:
                # Not a failure by itself, but the sign of a connection one reply out of step: reported.
                result["warnings"] = [f"{len(late)} LOADING errors logged 2 s or more after Redis served again:"] + late[:5]
            for name, pid in pids.items():
                if not procs.alive(name) or procs.pid(name) != pid:
                    problems.append(f"the {name} process (pid {pid}) is no longer running (exit code {procs[name].poll()})")
            if stranded:
                problems.append(f"{len(stranded)} accepted jobs not ready within {a.ready_timeout:g} s "
                                f"({len(missing)} of them 404):")
                problems.extend(describe_jobs(redis_port, stranded, workdir))
            if failed:
                problems.append(f"{len(failed)} accepted jobs ended Training Failed:")
                problems.extend(describe_jobs(redis_port, failed, workdir))
            if wrong_status:
                problems.append(f"{len(wrong_status)} ready jobs did not say \"Ready to Use\": {wrong_status[:5]}")
            if load.prediction_problems:
                problems.append(f"{len(load.prediction_problems)} predictions answered neither 200 with the expected "
                                f"label nor 503; first ones (seconds since load start, status, body):")
                problems.extend(f"  {p}" for p in load.prediction_problems[:10])
            if load.train_problems:
                problems.append(f"{len(load.train_problems)} training POSTs answered neither 201 nor 503:")
                problems.extend(f"  {p}" for p in load.train_problems[:10])
            if load.accepted_after == 0 or load.prediction_200_after == 0:
                problems.append(f"no recovery after the restart: {load.accepted_after} jobs accepted, "
                                f"{load.prediction_200_after} predictions answered 200")
            if jobs_left:
                problems.append(f"LLEN lr:jobs = {jobs_left} at the end: {h.redis_cli(redis_port, 'LRANGE', 'lr:jobs', '0', '9')}")
            if any(processing.values()):
                problems.append(f"processing lists not empty at the end: {processing}")
                for key, length in processing.items():
                    if length:
                        problems.extend(describe_jobs(redis_port, h.redis_cli(redis_port, "LRANGE", key, "0", "-1").split("\n"), workdir))
        except Exception as error:  # noqa: BLE001 (reported as this run's failure, with the logs' place)
            problems.append(f"{type(error).__name__}: {error}")
        finally:
            if load is not None:
                load.finish()
            if problems:
                for name in ("api", "worker"):
                    for line in h.tail(procs.log_path(name), 15, grep=["error", "warning", "critical", "Error", "fatal"]):
                        problems.append(f"    {name}.log: {line}")
    result["passed"] = not problems
    if result["passed"] and not a.keep:
        shutil.rmtree(workdir, ignore_errors=True)
        result["workdir"] = None
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=h.default_binary(), help="the logit binary (default: release if built, else debug)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--big-models", type=int, default=3, help="large models trained before the load (default 3)")
    ap.add_argument("--big-rows", type=int, default=240_000, help="rows of each large model (default 240000)")
    ap.add_argument("--big-features", type=int, default=10, help="features of each large model (default 10: ~20 MB a model)")
    ap.add_argument("--load-before", type=float, default=3.0, help="seconds of load before SHUTDOWN")
    ap.add_argument("--load-after", type=float, default=4.0, help="seconds of load once Redis serves again")
    ap.add_argument("--ready-timeout", type=float, default=60.0, help="seconds every accepted job has to become ready")
    ap.add_argument("--scratch", default=os.path.join(h.ROOT, ".build", "restart-probe"),
                    help="where the generated CSV is cached (default .build/restart-probe)")
    ap.add_argument("--log-level", default="warning", help="the API's and worker's --log-level")
    ap.add_argument("--keep", action="store_true", help="keep every run's temporary directory (logs, AOF)")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    a = ap.parse_args()
    if not os.path.exists(a.binary):
        sys.exit(f"{a.binary} not found: build it with `swift build -c release --product logit`")
    h.stop_on_signals()

    big_csv = h.generate_csv(os.path.join(a.scratch, f"big-{a.big_rows}x{a.big_features}x3.csv"), a.big_rows, a.big_features, 3, 11)
    with open(h.IRIS, "rb") as f:
        iris = f.read()
    h.log(f"binary {a.binary}; {a.runs} runs; large model CSV {big_csv} ({h.mb(os.path.getsize(big_csv))} MB)")
    results = []
    try:
        for index in range(1, a.runs + 1):
            results.append(run_once(a, index, big_csv, iris))
            h.log(f"run {index}: {'pass' if results[-1]['passed'] else 'FAIL'}")
    except (KeyboardInterrupt, h.Interrupted):
        return h.interrupted(a.keep)
    passed = all(r["passed"] for r in results)

    if a.json:
        print(json.dumps({"passed": passed, "binary": a.binary, "runs": results}, indent=2))
    else:
        for r in results:
            if "accepted" in r:
                print(f"run {r['run']}: {'PASS' if r['passed'] else 'FAIL'}  accepted {r['accepted']} "
                      f"({r['accepted_after_restart']} after the restart), 503s {r['train_503']}, ready {r['ready']}, "
                      f"failed {r['failed']}, stranded {r['stranded']} (404: {r['missing_404']}), max attempts {r['max_attempts']}")
                print(f"       predictions by answer {r['predictions']} ({r['predictions_200_after_restart']} 200s after the restart); "
                      f"lr:jobs {r['jobs_queued_at_end']}, processing {r['processing_at_end']} at the end")
                print(f"       AOF {r['aof_mb']} MB; SHUTDOWN -> PONG {r['unavailable_s']} s; LOADING window (restart -> PONG) "
                      f"{r['loading_s']} s, Redis's log {r['redis_loaded_s']} s, {r['loading_replies']} -LOADING replies "
                      f"over {r['loading_replied_s']} s")
            else:
                print(f"run {r['run']}: FAIL before the load")
            for line in r.get("warnings", []) + r["problems"]:
                print(f"       {line}")
            if r["workdir"]:
                print(f"       logs and data: {r['workdir']}")
        print(f"restart probe: {'PASS' if passed else 'FAIL'} ({sum(r['passed'] for r in results)}/{len(results)} runs passed)")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
