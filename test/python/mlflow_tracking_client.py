"""The real MLflow Python client against a tracking server (MLFLOW_TRACKING_URI).

Usage: python mlflow_tracking_client.py <scenario> <unique-suffix>

Each scenario drives the client the way a user's training script would and asserts what the
user would see. It prints one JSON line of observations on stdout and exits non-zero (with the
traceback on stderr) when an assertion fails. The same script passes against `mlflow server`, so
any failure against `cairn server` is a difference a client can observe.
"""

import json
import math
import os
import sys
import tempfile

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.exceptions import MlflowException
from mlflow.store.tracking.rest_store import RestStore


def expect_error(codes, fn, *args, **kwargs):
    codes = (codes,) if isinstance(codes, str) else codes
    try:
        fn(*args, **kwargs)
    except MlflowException as e:
        assert e.error_code in codes, f"expected {codes}, got {e.error_code}: {e}"
        return str(e)
    raise AssertionError(f"expected {codes}, got no error")


def experiments(suffix):
    client = MlflowClient()
    name = f"compat-exp-{suffix}"
    exp_id = client.create_experiment(name, tags={"team": "fraud"})
    exp = client.get_experiment(exp_id)
    assert exp.name == name and exp.lifecycle_stage == "active", exp
    assert exp.tags == {"team": "fraud"}, exp.tags
    assert exp.artifact_location == f"mlflow-artifacts:/{exp_id}", exp.artifact_location
    assert client.get_experiment_by_name(name).experiment_id == exp_id
    assert client.get_experiment_by_name(f"nobody-{suffix}") is None
    expect_error("RESOURCE_ALREADY_EXISTS", client.create_experiment, name)
    expect_error("RESOURCE_DOES_NOT_EXIST", client.get_experiment, "987654321")

    active = mlflow.set_experiment(f"compat-set-{suffix}")
    assert mlflow.get_experiment(active.experiment_id).name == f"compat-set-{suffix}"

    for letter in "cab":
        client.create_experiment(f"compat-order-{suffix}-{letter}")
    found = client.search_experiments(
        filter_string=f"name LIKE 'compat-order-{suffix}-%'", order_by=["name DESC"]
    )
    assert [e.name[-1] for e in found] == ["c", "b", "a"], [e.name for e in found]
    page = client.search_experiments(
        filter_string=f"name LIKE 'compat-order-{suffix}-%'", order_by=["name"], max_results=2
    )
    assert len(page) == 2 and page.token, page
    rest = client.search_experiments(
        filter_string=f"name LIKE 'compat-order-{suffix}-%'", order_by=["name"], page_token=page.token
    )
    assert [e.name[-1] for e in rest] == ["c"] and not rest.token

    client.rename_experiment(exp_id, f"{name}-renamed")
    client.set_experiment_tag(exp_id, "stage", "dev")
    client.delete_experiment_tag(exp_id, "team")
    exp = client.get_experiment(exp_id)
    assert exp.name == f"{name}-renamed" and exp.tags == {"stage": "dev"}, exp

    client.delete_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == "deleted"
    deleted = client.search_experiments(
        view_type=ViewType.DELETED_ONLY, filter_string=f"name = '{name}-renamed'"
    )
    assert [e.experiment_id for e in deleted] == [exp_id]
    client.restore_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == "active"
    return {"experiment_id": exp_id}


def runs(suffix):
    client = MlflowClient()
    mlflow.set_experiment(f"compat-runs-{suffix}")
    with mlflow.start_run(run_name="baseline") as run:
        mlflow.log_param("lr", 0.1)
        mlflow.log_params({"depth": 3, "model": "gbdt"})
        for step in range(5):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metrics({"acc": 0.9, "nan": float("nan"), "inf": float("inf")}, step=4)
        mlflow.set_tag("team", "fraud")
        mlflow.set_tags({"stage": "dev", "owner": "ada"})
    first = run.info.run_id

    got = client.get_run(first)
    assert got.info.status == "FINISHED" and got.info.end_time is not None, got.info
    assert got.info.run_name == "baseline"
    assert got.data.params == {"lr": "0.1", "depth": "3", "model": "gbdt"}, got.data.params
    assert got.data.metrics["loss"] == 0.2 and got.data.metrics["acc"] == 0.9, got.data.metrics
    # mlflow server's SQL store clamps infinity to the largest double; Cairn keeps it.
    assert math.isnan(got.data.metrics["nan"])
    assert got.data.metrics["inf"] in (math.inf, sys.float_info.max), got.data.metrics["inf"]
    assert got.data.tags["team"] == "fraud" and got.data.tags["owner"] == "ada"
    history = client.get_metric_history(first, "loss")
    assert [(m.step, m.value) for m in history] == [(s, 1.0 / (s + 1)) for s in range(5)], history
    expect_error("INVALID_PARAMETER_VALUE", client.log_param, first, "lr", "0.2")

    exp_id = got.info.experiment_id
    second = client.create_run(exp_id, run_name="challenger", tags={"team": "risk"}).info.run_id
    client.log_batch(
        second,
        metrics=[Metric("acc", 0.95, 1000, 0), Metric("loss", 0.1, 1000, 0)],
        params=[Param("model", "logreg"), Param("lr", "0.01")],
        tags=[RunTag("stage", "prod")],
    )
    client.set_terminated(second, status="FAILED")
    assert client.get_run(second).info.status == "FAILED"
    third = client.create_run(exp_id, run_name="scratch").info.run_id

    df = mlflow.search_runs(
        experiment_ids=[exp_id], filter_string="metrics.acc > 0.8", order_by=["metrics.acc DESC"]
    )
    assert isinstance(df, pd.DataFrame)
    assert list(df["tags.mlflow.runName"]) == ["challenger", "baseline"], df["tags.mlflow.runName"]
    assert list(df["params.model"]) == ["logreg", "gbdt"]
    assert df["status"].tolist() == ["FAILED", "FINISHED"]
    assert str(df["start_time"].dtype).startswith("datetime64"), df.dtypes
    listed = mlflow.search_runs(
        experiment_names=[f"compat-runs-{suffix}"],
        filter_string="params.model = 'gbdt' and tags.team = 'fraud'",
        output_format="list",
    )
    assert [r.info.run_id for r in listed] == [first]
    page = client.search_runs([exp_id], order_by=["attributes.run_name ASC"], max_results=2)
    assert [r.info.run_name for r in page] == ["baseline", "challenger"] and page.token
    rest = client.search_runs([exp_id], order_by=["attributes.run_name ASC"], page_token=page.token)
    assert [r.info.run_name for r in rest] == ["scratch"]

    client.delete_run(third)
    assert client.get_run(third).info.lifecycle_stage == "deleted"
    assert third not in [r.info.run_id for r in client.search_runs([exp_id])]
    assert [r.info.run_id for r in client.search_runs([exp_id], run_view_type=ViewType.DELETED_ONLY)] == [third]
    # MLflow says INVALID_PARAMETER_VALUE, Cairn INVALID_STATE (docs/server.md); both are 400.
    expect_error(("INVALID_STATE", "INVALID_PARAMETER_VALUE"), client.log_metric, third, "m", 1.0)
    client.restore_run(third)
    client.log_metric(third, "m", 1.0)

    client.delete_experiment(exp_id)
    assert client.get_run(first).info.lifecycle_stage == "deleted"
    client.restore_experiment(exp_id)
    assert client.get_run(first).info.lifecycle_stage == "active"

    dataset = mlflow.data.from_pandas(pd.DataFrame({"x": [1, 2]}), source="/data/x.csv", name="xs")
    with mlflow.start_run(run_id=second):
        mlflow.log_input(dataset, context="train")
    inputs = client.get_run(second).inputs.dataset_inputs
    assert [(i.dataset.name, i.tags[0].value) for i in inputs] == [("xs", "train")], inputs
    return {"runs": [first, second, third], "experiment_id": exp_id}


