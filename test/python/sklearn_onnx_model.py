"""A scikit-learn pipeline converted with skl2onnx: a model made elsewhere, to import and gate.

Usage: sklearn_onnx_model.py <train.csv> <out.onnx>

Fits impute + scale + one-hot + LogisticRegression on train.csv (target y, classes no/yes) and
writes the pipeline as ONNX (one [N, 1] input per column: float for numbers, string for text).
Prints {"classes": [...]}.
"""

import json
import sys

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, StringTensorType


def main():
    train_path, out_path = sys.argv[1:3]
    df = pd.read_csv(train_path)
    y = df.pop("y")
    numbers = [c for c in df.columns if df[c].dtype.kind in "if"]
    text = [c for c in df.columns if c not in numbers]
    df[text] = df[text].astype(object).where(df[text].notna(), "")
    model = Pipeline([
        ("pre", ColumnTransformer([
            ("num", Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler())]), numbers),
            ("cat", OneHotEncoder(handle_unknown="ignore"), text),
        ])),
        ("clf", LogisticRegression(max_iter=1000)),
    ]).fit(df, y)
    types = [(c, FloatTensorType([None, 1])) for c in numbers] + [(c, StringTensorType([None, 1])) for c in text]
    onx = convert_sklearn(model, initial_types=types, target_opset={"": 17, "ai.onnx.ml": 3})
    with open(out_path, "wb") as f:
        f.write(onx.SerializeToString())
    json.dump({"classes": [str(c) for c in model.classes_]}, sys.stdout)


if __name__ == "__main__":
    main()
