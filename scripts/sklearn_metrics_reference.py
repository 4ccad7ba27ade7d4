#!/usr/bin/env python3
"""Writes Fixtures/metrics/reference.json: scikit-learn's metrics for known labels and probabilities, which
ClassificationMetricsTests recomputes in Swift (within 1e-9).

usage: python3 scripts/sklearn_metrics_reference.py     (pip install scikit-learn numpy)

Cases: iris (3 classes) and wine (3 classes) from ../shared/datasets/, each with the probabilities of a
scikit-learn LogisticRegression (standardized, C=1) fitted on half of the rows and applied to all of them; a binary
subset of iris (setosa vs versicolor, features 1-2 only, so that it is not separable); that subset with its
probabilities rounded to one decimal (ties, for ROC AUC); and wine with a weak model that never predicts one
class (precision's zero division). The probabilities are inputs here: the test checks the metric arithmetic, on
the same numbers scikit-learn saw (JSON floats round-trip exactly).
"""
import json
import os

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, log_loss, precision_recall_fscore_support, roc_auc_score
from sklearn.preprocessing import StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATASETS = os.path.join(ROOT, "..", "shared", "datasets")
if not os.path.isdir(DATASETS):
    DATASETS = "/work/shared/datasets"
OUT = os.path.join(ROOT, "Fixtures", "metrics")


def read(name):
    raw = np.genfromtxt(os.path.join(DATASETS, name), delimiter=",", dtype=str)
    return raw[:, :-1].astype(float), raw[:, -1]


def fitted_probabilities(x, y, classes, C=1.0, seed=0):
    rng = np.random.default_rng(seed)
    half = rng.permutation(len(y))[: len(y) // 2]
    scaler = StandardScaler().fit(x[half])
    model = LogisticRegression(C=C, max_iter=10000).fit(scaler.transform(x[half]), y[half])
    assert list(model.classes_) == list(classes)
    return model.predict_proba(scaler.transform(x))


def case(name, labels_text, probabilities, classes):
    labels = np.array([classes.index(v) for v in labels_text])
    predicted = probabilities.argmax(axis=1)
    k = len(classes)
    precision, recall, f1, support = precision_recall_fscore_support(labels, predicted, labels=range(k), zero_division=0)
    metrics = {
        "accuracy": accuracy_score(labels, predicted),
        "log_loss": log_loss(labels, probabilities, labels=range(k)),
        "precision": precision.tolist(), "recall": recall.tolist(), "f1": f1.tolist(), "support": support.tolist(),
        "macro_f1": f1_score(labels, predicted, labels=range(k), average="macro", zero_division=0),
        "confusion_matrix": confusion_matrix(labels, predicted, labels=range(k)).tolist(),
    }
    if k == 2:
        metrics["roc_auc"] = roc_auc_score(labels, probabilities[:, 1])
    return {"case": name, "classes": classes, "labels": labels.tolist(), "predicted": predicted.tolist(),
            "probabilities": probabilities.ravel().tolist(), "sklearn": metrics}


def main():
    cases = []
    x, y = read("iris.csv")
    classes = sorted(set(y))
    cases.append(case("iris", y, fitted_probabilities(x, y, classes), classes))

    keep = y != "Iris-virginica" if "Iris-virginica" in set(y) else y != classes[2]
    xb, yb = x[keep][:, :2], y[keep]
    binary_classes = sorted(set(yb))
    pb = fitted_probabilities(xb, yb, binary_classes)
    cases.append(case("iris-binary", yb, pb, binary_classes))
    rounded = np.round(pb[:, 1], 1)
    cases.append(case("iris-binary-ties", yb, np.column_stack([1 - rounded, rounded]), binary_classes))

    x, y = read("wine.csv")
    classes = sorted(set(y), key=lambda v: float(v)) if all(v.replace(".", "", 1).isdigit() for v in set(y)) else sorted(set(y))
    cases.append(case("wine", y, fitted_probabilities(x, y, classes), classes))
    weak = fitted_probabilities(x[:, :1], y, classes, C=1e-3)
    cases.append(case("wine-weak", y, weak, classes))

    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "reference.json"), "w") as out:
        json.dump(cases, out)
        out.write("\n")
    for c in cases:
        print(c["case"], {k: v for k, v in c["sklearn"].items() if k in ("accuracy", "macro_f1", "roc_auc", "log_loss")})


if __name__ == "__main__":
    main()
