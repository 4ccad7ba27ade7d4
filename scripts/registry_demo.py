#!/usr/bin/env python3
"""A real client at work on the registry (issue 13's closing note), writing its transcript in Markdown.

Starts redis-server, `logit serve` and `logit worker` on free loopback ports, then, as a client would, with
`requests`, onnxruntime and tritonclient[http]: trains `churn` twice on a 2-class CSV (versions 1 and 2; the second
on more rows), points `production` at version 1 and predicts through the alias, moves it to version 2 and predicts
again, evaluates the alias on held-out rows, exports `churn@production` to ONNX and runs it in onnxruntime, and
calls `/v2/models/churn@production/infer` with tritonclient. Every call and answer goes into the transcript.

    python3 scripts/registry_demo.py [--binary .build/debug/logit] [--out docs/registry-demo.md]
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import onnxruntime
import requests
import tritonclient.http as triton

import harness

GEN = os.path.join(os.path.dirname(harness.ROOT), "shared", "tools", "gen_classification_csv.py")


class Transcript:
    def __init__(self):
        self.lines = []

    def say(self, text):
        self.lines.append(text + "\n")
        print(text)

    def code(self, text, language=""):
        self.lines.append(f"```{language}\n{text.rstrip()}\n```\n")
        print(text)

    def call(self, method, url, **kwargs):
        answer = requests.request(method, url, timeout=60, **kwargs)
        shown = {k: v for k, v in answer.headers.items() if k.lower().startswith("logit-") or k.lower() == "location"}
        body = answer.text if len(answer.text) < 1500 else answer.text[:1500] + " …"
        query = "?" + "&".join(f"{k}={v}" for k, v in kwargs.get("params", {}).items()) if kwargs.get("params") else ""
        self.code(f"> {method} /{url.split('//', 1)[1].split('/', 1)[1]}{query}\n< {answer.status_code} "
                  + (" ".join(f"{k}: {v}" for k, v in shown.items())) + f"\n{body}", "http")
        return answer


def generate(rows, seed):
    return subprocess.run([sys.executable, GEN, "-", "--n", str(rows), "--d", "3", "--k", "2", "--seed", str(seed), "--sep", "1.0"],
                          check=True, capture_output=True, text=True).stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=harness.default_binary())
    parser.add_argument("--out", default=os.path.join(harness.ROOT, "docs", "registry-demo.md"))
    args = parser.parse_args()
    t = Transcript()
    workdir = harness.make_workdir("logit-registry-demo-")
    with harness.Processes(workdir) as procs:
        _, api_port = harness.start_service(procs, args.binary, workdir)
        api = f"http://127.0.0.1:{api_port}"

        t.say("# The model registry at work\n")
        t.say("Recorded by `python3 scripts/registry_demo.py` against `logit serve` + `logit worker` + redis-server on "
              "loopback ports. The client is Python: `requests`, `onnxruntime` and `tritonclient[http]`. "
              "The data: 2-class CSVs from `../shared/tools/gen_classification_csv.py` (3 features, labels 0/1).\n")
        data = generate(1200, 7).splitlines()
        first, second, holdout = "\n".join(data[:200]) + "\n", "\n".join(data[:1000]) + "\n", "\n".join(data[1000:]) + "\n"
        rows = [[float(v) for v in line.split(",")[:-1]] for line in data[1000:1005]]
        sample = "\n".join(",".join(str(v) for v in row) for row in rows) + "\n"
        csv = {"Content-Type": "text/csv"}

        t.say("## Train `churn` twice\n")
        versions = []
        for body in (first, second):
            accepted = t.call("POST", f"{api}/models", params={"name": "churn", "validation_fraction": "0.2"}, data=body, headers=csv).json()
            requests.get(f"{api}/check_model_status/churn@{accepted['version']}", params={"wait": 60})  # held until it changes
            harness.wait_until(lambda: requests.get(f"{api}/check_model_status/{accepted['model_id']}").json()["state"] == "ready",
                               60, "the model to be ready")
            versions.append(accepted)
        t.call("GET", f"{api}/check_model_status/churn@2")

        t.say("## `production` → version 1, predict through the alias\n")
        t.call("PUT", f"{api}/models/churn/aliases/production", json={"version": 1})
        p1 = t.call("POST", f"{api}/models/churn@production/predict", data=sample, headers=csv)
        assert p1.headers["Logit-Model-Version"] == "1" and p1.headers["Logit-Model-ID"] == versions[0]["model_id"]

        t.say("## `production` → version 2, the same call now answers from version 2\n")
        t.call("PUT", f"{api}/models/churn/aliases/production", json={"version": 2})
        p2 = t.call("POST", f"{api}/models/churn@production/predict", data=sample, headers=csv)
        assert p2.headers["Logit-Model-Version"] == "2" and p2.headers["Logit-Model-ID"] == versions[1]["model_id"]
        t.call("GET", f"{api}/models/churn/versions")
        t.call("DELETE", f"{api}/models/churn@2")
        t.call("POST", f"{api}/models/churn@production/evaluate", data=holdout, headers=csv)

        t.say("## Export `churn@production` to ONNX and run it in onnxruntime\n")
        onnx = requests.get(f"{api}/models/churn@production/export", params={"format": "onnx"})
        t.say(f"`GET /models/churn@production/export?format=onnx` → {onnx.status_code}, {len(onnx.content)} bytes, "
              f"Logit-Model-ID {onnx.headers['Logit-Model-ID']}, Logit-Model-Version {onnx.headers['Logit-Model-Version']}\n")
        session = onnxruntime.InferenceSession(onnx.content, providers=["CPUExecutionProvider"])
        labels, probabilities = session.run(None, {"features": np.array(rows, dtype=np.float64)})
        served = np.array(p2.json()["prediction_probability"])
        gap = float(np.max(np.abs(probabilities - served)))
        t.code("session = onnxruntime.InferenceSession(onnx_bytes)\n"
               "labels, probabilities = session.run(None, {\"features\": np.array(rows, dtype=np.float64)})\n"
               f"# labels        {list(labels)}\n# probabilities {probabilities.round(6).tolist()}\n"
               f"# /predict said {p2.json()['predictions']}; largest probability difference {gap:.2e}", "python")
        assert list(labels) == p2.json()["predictions"] and gap < 1e-6

        t.say("## tritonclient through `/v2/models/churn@production/infer`\n")
        client = triton.InferenceServerClient(url=f"127.0.0.1:{api_port}")
        features = triton.InferInput("features", [len(rows), 3], "FP64")
        features.set_data_from_numpy(np.array(rows, dtype=np.float64))
        result = client.infer("churn@production", [features])
        response = result.get_response()
        triton_labels = [v.decode() if isinstance(v, bytes) else v for v in result.as_numpy("label").tolist()]
        triton_gap = float(np.max(np.abs(result.as_numpy("probabilities") - served)))
        t.code("client = tritonclient.http.InferenceServerClient(url=\"127.0.0.1:PORT\")\n"
               "features = tritonclient.http.InferInput(\"features\", [5, 3], \"FP64\")\n"
               "features.set_data_from_numpy(np.array(rows, dtype=np.float64))\n"
               "result = client.infer(\"churn@production\", [features])\n"
               f"# model_name {response['model_name']!r}, model_version {response.get('model_version')!r}\n"
               f"# label         {triton_labels}\n"
               f"# probabilities {result.as_numpy('probabilities').round(6).tolist()}\n"
               f"# largest difference from /predict {triton_gap:.2e}", "python")
        assert triton_labels == p2.json()["predictions"] and triton_gap < 1e-12 and response.get("model_version") == "2"
        t.say("Every check in the script passed: the alias moved the answers from version 1 to version 2, the "
              "deletion of the aliased version was refused naming the alias, and onnxruntime and tritonclient agree with "
              "`/predict`.")
    with open(args.out, "w") as out:
        out.write("\n".join(line.rstrip("\n") for line in t.lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
