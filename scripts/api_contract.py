#!/usr/bin/env python3
"""Schemathesis against a live deployment: every answer must match what /openapi.json documents for it.

Starts redis-server, `logit serve` and `logit worker` on free loopback ports (in a temporary directory), trains
one iris model so that some ids are real, then runs `schemathesis run` with the checks that hold for this API:
no server errors, documented status codes, content types and headers, and response bodies that match their
schemas. Bounded: a few examples per operation and a deadline. Stops everything it started.

    python3 scripts/api_contract.py [--binary .build/debug/logit] [--examples 25] [--deadline 240]

Exit status: schemathesis's (0: every check passed). Without schemathesis installed (`pip install schemathesis`) it
says so and exits 0, so that a machine without PyPI can still run `make test`; `scripts/setup.sh` installs it.
"""
import argparse
import importlib.util
import shutil
import subprocess
import sys

import harness

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=harness.default_binary())
    parser.add_argument("--examples", type=int, default=25, help="examples per operation")
    parser.add_argument("--deadline", type=float, default=240, help="seconds schemathesis may run")
    args = parser.parse_args()
    # Run its CLI with this interpreter, wherever pip put the `schemathesis` script.
    if importlib.util.find_spec("schemathesis") is None:
        print("api_contract: schemathesis is not installed (pip install schemathesis); the live contract check is SKIPPED",
              file=sys.stderr)
        return 0
    cli = [sys.executable, "-m", "schemathesis.cli"]
    workdir = harness.make_workdir("logit-contract-")
    with harness.Processes(workdir) as procs:
        _, api_port = harness.start_service(procs, args.binary, workdir)
        status, _, body = harness.request("POST", api_port, "/models", body=open(harness.IRIS, "rb").read(),
                                          headers={"Content-Type": "text/csv"})
        if status != 201:
            print(f"api_contract: training iris answered {status}: {body[:200]!r}", file=sys.stderr)
            return 1
        command = cli + ["run", f"http://127.0.0.1:{api_port}/openapi.json", "--checks", CHECKS,
                   "--max-examples", str(args.examples), "--request-timeout", "10", "--no-color"]
        harness.log(" ".join(command[2:]))
        try:
            result = subprocess.run(command, timeout=args.deadline, cwd=workdir)
        except subprocess.TimeoutExpired:
            print(f"api_contract: schemathesis did not finish within {args.deadline:g} s", file=sys.stderr)
            return 1
        if result.returncode != 0:
            for name in ("api", "worker"):
                print(f"--- {name} log:\n" + "\n".join(harness.tail(procs.log_path(name), 20)), file=sys.stderr)
    shutil.rmtree(workdir, ignore_errors=True)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
