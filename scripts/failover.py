#!/usr/bin/env python3
"""Failover figures: what a Sentinel failover of Redis costs the service, in lost jobs and time to recover.

Starts, on 127.0.0.1 and free ports in a temporary directory: a Redis primary and --replicas replica(s) (no
persistence), three Sentinels (`sentinel monitor logit 127.0.0.1 P 2`, down-after 1000 ms, failover-timeout 5000 ms,
parallel-syncs 1), and waits until every Sentinel sees the replicas and the two other Sentinels. Then the API and
two workers with --redis-sentinels (all three) --redis-master-name logit (and --min-replicas-ack N with --ack N).
An iris model is trained (and waited for on the replica); then load: 2 threads POST small training jobs (a
2,000-row synthetic CSV) without pause, 1 thread predicts 1-row inputs on the iris model. After --load-before
seconds the primary is SIGKILLed. Measured: the time from the kill until the Sentinels name a new primary, until
the first 201 of a request sent after the kill, and until the first successful prediction of one; accepted (201)
before and after the kill; 503s; and, once the load has gone on --load-after seconds past recovery and stopped,
every accepted job's fate within --settle-timeout: ready (completed), failed, or lost (its id 404s - counted
apart - or it stays queued / training).

--rejoin starts the killed node again once a replica has been promoted, as a replica of the new primary (a
restarted host); without it, the promoted primary has no replica left, so with --ack 1 and one replica no job can
be acknowledged after the failover.

usage: scripts/failover.py [--binary .build/release/logit] [--ack N] [--compare] [--replicas 1] [--rejoin]
                           [--load-before 3] [--load-after 10] [--json] [--keep]

--compare runs without and with --min-replicas-ack 1 (in that order; --ack is then ignored) and prints both; it
implies --rejoin, so that the run with acknowledgement has a replica to acknowledge after the failover.
Exit code 0 when, in every run, trainings and predictions recovered, and runs with an ack lost no job.
"""
import argparse
import collections
import http.client
import json
import os
import shutil
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

MASTER = "logit"
PROBE_ROWS = ["5.1,3.5,1.4,0.2", "7.0,3.2,4.7,1.4", "6.3,3.3,6.0,2.5"]


def pairs(lines):
    """redis-cli's flat output of a map (or of a list of maps) as (field, value) pairs."""
    return list(zip(lines[0::2], lines[1::2]))


def sentinel_sees(port, replica_ports):
    """True when the Sentinel on `port` knows every replica (connected, not down) and two other Sentinels."""
    replicas = h.redis_cli(port, "SENTINEL", "replicas", MASTER).split("\n")
    seen = set()
    current = {}
    for field, value in pairs(replicas) + [("name", None)]:
        if field == "name" and current:
            if "s_down" not in current.get("flags", "") and "disconnected" not in current.get("flags", ""):
                seen.add(int(current.get("port", 0)))
            current = {}
        current[field] = value
    others = sum(1 for field, _ in pairs(h.redis_cli(port, "SENTINEL", "sentinels", MASTER).split("\n")) if field == "runid")
    return set(replica_ports) <= seen and others >= 2


def primary_port(sentinel_port):
    lines = h.redis_cli(sentinel_port, "SENTINEL", "get-master-addr-by-name", MASTER).split("\n")
    return int(lines[1]) if len(lines) == 2 and lines[1].isdigit() else None


