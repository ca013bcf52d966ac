"""The floor of ``survstudy report``: DuckDB derives overall survival from the dates and counts,
NumPy does Kaplan-Meier and the log-rank test (two groups); every categorical characteristic is
tabulated by group in the same run.

usage: python floor_report.py STUDY.toml      (prints the numbers as JSON)

The least work a report needs, written by hand for one study file (the bundled liver_resection
one): no checks, no confidence intervals, no tests on Table 1, no figures or documents. It reads
the study file only for the data source, the cutoff, the endpoint's dates, the groups, the
landmarks and the characteristics declared categorical. Time is derived as
``bench_report.py``'s lifelines peer derives it (origin to the first event on or before the
cutoff; otherwise censored at the earlier of last contact and the cutoff, or at the cutoff when
the event falls after it).
"""

from __future__ import annotations

import json
import math
import sys
import tomllib
from pathlib import Path

import duckdb
import numpy as np

DAYS_PER_UNIT = {"days": 1.0, "months": 30.4375, "years": 365.25}


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def main(study_file: Path) -> None:
    study = tomllib.loads(study_file.read_text(encoding="utf-8"))
    analysis, follow_up = study["analysis"], study["follow_up"]
    name = analysis.get("endpoints", list(study["endpoints"]))[0]
    endpoint = study["endpoints"][name]
    censor = endpoint.get("censor", follow_up["last_contact"])
    group = analysis["groups"]
    unit = DAYS_PER_UNIT[study["study"].get("time_unit", "days")]
    source = str(study_file.parent / study["data"]["source"]).replace("'", "''")
    reader = "read_parquet" if source.endswith(".parquet") else "read_csv"
    cutoff = f"DATE '{follow_up['cutoff']}'"
    first = "least(" + ", ".join(q(e) for e in endpoint["events"]) + ")"
    origin = q(endpoint["origin"])

    con = duckdb.connect()
    con.sql(f"CREATE VIEW registry AS SELECT * FROM {reader}('{source}')")
    derive = (
        f"SELECT {q(group)} AS g, {first} AS first, "
        f"{first} IS NOT NULL AND {first} <= {cutoff} AS event, "
        f"CASE WHEN {first} IS NOT NULL AND {first} <= {cutoff} THEN {first} "
        f"WHEN {first} IS NOT NULL THEN {cutoff} "
        f"ELSE least({q(censor)}, {cutoff}) END - {origin} AS days "
        f"FROM registry WHERE {origin} IS NOT NULL"
    )
    rows = con.sql(
        f"SELECT g, days / {unit} AS t, sum(event::INT)::DOUBLE AS d, count(*)::DOUBLE AS n "
        f"FROM ({derive}) WHERE days IS NOT NULL GROUP BY ALL ORDER BY g, t"
    ).fetchnumpy()
    g, time, died, exits = (np.asarray(rows[c]) for c in ("g", "t", "d", "n"))

    at = [y * DAYS_PER_UNIT["years"] / unit for y in analysis.get("landmark_years", [1, 3])]
    labels = sorted({str(v) for v in g.tolist()})
    curves = {}
    for label in labels:
        keep = g == label
        t, d, n = time[keep], died[keep], exits[keep]
        surv = np.cumprod(1 - d / np.cumsum(n[::-1])[::-1])
        where = np.searchsorted(t, at, side="right") - 1
        below = np.flatnonzero(surv <= 0.5)
        curves[label] = {
            "n": int(n.sum()),
            "events": int(d.sum()),
            "at": [float(surv[i]) if i >= 0 else 1.0 for i in where],
            "median": float(t[below[0]]) if below.size else None,
        }
    times, index = np.unique(time, return_inverse=True)
    one = g == labels[0]
    d_all = np.bincount(index, weights=died, minlength=times.size)
    r_all = np.cumsum(np.bincount(index, weights=exits, minlength=times.size)[::-1])[::-1]
    d_one = np.bincount(index[one], weights=died[one], minlength=times.size)
    r_one = np.cumsum(np.bincount(index[one], weights=exits[one], minlength=times.size)[::-1])[::-1]
    ok = r_all > 1
    expected = d_all * r_one / r_all
    share = r_one / r_all
    var = d_all * share * (1 - share) * (r_all - d_all) / np.where(ok, r_all - 1, 1)
    chisq = float((d_one - expected).sum() ** 2 / var[ok].sum())

    variables = study.get("variables", {})
    categorical = [
        c
        for c in analysis.get("characteristics", [])
        if variables.get(c, {}).get("type") == "categorical"
    ]
    sets = ", ".join(f"(g, {q(c)})" for c in categorical)
    keys = ", ".join(f"{q(c)}" for c in categorical)
    grouped = ", ".join(f"GROUPING({q(c)})" for c in categorical)
    counts = con.sql(
        f"SELECT g, {keys}, [{grouped}] AS unused, count(*) AS n "
        f"FROM (SELECT {q(group)} AS g, {keys} FROM registry) GROUP BY GROUPING SETS ({sets})"
    ).fetchall()
    tables: dict[str, int] = {}
    for row in counts:
        column = categorical[row[-2].index(0)]  # the one characteristic of this grouping set
        tables[column] = tables.get(column, 0) + int(row[-1])
    out = {
        "endpoint": name,
        "times": at,
        "groups": curves,
        # two groups: 1 degree of freedom, whose chi-square tail is erfc(sqrt(x / 2))
        "logrank": {"statistic": chisq, "p": math.erfc(math.sqrt(chisq / 2))},
        "tabulated": tables,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
