#!/usr/bin/env python3
"""Generates the numeric test cases of Fixtures/numerics/ and their scikit-learn optima.

usage: python3 scripts/sklearn_reference.py            (pip install scikit-learn numpy)

Each case is a small headerless CSV (label last) made with ../shared/tools/gen_classification_csv.py (or an
existing fixture), sometimes transformed (constant columns, extreme scales, unbalanced classes, a single-row
class, separable). For each case and parameter set, Fixtures/numerics/optima.jsonl gets one line:

  {"case", "file" (relative to Fixtures/), "params" (our query names), "n", "d", "classes",
   "objective": f* (our formula at scikit-learn's tightest solution), "sklearn_objective": scikit-learn's own
   loss at that solution (LinearModelLoss), "train_accuracy", "probabilities": {"rows": [...], "values": [[...]]}}

The objective is scikit-learn's (sklearn.linear_model._linear_loss):
  f(W, b) = sum_i s_i * logloss_i / sum_i s_i + ||W||^2 / (2 C sum_i s_i)
on StandardScaler-transformed features, intercept unpenalized; s_i = 1, or n / (K n_c) with
class_weight='balanced' (then sum_i s_i = n). Binary problems have one sigmoid row, K >= 3 have K softmax rows.
The optimum is the lowest of lbfgs and newton-cg runs at tol 1e-13 (scikit-learn's own solvers, pushed far).
"""
import json
import os
import subprocess
import sys
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Fixtures")
OUT = os.path.join(FIXTURES, "numerics")
GEN = os.environ.get("GEN_CLASSIFICATION_CSV", os.path.join(ROOT, "..", "shared", "tools", "gen_classification_csv.py"))
if not os.path.exists(GEN):
    GEN = "/work/shared/tools/gen_classification_csv.py"


def generate(n, d, k, seed, sep=1.0, fmt="%.6g"):
    text = subprocess.run([sys.executable, GEN, "-", "--n", str(n), "--d", str(d), "--k", str(k), "--seed", str(seed),
                           "--sep", str(sep), "--fmt", fmt], check=True, capture_output=True, text=True).stdout
    data = np.loadtxt(text.splitlines(), delimiter=",", ndmin=2)
    return data[:, :-1], data[:, -1].astype(int)


def write(name, x, y, fmt="%.6g"):
    path = os.path.join(OUT, name)
    with open(path, "w") as out:
        for row, label in zip(x, y):
            out.write(",".join(fmt % v for v in row) + f",{label}\n")
    # Re-read so the optimum is computed on exactly what the CSV holds.
    data = np.loadtxt(path, delimiter=",", ndmin=2)
    return data[:, :-1], data[:, -1].astype(int)


def read(name):
    raw = np.genfromtxt(os.path.join(FIXTURES, name), delimiter=",", dtype=str)
    x = raw[:, :-1].astype(float)
    labels = raw[:, -1]
    return x, labels


def objective(coef, intercept, z, y_index, classes, sample_weight, C):
    """Our formula, computed directly: weighted mean log-loss + ||W||^2 / (2 C sum s)."""
    logits = z @ coef.T + intercept
    if len(classes) == 2:
        t = logits[:, 0]
        yy = (y_index == 1).astype(float)
        loss = np.logaddexp(0, t) - yy * t
    else:
        top = logits.max(axis=1, keepdims=True)
        lse = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
        loss = lse - logits[np.arange(len(y_index)), y_index]
    sw_sum = sample_weight.sum()
    penalty = 0.0 if C is None else (coef ** 2).sum() / (2 * C * sw_sum)
    return float((sample_weight * loss).sum() / sw_sum + penalty)


def sklearn_loss(model, z, y_index, sample_weight, C):
    """scikit-learn's own objective at the model's solution (private API; None when unavailable)."""
    try:
        from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss
        from sklearn.linear_model._linear_loss import LinearModelLoss
    except ImportError:
        return None
    k = len(model.classes_)
    base = HalfBinomialLoss() if k == 2 else HalfMultinomialLoss(n_classes=k)
    loss = LinearModelLoss(base_loss=base, fit_intercept=model.fit_intercept)
    if k == 2:
        coef = np.concatenate([model.coef_[0], model.intercept_]) if model.fit_intercept else model.coef_[0].copy()
    else:
        coef = np.column_stack([model.coef_, model.intercept_]) if model.fit_intercept else model.coef_.copy()
    reg = 0.0 if C is None else 1.0 / (C * sample_weight.sum())
    return float(loss.loss(coef, z, y_index.astype(float), sample_weight=sample_weight, l2_reg_strength=reg))


