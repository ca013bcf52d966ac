"""lifelines: Kaplan-Meier per arm, survival at 12 and 36 months, medians, log-rank.

usage: python lifelines_km.py FILE.parquet      (prints the numbers as JSON)
"""

from __future__ import annotations

import json
import sys

import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test

frame = pd.read_parquet(sys.argv[1], columns=["months", "died", "arm"])
groups = {}
arms = {}
for arm, rows in frame.groupby("arm", sort=True):
    fit = KaplanMeierFitter().fit(rows["months"], rows["died"])
    at = fit.survival_function_at_times([12, 36]).to_numpy()
    groups[str(arm)] = {
        "s12": float(at[0]),
        "s36": float(at[1]),
        "median": float(fit.median_survival_time_),
    }
    arms[str(arm)] = rows
a, b = arms.values()
test = logrank_test(a["months"], b["months"], a["died"], b["died"])
print(json.dumps({"groups": groups, "logrank": float(test.test_statistic)}))
