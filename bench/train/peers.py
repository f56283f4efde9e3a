"""The peers of `npm run bench:train`: scikit-learn's LogisticRegression and
HistGradientBoostingClassifier, and LightGBM, on the same UCI Adult split as Cairn.

Usage: peers.py <train.csv> <test.csv> <cairn.json> <repeat>

<cairn.json> holds Cairn's test-set probabilities ({"logistic": [...], "gbdt": [...]}); every ROC
AUC in the output is computed here by scikit-learn. Prints JSON with, per peer: fit seconds, wall
and CPU (each repetition), test AUC, single-row predict_proba latencies (ms) and batch throughput (rows/s).
"""

import json
import sys
import time

import lightgbm as lgb
import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

TARGET = "income"
SINGLE_ROWS = 500


def load(path):
    df = pd.read_csv(path)
    y = (df.pop(TARGET) == ">50K").astype(int).to_numpy()
    numbers = [c for c in df.columns if df[c].dtype.kind in "if"]
    text = [c for c in df.columns if c not in numbers]
    return df, y, numbers, text


def timed_fit(make, x, y, repeat):
    """Wall seconds and CPU seconds (every thread of the process) of each fit."""
    times, cpu, model = [], [], None
    for _ in range(repeat):
        model = make()
        start, start_cpu = time.perf_counter(), time.process_time()
        model.fit(x, y)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return model, (times, cpu)


def inference(model, x):
    single = []
    for i in range(SINGLE_ROWS):
        row = x.iloc[[i % len(x)]]
        start = time.perf_counter()
        model.predict_proba(row)
        single.append((time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    model.predict_proba(x)
    batch = time.perf_counter() - start
    return single[50:], len(x) / batch


def main():
    train_path, test_path, cairn_path, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    x, y, numbers, text = load(train_path)
    xt, yt, _, _ = load(test_path)
    out = {"versions": {"sklearn": sklearn.__version__, "lightgbm": lgb.__version__}}

    def as_object(d):
        d = d.copy()
        d[text] = d[text].astype(object).where(d[text].notna(), "")
        return d

    logistic = lambda: Pipeline([
        ("pre", ColumnTransformer([
            ("num", Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler())]), numbers),
            ("cat", OneHotEncoder(handle_unknown="ignore"), text),
        ])),
        ("clf", LogisticRegression()),
    ])
    model, (times, cpu) = timed_fit(logistic, as_object(x), y, repeat)
    single, rows_per_s = inference(model, as_object(xt))
    out["sklearn_logistic"] = {
        "fit_s": times, "cpu_s": cpu, "auc": roc_auc_score(yt, model.predict_proba(as_object(xt))[:, 1]),
        "single_ms": single, "batch_rows_per_s": rows_per_s,
    }

    def as_category(d):
        return d.astype({c: "category" for c in text})

    def gbdt(name, make, trees):
        model, (times, cpu) = timed_fit(make, as_category(x), y, repeat)
        single, rows_per_s = inference(model, as_category(xt))
        out[name] = {
            "fit_s": times, "cpu_s": cpu, "auc": roc_auc_score(yt, model.predict_proba(as_category(xt))[:, 1]),
            "trees": trees(model), "single_ms": single, "batch_rows_per_s": rows_per_s,
        }

    hgb = lambda: HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
    gbdt("sklearn_gbdt", hgb, lambda m: int(m.n_iter_))
    gbdt("lightgbm", lambda: lgb.LGBMClassifier(verbose=-1, random_state=0), lambda m: int(m.n_estimators_))
    # One thread each, as Cairn trains: the comparison that does not depend on free cores.
    with threadpool_limits(limits=1):
        gbdt("sklearn_gbdt_1", hgb, lambda m: int(m.n_iter_))
    gbdt("lightgbm_1", lambda: lgb.LGBMClassifier(verbose=-1, random_state=0, n_jobs=1), lambda m: int(m.n_estimators_))

    with open(cairn_path) as f:
        cairn = json.load(f)
    out["cairn_auc"] = {name: roc_auc_score(yt, np.array(p)) for name, p in cairn.items()}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
