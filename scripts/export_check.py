#!/usr/bin/env python3
"""Models that leave the service, checked by the tools their users run: onnxruntime, scikit-learn and tritonclient.

Starts redis-server, `logit serve` and `logit worker` on free loopback ports (in a temporary directory), trains iris,
wine (../shared/datasets/wine.csv, else Fixtures/wine.csv) and a binary subset of iris, then for each model:

- onnxruntime runs `GET /models/{id}/export?format=onnx` (after onnx.checker) on the training features: its
  probabilities equal the service's `POST /models/{id}/predict` within 1e-6, its labels equal;
- the README's scikit-learn snippet (the ```python block after the line "<!-- export_check.py runs this block -->"),
  run as it is on `GET /models/{id}/export?format=json`, reproduces the probabilities within 1e-9;
- tritonclient[http] calls `/v2/models/{id}/infer` (binary FP64 input, Triton's default, and JSON FP64 input): its
  labels equal and its probabilities equal the prediction route's within 1e-12; metadata, readiness, `id` echo,
  output selection and a wrong-shape error go through the same client.

    python3 scripts/export_check.py [--binary .build/debug/logit]

Exit status 0 when every check passed. Without onnx, onnxruntime, scikit-learn or tritonclient installed
(`scripts/setup.sh` installs them) it says so and exits 0, as scripts/api_contract.py does without schemathesis.
"""
import argparse
import importlib.util
import os
import re
import shutil
import sys

import harness

NEEDED = {"onnx": "onnx", "onnxruntime": "onnxruntime", "sklearn": "scikit-learn", "tritonclient": "tritonclient[http]",
          "numpy": "numpy", "requests": "requests"}
README = os.path.join(harness.ROOT, "README.md")
MARKER = "<!-- export_check.py runs this block -->"
SHARED = os.path.join(os.path.dirname(harness.ROOT), "shared", "datasets")


def readme_snippet():
    """The README's scikit-learn block: the ```python fence after MARKER."""
    text = open(README, encoding="utf-8").read()
    match = re.search(re.escape(MARKER) + r"\s*```python\n(.*?)```", text, re.S)
    if not match:
        raise SystemExit(f"export_check: README.md has no ```python block after {MARKER!r}")
    return match.group(1)


def datasets(workdir):
    """(name, CSV bytes) to train on: iris, wine, and a binary subset of iris (versicolor vs virginica)."""
    iris = open(harness.IRIS, "rb").read()
    found = [("iris", iris)]
    wine = os.path.join(SHARED, "wine.csv")
    if not os.path.exists(wine):
        wine = os.path.join(harness.ROOT, "Fixtures", "wine.csv")
    found.append(("wine", open(wine, "rb").read()))
    binary = b"".join(line + b"\n" for line in iris.splitlines() if line and not line.endswith(b",setosa"))
    found.append(("iris-binary", binary))
    return found


def features(csv_bytes):
    """The feature fields of a headerless, label-last CSV: (the rows as CSV text without labels, float64 matrix)."""
    import numpy as np
    rows = [line.rsplit(b",", 1)[0] for line in csv_bytes.splitlines() if line.strip()]
    matrix = np.array([[float(field) for field in row.split(b",")] for row in rows], dtype=np.float64)
    return b"\n".join(rows) + b"\n", matrix


class Checks:
    def __init__(self):
        self.failures = []
        self.passed = 0

    def expect(self, condition, what):
        if condition:
            self.passed += 1
        else:
            self.failures.append(what)
            print(f"FAILED: {what}", file=sys.stderr)