def artifacts(suffix):
    client = MlflowClient()
    mlflow.set_experiment(f"compat-artifacts-{suffix}")
    src = tempfile.mkdtemp()
    os.makedirs(os.path.join(src, "nested", "deeper"))
    files = {
        "hello.txt": b"hello",
        "nested/data.json": b'{"a": 1}',
        "nested/deeper/model.bin": os.urandom(3 * 1024 * 1024),
        "nested/confusion matrix.png": b"\x89PNG fake",
        "nested/résumé.txt": b"accents",
    }
    for rel, content in files.items():
        with open(os.path.join(src, rel), "wb") as f:
            f.write(content)
    with mlflow.start_run() as run:
        mlflow.log_artifact(os.path.join(src, "hello.txt"))
        mlflow.log_artifacts(os.path.join(src, "nested"), artifact_path="tree")
        mlflow.log_text("some text", "notes/readme.md")
        mlflow.log_dict({"k": [1, 2]}, "notes/config.json")
    run_id = run.info.run_id
    assert run.info.artifact_uri.startswith("mlflow-artifacts:/"), run.info.artifact_uri

    top = [(f.path, f.is_dir) for f in client.list_artifacts(run_id)]
    assert top == [("hello.txt", False), ("notes", True), ("tree", True)], top
    tree = {f.path: f.file_size for f in client.list_artifacts(run_id, "tree")}
    assert tree["tree/data.json"] == 8 and tree["tree/deeper"] is None, tree
    assert "tree/confusion matrix.png" in tree and "tree/résumé.txt" in tree, tree

    out = mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=tempfile.mkdtemp())
    for rel, content in files.items():
        local = rel.replace("nested/", "tree/") if rel.startswith("nested/") else rel
        with open(os.path.join(out, local), "rb") as f:
            assert f.read() == content, f"{rel} round-trips"
    one = mlflow.artifacts.download_artifacts(artifact_uri=f"runs:/{run_id}/tree/data.json")
    with open(one) as f:
        assert json.load(f) == {"a": 1}
    assert mlflow.artifacts.load_text(f"runs:/{run_id}/notes/readme.md") == "some text"
    assert mlflow.artifacts.load_dict(f"runs:/{run_id}/notes/config.json") == {"k": [1, 2]}
    return {"run_id": run_id, "artifact_uri": run.info.artifact_uri, "files": sorted(tree)}


def auth(suffix):
    token = os.environ.pop("MLFLOW_TRACKING_TOKEN")
    anonymous = MlflowClient()
    message = expect_error("UNAUTHENTICATED", anonymous.search_experiments)
    # MLflow clients ask /version without credentials before some calls.
    version = RestStore._get_server_version(anonymous._tracking_client.store.get_host_creds())
    os.environ["MLFLOW_TRACKING_TOKEN"] = token
    mlflow.set_experiment(f"compat-auth-{suffix}")
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 1.0, step=1)
        mlflow.log_text("secret", "note.txt")
    assert mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/note.txt") == "secret"
    return {"run_id": run.info.run_id, "anonymous": message, "anonymous_version": str(version)}


def viewer(suffix):
    client = MlflowClient()
    found = client.search_experiments(filter_string=f"name = 'compat-auth-{suffix}'")
    assert len(found) == 1, found
    message = expect_error("PERMISSION_DENIED", client.create_experiment, f"viewer-{suffix}")
    return {"denied": message}


if __name__ == "__main__":
    scenario, suffix = sys.argv[1], sys.argv[2]
    print(json.dumps({"scenario": scenario, **globals()[scenario](suffix)}))