class Load(h.LoadThreads):
    """Training POSTs from `trainers` threads and 1-row predictions from one, each answer timed."""

    def __init__(self, api_port, body, model_id, expected, trainers=2):
        self.api_port = api_port
        self.body = body
        self.model_id = model_id
        self.expected = expected
        self.lock = threading.Lock()
        self.trainings = []  # (sent, answered, status, model id)
        self.predictions = []  # (sent, answered, status, correct)
        self.problems = []
        self.no_retry_after = 0  # 503 answers without a Retry-After header
        super().__init__([self.train_loop] * trainers + [self.predict_loop])

    def train_loop(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=30)
        while not self.stop.is_set():
            sent = time.monotonic()
            status, headers, data = h.request("POST", self.api_port, "/models", self.body, {"Content-Type": "text/csv"},
                                              connection=connection)
            answered = time.monotonic()
            model_id = h.json_of(data).get("model_id") if status == 201 else None
            with self.lock:
                self.no_retry_after += status == 503 and "retry-after" not in headers
                self.trainings.append((sent, answered, status, model_id))
                if status not in (201, 503):
                    self.problems.append(("train", round(answered, 3), status, data[:200].decode(errors="replace")))
            if status != 201:
                time.sleep(0.02)  # not serving: do not spin

    def predict_loop(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=30)
        path = f"/models/{self.model_id}/predict"
        i = 0
        while not self.stop.is_set():
            row = PROBE_ROWS[i % len(PROBE_ROWS)]
            i += 1
            sent = time.monotonic()
            status, headers, data = h.request("POST", self.api_port, path, row.encode(), {"Content-Type": "text/csv"},
                                              connection=connection)
            answered = time.monotonic()
            correct = status == 200 and h.json_of(data).get("predictions") == [self.expected[row]]
            with self.lock:
                self.no_retry_after += status == 503 and "retry-after" not in headers
                self.predictions.append((sent, answered, status, correct))
                if status not in (200, 503) or (status == 200 and not correct):
                    self.problems.append(("predict", round(answered, 3), status, data[:200].decode(errors="replace")))
            if status != 200:
                time.sleep(0.02)

    def first_after(self, kind, t):
        """Answer time of the first success of a request sent at or after `t`, or None."""
        with self.lock:
            if kind == "train":
                times = [answered for sent, answered, status, _ in self.trainings if sent >= t and status == 201]
            else:
                times = [answered for sent, answered, _, correct in self.predictions if sent >= t and correct]
        return min(times) if times else None


