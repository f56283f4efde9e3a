"""Evidently's DataDriftPreset on scenarios given as Parquet files, for comparison with Cairn.

Usage: evidently_drift.py <scenarios.json>

The input is a JSON list of scenarios:
  {"name", "reference": path, "current": path, "numerical": [...], "categorical": [...],
   "preset": {keyword arguments of DataDriftPreset}}
Prints a JSON object, per scenario name:
  {"columns": {column: {"method", "threshold", "score", "drifted"}}, "count", "share"}
where "method" is Evidently's display name of the test it ran, "drifted" the status of its
per-column drift test, and "count" / "share" the DriftedColumnsCount metric.

Runs in a virtualenv with Evidently and the pandas it supports (scripts/services/evidently-venv.sh).
"""

import json
import math
import sys
import warnings

import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset


def clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def run(scenario):
    definition = DataDefinition(
        numerical_columns=scenario["numerical"], categorical_columns=scenario["categorical"]
    )
    reference = pd.read_parquet(scenario["reference"])
    current = pd.read_parquet(scenario["current"])
    report = Report([DataDriftPreset(**scenario.get("preset", {}))], include_tests=True)
    snapshot = report.run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )
    result = snapshot.dict()
    columns = {}
    count = share = None
    for metric in result["metrics"]:
        config = metric["config"]
        if config["type"] == "evidently:metric_v2:ValueDrift":
            columns[config["column"]] = {
                "method": config["method"],
                "threshold": config["threshold"],
                "score": clean(float(metric["value"])),
            }
        elif config["type"] == "evidently:metric_v2:DriftedColumnsCount":
            count = metric["value"]["count"]
            share = metric["value"]["share"]
    for test in result["tests"]:
        params = test["metric_config"]["params"]
        if params["type"] == "evidently:metric_v2:ValueDrift":
            columns[params["column"]]["drifted"] = test["status"] == "FAIL"
    return {"columns": columns, "count": count, "share": share}


def main():
    warnings.simplefilter("ignore")
    with open(sys.argv[1]) as f:
        scenarios = json.load(f)
    print(json.dumps({s["name"]: run(s) for s in scenarios}, allow_nan=False))


if __name__ == "__main__":
    main()
