"""pandas + lifelines: overall survival derived from dates, by group, as a study file says.

usage: python lifelines_report.py STUDY.toml      (prints the numbers as JSON)

The peer of ``survstudy report`` in ``bench_report.py``: what an analyst would write by hand.
It reads the study file only for what the derivation needs (``[data] source``, the cutoff, the
endpoint's origin and event dates, the censoring date, the time unit, the groups and the
landmark years), reads those columns of the registry (CSV or Parquet) with pandas, derives

- time from the origin to the first event date when that date is on or before the cutoff
  (event);
- otherwise censored at the cutoff when the event date is after it, else at the earlier of the
  censoring date (last contact) and the cutoff;

drops patients without an origin, then runs lifelines' Kaplan-Meier per group (survival at the
landmarks, median) and the log-rank test across the groups.
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test

DAYS_PER_UNIT = {"days": 1.0, "months": 30.4375, "years": 365.25}


def read(source: Path, columns: list[str], dates: list[str]) -> pd.DataFrame:
    if source.suffix.lower() in (".parquet", ".pq"):
        frame = pd.read_parquet(source, columns=columns)
    else:
        frame = pd.read_csv(source, usecols=columns, dtype={c: str for c in columns})
    for c in dates:
        frame[c] = pd.to_datetime(frame[c], format="ISO8601")
    return frame


def main(study_file: Path) -> None:
    study = tomllib.loads(study_file.read_text(encoding="utf-8"))
    analysis = study["analysis"]
    name = analysis.get("endpoints", list(study["endpoints"]))[0]
    endpoint = study["endpoints"][name]
    follow_up = study["follow_up"]
    group = analysis["groups"]
    censor = endpoint.get("censor", follow_up["last_contact"])
    dates = list(dict.fromkeys([endpoint["origin"], *endpoint["events"], censor]))
    frame = read(study_file.parent / study["data"]["source"], [group, *dates], dates)

    frame = frame[frame[endpoint["origin"]].notna()]
    cutoff = pd.Timestamp(follow_up["cutoff"])
    first = frame[endpoint["events"]].min(axis=1)  # the first event date present
    event = first.notna() & (first <= cutoff)
    after = first.notna() & (first > cutoff)
    censored_at = frame[censor].where(frame[censor] <= cutoff, cutoff)
    end = first.where(event, censored_at.where(~after, cutoff))
    days = (end - frame[endpoint["origin"]]).dt.days.to_numpy(dtype=np.float64)
    unit = study["study"].get("time_unit", "days")
    time = days / DAYS_PER_UNIT[unit]
    died = event.to_numpy()
    keep = ~np.isnan(time)
    time, died, groups = time[keep], died[keep], frame[group].to_numpy()[keep]

    years = analysis.get("landmark_years", [1, 3, 5])
    at = [y * DAYS_PER_UNIT["years"] / DAYS_PER_UNIT[unit] for y in years]
    curves = {}
    for level in pd.unique(groups):
        rows = groups == level
        fit = KaplanMeierFitter().fit(time[rows], died[rows])
        curves[str(level)] = {
            "n": int(rows.sum()),
            "events": int(died[rows].sum()),
            "at": [float(s) for s in fit.survival_function_at_times(at).to_numpy()],
            "median": float(fit.median_survival_time_),
        }
    test = multivariate_logrank_test(time, groups, died)
    out = {
        "endpoint": name,
        "times": at,
        "groups": curves,
        "logrank": {"statistic": float(test.test_statistic), "p": float(test.p_value)},
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
