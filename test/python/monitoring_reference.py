"""Reference values from SciPy and NumPy for Cairn's monitoring statistics, in one process.

Usage: monitoring_reference.py <cases.json>

Reads a JSON object of case lists (see test/integration/monitoring-scipy.test.ts) and prints a
JSON object with the same keys, one result per case, computed with SciPy / NumPy only.
Non-finite numbers are written as strings ("nan", "inf", "-inf").
"""

import json
import math
import sys
import warnings

import numpy as np
from scipy import special, stats
from scipy.spatial import distance


def enc(x):
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def ks(case):
    r = stats.ks_2samp(np.array(case["a"]), np.array(case["b"]))
    return [enc(r.statistic), enc(r.pvalue)]


def chisquare(case):
    # Evidently's use: observed current counts against reference counts scaled to the current size.
    ref = np.array(case["reference"], dtype=float)
    cur = np.array(case["current"], dtype=float)
    expected = ref * (cur.sum() / ref.sum())
    r = stats.chisquare(cur, expected)
    return [enc(r.statistic), enc(r.pvalue)]


def wasserstein(case):
    a = np.array(case["a"])
    b = np.array(case["b"])
    if "aWeights" in case:
        return [enc(stats.wasserstein_distance(a, b, case["aWeights"], case["bWeights"]))]
    return [enc(stats.wasserstein_distance(a, b) / max(float(np.std(a)), 0.001))]


def distances(case):
    p = np.array(case["p"])
    q = np.array(case["q"])
    return [enc(distance.jensenshannon(p, q)), enc(stats.entropy(p, q))]


def bins(case):
    x = np.array(case["values"], dtype=np.int64 if case["integer"] else float)
    edges = np.histogram_bin_edges(x, bins=case["rule"])
    counts = np.histogram(np.array(case["histogramOf"]), bins=edges)[0]
    return {"edges": [enc(e) for e in edges], "counts": [int(c) for c in counts]}


def summary(case):
    x = np.array(case["values"])
    return {
        "mean": enc(np.mean(x)),
        "std": enc(np.std(x)),
        "quantiles": [enc(v) for v in np.quantile(x, case["probs"])],
    }


def welch(case):
    a = np.array(case["control"])
    b = np.array(case["treatment"])
    r = stats.ttest_ind(b, a, equal_var=False)
    ci = r.confidence_interval(confidence_level=1 - case["alpha"])
    return [enc(r.statistic), enc(r.pvalue), enc(r.df), enc(ci.low), enc(ci.high)]


def proportions(case):
    s1, n1, s2, n2, alpha = case["s1"], case["n1"], case["s2"], case["n2"], case["alpha"]
    chi2, p, _, _ = stats.chi2_contingency([[s1, n1 - s1], [s2, n2 - s2]], correction=False)
    p1, p2 = s1 / n1, s2 / n2
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    z = stats.norm.ppf(1 - alpha / 2)
    h = 2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1))
    return [enc(chi2), enc(p), enc(p2 - p1 - z * se), enc(p2 - p1 + z * se), enc(h)]


def sample_size(case):
    za = stats.norm.ppf(1 - case["alpha"] / 2)
    zb = stats.norm.ppf(case["power"])
    if case["kind"] == "proportions":
        p1 = case["baseline"]
        p2 = p1 + case["effect"]
        bar = (p1 + p2) / 2
        n = (za * math.sqrt(2 * bar * (1 - bar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / case["effect"] ** 2
    else:
        n = 2 * (za + zb) ** 2 * case["sd"] ** 2 / case["effect"] ** 2
    return [enc(n)]


def functions(case):
    name, args = case["f"], case["args"]
    f = {
        "kstwo_sf": lambda n, x: stats.kstwo.sf(x, n),
        "smirnov": lambda n, x: special.smirnov(int(n), x),
        "chi2_sf": lambda x, df: special.chdtrc(df, x),
        "ndtr": special.ndtr,
        "norm_sf": stats.norm.sf,
        "ndtri": special.ndtri,
        "t_two_sided": lambda t, df: 2 * special.stdtr(df, -abs(t)),
        "t_ppf": lambda p, df: stats.t.ppf(p, df),
        "gammaln": special.gammaln,
    }[name]
    return [enc(f(*args))]


HANDLERS = {
    "ks": ks,
    "chisquare": chisquare,
    "wasserstein": wasserstein,
    "distances": distances,
    "bins": bins,
    "summary": summary,
    "welch": welch,
    "proportions": proportions,
    "sampleSize": sample_size,
    "functions": functions,
}


def main():
    warnings.simplefilter("ignore")
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    print(json.dumps({key: [HANDLERS[key](c) for c in items] for key, items in cases.items()}))


if __name__ == "__main__":
    main()
