#!/usr/bin/env python3
"""Scale-out and chaos check: 2 APIs and 3 workers on one Redis, 50 models submitted concurrently by several
clients, one worker SIGKILLed mid-run and Redis restarted once (AOF on). Prints what happened to every job.

With --predict-load, two client threads also predict (1 row, keep-alive) from a model trained first, one through each
API, for the whole run: the report adds their answers by status and their rate, and the Redis commands the run cost.
A ready model is served from each API's cache, so predictions keep answering 200 while Redis restarts.

usage: scripts/scaleout.py [--binary .build/release/logit] [--models 50] [--rows 20000] [--predict-load]
Everything runs on loopback, on free ports, in a temporary directory; every process is stopped at the end.
Exit code 0 when lost == 0 and duplicates == 0.
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import http.client as http_client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, dataset, free_port, http, redis_cli  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build/release/logit"))
    ap.add_argument("--models", type=int, default=50)
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--predict-load", action="store_true")
    a = ap.parse_args()
    if not os.path.exists(a.binary):
        sys.exit(f"{a.binary} not found: build it with `swift build -c release --product logit`")

    workdir = tempfile.mkdtemp(prefix="logit-scaleout-")
    redis_port = free_port()
    redis_args = ["redis-server", os.path.join(ROOT, "redis.conf"), "--port", str(redis_port), "--dir", workdir,
                  "--daemonize", "no", "--logfile", os.path.join(workdir, "redis.log")]
    processes = {}

    def start_redis():
        processes["redis"] = subprocess.Popen(redis_args)
        for _ in range(500):
            if redis_cli(redis_port, "PING") == "PONG":
                return
            time.sleep(0.01)
        raise SystemExit("redis-server did not start")

    env = dict(os.environ, REDIS_URL=f"redis://127.0.0.1:{redis_port}", LOG_LEVEL="warning")
    log = open(os.path.join(workdir, "logit.log"), "w")
    try:
        start_redis()
        api_ports = [free_port(), free_port()]
        for i, port in enumerate(api_ports):
            processes[f"api{i}"] = subprocess.Popen([a.binary, "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
        for i in range(3):
            processes[f"worker{i}"] = subprocess.Popen([a.binary, "worker", "--lease-ms", "2000"], env=env, stdout=log, stderr=log)
        for port in api_ports:
            for _ in range(1000):
                if http("GET", f"http://127.0.0.1:{port}/readyz")[0] == 200:
                    break
                time.sleep(0.01)

        bodies = [dataset(a.rows // (1 + i % 4), 10, 2 + i % 4, i) for i in range(a.models)]

        load = {"stop": False, "statuses": {}, "count": 0}
        threads = []
        if a.predict_load:
            status, body = http("POST", f"http://127.0.0.1:{api_ports[0]}/models", dataset(200, 10, 2, 99), "text/csv")
            served = body["model_id"]
            for _ in range(3000):
                if http("GET", f"http://127.0.0.1:{api_ports[0]}/check_model_status/{served}?wait=5")[1].get("state") == "ready":
                    break
            row = (",".join(["0.5"] * 10) + "\n").encode()

            def predict_loop(port):
                connection = http_client.HTTPConnection("127.0.0.1", port, timeout=10)
                while not load["stop"]:
                    try:
                        connection.request("POST", f"/models/{served}/predict", body=row, headers={"Content-Type": "text/csv"})
                        response = connection.getresponse()
                        response.read()
                        code = response.status
                    except OSError:
                        connection.close()
                        connection = http_client.HTTPConnection("127.0.0.1", port, timeout=10)
                        code = 0
                    load["statuses"][code] = load["statuses"].get(code, 0) + 1
                    load["count"] += 1

            for port in api_ports:
                threads.append(threading.Thread(target=predict_loop, args=(port,), daemon=True))
            for thread in threads:
                thread.start()

        def submit(i):
            port = api_ports[i % 2]
            for _ in range(50):  # a client retries on 503 (Redis restarting), as Retry-After says
                status, body = http("POST", f"http://127.0.0.1:{port}/models", bodies[i], "text/csv")
                if status == 201:
                    return body["model_id"]
                time.sleep(0.2)
            return None

        started = time.time()
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(submit, i) for i in range(a.models)]
            # Chaos while the jobs run: kill a worker that is training, then restart Redis.
            time.sleep(1.0)
            processes["worker0"].send_signal(signal.SIGKILL)
            print("chaos: SIGKILL worker0")
            time.sleep(1.0)
            processes["redis"].send_signal(signal.SIGTERM)
            processes["redis"].wait()
            print("chaos: Redis stopped")
            time.sleep(1.0)
            start_redis()
            print("chaos: Redis started again (AOF replayed)")
            ids = [f.result() for f in futures]
        accepted = [i for i in ids if i]

        first_finish = {}
        deadline = time.time() + a.timeout
        while time.time() < deadline:
            pending = 0
            for model_id in accepted:
                state = redis_cli(redis_port, "HGET", f"lr:model:{model_id}", "state")
                if state in ("ready", "failed"):
                    first_finish.setdefault(model_id, redis_cli(redis_port, "HGET", f"lr:model:{model_id}", "finished_at"))
                else:
                    pending += 1
            if pending == 0:
                break
            time.sleep(0.5)
        time.sleep(3)  # give any late duplicate a chance to show itself
        load["stop"] = True
        for thread in threads:
            thread.join()

        states = {m: redis_cli(redis_port, "HGET", f"lr:model:{m}", "state") for m in accepted}
        attempts = [int(redis_cli(redis_port, "HGET", f"lr:model:{m}", "attempts") or 0) for m in accepted]
        duplicates = sum(1 for m, f in first_finish.items() if redis_cli(redis_port, "HGET", f"lr:model:{m}", "finished_at") != f)
        report = {
            "submitted": a.models,
            "accepted": len(accepted),
            "ready": sum(1 for s in states.values() if s == "ready"),
            "failed": sum(1 for s in states.values() if s == "failed"),
            "lost": sum(1 for s in states.values() if s not in ("ready", "failed")),
            "duplicates": duplicates,
            "max_attempts": max(attempts or [0]),
            "seconds": round(time.time() - started, 1),
        }
        if a.predict_load:
            report["predictions"] = load["count"]
            report["predictions_by_status"] = load["statuses"]
            report["predictions_per_second"] = round(load["count"] / (time.time() - started), 0)
        print(json.dumps(report))
        return 0 if report["lost"] == 0 and report["duplicates"] == 0 and report["accepted"] == a.models else 1
    finally:
        for name, process in processes.items():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
