"""Reference data profile computed with pandas, for comparison with Cairn's DuckDB profiler.

Usage: profile_reference.py <csv> [--no-header] [--top N]

Prints JSON: {"rows": n, "columns": [{"name", "numeric", "nulls", "nunique", "min", "max",
"mean", "std", "top": [[value, count], ...]}, ...]} with columns in file order.

Only empty fields are missing values (keep_default_na=False), as in DuckDB's read_csv, so that
strings such as "NA" or "?" are values on both sides.
"""

import argparse
import json
import math

import pandas as pd
from pandas.api.types import is_numeric_dtype


def clean(value):
    """JSON-safe: numpy scalars to Python, NaN to None."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def profile_column(name, series, top):
    values = series.dropna()
    numeric = is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    out = {
        "name": str(name),
        "numeric": bool(numeric),
        "nulls": int(series.isna().sum()),
        "nunique": int(series.nunique(dropna=True)),
        "min": clean(values.min()) if len(values) else None,
        "max": clean(values.max()) if len(values) else None,
    }
    if numeric:
        out["mean"] = clean(values.mean()) if len(values) else None
        out["std"] = clean(series.std(ddof=1))
    else:
        counts = series.value_counts(dropna=True)
        # value_counts orders ties arbitrarily; Cairn breaks them by value, so sort the same way.
        ranked = sorted(((str(v), int(c)) for v, c in counts.items()), key=lambda vc: (-vc[1], vc[0]))
        out["top"] = [list(vc) for vc in ranked[:top]]
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--no-header", action="store_true")
    parser.add_argument("--top", type=int, default=5)
    args = parser.parse_args()
    frame = pd.read_csv(
        args.path,
        header=None if args.no_header else "infer",
        keep_default_na=False,
        na_values=[""],
    )
    result = {
        "rows": int(len(frame)),
        "columns": [profile_column(name, frame[name], args.top) for name in frame.columns],
    }
    print(json.dumps(result, allow_nan=False))


if __name__ == "__main__":
    main()
