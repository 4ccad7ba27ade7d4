"""Helpers shared by the scripts that run the whole service (scaleout.py, restart_probe.py, upload_memory.py,
failover.py): free loopback ports, HTTP calls, redis-cli, synthetic data, child processes with their logs in a
temporary directory, polling with deadlines, and resident memory read from /proc.

Python 3 standard library only. Not a script: the others import it (`import harness`).
"""
import http.client as httplib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GENERATOR = os.path.join(os.path.dirname(ROOT), "shared", "tools", "gen_classification_csv.py")
IRIS = os.path.join(ROOT, "Fixtures", "iris.csv")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, content_type=None, timeout=30):
    """(status, decoded JSON body) with urllib; status 0 when the server could not be reached."""
    request = urllib.request.Request(url, data=body, method=method)
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, {}


def dataset(rows, features, classes, seed):
    """A small synthetic training CSV (Gaussian classes, labels k0, k1, ...), made in Python."""
    rng = random.Random(seed)
    centres = [[rng.gauss(0, 1) for _ in range(features)] for _ in range(classes)]
    lines = []
    for i in range(rows):
        label = i % classes
        lines.append(",".join(f"{centres[label][j] + rng.gauss(0, 1.5):.4f}" for j in range(features)) + f",k{label}")
    return ("\n".join(lines) + "\n").encode()


def redis_cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True).stdout.strip()


# ----------------------------------------------------------------------------------------------------------------
# Added for restart_probe.py, upload_memory.py and failover.py.


def default_binary():
    """The release binary if it was built, else the debug one."""
    release = os.path.join(ROOT, ".build/release/logit")
    return release if os.path.exists(release) else os.path.join(ROOT, ".build/debug/logit")


def log(message):
    """Progress, on stderr (stdout carries the summary)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def wait_until(predicate, timeout, what, interval=0.01):
    """Polls `predicate` until it returns something truthy (returned), or raises TimeoutError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def request(method, port, path, body=None, headers=None, timeout=30, connection=None):
    """One HTTP request to 127.0.0.1:port: (status, headers dict with lowercase names, body bytes).

    Status 0 (and the exception's text as the body) when the request could not be completed. Pass an
    `http.client.HTTPConnection` as `connection` to reuse it (keep-alive); it is closed on any error.
    """
    conn = connection or httplib.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    except (OSError, httplib.HTTPException) as error:
        conn.close()
        return 0, {}, f"{type(error).__name__}: {error}".encode()
    finally:
        if connection is None:
            conn.close()


def json_of(data):
    try:
        return json.loads(data or b"{}")
    except ValueError:
        return {}


def api_ready(port):
    return request("GET", port, "/readyz", timeout=2)[0] == 200


def model_status(port, model_id, connection=None):
    """(HTTP status, JSON) of GET /check_model_status/<id>."""
    status, _, data = request("GET", port, f"/check_model_status/{model_id}", timeout=10, connection=connection)
    return status, json_of(data)


def wait_api(procs, name, port, timeout=30):
    """Waits for the API process `name` to answer /readyz 200; fails at once (with its log) if the process exits."""
    def ready():
        if not procs.alive(name):
            raise RuntimeError(f"the {name} process exited ({procs[name].poll()}): "
                               + " | ".join(tail(procs.log_path(name), 5)))
        return api_ready(port)
    wait_until(ready, timeout, f"the {name} process's /readyz")


def generate_csv(path, rows, features, classes, seed):
    """Writes a synthetic CSV with ../shared/tools/gen_classification_csv.py, unless `path` already exists (a cache).

    Written to a temporary name first, so an interrupted run never leaves a truncated file behind.
    """
    if os.path.exists(path):
        return path
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    partial = f"{path}.partial-{os.getpid()}"
    try:
        subprocess.run([sys.executable, GENERATOR, partial, "--n", str(rows), "--d", str(features), "--k", str(classes),
                        "--seed", str(seed)], check=True)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return path


