"""Reference bucketed metric series computed with pandas, for Cairn's SQL bucketing.

Usage: metric_buckets_reference.py <json file>

The file holds {"cases": [{"points": [[run, step, timestamp, value | "NaN" | "Infinity" | "-Infinity"], ...],
"x": "step" | "timestamp", "from": n, "width": n, "to": n}, ...]}. Prints JSON: for each case,
{run: [[bucket start, first, last, min, max, count], ...]} with non-finite numbers as strings.
First and last are by x, then the other of step / timestamp, then value; min and max skip NaN.
"""

import json
import math
import sys

import pandas as pd


def number(v):
    return float(v) if isinstance(v, str) else v


def shown(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "NaN"
    if isinstance(v, float) and math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return float(v)


def case(c):
    df = pd.DataFrame(c["points"], columns=["run", "step", "timestamp", "value"])
    df["value"] = df["value"].map(number).astype("float64")
    x, other = (c["x"], "timestamp" if c["x"] == "step" else "step")
    df = df[(df[x] >= c["from"]) & (df[x] <= c["to"])]
    df["bucket"] = (df[x] - c["from"]) // c["width"]
    df["nan_last"] = df["value"].isna().astype(int)
    out = {}
    for run, group in df.groupby("run"):
        ordered = group.sort_values([x, other, "nan_last", "value"], kind="mergesort")
        rows = []
        for bucket, g in ordered.groupby("bucket", sort=True):
            rows.append([
                int(c["from"] + bucket * c["width"]),
                shown(g["value"].iloc[0]),
                shown(g["value"].iloc[-1]),
                shown(g["value"].min()),
                shown(g["value"].max()),
                int(len(g)),
            ])
        out[run] = rows
    return out


with open(sys.argv[1]) as f:
    data = json.load(f)
print(json.dumps([case(c) for c in data["cases"]]))
