"""The scikit-learn equivalents of Cairn's logistic and GBDT models on UCI Adult, written for the
peers of bench/serving: `mlflow models serve` (mode mlflow: mlflow.sklearn packages whose pyfunc
answers predict_proba) or MLServer (mode mlserver: joblib files with model-settings.json).

The pipelines mirror Cairn's preprocessing: numbers imputed with the training mean (and
standardized for the linear model), text one-hot encoded (logistic) or as category codes (trees).

usage: peers.py mlflow|mlserver <adult.data> <out dir>
"""
import json
import os
import sys

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

mode, data, out = sys.argv[1], sys.argv[2], sys.argv[3]
COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation",
    "relationship", "race", "sex", "capital_gain", "capital_loss", "hours_per_week", "native_country", "income",
]
frame = pd.read_csv(data, names=COLUMNS, sep=", ", engine="python", na_values="?")
y = frame.pop("income")
numbers = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
texts = [c for c in frame.columns if c not in numbers]
frame[numbers] = frame[numbers].astype("float64")
frame[texts] = frame[texts].astype(object)

logistic = Pipeline([
    ("features", ColumnTransformer([
        ("numbers", make_pipeline(SimpleImputer(strategy="mean"), StandardScaler()), numbers),
        ("texts", OneHotEncoder(handle_unknown="ignore"), texts),
    ])),
    ("model", LogisticRegression(C=1.0, max_iter=100)),
])
gbdt = Pipeline([
    ("features", ColumnTransformer([
        ("numbers", "passthrough", numbers),
        ("texts", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1), texts),
    ])),
    ("model", HistGradientBoostingClassifier(
        max_iter=100, learning_rate=0.1, max_leaf_nodes=31, early_stopping=True, validation_fraction=0.2,
        categorical_features=list(range(len(numbers), len(numbers) + len(texts))), random_state=0,
    )),
])
os.makedirs(out, exist_ok=True)
for name, pipeline in (("logistic", logistic), ("gbdt", gbdt)):
    pipeline.fit(frame, y)
    target = os.path.join(out, name)
    if mode == "mlflow":
        import mlflow.sklearn
        from mlflow.models import infer_signature

        mlflow.sklearn.save_model(
            pipeline, target, signature=infer_signature(frame.head(5), pipeline.predict_proba(frame.head(5))),
            pyfunc_predict_fn="predict_proba", serialization_format="cloudpickle",
        )
    else:
        import joblib

        os.makedirs(target, exist_ok=True)
        joblib.dump(pipeline, os.path.join(target, "model.joblib"))
        with open(os.path.join(target, "model-settings.json"), "w") as f:
            json.dump({"name": name, "implementation": "mlserver_sklearn.SKLearnModel",
                       "parameters": {"uri": "./model.joblib", "version": "v1"}}, f)
print(json.dumps({"numbers": numbers, "texts": texts, "rows": len(frame)}))
