"""Cairn's model packages read by the Python side: MLflow's pyfunc, ONNX Runtime, ONNX's checker.

Usage: models_check.py <request.json>, with MLFLOW_TRACKING_URI pointing at a cairn server.
The request: {"test_csv", "target", "uris": {name: model URI or directory}, "empty_text": [names
of uris to feed missing text as ""], "onnx": [paths],
"scores": {name: [probability of the positive class per test row]}, "labels": [0/1 per row],
"validation": {name: {"labels", "predicted", "proba"}}} (a package's validation answers).

Prints JSON: {"pyfunc": {name: {"columns", "label", "probability"}}, "onnxruntime": {path:
[probability per row]}, "checked": [paths that pass onnx.checker], "auc": {name: AUC of scores},
"metrics": {name: {"accuracy", "log_loss", "roc_auc"} of the validation answers}}.
"""

import json
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

import mlflow.pyfunc


def frame(path, target, empty_text):
    df = pd.read_csv(path).drop(columns=[target])
    numbers = [c for c in df.columns if df[c].dtype.kind in "if"]
    text = [c for c in df.columns if c not in numbers]
    # The documented rule for MLflow's ONNX flavor: numbers as float64, text as object (pandas 3
    # strings are not NumPy arrays). Missing text stays NaN, or becomes the empty string, which is
    # what Cairn's runtime feeds for it (and what an imported model may have learned).
    df = df.astype({c: "float64" for c in numbers}).astype({c: object for c in text})
    if empty_text:
        df[text] = df[text].where(df[text].notna(), "")
    return df


def main():
    with open(sys.argv[1]) as f:
        request = json.load(f)
    df = frame(request["test_csv"], request["target"], False)
    empty = frame(request["test_csv"], request["target"], True)
    out = {"pyfunc": {}, "onnxruntime": {}, "checked": [], "auc": {}}
    for name, uri in request["uris"].items():
        data = empty if name in request.get("empty_text", []) else df
        predicted = mlflow.pyfunc.load_model(uri).predict(data)
        out["pyfunc"][name] = {
            "columns": list(predicted.columns),
            "label": [str(v) for v in predicted["label"]],
            "probability": predicted["probability"].astype(float).tolist(),
        }
    for path in request["onnx"]:
        onnx.checker.check_model(onnx.load(path), full_check=True)
        out["checked"].append(path)
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        feeds = {}
        for i in session.get_inputs():
            values = df[i.name].to_numpy()
            feeds[i.name] = values.astype(np.float64) if i.type == "tensor(double)" else np.array(
                ["" if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in values], dtype=object)
        probability = session.run(["probability"], feeds)[0]
        out["onnxruntime"][path] = probability.astype(float).tolist()
    labels = np.array(request["labels"])
    for name, scores in request["scores"].items():
        out["auc"][name] = roc_auc_score(labels, np.array(scores))
    out["metrics"] = {}
    for name, v in request.get("validation", {}).items():
        y, proba = np.array(v["labels"]), np.array(v["proba"])
        out["metrics"][name] = {
            "accuracy": accuracy_score(y, np.array(v["predicted"])),
            "log_loss": log_loss(y, proba),
            "roc_auc": roc_auc_score(y, proba[:, 1]),
        }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
