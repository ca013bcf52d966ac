"""The NumPy floor for continuous times: pyarrow read, np.unique, bincount, KM + log-rank.

usage: python floor_km_continuous.py FILE.parquet      (prints the numbers as JSON)

No validation, no confidence intervals: the least work that gives the same numbers as
``survstudy km``, including R's merging of near-tied times (``aeqSurv``), done in one pass over
the sorted distinct times.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

table = pq.read_table(sys.argv[1], columns=["months", "died", "arm"])
time = table.column("months").to_numpy()
died = table.column("died").to_numpy().astype(np.float64)
encoded = pc.dictionary_encode(table.column("arm")).combine_chunks()
labels = [str(x) for x in encoded.dictionary.to_pylist()]
arm = encoded.indices.to_numpy()
del table, encoded
order = sorted(range(len(labels)), key=lambda i: labels[i])
labels = [labels[i] for i in order]
arm = np.argsort(order)[arm]
# distinct times, then R's aeqSurv: gaps below sqrt(eps) (absolute or relative) are one time
times, where = np.unique(time, return_inverse=True)
tol = np.sqrt(np.finfo(float).eps)
gaps = np.diff(times)
tied = (gaps <= tol) | (gaps / np.mean(np.abs(times)) <= tol)
cut = np.cumsum(np.r_[True, ~tied]) - 1
times, where = times[np.r_[True, ~tied]], cut[where]
k, m = len(labels), times.size
cell = arm * m + where
d = np.bincount(cell, weights=died, minlength=k * m).reshape(k, m)
n = np.bincount(cell, minlength=k * m).reshape(k, m).astype(np.float64)
groups = {}
for i, label in enumerate(labels):
    use = n[i] > 0
    t, dd, at_risk = times[use], d[i][use], np.cumsum(n[i][use][::-1])[::-1]
    surv = np.cumprod(1 - dd / at_risk)
    at = np.searchsorted(t, [12, 36], side="right") - 1
    s = np.where(at >= 0, surv[np.maximum(at, 0)], 1.0)
    below = np.flatnonzero(surv <= 0.5)
    groups[label] = {
        "s12": float(s[0]),
        "s36": float(s[1]),
        "median": float(t[below[0]]) if below.size else None,
    }
# log-rank, two groups: observed minus expected deaths in the first, and its variance
r_one = np.cumsum(n[0][::-1])[::-1]
r_all = r_one + np.cumsum(n[1][::-1])[::-1]
d_one, d_all = d[0], d[0] + d[1]
ok = r_all > 1
expected = d_all * r_one / r_all
variance = (
    d_all * (r_one / r_all) * (1 - r_one / r_all) * (r_all - d_all) / np.where(ok, r_all - 1, 1)
)
statistic = (d_one - expected).sum() ** 2 / variance[ok].sum()
print(json.dumps({"groups": groups, "logrank": float(statistic)}))