def redis_ping(port, timeout=1.0):
    """The first line of Redis's answer to PING ("+PONG", "-LOADING ...", ...), or None when it did not answer."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"PING\r\n")
            reply = b""
            while not reply.endswith(b"\r\n"):
                chunk = s.recv(256)
                if not chunk:
                    return None
                reply += chunk
            return reply.decode(errors="replace").strip()
    except OSError:
        return None


def proc_status(pid):
    """VmRSS, VmHWM, ... of /proc/<pid>/status in bytes; {} when the process is gone."""
    values = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Vm"):
                    name, _, rest = line.partition(":")
                    parts = rest.split()
                    if len(parts) == 2 and parts[1] == "kB":
                        values[name] = int(parts[0]) * 1024
    except OSError:
        return {}
    return values


def mb(n):
    return None if n is None else round(n / 1e6, 1)


def dir_size(path):
    total = 0
    for parent, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(parent, name))
            except OSError:
                pass
    return total


class Interrupted(BaseException):
    """Raised in the main thread by SIGTERM / SIGHUP, so that `finally` blocks stop what was started."""


def stop_on_signals():
    """SIGTERM and SIGHUP unwind the main thread like Ctrl-C does (KeyboardInterrupt)."""
    def handler(signum, _frame):
        raise Interrupted(f"signal {signum}")
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, handler)


class Processes:
    """Child processes with their output in `<workdir>/<name>.log`; `stop_all()` (or leaving the `with` block)
    stops every one still running: SIGTERM, then SIGKILL after `grace` seconds.

    Children run in their own session, so a Ctrl-C reaches only this script, which then stops them in order.
    """

    def __init__(self, workdir):
        self.workdir = workdir
        self.procs = {}
        self.logs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop_all()
        return False

    def log_path(self, name):
        return os.path.join(self.workdir, f"{name}.log")

    def start(self, name, argv, env=None):
        log_file = open(self.log_path(name), "a")
        self.logs.append(log_file)
        log_file.write(f"--- {time.strftime('%H:%M:%S')} {' '.join(argv)}\n")
        log_file.flush()
        self.procs[name] = subprocess.Popen(argv, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            env=env, start_new_session=True)
        return self.procs[name]

    def __getitem__(self, name):
        return self.procs[name]

    def pid(self, name):
        return self.procs[name].pid

    def alive(self, name):
        return name in self.procs and self.procs[name].poll() is None

    def signal(self, name, sig):
        if self.alive(name):
            self.procs[name].send_signal(sig)

    def wait(self, name, timeout):
        return self.procs[name].wait(timeout=timeout)

    def stop(self, name, grace=15):
        process = self.procs.get(name)
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def stop_all(self, grace=15):
        """API and workers first (they drain while Redis still answers), then the Redis servers and Sentinels."""
        redis_like = ("redis", "sentinel", "primary", "replica")
        for phase in (False, True):
            names = [n for n in self.procs if n.startswith(redis_like) == phase]
            for name in names:
                if self.alive(name):
                    self.procs[name].send_signal(signal.SIGTERM)
            deadline = time.monotonic() + grace
            for name in names:
                process = self.procs[name]
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
        for log_file in self.logs:
            log_file.close()
        self.logs = []


CREATED_WORKDIRS = []


def make_workdir(prefix):
    """A new temporary directory (remembered, so that an interrupted script can remove what it made)."""
    path = tempfile.mkdtemp(prefix=prefix)
    CREATED_WORKDIRS.append(path)
    return path


def interrupted(keep=False):
    """What a script does on Ctrl-C / SIGTERM once its processes are stopped: removes its temporary directories
    (unless `keep`), says so, and returns the exit code 130."""
    if not keep:
        for path in CREATED_WORKDIRS:
            shutil.rmtree(path, ignore_errors=True)
    print("interrupted: every process it started was stopped"
          + ("" if not keep else f"; kept {', '.join(CREATED_WORKDIRS)}"), file=sys.stderr)
    return 130


def redis_argv(port, workdir, *extra, logfile=None):
    """redis-server on 127.0.0.1:port with data in `workdir`; no snapshots unless `extra` asks for them.

    Its log goes to `<workdir>/redis-server.log`, or to its standard output with logfile="".
    """
    return ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", workdir, "--daemonize", "no",
            "--save", "", "--logfile", os.path.join(workdir, "redis-server.log") if logfile is None else logfile, *extra]


def start_service(procs, binary, workdir, log_level="error"):
    """redis-server (no persistence), `logit serve` and `logit worker` on free loopback ports, as `procs`' "redis",
    "api" and "worker"; returns (redis_port, api_port) once the API answers /readyz."""
    redis_port, api_port = free_port(), free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}"
    procs.start("redis", redis_argv(redis_port, workdir))
    wait_redis(redis_port)
    procs.start("api", [binary, "serve", "--port", str(api_port), "--redis-url", redis_url, "--log-level", log_level])
    procs.start("worker", [binary, "worker", "--redis-url", redis_url, "--log-level", log_level])
    wait_api(procs, "api", api_port)
    return redis_port, api_port


def wait_redis(port, timeout=10):
    wait_until(lambda: redis_ping(port) == "+PONG", timeout, f"redis-server on port {port}")


def redis_batch(port, commands):
    """Runs many commands through one redis-cli (one per line on its stdin); returns its output lines.

    Meant for commands with one-line replies (HGET, LLEN, ...): a nil reply is an empty line.
    """
    text = "".join(" ".join(quote_arg(a) for a in command) + "\n" for command in commands)
    result = subprocess.run(["redis-cli", "-p", str(port)], input=text, capture_output=True, text=True, timeout=120)
    return result.stdout.split("\n")[:len(commands)]


def quote_arg(arg):
    arg = str(arg)
    return arg if arg and all(c.isalnum() or c in ":-_.*{}" for c in arg) else json.dumps(arg)


def tail(path, lines=20, grep=None):
    """The last `lines` lines of a file (those containing one of the strings in `grep`, if given)."""
    try:
        with open(path, errors="replace") as f:
            content = f.read().splitlines()
    except OSError:
        return []
    if grep:
        content = [line for line in content if any(g in line for g in grep) and not line.startswith("--- ")]
    return content[-lines:]


def settle(api_port, ids, timeout):
    """Polls GET /check_model_status for each id until it is ready or failed (both final), or until `timeout`.

    Returns {id: (http status, state, status text)} as last seen.
    """
    last = {model_id: (None, None, None) for model_id in ids}
    pending = set(ids)
    connection = httplib.HTTPConnection("127.0.0.1", api_port, timeout=10)
    deadline = time.monotonic() + timeout
    while pending:
        for model_id in list(pending):
            status, body = model_status(api_port, model_id, connection=connection)
            last[model_id] = (status, body.get("state"), body.get("status"))
            if status == 200 and body.get("state") in ("ready", "failed"):
                pending.discard(model_id)
        if not pending or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    connection.close()
    return last


class LoadThreads:
    """Base of the scripts' load generators: daemon threads running `loops` until `finish()` sets `stop`."""

    def __init__(self, loops):
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=loop, daemon=True, name=loop.__name__) for loop in loops]

    def start(self):
        for thread in self.threads:
            thread.start()

    def finish(self, timeout=60):
        """Stops the loops; True when every thread ended within `timeout`."""
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout)
        return not any(thread.is_alive() for thread in self.threads)


def reset_peak_rss(pid):
    """Resets VmHWM of a process (writes 5 to /proc/<pid>/clear_refs; Linux 4.0+, same user or root), so that a
    later `proc_status(pid)["VmHWM"]` is the peak since now. False when it could not be done."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False
