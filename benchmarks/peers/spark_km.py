"""survstudy on Spark, for when ``survstudy km`` has no ``--engine spark`` option.

usage: python spark_km.py FILE.parquet      (prints the numbers as JSON)

The same work as ``survstudy km --json``: count table (here by Spark), Kaplan-Meier with
confidence intervals, survival at 12 and 36 months, quantiles, log-rank.
"""

from __future__ import annotations

import json
import sys

from survstudy.engine.spark import spark_counts
from survstudy.stats.survival.km import kaplan_meier_counts
from survstudy.stats.survival.logrank import weighted_log_rank

counts = spark_counts(sys.argv[1], "months", "died", "arm")
summary = kaplan_meier_counts(counts).summary(at=[12, 36], quantiles=(0.25, 0.5, 0.75))
groups = {
    str(g["group"]): {
        "s12": g["at"][0]["survival"],  # type: ignore[index]
        "s36": g["at"][1]["survival"],  # type: ignore[index]
        "median": g["median"],
    }
    for g in summary
}
print(json.dumps({"groups": groups, "logrank": weighted_log_rank(counts).statistic}))