def optimum(case, file, x, labels, params, probability_rows=(0, 1, 2, 3, 4)):
    classes = np.unique(labels)
    y_index = np.searchsorted(classes, labels)
    scaler = StandardScaler().fit(x)
    z = scaler.transform(x)
    C = None if params.get("penalty") == "none" else float(params.get("C", 1.0))
    common = dict(C=1.0 if C is None else C, penalty=None if C is None else "l2",
                  fit_intercept=params.get("fit_intercept", True),
                  class_weight="balanced" if params.get("class_weight") == "balanced" else None)
    if common["class_weight"] == "balanced":
        counts = np.bincount(y_index, minlength=len(classes))
        sample_weight = len(y_index) / (len(classes) * counts[y_index])
    else:
        sample_weight = np.ones(len(y_index))
    best = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", FutureWarning)
        for solver in ("lbfgs", "newton-cg"):
            model = LogisticRegression(solver=solver, tol=1e-13, max_iter=100000, **common).fit(z, labels)
            value = objective(model.coef_, model.intercept_, z, y_index, classes, sample_weight, C)
            if best is None or value < best[0]:
                best = (value, model)
    value, model = best
    own = sklearn_loss(model, z, y_index, sample_weight, C)
    if own is not None and abs(own - value) > 1e-12 * max(1, abs(value)):
        raise SystemExit(f"{case}: our objective {value} differs from scikit-learn's {own}")
    rows = [r for r in probability_rows if r < len(x)]
    probabilities = model.predict_proba(scaler.transform(x[rows]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        default = LogisticRegression(**common).fit(z, labels)
    return {
        "case": case, "file": file, "params": params, "n": int(len(x)), "d": int(x.shape[1]),
        "classes": [str(c) for c in classes], "objective": value, "sklearn_objective": own,
        "sklearn_default_objective": objective(default.coef_, default.intercept_, z, y_index, classes, sample_weight, C),
        "train_accuracy": float((model.predict(z) == labels).mean()),
        "probabilities": {"rows": rows, "values": probabilities.tolist()},
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    lines = []

    def add(case, file, x, labels, params=None):
        entry = optimum(case, file, x, labels, params or {})
        lines.append(entry)
        print(f"{case:28s} {json.dumps(params or {}):40s} f*={entry['objective']:.15g}", flush=True)

    # The reference sets, with probabilities, and with each parameter.
    for name in ("iris.csv", "wine.csv"):
        x, labels = read(name)
        add(name.removesuffix(".csv"), name, x, labels)
    x, labels = read("wine.csv")
    add("wine_C0.01", "wine.csv", x, labels, {"C": 0.01})
    add("wine_C100", "wine.csv", x, labels, {"C": 100.0})
    x, labels = read("iris.csv")
    add("iris_no_intercept", "iris.csv", x, labels, {"fit_intercept": False})

    # Binary: one sigmoid row.
    x, y = write("binary.csv", *generate(1000, 10, 2, seed=11))
    add("binary", "numerics/binary.csv", x, y)
    add("binary_balanced", "numerics/binary.csv", x, y, {"class_weight": "balanced"})

    # Ten classes.
    x, y = write("ten_classes.csv", *generate(1500, 12, 10, seed=12))
    add("ten_classes", "numerics/ten_classes.csv", x, y)
    # No penalty on overlapping classes: a finite optimum (iris is not one: setosa is separable).
    add("ten_classes_no_penalty", "numerics/ten_classes.csv", x, y, {"penalty": "none"})

    # 64 features, 8 of them constant (zero variance): centred, not scaled, their weights stay 0.
    x, y = generate(800, 64, 3, seed=13)
    x[:, ::8] = np.round(x[0, ::8], 3)
    x[:, 5] = 0.0
    x, y = write("constant_columns.csv", x, y)
    add("constant_columns", "numerics/constant_columns.csv", x, y)

    # Features on very different scales: 1e-6 .. 1e6 on top of the generator's own 0.1 .. 10.
    x, y = generate(1000, 8, 3, seed=14)
    x = x * 10.0 ** np.linspace(-6, 6, 8)
    x, y = write("scales.csv", x, y, fmt="%.9g")
    add("scales", "numerics/scales.csv", x, y)

    # Unbalanced: classes in proportion 100 : 10 : 1.
    x, y = generate(6000, 6, 3, seed=15)
    keep = (y == 0) | ((y == 1) & (np.arange(len(y)) % 10 == 0)) | ((y == 2) & (np.arange(len(y)) % 100 == 0))
    x, y = write("unbalanced.csv", x[keep], y[keep])
    add("unbalanced", "numerics/unbalanced.csv", x, y)
    add("unbalanced_balanced", "numerics/unbalanced.csv", x, y, {"class_weight": "balanced"})

    # A class with a single row.
    x, y = generate(300, 4, 3, seed=16)
    keep = (y != 2) | (np.cumsum(y == 2) == 1)
    x, y = write("single_row_class.csv", x[keep], y[keep])
    add("single_row_class", "numerics/single_row_class.csv", x, y)

    # One feature.
    x, y = write("one_feature.csv", *generate(500, 1, 3, seed=17))
    add("one_feature", "numerics/one_feature.csv", x, y)
    add("one_feature_no_penalty", "numerics/one_feature.csv", x, y, {"penalty": "none"})

    # 1000 features, few rows (d > n).
    x, y = write("wide.csv", *generate(60, 1000, 3, seed=18, fmt="%.4g"), fmt="%.4g")
    add("wide", "numerics/wide.csv", x, y)

    # Separable (well separated centres): an L2 optimum exists; with penalty=none it does not (tested in Swift).
    x, y = write("separable.csv", *generate(200, 5, 2, seed=19, sep=12.0))
    add("separable", "numerics/separable.csv", x, y)

    with open(os.path.join(OUT, "optima.jsonl"), "w") as out:
        for entry in lines:
            out.write(json.dumps(entry) + "\n")


if __name__ == "__main__":
    main()
