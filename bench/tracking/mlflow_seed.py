"""Writes runs straight into an `mlflow server`'s database, for the runs of bench/tracking that
MLflow would take too long to receive over HTTP (they are set-up for the search workload, not a
measurement). Rows are what MLflow's SqlAlchemyStore writes for runs/create, runs/log-batch and
runs/update, through MLflow's own table definitions.

Usage: python mlflow_seed.py <spec.json>, where spec.json is
  {"uri": <backend store URI>, "experiment_id": "1",
   "runs": [{"create": <runs/create body>, "batch": <runs/log-batch body>, "finish": <runs/update body or null>}]}
Prints the number of runs written.
"""

import json
import sys
import uuid

import sqlalchemy as sa
from mlflow.store.tracking.dbmodels.models import (
    SqlExperiment,
    SqlLatestMetric,
    SqlMetric,
    SqlParam,
    SqlRun,
    SqlTag,
)


def latest_of(metrics):
    """MLflow's rule: the latest value of a key has the highest (step, timestamp, value)."""
    best = {}
    for m in metrics:
        old = best.get(m["key"])
        if old is None or (m["step"], m["timestamp"], m["value"]) > (old["step"], old["timestamp"], old["value"]):
            best[m["key"]] = m
    return best.values()


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    engine = sa.create_engine(spec["uri"])
    experiment_id = int(spec["experiment_id"])
    with engine.connect() as conn:
        location = conn.execute(
            sa.select(SqlExperiment.artifact_location).where(SqlExperiment.experiment_id == experiment_id)
        ).scalar_one()
    runs, tags, params, metrics, latest = [], [], [], [], []
    for r in spec["runs"]:
        create, batch, finish = r["create"], r["batch"], r.get("finish")
        run_id = uuid.uuid4().hex
        runs.append(
            dict(
                run_uuid=run_id,
                name=create["run_name"],
                artifact_uri=f"{location.rstrip('/')}/{run_id}/artifacts",
                experiment_id=experiment_id,
                source_type="UNKNOWN",
                source_name="",
                entry_point_name="",
                user_id=create.get("user_id", ""),
                status=finish["status"] if finish else "RUNNING",
                start_time=create["start_time"],
                end_time=finish["end_time"] if finish else None,
                deleted_time=None,
                source_version="",
                lifecycle_stage="active",
            )
        )
        run_tags = {t["key"]: t["value"] for t in create.get("tags", [])}
        run_tags["mlflow.runName"] = create["run_name"]
        run_tags.update({t["key"]: t["value"] for t in batch.get("tags", [])})
        tags += [dict(key=k, value=v, run_uuid=run_id) for k, v in run_tags.items()]
        params += [dict(key=p["key"], value=p["value"], run_uuid=run_id) for p in batch.get("params", [])]
        ms = batch.get("metrics", [])
        metrics += [
            dict(key=m["key"], value=m["value"], timestamp=m["timestamp"], step=m["step"], is_nan=False, run_uuid=run_id)
            for m in ms
        ]
        latest += [
            dict(key=m["key"], value=m["value"], timestamp=m["timestamp"], step=m["step"], is_nan=False, run_uuid=run_id)
            for m in latest_of(ms)
        ]
    with engine.begin() as conn:
        for table, rows in (
            (SqlRun.__table__, runs),
            (SqlTag.__table__, tags),
            (SqlParam.__table__, params),
            (SqlMetric.__table__, metrics),
            (SqlLatestMetric.__table__, latest),
        ):
            for i in range(0, len(rows), 5000):
                conn.execute(sa.insert(table), rows[i : i + 5000])
    print(len(runs))


if __name__ == "__main__":
    main()
