"""MLflow's Python client against a Cairn server: the registry calls data scientists make.

Run with MLFLOW_TRACKING_URI set; prints one JSON object with what the client saw, which
test/compat/mlflow-registry.test.ts checks.
"""

import json
import sys

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException


def error_code(fn):
    try:
        fn()
    except MlflowException as e:
        return e.error_code
    return None


def main() -> None:
    client = MlflowClient()
    mlflow.set_experiment("registry-compat")
    with mlflow.start_run() as run:
        mlflow.set_tag("mlflow.source.git.commit", "c0ffee")
        mlflow.log_text("flavors: {}\n", "model/MLmodel")
    run_id = run.info.run_id

    registered = mlflow.register_model(f"runs:/{run_id}/model", "compat-model")
    client.update_registered_model("compat-model", description="from python")
    client.set_registered_model_tag("compat-model", "team", "growth")
    second = client.create_model_version(
        "compat-model", f"{run.info.artifact_uri}/model", run_id=run_id, tags={"k": "v"}, description="second"
    )
    client.set_registered_model_alias("compat-model", "champion", second.version)
    by_alias = client.get_model_version_by_alias("compat-model", "champion")
    client.set_model_version_tag("compat-model", registered.version, "reviewed", "yes")
    client.delete_model_version_tag("compat-model", registered.version, "reviewed")
    forged = error_code(lambda: client.set_model_version_tag("compat-model", "1", "cairn.package_hash", "x"))
    bad_source = error_code(lambda: client.create_model_version("compat-model", "file:///etc/passwd"))
    missing = error_code(lambda: client.get_registered_model("no-such-model"))
    duplicate = error_code(lambda: client.create_registered_model("compat-model"))

    models = [m.name for m in client.search_registered_models(filter_string="name LIKE 'compat-%'")]
    versions = sorted(v.version for v in client.search_model_versions("name = 'compat-model'"))
    v1 = client.get_model_version("compat-model", registered.version)
    model = client.get_registered_model("compat-model")
    download = client.get_model_version_download_uri("compat-model", second.version)

    client.delete_registered_model_alias("compat-model", "champion")
    alias_gone = error_code(lambda: client.get_model_version_by_alias("compat-model", "champion"))
    client.delete_model_version("compat-model", second.version)
    after_delete = sorted(v.version for v in client.search_model_versions("name = 'compat-model'"))
    client.rename_registered_model("compat-model", "compat-renamed")
    renamed = client.get_registered_model("compat-renamed").name
    client.delete_registered_model("compat-renamed")
    deleted = error_code(lambda: client.get_registered_model("compat-renamed"))

    json.dump(
        {
            "registered_version": registered.version,
            "registered_source": registered.source,
            "registered_run_id": registered.run_id,
            "second_version": second.version,
            "second_tags": second.tags,
            "alias_version": by_alias.version,
            "alias_aliases": list(by_alias.aliases),
            "v1_tags": v1.tags,
            "model_description": model.description,
            "model_tags": model.tags,
            "model_aliases": model.aliases,
            "models": models,
            "versions": versions,
            "download": download,
            "errors": {
                "forged_tag": forged,
                "bad_source": bad_source,
                "missing": missing,
                "duplicate": duplicate,
                "alias_gone": alias_gone,
                "deleted": deleted,
            },
            "after_delete": after_delete,
            "renamed": renamed,
            "run_id": run_id,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
