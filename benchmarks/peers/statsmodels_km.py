"""statsmodels: SurvfuncRight per arm, survival at 12 and 36 months, medians, survdiff.

usage: python statsmodels_km.py FILE.parquet      (prints the numbers as JSON)
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
from statsmodels.duration.survfunc import SurvfuncRight, survdiff

frame = pd.read_parquet(sys.argv[1], columns=["months", "died", "arm"])
time = frame["months"].to_numpy()
status = frame["died"].to_numpy()
arm = frame["arm"].to_numpy()
groups = {}
for label in sorted(set(arm)):
    keep = arm == label
    fit = SurvfuncRight(time[keep], status[keep])
    at = np.searchsorted(fit.surv_times, [12, 36], side="right") - 1
    s = np.where(at >= 0, fit.surv_prob[np.maximum(at, 0)], 1.0)
    groups[str(label)] = {
        "s12": float(s[0]),
        "s36": float(s[1]),
        "median": float(fit.quantile(0.5)),
    }
chisq, _ = survdiff(time, status, arm)
print(json.dumps({"groups": groups, "logrank": float(chisq)}))