def run(a, ack, small_csv, iris):
    workdir = h.make_workdir(f"logit-failover-ack{ack}-")
    result = {"ack": ack, "workdir": workdir, "problems": []}
    problems = result["problems"]
    load = None
    with h.Processes(workdir) as procs:
        try:
            primary = h.free_port()
            replicas = [h.free_port() for _ in range(a.replicas)]
            sentinels = [h.free_port() for _ in range(3)]
            api_port = h.free_port()
            os.makedirs(os.path.join(workdir, "primary"))
            procs.start("primary", h.redis_argv(primary, os.path.join(workdir, "primary"), "--appendonly", "no",
                                                logfile=""))
            h.wait_redis(primary)
            for i, port in enumerate(replicas):
                os.makedirs(os.path.join(workdir, f"replica{i}"))
                procs.start(f"replica{i}", h.redis_argv(port, os.path.join(workdir, f"replica{i}"), "--appendonly", "no",
                                                        "--replicaof", "127.0.0.1", str(primary), logfile=""))
            for port in replicas:
                h.wait_until(lambda: "master_link_status:up" in h.redis_cli(port, "INFO", "replication"), 20,
                             f"the replica on {port} to sync")
            for i, port in enumerate(sentinels):
                path = os.path.join(workdir, f"sentinel{i}.conf")
                with open(path, "w") as f:
                    f.write(f"port {port}\nbind 127.0.0.1\ndaemonize no\ndir {workdir}\n"
                            f"sentinel monitor {MASTER} 127.0.0.1 {primary} 2\n"
                            f"sentinel down-after-milliseconds {MASTER} 1000\n"
                            f"sentinel failover-timeout {MASTER} 5000\n"
                            f"sentinel parallel-syncs {MASTER} 1\n")
                procs.start(f"sentinel{i}", ["redis-server", path, "--sentinel"])
            for port in sentinels:
                h.wait_until(lambda: sentinel_sees(port, replicas), 30, f"the Sentinel on {port} to see the replicas and the other Sentinels", 0.1)
            h.log(f"ack {ack}: primary {primary}, replicas {replicas}, Sentinels {sentinels} ready")

            redis_options = ["--redis-url", f"redis://127.0.0.1:{primary}",
                             "--redis-sentinels", ",".join(f"127.0.0.1:{p}" for p in sentinels),
                             "--redis-master-name", MASTER, "--log-level", a.log_level]
            api_args = [a.binary, "serve", "--port", str(api_port), *redis_options]
            if ack:
                api_args += ["--min-replicas-ack", str(ack)]
            procs.start("api", api_args)
            for i in range(2):
                procs.start(f"worker{i}", [a.binary, "worker", *redis_options])
            h.wait_api(procs, "api", api_port)

            status, _, data = h.request("POST", api_port, "/models", iris, {"Content-Type": "text/csv"})
            if status != 201:
                raise RuntimeError(f"POST /models (iris) answered {status}: {data[:200]!r}")
            iris_id = h.json_of(data)["model_id"]
            h.wait_until(lambda: h.model_status(api_port, iris_id)[1].get("state") == "ready", 30, "the iris model")
            for port in replicas:
                h.wait_until(lambda: h.redis_cli(port, "HGET", f"lr:model:{iris_id}", "state") == "ready", 10,
                             "the iris model on the replica")
            expected = {}
            for row in PROBE_ROWS:
                status, _, data = h.request("POST", api_port, f"/models/{iris_id}/predict", row.encode(), {"Content-Type": "text/csv"})
                expected[row] = h.json_of(data).get("predictions", [None])[0]

            load = Load(api_port, small_csv, iris_id, expected)
            load.start()
            time.sleep(a.load_before)  # a phase of load, not a wait for something
            t_kill = time.monotonic()
            procs.signal("primary", signal.SIGKILL)
            procs.wait("primary", 10)
            h.log(f"ack {ack}: primary SIGKILLed")

            promoted = None
            rejoined = None
            deadline = t_kill + a.recovery_timeout
            while time.monotonic() < deadline:
                if promoted is None:
                    port = primary_port(sentinels[0])
                    if port is not None and port != primary:
                        promoted = (time.monotonic(), port)
                        h.log(f"ack {ack}: the Sentinels promoted {port} after {promoted[0] - t_kill:.2f} s")
                        if a.rejoin:
                            procs.start("primary", h.redis_argv(primary, os.path.join(workdir, "primary"), "--appendonly", "no",
                                                                "--replicaof", "127.0.0.1", str(port), logfile=""))
                            rejoined = time.monotonic()
                if promoted and load.first_after("train", t_kill) and load.first_after("predict", t_kill):
                    break
                time.sleep(0.02)
            first_train = load.first_after("train", t_kill)
            first_predict = load.first_after("predict", t_kill)
            recovered = max(first_train or 0, first_predict or 0) or time.monotonic()
            time.sleep(max(0.0, recovered + a.load_after - time.monotonic()))  # a phase of load after recovery
            load.finish()
            t_stop = time.monotonic()

            accepted = [(answered, model_id) for _, answered, status, model_id in load.trainings if status == 201]
            ids = [model_id for _, model_id in accepted]
            states = {i: s[:2] for i, s in h.settle(api_port, ids, a.settle_timeout).items()}
            ready = [m for m in ids if states[m] == (200, "ready")]
            failed = [m for m in ids if states[m] == (200, "failed")]
            missing = [m for m in ids if states[m][0] == 404]
            stuck = [m for m in ids if m not in ready and m not in failed and m not in missing]
            lost = missing + stuck
            train_answers = collections.Counter(status for *_, status, _ in load.trainings)
            predict_answers = collections.Counter(
                "200" if correct else ("wrong-label" if status == 200 else str(status)) for *_, status, correct in load.predictions)
            lost_times = sorted(round(answered - t_kill, 3) for answered, model_id in accepted if model_id in lost)
            result.update({
                "promoted_s": round(promoted[0] - t_kill, 3) if promoted else None,
                "rejoined_s": round(rejoined - t_kill, 3) if rejoined else None,
                "train_recovery_s": round(first_train - t_kill, 3) if first_train else None,
                "predict_recovery_s": round(first_predict - t_kill, 3) if first_predict else None,
                "accepted": len(ids),
                "accepted_before_kill": sum(1 for answered, _ in accepted if answered < t_kill),
                "accepted_after_kill": sum(1 for answered, _ in accepted if answered >= t_kill),
                "completed": len(ready),
                "failed": len(failed),
                "lost": len(lost),
                "lost_404": len(missing),
                "lost_stuck": len(stuck),
                "lost_accepted_at_s": lost_times[:20],
                "train_503": train_answers.get(503, 0),
                "train_answers": {str(k): v for k, v in sorted(train_answers.items(), key=str)},
                "predict_answers": dict(sorted(predict_answers.items())),
                "load_seconds": round(t_stop - t_kill + a.load_before, 1),
                "503_without_retry_after": load.no_retry_after,
            })
            if load.no_retry_after:
                problems.append(f"{load.no_retry_after} answers 503 without Retry-After")
            if not promoted:
                problems.append(f"the Sentinels promoted no replica within {a.recovery_timeout:g} s")
            if not first_train:
                problems.append(f"trainings did not recover within {a.recovery_timeout:g} s of the kill")
                if ack and a.replicas <= ack and not a.rejoin:
                    problems.append(f"(expected: the promoted primary has {a.replicas - 1} replicas left, fewer than --min-replicas-ack "
                                    f"{ack}, so every job is refused until a replica is back; try --replicas {ack + 1} or --rejoin)")
            if not first_predict:
                problems.append(f"predictions did not recover within {a.recovery_timeout:g} s of the kill")
            if ack and lost:
                problems.append(f"{len(lost)} jobs acknowledged with --min-replicas-ack {ack} were lost: "
                                f"{[(m, states[m]) for m in lost[:10]]}")
            if load.problems:
                problems.append(f"{len(load.problems)} answers other than 201/200/503 (or a wrong label); first: {load.problems[:5]}")
            for name in ["api", "worker0", "worker1"]:
                if not procs.alive(name):
                    problems.append(f"the {name} process exited ({procs[name].poll()})")
        except Exception as error:  # noqa: BLE001 (reported, with the logs' place)
            problems.append(f"{type(error).__name__}: {error}")
        finally:
            if load is not None:
                load.finish()
            if problems:
                for name in ("api", "worker0", "worker1"):
                    for line in h.tail(procs.log_path(name), 10, grep=["error", "warning", "critical", "Error", "fatal"]):
                        problems.append(f"    {name}.log: {line}")
    result["passed"] = not problems
    if result["passed"] and not a.keep:
        shutil.rmtree(workdir, ignore_errors=True)
        result["workdir"] = None
    return result


