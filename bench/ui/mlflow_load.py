"""Writes the UI benchmark's data straight into an `mlflow server`'s database, through MLflow's
own table definitions (what its SqlAlchemyStore writes for runs/create and runs/log-batch): the
fastest way into MLflow, as bench/ui/ui-data.ts writes Cairn's through Cairn's own SQL. The
values are the same formulas as ui-data.ts (integer arithmetic, then one division).

Usage: python mlflow_load.py <store uri> <experiment id> <runs> <long steps>
Prints the long run's id.
"""

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

PARAMS = 20
METRICS = 50
T0 = 1_735_689_600_000
SPIKE_STEP = 777_777
SPIKE_VALUE = 5


def run_name(i):
    return f"run-{i:05d}"


def param_value(i, k):
    # JavaScript's String() of the same quotient: integers without ".0".
    v = ((i * 31 + k * 17) % 997) / 10
    return str(int(v)) if v == int(v) else repr(v)


def metric_value(i, k):
    return ((i * 7919 + k * 104_729) % 10_007) / 10_007


def long_value(step):
    return SPIKE_VALUE if step == SPIKE_STEP else 0.2 + ((step * 7919) % 1000) / 10_000


def main():
    uri, experiment_id, runs, long_steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    engine = sa.create_engine(uri)
    with engine.connect() as conn:
        location = conn.execute(
            sa.select(SqlExperiment.artifact_location).where(SqlExperiment.experiment_id == experiment_id)
        ).scalar_one()

    def run_row(run_id, name, start):
        return dict(
            run_uuid=run_id,
            name=name,
            artifact_uri=f"{location.rstrip('/')}/{run_id}/artifacts",
            experiment_id=experiment_id,
            source_type="UNKNOWN",
            source_name="",
            entry_point_name="",
            user_id="",
            status="RUNNING",
            start_time=start,
            end_time=None,
            deleted_time=None,
            source_version="",
            lifecycle_stage="active",
        )

    long_id = uuid.uuid4().hex
    with engine.begin() as conn:
        conn.execute(sa.insert(SqlRun.__table__), [run_row(long_id, "long-history", T0 - 1000)])
        conn.execute(sa.insert(SqlTag.__table__), [dict(key="mlflow.runName", value="long-history", run_uuid=long_id)])
        for start in range(0, runs, 1000):
            rows, tags, params, metrics = [], [], [], []
            for i in range(start, min(runs, start + 1000)):
                run_id = uuid.uuid4().hex
                rows.append(run_row(run_id, run_name(i), T0 + i * 1000))
                tags.append(dict(key="mlflow.runName", value=run_name(i), run_uuid=run_id))
                params += [dict(key=f"param_{k:02d}", value=param_value(i, k), run_uuid=run_id) for k in range(PARAMS)]
                metrics += [
                    dict(key=f"metric_{k:02d}", value=metric_value(i, k), timestamp=T0 + i * 1000, step=0, is_nan=False, run_uuid=run_id)
                    for k in range(METRICS)
                ]
            conn.execute(sa.insert(SqlRun.__table__), rows)
            conn.execute(sa.insert(SqlTag.__table__), tags)
            conn.execute(sa.insert(SqlParam.__table__), params)
            conn.execute(sa.insert(SqlMetric.__table__), metrics)
            conn.execute(sa.insert(SqlLatestMetric.__table__), metrics)
        last = None
        for start in range(0, long_steps, 50_000):
            points = [
                dict(key="loss", value=long_value(s), timestamp=T0 + s, step=s, is_nan=False, run_uuid=long_id)
                for s in range(start, min(long_steps, start + 50_000))
            ]
            conn.execute(sa.insert(SqlMetric.__table__), points)
            last = points[-1]
        if last is not None:
            conn.execute(sa.insert(SqlLatestMetric.__table__), [last])
    print(long_id)


if __name__ == "__main__":
    main()
