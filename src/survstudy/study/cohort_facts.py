"""Facts of the cohort that several report steps ask for, each answered by one grouped query.

The levels present in every grouping variable come from one ``GROUPING SETS`` query and are
kept per study (the survival comparisons, Table 1 and the competing risks ask for the same
ones); the means, SDs, counts and percents of every ``[[published]]`` claim come from one
query of filtered aggregates. One scan of the cohort each, not one per variable or claim.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from survstudy.data.sql import lit, q

if TYPE_CHECKING:
    from survstudy.config.models import PublishedValue
    from survstudy.study.load import Study

__all__ = ["described_values", "present_levels"]

_LEVELS: dict[int, dict[str, list[str]]] = {}  # id(study) -> column -> values present


def present_levels(study: Study, columns: Iterable[str]) -> dict[str, list[str]]:
    """The distinct non-missing values (as text) of each of ``columns`` in the cohort, in no
    particular order; the columns not asked before are read in one query and remembered for
    as long as ``study`` lives."""
    key = id(study)
    if key not in _LEVELS:
        _LEVELS[key] = {}
        weakref.finalize(study, _LEVELS.pop, key, None)
    known = _LEVELS[key]
    wanted = list(dict.fromkeys(columns))
    new = [c for c in wanted if c not in known]
    if new:
        from survstudy.study.load import COHORT

        names = [f"v{i}" for i in range(len(new))]
        select = ", ".join(f"{study.text(c)} AS {v}" for c, v in zip(new, names, strict=True))
        sets = ", ".join(f"({v})" for v in names)
        rows = study.engine.sql(
            f"SELECT {', '.join(names)} FROM (SELECT {select} FROM {COHORT}) AS v "
            f"GROUP BY GROUPING SETS ({sets})"
        ).fetchall()
        for i, c in enumerate(new):
            known[c] = [str(r[i]) for r in rows if r[i] is not None]
    return {c: known[c] for c in wanted}


def described_values(study: Study, group: str | None, claims: Sequence[PublishedValue]
                     ) -> list[tuple[float | None, str]]:
    """The value the data give for each claim (a
    mean, SD, count or percent of a variable, in one group or all), or None and the reason
    it cannot be computed; all from one query of filtered aggregates."""
    aggregates: list[str] = []
    plans: list[tuple[str, int] | str] = []  # (quantity, first aggregate) or the reason
    for claim in claims:
        column = claim.variable or ""
        if column not in study.types:
            plans.append(f"no variable '{column}' in the data")
            continue
        where = "TRUE"
        if claim.group not in (None, "all") and group is not None:
            where = f"{study.text(group)} = {lit(str(claim.group))}"
        text = study.text(column)
        plans.append((claim.quantity, len(aggregates)))
        if claim.quantity in ("mean", "sd"):
            numeric = study.is_numeric(column)
            x = f"CAST({q(column)} AS DOUBLE)" if numeric else f"TRY_CAST({text} AS DOUBLE)"
            aggregates += [f"{f}({x}) FILTER (WHERE {where})"
                           for f in ("count", "avg", "stddev_samp")]
        else:
            aggregates += [f"count(*) FILTER (WHERE {where} AND {text} = {lit(str(claim.level))})",
                           f"count({text}) FILTER (WHERE {where})"]
    row: tuple[Any, ...] = ()
    if aggregates:
        from survstudy.study.load import COHORT

        row = study.engine.sql(f"SELECT {', '.join(aggregates)} FROM {COHORT}").fetchall()[0]
    return [_value(plan, row) for plan in plans]


def _value(plan: tuple[str, int] | str, row: tuple[Any, ...]) -> tuple[float | None, str]:
    """One claim's value from its aggregates in ``row`` (or the reason it has none)."""
    if isinstance(plan, str):
        return None, plan
    quantity, i = plan
    if quantity in ("mean", "sd"):
        n, mean, sd = row[i:i + 3]
        if int(n) < (1 if quantity == "mean" else 2):
            return None, "too few values"
        return float(mean if quantity == "mean" else sd), ""
    count, present = (int(v) for v in row[i:i + 2])
    if quantity == "count":
        return float(count), ""
    return (100 * count / present, "") if present else (None, "no values")
