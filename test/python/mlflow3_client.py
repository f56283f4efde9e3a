"""MLflow 3 with the real MLflow client against a tracking server (MLFLOW_TRACKING_URI), checked
against MLflow itself: the same work is done through MLflow's own SQL tracking store on a
temporary SQLite database in this process, and what the client reads back must be equal.

Usage: python mlflow3_client.py <unique-suffix>

Covers metrics logged against logged models (`log_metric(..., model_id=…)`, `log_batch`, the
automatic link to a run's output model), model inputs, logged-model search by metrics and
datasets, the bulk metric-history reads the web UI uses, MLflow's error body on unknown routes,
`/version` and `/health`, JSON type checks and relative artifact locations. With
CAIRN_COMPAT_TARGET=cairn it also checks where Cairn deliberately differs from `mlflow server`
(docs/server.md). Prints one JSON line of observations; exits non-zero with the traceback on
stderr when a check fails.
"""

import json
import os
import sys
import tempfile
import time

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Dataset, LoggedModelInput, LoggedModelOutput, Metric
from mlflow.exceptions import MlflowException
from mlflow.store.tracking.rest_store import RestStore
from mlflow.utils.rest_utils import http_request, verify_rest_response

CAIRN = os.environ.get("CAIRN_COMPAT_TARGET") == "cairn"
SEE_DOCS = " See the API docs for more information about request parameters."
T0 = 1_700_000_000_000


def equal(what, got, want):
    # Compared as JSON, where NaN equals NaN.
    same = json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True)
    assert same, f"{what}:\n  server:    {got}\n  reference: {want}"


