"""Reference metrics computed with scikit-learn, for comparison with Cairn's src/ml/metrics.

Reads JSON from stdin: {"cases": [case, ...]}, each case one of
  {"id", "kind": "binary", "y": [0|1], "p": [prob], "threshold": t, "groups": {label: [row]}?}
  {"id", "kind": "multiclass", "y": [class index], "p": [[prob per class]], "groups": ...?}
  {"id", "kind": "regression", "y": [value], "yhat": [value], "groups": ...?}
  {"id", "kind": "qcut", "x": [value], "q": n}            -> pandas.qcut group of each row
Prints {id: result} where a result holds each metric (None where scikit-learn raises or warns
that the metric is ill-defined), plus "groups": {label: result} when groups were given.
"""

import json
import sys
import warnings

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_absolute_percentage_error,
    precision_recall_curve,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    roc_curve,
    root_mean_squared_error,
)


def guarded(fn):
    """fn's value, or None when scikit-learn raises or warns that the metric is ill-defined."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndefinedMetricWarning)
        warnings.filterwarnings("error", message=".*No positive class found.*")
        try:
            value = fn()
        except (ValueError, UndefinedMetricWarning, UserWarning):
            return None
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return float(value)


def binary(y, p, threshold, curves):
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=np.float64)
    pred = (p >= threshold).astype(int)
    out = {
        "accuracy": guarded(lambda: accuracy_score(y, pred)),
        "precision": guarded(lambda: precision_score(y, pred)),
        "recall": guarded(lambda: recall_score(y, pred)),
        "f1": guarded(lambda: f1_score(y, pred)),
        "roc_auc": guarded(lambda: roc_auc_score(y, p)),
        "pr_auc": guarded(lambda: average_precision_score(y, p)),
        "log_loss": guarded(lambda: log_loss(y, p, labels=[0, 1])),
        "brier": guarded(lambda: brier_score_loss(y, p, labels=[0, 1])),
        "confusion_matrix": confusion_matrix(y, pred, labels=[0, 1]).tolist(),
    }
    if curves:
        prob_true, prob_pred = calibration_curve(y, p, n_bins=10)
        out["calibration"] = {"observed": prob_true.tolist(), "predicted": prob_pred.tolist()}
        fpr, tpr, _ = roc_curve(y, p, drop_intermediate=False)
        out["roc"] = {"x": fpr.tolist(), "y": tpr.tolist()}
        precision, recall, _ = precision_recall_curve(y, p)
        out["pr"] = {"x": recall.tolist(), "y": precision.tolist()}
        candidates = np.unique(p)
        out["best_f1"] = max(f1_score(y, (p >= t).astype(int), zero_division=0) for t in candidates)
    return out


def multiclass(y, p):
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=np.float64)
    labels = list(range(p.shape[1]))
    pred = p.argmax(axis=1)
    avg = lambda fn, how: guarded(lambda: fn(y, pred, labels=labels, average=how, zero_division=0))
    return {
        "accuracy": guarded(lambda: accuracy_score(y, pred)),
        "precision": avg(precision_score, "macro"),
        "recall": avg(recall_score, "macro"),
        "f1": avg(f1_score, "macro"),
        "precision_weighted": avg(precision_score, "weighted"),
        "recall_weighted": avg(recall_score, "weighted"),
        "f1_weighted": avg(f1_score, "weighted"),
        "roc_auc": guarded(lambda: roc_auc_score(y, p, multi_class="ovr", average="macro", labels=labels)),
        "log_loss": guarded(lambda: log_loss(y, p, labels=labels)),
        "brier": guarded(lambda: brier_score_loss(y, p, labels=labels)),
        "confusion_matrix": confusion_matrix(y, pred, labels=labels).tolist(),
    }


def regression(y, yhat):
    y = np.asarray(y, dtype=np.float64)
    yhat = np.asarray(yhat, dtype=np.float64)
    constant = len(y) < 2 or np.all(y == y[0])
    return {
        "rmse": float(root_mean_squared_error(y, yhat)),
        "mae": float(mean_absolute_error(y, yhat)),
        "r2": None if constant else float(r2_score(y, yhat)),
        "mape": float(mean_absolute_percentage_error(y, yhat)),
    }


def run(case, rows=None):
    pick = (lambda xs: [xs[i] for i in rows]) if rows is not None else (lambda xs: xs)
    kind = case["kind"]
    if kind == "binary":
        return binary(pick(case["y"]), pick(case["p"]), case["threshold"], rows is None)
    if kind == "multiclass":
        return multiclass(pick(case["y"]), pick(case["p"]))
    return regression(pick(case["y"]), pick(case["yhat"]))


def main():
    cases = json.load(sys.stdin)["cases"]
    out = {}
    for case in cases:
        if case["kind"] == "qcut":
            codes = pd.qcut(pd.Series(case["x"], dtype="float64"), case["q"], duplicates="drop").cat.codes
            out[case["id"]] = [int(c) for c in codes]
            continue
        result = run(case)
        if "groups" in case:
            result["groups"] = {label: run(case, rows) for label, rows in case["groups"].items()}
        out[case["id"]] = result
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
