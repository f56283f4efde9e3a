"""SciPy called per column, the floor for bench:drift: the test Evidently picks for a reference
of more than 1,000 rows, computed directly with NumPy and SciPy.

Usage: scipy_side.py <reference.parquet> <current.parquet>
Numbers: scipy.stats.wasserstein_distance normed by np.std of the reference. Categories:
scipy.spatial.distance.jensenshannon over the shares of each value (Evidently's binning).
Prints JSON: read and compute times (ms), peak RSS (MiB), and per column the score.
"""

import json
import resource
import sys
import time

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import distance


def main():
    t0 = time.perf_counter()
    reference = pd.read_parquet(sys.argv[1])
    current = pd.read_parquet(sys.argv[2])
    t1 = time.perf_counter()
    columns = {}
    for name in reference.columns:
        ref = reference[name].dropna()
        cur = current[name].dropna()
        if name.startswith("n"):
            x = ref.to_numpy(dtype=float)
            y = cur.to_numpy(dtype=float)
            score = stats.wasserstein_distance(x, y) / max(float(np.std(x)), 0.001)
        else:
            keys = list(set(ref.unique()) | set(cur.unique()))
            rc = ref.value_counts()
            cc = cur.value_counts()
            p = np.array([rc.get(k, 0) / len(ref) for k in keys])
            q = np.array([cc.get(k, 0) / len(cur) for k in keys])
            score = distance.jensenshannon(p, q)
        columns[name] = {"score": float(score)}
    t2 = time.perf_counter()
    print(json.dumps({
        "read": (t1 - t0) * 1000,
        "compute": (t2 - t1) * 1000,
        "total": (t2 - t0) * 1000,
        "peakMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "columns": columns,
    }))


if __name__ == "__main__":
    main()
