#!/usr/bin/env python3
"""What --min-replicas-ack costs a training POST: two APIs on the same primary (one with `--min-replicas-ack 1`, one
without) and one replica, answering alternating POSTs of the same body in one run, so that both see the same machine.

usage: scripts/replica_ack_cost.py [--binary .build/release/logit] [--posts 300] [--csv Fixtures/iris.csv]
Prints the median and p90 POST latency of each API and their difference. Everything runs on loopback, on free
ports, in a temporary directory; every process is stopped at the end. Exit 0 when every POST was answered 201.
"""
import argparse
import http.client
import os
import shutil
import statistics
import time

from harness import IRIS, Processes, default_binary, free_port, make_workdir, redis_argv, redis_cli, wait_until


def post(port, body):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    connection.request("POST", "/models", body=body, headers={"Content-Type": "text/csv"})
    status = connection.getresponse().status
    elapsed = time.perf_counter() - started
    connection.close()
    return status, elapsed


def post_or_none(port, body):
    try:
        return post(port, body)[0]
    except OSError:
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=default_binary())
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--csv", default=IRIS)
    args = parser.parse_args()
    body = open(args.csv, "rb").read()
    directory = make_workdir("logit-ack-")
    with Processes(directory) as processes:
        primary, replica = free_port(), free_port()
        for name, port, extra in (("primary", primary, []), ("replica", replica, ["--replicaof", "127.0.0.1", str(primary)])):
            data = os.path.join(directory, name)
            os.makedirs(data)
            processes.start(name, redis_argv(port, data, "--repl-diskless-sync-delay", "0", *extra))
        wait_until(lambda: "master_link_status:up" in redis_cli(replica, "INFO", "replication"), 30, "the replica to sync")
        apis = {}
        for name, extra in (("without", []), ("with --min-replicas-ack 1", ["--min-replicas-ack", "1"])):
            port = free_port()
            processes.start(f"api-{port}", [args.binary, "serve", "--port", str(port), "--redis-url", f"redis://127.0.0.1:{primary}",
                                             "--log-level", "error"] + extra)
            apis[name] = port
        for port in apis.values():
            wait_until(lambda port=port: post_or_none(port, body) == 201, 30, "the API to answer")
        timings = {name: [] for name in apis}
        statuses = set()
        for _ in range(args.posts):
            for name, port in apis.items():
                status, elapsed = post(port, body)
                statuses.add(status)
                timings[name].append(elapsed * 1000)
        for name, values in timings.items():
            values.sort()
            print(f"{name:>28}: median {statistics.median(values):.2f} ms, p90 {values[int(len(values) * 0.9)]:.2f} ms ({len(values)} POSTs)")
        names = list(apis)
        print(f"{'cost':>28}: {statistics.median(timings[names[1]]) - statistics.median(timings[names[0]]):+.2f} ms median")
    shutil.rmtree(directory, ignore_errors=True)
    return 0 if statuses == {201} else 1


if __name__ == "__main__":
    raise SystemExit(main())