def check_model(checks, name, model_id, port, csv_bytes):
    import numpy as np
    import onnx
    import onnxruntime
    import requests
    import tritonclient.http as triton
    from tritonclient.utils import InferenceServerException

    base = f"http://127.0.0.1:{port}"
    rows_csv, X = features(csv_bytes)
    status, _, body = harness.request("POST", port, f"/models/{model_id}/predict", body=rows_csv,
                                      headers={"Content-Type": "text/csv"})
    checks.expect(status == 200, f"{name}: /predict answered {status}: {body[:200]!r}")
    served = harness.json_of(body)
    service_p = np.array(served["prediction_probability"], dtype=np.float64)
    service_labels = list(served["predictions"])
    classes = served["classes"]

    # ONNX, in onnxruntime.
    status, headers, blob = harness.request("GET", port, f"/models/{model_id}/export?format=onnx")
    checks.expect(status == 200 and headers.get("content-type") == "application/octet-stream",
                  f"{name}: export?format=onnx answered {status} {headers.get('content-type')}")
    proto = onnx.load_from_string(blob)
    onnx.checker.check_model(proto, full_check=True)
    checks.expect(max(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")) >= 13, f"{name}: opset >= 13")
    session = onnxruntime.InferenceSession(blob, providers=["CPUExecutionProvider"])
    labels, probabilities = session.run(["label", "probabilities"], {"features": X})
    onnx_gap = float(np.max(np.abs(probabilities - service_p)))
    checks.expect(onnx_gap <= 1e-6, f"{name}: onnxruntime probabilities differ from /predict by {onnx_gap:.3g} (> 1e-6)")
    checks.expect(list(labels) == service_labels, f"{name}: onnxruntime labels differ from /predict")
    checks.expect(probabilities.shape == (len(X), len(classes)), f"{name}: onnx probabilities shape {probabilities.shape}")

    # The README's scikit-learn snippet, run as written.
    scope = {"base": base, "model_id": model_id, "X": X}
    exec(compile(readme_snippet(), "README.md (scikit-learn snippet)", "exec"), scope)
    sklearn_gap = float(np.max(np.abs(scope["proba"] - service_p)))
    checks.expect(sklearn_gap <= 1e-9, f"{name}: scikit-learn probabilities differ from /predict by {sklearn_gap:.3g} (> 1e-9)")
    checks.expect(list(scope["clf"].predict(X)) == service_labels, f"{name}: scikit-learn labels differ from /predict")
    export = requests.get(f"{base}/models/{model_id}/export", params={"format": "json"}).json()
    checks.expect(export["classes"] == classes and export["n_features"] == X.shape[1], f"{name}: export json classes/n_features")

    # The Open Inference Protocol, with Triton's client.
    client = triton.InferenceServerClient(url=f"127.0.0.1:{port}")
    checks.expect(client.is_server_live() and client.is_server_ready(), f"{name}: tritonclient: server live and ready")
    checks.expect(client.get_server_metadata()["name"] == "logit", f"{name}: tritonclient: server metadata")
    checks.expect(client.is_model_ready(model_id), f"{name}: tritonclient: model ready")
    metadata = client.get_model_metadata(model_id)
    checks.expect(metadata["inputs"][0]["name"] == "features" and metadata["inputs"][0]["shape"] == [-1, X.shape[1]]
                  and [o["name"] for o in metadata["outputs"]] == ["label", "probabilities"]
                  and metadata["outputs"][1]["shape"] == [-1, len(classes)], f"{name}: tritonclient metadata {metadata}")
    triton_gap = 0.0
    for binary in (True, False):
        tensor = triton.InferInput("features", list(X.shape), "FP64")
        tensor.set_data_from_numpy(X, binary_data=binary)
        result = client.infer(model_id, [tensor], request_id=f"{name}-{binary}",
                              outputs=[triton.InferRequestedOutput("label", binary_data=False),
                                       triton.InferRequestedOutput("probabilities", binary_data=False)])
        p = result.as_numpy("probabilities")
        triton_gap = max(triton_gap, float(np.max(np.abs(p - service_p))))
        labels = [v.decode() if isinstance(v, bytes) else v for v in result.as_numpy("label").tolist()]
        checks.expect(labels == service_labels, f"{name}: tritonclient labels (binary_data={binary}) differ from /predict")
        checks.expect(result.get_response()["id"] == f"{name}-{binary}", f"{name}: tritonclient: id echoed")
    checks.expect(triton_gap <= 1e-12, f"{name}: tritonclient probabilities differ from /predict by {triton_gap:.3g}")
    only = client.infer(model_id, [tensor], outputs=[triton.InferRequestedOutput("label", binary_data=False)])
    checks.expect([o["name"] for o in only.get_response()["outputs"]] == ["label"], f"{name}: tritonclient: outputs selection")
    wrong = triton.InferInput("features", [1, X.shape[1] + 1], "FP64")
    wrong.set_data_from_numpy(np.zeros((1, X.shape[1] + 1)), binary_data=False)
    try:
        client.infer(model_id, [wrong])
        checks.expect(False, f"{name}: tritonclient: a wrong shape was accepted")
    except InferenceServerException as error:
        checks.expect(error.status() == "400" and "shape" in error.message(),
                      f"{name}: tritonclient: wrong shape answered {error.status()} {error.message()!r}")
    client.close()
    print(f"export_check: {name}: {len(X)} rows, {len(classes)} classes: onnxruntime max |Δp| {onnx_gap:.2g}, "
          f"scikit-learn {sklearn_gap:.2g}, tritonclient {triton_gap:.2g}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=harness.default_binary())
    args = parser.parse_args()
    missing = [pip for module, pip in NEEDED.items() if importlib.util.find_spec(module) is None]
    if missing:
        print(f"export_check: {', '.join(missing)} not installed (scripts/setup.sh installs them); the export checks are SKIPPED",
              file=sys.stderr)
        return 0
    harness.stop_on_signals()
    workdir = harness.make_workdir("logit-export-")
    checks = Checks()
    try:
        with harness.Processes(workdir) as procs:
            _, api_port = harness.start_service(procs, args.binary, workdir)
            trained = []
            for name, csv_bytes in datasets(workdir):
                status, _, body = harness.request("POST", api_port, "/models", body=csv_bytes, headers={"Content-Type": "text/csv"})
                checks.expect(status == 201, f"{name}: training answered {status}: {body[:200]!r}")
                trained.append((name, harness.json_of(body)["model_id"], csv_bytes))
            settled = harness.settle(api_port, [model_id for _, model_id, _ in trained], timeout=120)
            for name, model_id, csv_bytes in trained:
                state = settled[model_id][1]
                checks.expect(state == "ready", f"{name}: the model ended {state}, not ready")
                if state == "ready":
                    check_model(checks, name, model_id, api_port, csv_bytes)
    except harness.Interrupted:
        return harness.interrupted()
    finally:
        if checks.failures:
            print(f"export_check: logs kept in {workdir}", file=sys.stderr)
    if not checks.failures:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"export_check: {checks.passed} passed, {len(checks.failures)} failed")
    return 1 if checks.failures else 0


if __name__ == "__main__":
    sys.exit(main())