ROWS = [
    ("accepted (201)", "accepted"), ("  before the kill", "accepted_before_kill"), ("  after the kill", "accepted_after_kill"),
    ("completed (ready)", "completed"), ("failed", "failed"), ("lost", "lost"), ("  of which 404", "lost_404"),
    ("  of which stuck", "lost_stuck"), ("training 503s", "train_503"), ("training answers", "train_answers"),
    ("prediction answers", "predict_answers"), ("new primary after (s)", "promoted_s"),
    ("trainings recovered after (s)", "train_recovery_s"), ("predictions recovered after (s)", "predict_recovery_s"),
    ("lost jobs' 201 at (s from kill)", "lost_accepted_at_s"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=h.default_binary(), help="the logit binary (default: release if built, else debug)")
    ap.add_argument("--ack", type=int, default=0, help="the API's --min-replicas-ack (default 0: not passed)")
    ap.add_argument("--compare", action="store_true", help="run with --ack 0 and --ack 1, side by side")
    ap.add_argument("--replicas", type=int, default=1, help="replicas of the primary (default 1)")
    ap.add_argument("--rejoin", action="store_true", help="restart the killed node as a replica once another is promoted")
    ap.add_argument("--rows", type=int, default=2000, help="rows of each small training job (default 2000)")
    ap.add_argument("--load-before", type=float, default=3.0, help="seconds of load before the kill")
    ap.add_argument("--load-after", type=float, default=10.0, help="seconds of load after recovery")
    ap.add_argument("--recovery-timeout", type=float, default=30.0, help="seconds after the kill to recover in")
    ap.add_argument("--settle-timeout", type=float, default=30.0, help="seconds for accepted jobs to become ready")
    ap.add_argument("--log-level", default="warning")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directories (logs)")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    a = ap.parse_args()
    if a.compare:
        a.rejoin = True
    if not os.path.exists(a.binary):
        sys.exit(f"{a.binary} not found: build it with `swift build -c release --product logit`")
    h.stop_on_signals()

    small_csv = h.dataset(a.rows, 10, 3, 3)  # small: made in Python (the generator's numpy start-up costs more)
    with open(h.IRIS, "rb") as f:
        iris = f.read()
    acks = [0, 1] if a.compare else [a.ack]
    try:
        results = [run(a, ack, small_csv, iris) for ack in acks]
    except (KeyboardInterrupt, h.Interrupted):
        return h.interrupted(a.keep)
    passed = all(r["passed"] for r in results)

    if a.json:
        print(json.dumps({"passed": passed, "binary": a.binary, "replicas": a.replicas, "rejoin": a.rejoin, "runs": results}, indent=2))
    else:
        header = f"{'':34}" + "".join(f"{'--min-replicas-ack ' + str(r['ack']):>28}" for r in results)
        print(f"failover: SIGKILL of the primary, {a.replicas} replica(s), 3 Sentinels{', killed node rejoins' if a.rejoin else ''}")
        print(header)
        for label, key in ROWS:
            values = [r.get(key) for r in results]
            if all(v is None for v in values):
                continue
            cells = "".join(f"{json.dumps(v) if isinstance(v, (dict, list)) else str(v):>28}" for v in values)
            print(f"{label:34}{cells}")
        print(f"{'result':34}" + "".join(f"{'PASS' if r['passed'] else 'FAIL':>28}" for r in results))
        for r in results:
            for line in r["problems"]:
                print(f"  ack {r['ack']}: {line}")
            if r["workdir"]:
                print(f"  ack {r['ack']}: logs in {r['workdir']}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
