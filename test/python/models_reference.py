"""References for Cairn's trainers on UCI Adult, and a model made elsewhere to import.

Usage: models_reference.py <train.csv> <test.csv> <out_dir>

Fits scikit-learn's LogisticRegression (impute, scale, one-hot) and HistGradientBoostingClassifier
(native categories) on train.csv and scores test.csv; converts the logistic pipeline with skl2onnx
(one input per column, [N, 1], float for numbers and string for text; ZipMap on) into
<out_dir>/sklearn.onnx. Prints JSON: {"auc": {"logistic", "gbdt"}, "classes", "proba": [[p0, p1], ...]}
(the pipeline's probabilities for the test rows).
"""

import json
import sys

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, StringTensorType

TARGET = "income"


def load(path):
    df = pd.read_csv(path)
    y = (df.pop(TARGET) == ">50K").astype(int).to_numpy()
    numbers = [c for c in df.columns if df[c].dtype.kind in "if"]
    text = [c for c in df.columns if c not in numbers]
    df[text] = df[text].astype(object).where(df[text].notna(), "")
    return df, y, numbers, text


def main():
    train_path, test_path, out_dir = sys.argv[1:4]
    x, y, numbers, text = load(train_path)
    xt, yt, _, _ = load(test_path)

    logistic = Pipeline([
        ("pre", ColumnTransformer([
            ("num", Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler())]), numbers),
            ("cat", OneHotEncoder(handle_unknown="ignore"), text),
        ])),
        ("clf", LogisticRegression(max_iter=1000)),
    ]).fit(x, y)
    gbdt = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
    as_category = lambda d: d.astype({c: "category" for c in text})
    gbdt.fit(as_category(x), y)

    types = [(c, FloatTensorType([None, 1])) for c in numbers] + [(c, StringTensorType([None, 1])) for c in text]
    onx = convert_sklearn(logistic, initial_types=types, target_opset={"": 17, "ai.onnx.ml": 3})
    with open(f"{out_dir}/sklearn.onnx", "wb") as f:
        f.write(onx.SerializeToString())

    json.dump({
        "auc": {
            "logistic": roc_auc_score(yt, logistic.predict_proba(xt)[:, 1]),
            "gbdt": roc_auc_score(yt, gbdt.predict_proba(as_category(xt))[:, 1]),
        },
        "classes": [int(c) for c in logistic.classes_],
        "proba": logistic.predict_proba(xt).tolist(),
    }, sys.stdout)


if __name__ == "__main__":
    main()
