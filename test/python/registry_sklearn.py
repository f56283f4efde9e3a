"""MLflow 3's model round trip against a Cairn server: log a scikit-learn model as a logged model,
register it, point an alias at it, load it back with pyfunc and predict.

Run with MLFLOW_TRACKING_URI set; prints one JSON object for test/compat/mlflow-registry.test.ts.
"""

import json
import sys

import mlflow
import numpy as np
from mlflow import MlflowClient
from sklearn.linear_model import LogisticRegression


def main() -> None:
    rng = np.random.default_rng(7)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    model = LogisticRegression().fit(X, y)

    mlflow.set_experiment("sklearn-compat")
    with mlflow.start_run() as run:
        mlflow.set_tag("mlflow.source.git.commit", "5eed")
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name="sk-churn",
            input_example=X[:2],
        )
    client = MlflowClient()
    version = info.registered_model_version
    client.set_registered_model_alias("sk-churn", "champion", version)
    loaded = mlflow.pyfunc.load_model("models:/sk-churn@champion")
    expected = model.predict(X)
    got = np.asarray(loaded.predict(X))
    proba_model = mlflow.sklearn.load_model(f"models:/sk-churn/{version}")
    mv = client.get_model_version("sk-churn", version)
    logged = mlflow.get_logged_model(info.model_id)
    json.dump(
        {
            "model_id": info.model_id,
            "model_uri": info.model_uri,
            "version": version,
            "run_id": run.info.run_id,
            "version_run_id": mv.run_id,
            "version_source": mv.source,
            "version_tags": mv.tags,
            "logged_status": str(logged.status),
            "logged_tags": logged.tags,
            "predictions_equal": bool(np.array_equal(expected, got)),
            "proba_close": bool(np.allclose(model.predict_proba(X), proba_model.predict_proba(X))),
            "n": int(len(got)),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