def expect_error(code, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except MlflowException as e:
        assert e.error_code == code, f"expected {code}, got {e.error_code}: {e}"
        return e.message.removeprefix(f"{code}: ")
    raise AssertionError(f"expected {code}, got no error")


def logged_model_work(client, uri, suffix):
    """Logs metrics and inputs against logged models and reads them back, ids replaced by labels."""
    mlflow.set_tracking_uri(uri)
    exp = client.create_experiment(f"mlflow3-{suffix}")
    train = client.create_run(exp, run_name="train").info.run_id
    evaluate = client.create_run(exp, run_name="evaluate").info.run_id
    models = {}
    for name, depth in [("gbdt", "6"), ("linear", "1"), ("forest", "9")]:
        models[name] = client.create_logged_model(exp, name=name, source_run_id=train, params={"depth": depth}).model_id
        time.sleep(0.005)  # distinct creation times, so both stores order models the same way
    labels = {train: "train", evaluate: "evaluate", **{v: k for k, v in models.items()}}
    eval_v1 = Dataset("eval", "d1", "local", '{"uri": "eval-v1.csv"}')
    eval_v2 = Dataset("eval", "d2", "local", '{"uri": "eval-v2.csv"}')

    # The run that trains a model lists it as an output: its metrics at that step go to the model.
    client.log_outputs(train, [LoggedModelOutput(models["gbdt"], step=0)])
    with mlflow.start_run(run_id=train):
        mlflow.log_metric("train_loss", 0.25, step=0, timestamp=T0 + 1)
    # Another run evaluates the models on datasets: each metric names its model (and dataset).
    with mlflow.start_run(run_id=evaluate):
        mlflow.log_metric("acc", 0.91, timestamp=T0 + 10, model_id=models["gbdt"], dataset=eval_v1)
        mlflow.log_metric("acc", 0.93, step=1, timestamp=T0 + 11, model_id=models["gbdt"], dataset=eval_v2)
        mlflow.log_metric("acc", 0.70, timestamp=T0 + 12, model_id=models["linear"], dataset=eval_v1)
        mlflow.log_metrics({"loss": 0.4, "f1": 0.66}, timestamp=T0 + 13, model_id=models["linear"])
    client.log_batch(
        evaluate,
        metrics=[
            Metric("acc", 0.85, T0 + 20, 0, model_id=models["forest"], dataset_name="eval", dataset_digest="d2"),
            Metric("loss", 0.2, T0 + 21, 2, model_id=models["forest"]),
            Metric("plain", 1.0, T0 + 22, 0),
        ],
    )
    client.log_inputs(train, models=[LoggedModelInput(models["linear"])])

    def metrics_of(name):
        return [
            [m.key, m.value, m.step, m.timestamp - T0, labels[m.run_id], labels[m.model_id], m.dataset_name, m.dataset_digest]
            for m in client.get_logged_model(models[name]).metrics
        ]

    def search(**kwargs):
        return [m.name for m in client.search_logged_models([exp], **kwargs)]

    first = client.search_logged_models([exp], max_results=2, order_by=[{"field_name": "name"}])
    rest = client.search_logged_models(
        [exp], max_results=2, order_by=[{"field_name": "name"}], page_token=first.token
    )
    return {
        "metrics": {name: metrics_of(name) for name in models},
        "model_inputs": {
            label: sorted(labels[i.model_id] for i in client.get_run(run).inputs.model_inputs)
            for run, label in [(train, "train"), (evaluate, "evaluate")]
        },
        "dataset_inputs": sorted(
            (i.dataset.name, i.dataset.digest) for i in client.get_run(evaluate).inputs.dataset_inputs
        ),
        "run_metrics": client.get_run(evaluate).data.metrics,
        "search": {
            "acc > 0.8": search(filter_string="metrics.acc > 0.8"),
            "acc > 0.92": search(filter_string="metrics.acc > 0.92"),
            "acc >= 0.7 and depth": search(filter_string="metrics.acc >= 0.7 AND params.depth != '9'"),
            "acc > 0.8 on d1": search(
                filter_string="metrics.acc > 0.8", datasets=[{"dataset_name": "eval", "dataset_digest": "d1"}]
            ),
            "acc > 0.8 on d1 or d2": search(
                filter_string="metrics.acc > 0.8",
                datasets=[
                    {"dataset_name": "eval", "dataset_digest": "d1"},
                    {"dataset_name": "eval", "dataset_digest": "d2"},
                ],
            ),
            "any metric on d2": search(datasets=[{"dataset_name": "eval", "dataset_digest": "d2"}]),
            "loss < 0.5": search(filter_string="metrics.loss < 0.5"),
            "by latest acc": search(order_by=[{"field_name": "metrics.acc", "ascending": False}]),
            "by acc on d1": search(
                order_by=[{"field_name": "metrics.acc", "ascending": True, "dataset_name": "eval", "dataset_digest": "d1"}]
            ),
            "by loss then name": search(
                order_by=[{"field_name": "metrics.loss"}, {"field_name": "name", "ascending": False}]
            ),
            "pages": [[m.name for m in first], [m.name for m in rest], rest.token is None],
        },
        "ids": {"experiment": exp, "runs": [train, evaluate], "models": models},
    }


def history_work(client, runs):
    """Two runs' histories of `loss`: 60 values over 15 steps, and 6 values with a NaN."""
    a, b = runs
    rows = []
    for i in range(60):
        step = i // 4
        rows.append(Metric("loss", round(1 / (i + 1), 6), T0 + (i * 7) % 60, step))
    client.log_batch(a, metrics=rows)
    client.log_batch(b, metrics=rows[:5] + [Metric("loss", float("nan"), T0 + 99, 3)])


def shaped(metrics, labels):
    """Rows of [run label, step, timestamp offset, value]; protobuf JSON's "NaN" read as NaN."""
    return [[labels[m["run_id"]], m["step"], m["timestamp"] - T0, float(m["value"])] for m in metrics]


def rest(creds, method, endpoint, **kwargs):
    response = http_request(creds, endpoint, method, max_retries=0, **kwargs)
    return json.loads(verify_rest_response(response, endpoint).text)


def main(suffix):
    uri = os.environ["MLFLOW_TRACKING_URI"]
    server = MlflowClient(uri)
    reference_uri = f"sqlite:///{tempfile.mkdtemp()}/reference.db"
    reference = MlflowClient(reference_uri)
    creds = server._tracking_client.store.get_host_creds()
    out = {}

    # Metrics, inputs and search of logged models.
    got = logged_model_work(server, uri, suffix)
    want = logged_model_work(reference, reference_uri, suffix)
    for key in ("metrics", "model_inputs", "dataset_inputs", "run_metrics", "search"):
        equal(key, got[key], want[key])
    out["logged_models"] = {k: got[k] for k in ("metrics", "model_inputs", "search")}
    mlflow.set_tracking_uri(uri)
    ids = got["ids"]
    if CAIRN:
        # mlflow server answers 400 BAD_REQUEST with the SQL of its failed insert; the run is untouched.
        out["unknown_model"] = expect_error(
            "RESOURCE_DOES_NOT_EXIST",
            server.log_metric,
            ids["runs"][1],
            "acc",
            0.5,
            model_id="m-00000000000000000000000000000000",
        )
        # The documented meaning of a dataset without a digest (mlflow server's REST handler reads
        # the missing digest as "no digest"; its SQL store, the reference, as "any digest").
        equal(
            "any metric on eval",
            [m.name for m in server.search_logged_models([ids["experiment"]], datasets=[{"dataset_name": "eval"}])],
            ["forest", "linear", "gbdt"],
        )

    # metrics/get-history-bulk and get-history-bulk-interval, against MLflow's SQL store.
    ref_store = reference._tracking_client.store
    ref_exp = reference.create_experiment(f"history-{suffix}")
    server_exp = server.create_experiment(f"history-{suffix}")
    server_runs = [server.create_run(server_exp).info.run_id for _ in range(2)]
    ref_runs = [reference.create_run(ref_exp).info.run_id for _ in range(2)]
    history_work(server, server_runs)
    history_work(reference, ref_runs)
    labels = {server_runs[0]: "a", server_runs[1]: "b", ref_runs[0]: "a", ref_runs[1]: "b"}
    ajax = "/ajax-api/2.0/mlflow/metrics"
    bulk = rest(creds, "GET", f"{ajax}/get-history-bulk", params={"run_id": server_runs, "metric_key": "loss"})
    ref_bulk = [m.to_dict() for m in ref_store.get_metric_history_bulk(ref_runs, "loss", 25000)]
    # The reference orders by run id, which differs between the stores: compare run by run.
    for label in ("a", "b"):
        equal(
            f"get-history-bulk {label}",
            [r for r in shaped(bulk["metrics"], labels) if r[0] == label],
            [r for r in shaped(ref_bulk, labels) if r[0] == label],
        )
    equal("get-history-bulk capped", len(rest(creds, "GET", f"{ajax}/get-history-bulk", params={"run_id": server_runs, "metric_key": "loss", "max_results": 7})["metrics"]), 7)
    sampled = {}
    for max_results, steps in [(10, None), (1, None), (7, (2, 9)), (2500, None), (3, (3, 3))]:
        params = {"run_ids": server_runs, "metric_key": "loss", "max_results": max_results}
        if steps:
            params.update(start_step=steps[0], end_step=steps[1])
        got_sample = rest(creds, "GET", f"{ajax}/get-history-bulk-interval", params=params).get("metrics", [])
        want_sample = ref_store.get_metric_history_bulk_interval(
            ref_runs, "loss", max_results, *(steps or (None, None))
        )
        want_rows = [[labels[m.run_id], m.step, m.timestamp - T0, m.value] for m in want_sample]
        got_rows = shaped(got_sample, labels)
        equal(f"get-history-bulk-interval {max_results} {steps}", got_rows, want_rows)
        sampled[f"{max_results} {steps}"] = len(got_rows)
    out["sampled"] = sampled
    errors = {}
    for name, params, message in [
        ("101 runs", {"run_ids": ["r"] * 101, "metric_key": "loss"}, "GetMetricHistoryBulkInterval request must specify at most 100 run_ids. Received 101 run_ids." + SEE_DOCS),
        ("max 0", {"run_ids": server_runs, "metric_key": "loss", "max_results": 0}, "max_results must be between 1 and 2500." + SEE_DOCS),
        ("max 2501", {"run_ids": server_runs, "metric_key": "loss", "max_results": 2501}, "max_results must be between 1 and 2500." + SEE_DOCS),
        ("start only", {"run_ids": server_runs, "metric_key": "loss", "start_step": 1}, "If either start step or end step are specified, both must be specified."),
        ("start > end", {"run_ids": server_runs, "metric_key": "loss", "start_step": 5, "end_step": 1}, "end_step must be greater than start_step. Found start_step=5 and end_step=1."),
        ("no key", {"run_ids": server_runs}, "Missing value for required parameter 'metric_key'." + SEE_DOCS),
    ]:
        got_message = expect_error("INVALID_PARAMETER_VALUE", rest, creds, "GET", f"{ajax}/get-history-bulk-interval", params=params)
        equal(f"bulk-interval error {name}", got_message, message)
        errors[name] = got_message
    for params, message in [
        ({"metric_key": "loss"}, "GetMetricHistoryBulk request must specify at least one run_id."),
        ({"run_id": ["r"] * 101, "metric_key": "loss"}, "GetMetricHistoryBulk request cannot specify more than 100 run_ids. Received 101 run_ids."),
    ]:
        equal("bulk error", expect_error("INVALID_PARAMETER_VALUE", rest, creds, "GET", f"{ajax}/get-history-bulk", params=params), message)
    out["history_errors"] = errors

    # Unknown routes in every MLflow namespace: the client reports ENDPOINT_NOT_FOUND.
    unknown = {}
    for endpoint in [
        "/api/2.0/mlflow/no-such-endpoint",
        "/api/3.0/mlflow/no-such-endpoint",
        "/ajax-api/3.0/mlflow/no-such-endpoint",
        "/api/2.0/mlflow-artifacts/no-such-endpoint",
    ]:
        unknown[endpoint] = expect_error("ENDPOINT_NOT_FOUND", rest, creds, "GET", endpoint)
    out["unknown_routes"] = sorted(unknown)

    # /version as MLflow clients ask it before some calls, and /health.
    RestStore._get_server_version.cache_clear()
    version = RestStore._get_server_version(creds)
    assert version is not None, "the client could not identify the server version"
    out["version"] = str(version)
    health = http_request(creds, "/health", "GET", max_retries=0)
    out["health"] = [health.status_code, health.text]

    # A number where the proto says string: 400 INVALID_PARAMETER_VALUE with MLflow's message.
    typed = {}
    for endpoint, body, field, value, kind in [
        ("/api/2.0/mlflow/runs/update", {"run_id": 31}, "run_id", "31", "int"),
        ("/api/2.0/mlflow/experiments/create", {"name": 123}, "name", "123", "int"),
        ("/api/2.0/mlflow/runs/log-metric", {"run_id": ids["runs"][1], "key": True, "value": 1, "timestamp": 1}, "key", "true", "bool"),
    ]:
        message = expect_error("INVALID_PARAMETER_VALUE", rest, creds, "POST", endpoint, json=body)
        equal(f"type check {endpoint}", message, f"Invalid value {value} for parameter '{field}' supplied:  Hint: Value was of type '{kind}'." + SEE_DOCS)
        typed[endpoint] = message
    out["type_errors"] = typed
    assert server.get_experiment_by_name("123") is None, "no experiment named after a number"

    # A relative artifact location: files go below the server's artifact root.
    relative = server.create_experiment(f"relative-{suffix}", artifact_location=f"rel-{suffix}/churn")
    location = server.get_experiment(relative).artifact_location
    with mlflow.start_run(experiment_id=relative) as run:
        mlflow.log_text("kept below the root", "notes/readme.md")
    assert mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/notes/readme.md") == "kept below the root"
    out["relative"] = {"location": location, "run_id": run.info.run_id}
    if CAIRN:
        equal("relative location", location, f"mlflow-artifacts:/rel-{suffix}/churn")
        out["relative"]["escape"] = expect_error(
            "INVALID_PARAMETER_VALUE", server.create_experiment, f"escape-{suffix}", artifact_location="../outside"
        )
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
