"""Cohort inclusion steps: named filters applied in order, counted for the flow diagram.

Each ``[[cohort]]`` step keeps the patients that meet one rule on one column (present, is,
is_not, min, max) or a DuckDB SQL condition (``where``). Every rule becomes a SQL predicate over
the study table; the first step a patient fails is stored per row (``__step``, -1 when kept),
and the flow records, for every step, how many patients entered, how many were excluded and
why, so a report can draw the flow (2176 operated → 110 with liver metastases → 13 resected)
from the data, never by hand.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from survstudy.config.models import CohortStep, StudyFile, did_you_mean
from survstudy.data.sql import lit, q, text_of
from survstudy.errors import InputError, Problem
from survstudy.jsonsafe import Record

if TYPE_CHECKING:
    from survstudy.engine.sqlengine import Engine

__all__ = ["STEP", "CohortFlow", "FlowStep", "cohort_predicates", "count_flow", "rule_text",
           "steps_reading"]

#: The study-table column holding the index of the step that excluded a patient (-1: kept).
STEP = "__step"


@dataclass(frozen=True)
class FlowStep(Record):
    """One inclusion step: patients entering it, excluded by it (and why), remaining."""

    step: str
    rule: str
    n_before: int
    n_excluded: int
    n_after: int
    reason: str


@dataclass(frozen=True)
class CohortFlow:
    """The flow from the registry to the analysed cohort (counts only)."""

    n_registry: int
    steps: tuple[FlowStep, ...]

    @property
    def n_final(self) -> int:
        return self.steps[-1].n_after if self.steps else self.n_registry

    def to_dict(self) -> dict[str, object]:
        return {
            "n_registry": self.n_registry,
            "n_final": self.n_final,
            "steps": [s.to_dict() for s in self.steps],
        }


def rule_text(step: CohortStep) -> str:
    """A step's rule as the flow chart and the app show it ("pathology is not ILC")."""
    if step.where is not None:
        return step.where
    col = step.column
    if step.present is not None:
        return f"{col} is {'present' if step.present else 'missing'}"
    if step.is_ is not None:
        return f"{col} is {' or '.join(step.is_)}"
    if step.is_not is not None:
        return f"{col} is not {' or '.join(step.is_not)}"
    parts = []
    if step.min is not None:
        parts.append(f"{col} ≥ {step.min}")
    if step.max is not None:
        parts.append(f"{col} ≤ {step.max}")
    return " and ".join(parts)


def _bound(value: float | dt.date) -> str:
    if isinstance(value, dt.date):
        return lit(float((value - dt.date(1970, 1, 1)).days))
    return lit(float(value))


def _predicate(
    study: StudyFile,
    i: int,
    step: CohortStep,
    types: Mapping[str, str],
    dates: set[str],
    engine: Engine,
    table: str,
) -> str:
    """SQL that holds for the patients meeting ``step`` (never NULL)."""
    if step.where is not None:
        try:
            engine.sql(f"SELECT count(*) FROM {table} WHERE {step.where}").fetchall()
        except Exception as e:  # each engine has its own error types for invalid SQL
            first = str(e).strip().splitlines()[0]
            raise InputError(
                study.problem(
                    ("cohort", i, "where"),
                    f"the condition is not valid SQL for this data: {first}",
                    step.where,
                )
            ) from None
        return f"coalesce(({step.where}), FALSE)"
    col = step.column
    assert col is not None
    if col not in types:
        close = did_you_mean(col, [c for c in types if "#" not in c and not c.startswith("__")])
        hint = f"; did you mean '{close}'?" if close else ""
        raise InputError(
            study.problem(
                ("cohort", i, "column"),
                "column is not in the data nor derived by the study file" + hint,
                col,
            )
        )
    if step.present is not None:
        return f"({q(col)} IS {'NOT ' if step.present else ''}NULL)"
    if step.is_ is not None or step.is_not is not None:
        listed = ", ".join(
            lit(str(v)) for v in (step.is_ if step.is_ is not None else step.is_not) or []
        )
        listed = listed or "NULL"
        text = text_of(q(col), types[col])
        hit = f"coalesce({text} IN ({listed}), FALSE)"
        return hit if step.is_ is not None else f"NOT {hit}"
    if col in dates:
        num = q(f"{col}#d")
    else:
        for b in (step.min, step.max):
            if isinstance(b, dt.date):
                raise InputError(
                    study.problem(
                        ("cohort", i), f"'{col}' is not a date column; give a number", str(b)
                    )
                )
        num = f"TRY_CAST({q(col)} AS DOUBLE)"
    parts = [f"{num} IS NOT NULL"]
    if step.min is not None:
        parts.append(f"{num} >= {_bound(step.min)}")
    if step.max is not None:
        parts.append(f"{num} <= {_bound(step.max)}")
    return "(" + " AND ".join(parts) + ")"


def cohort_predicates(study: StudyFile, engine: Engine, table: str, dates: set[str]) -> str:
    """SQL giving, per patient, the index of the first ``[[cohort]]`` step not met (-1: kept).

    Problems in a step (unknown column, invalid SQL) name its line and key, all at once.
    """
    types = engine.columns(table)
    whens = []
    problems: list[Problem] = []
    for i, step in enumerate(study.config.cohort):
        try:
            whens.append(
                f"WHEN NOT {_predicate(study, i, step, types, dates, engine, table)} THEN {i}"
            )
        except InputError as e:
            problems += e.problems
    if problems:
        raise InputError(problems)
    return f"CASE {' '.join(whens)} ELSE -1 END" if whens else "-1"


def count_flow(study: StudyFile, engine: Engine, table: str) -> CohortFlow:
    """The flow of :data:`STEP` in ``table``: how many each step received and excluded."""
    counts = dict(engine.sql(f"SELECT {STEP}, count(*) FROM {table} GROUP BY ALL").fetchall())
    n = sum(int(v) for v in counts.values())
    alive = n
    steps = []
    for i, step in enumerate(study.config.cohort):
        out = int(counts.get(i, 0))
        reason = step.reason or f"did not meet: {step.step}"
        steps.append(FlowStep(step.step, rule_text(step), alive, out, alive - out, reason))
        alive -= out
    return CohortFlow(n, tuple(steps))


def _reads(step: CohortStep, columns: Sequence[str]) -> set[str]:
    """The registry columns a step reads: its column, or the names its ``where`` mentions; a
    step on a derived column (an endpoint time, an interval) reads every registry column."""
    if step.column is not None:
        return {step.column} if step.column in columns else set(columns)
    text = step.where or ""
    named = {
        c
        for c in columns
        if re.search(rf'(?<![\w"]){re.escape(c)}(?![\w"])|"{re.escape(c)}"', text, re.I)
    }
    derived = re.findall(r"\b\w+_(?:time|event)\b", text)
    return set(columns) if derived else named


def steps_reading(study: StudyFile, columns: Sequence[str]) -> dict[str, tuple[int, str]]:
    """For each registry column a ``[[cohort]]`` step reads: the first such step (index, name).

    A patient excluded by that step or a later one was judged on the column's value, so a value
    that cannot be read there is an error, never a silent exclusion for the step's reason.
    """
    first: dict[str, tuple[int, str]] = {}
    for i, step in enumerate(study.config.cohort):
        for c in _reads(step, columns):
            first.setdefault(c, (i, step.step))
    return first
