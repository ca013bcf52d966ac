"""The floor: one DuckDB GROUP BY, then Kaplan-Meier and log-rank in a few NumPy lines.

usage: python floor_km.py FILE.parquet      (prints the numbers as JSON)

No validation, no confidence intervals: the least work that gives the same numbers.
"""

from __future__ import annotations

import json
import sys

import duckdb
import numpy as np

path = sys.argv[1].replace("'", "''")
rows = duckdb.sql(
    f"SELECT arm, months, sum(died)::DOUBLE AS d, count(*)::DOUBLE AS n "
    f"FROM read_parquet('{path}') GROUP BY ALL ORDER BY arm, months"
).fetchnumpy()
arm, time, died, exits = (np.asarray(rows[c]) for c in ("arm", "months", "d", "n"))
labels = sorted(set(arm.tolist()))
groups = {}
for label in labels:
    keep = arm == label
    t, d, n = time[keep], died[keep], exits[keep]
    at_risk = np.cumsum(n[::-1])[::-1]
    surv = np.cumprod(1 - d / at_risk)
    at = np.searchsorted(t, [12, 36], side="right") - 1
    s = np.where(at >= 0, surv[np.maximum(at, 0)], 1.0)
    below = np.flatnonzero(surv <= 0.5)
    groups[label] = {
        "s12": float(s[0]),
        "s36": float(s[1]),
        "median": float(t[below[0]]) if below.size else None,
    }
# log-rank, two groups: observed minus expected deaths in the first, and its variance
times, where = np.unique(time, return_inverse=True)
first = arm == labels[0]
d_all = np.bincount(where, weights=died, minlength=times.size)
n_all = np.bincount(where, weights=exits, minlength=times.size)
d_one = np.bincount(where[first], weights=died[first], minlength=times.size)
n_one = np.bincount(where[first], weights=exits[first], minlength=times.size)
r_all = np.cumsum(n_all[::-1])[::-1]
r_one = np.cumsum(n_one[::-1])[::-1]
ok = r_all > 1
expected = d_all * r_one / r_all
variance = (
    d_all * (r_one / r_all) * (1 - r_one / r_all) * (r_all - d_all) / np.where(ok, r_all - 1, 1)
)
statistic = (d_one - expected).sum() ** 2 / variance[ok].sum()
print(json.dumps({"groups": groups, "logrank": float(statistic)}))
