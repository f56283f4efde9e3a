"""Evidently's side of bench:drift: DataDriftPreset on two Parquet files.

Usage: evidently_side.py <reference.parquet> <current.parquet>
Prints JSON: read and compute times (ms), peak RSS (MiB), and per column the score and verdict.
"""

import json
import resource
import sys
import time
import warnings

import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset


def main():
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    reference = pd.read_parquet(sys.argv[1])
    current = pd.read_parquet(sys.argv[2])
    t1 = time.perf_counter()
    categorical = [c for c in reference.columns if c.startswith("c")]
    numerical = [c for c in reference.columns if c.startswith("n")]
    definition = DataDefinition(numerical_columns=numerical, categorical_columns=categorical)
    snapshot = Report([DataDriftPreset()], include_tests=True).run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )
    result = snapshot.dict()
    t2 = time.perf_counter()
    columns = {}
    for metric in result["metrics"]:
        if metric["config"]["type"] == "evidently:metric_v2:ValueDrift":
            columns[metric["config"]["column"]] = {"method": metric["config"]["method"], "score": float(metric["value"])}
    for test in result["tests"]:
        params = test["metric_config"]["params"]
        if params["type"] == "evidently:metric_v2:ValueDrift":
            columns[params["column"]]["drifted"] = test["status"] == "FAIL"
    print(json.dumps({
        "read": (t1 - t0) * 1000,
        "compute": (t2 - t1) * 1000,
        "total": (t2 - t0) * 1000,
        "peakMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "columns": columns,
    }))


if __name__ == "__main__":
    main()
