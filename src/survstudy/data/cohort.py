"""Cohort inclusion steps: named filters applied in order, counted for the flow diagram.

Each ``[[cohort]]`` step keeps the patients that meet one rule on one column (present, is,
is_not, min, max) or a DuckDB SQL condition (``where``). The result records, for every step,
how many patients entered, how many were excluded and why, so a report can draw the flow
(2176 operated → 110 with liver metastases → 13 resected) from the data, never by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from survstudy.config import CohortStep, StudyFile, did_you_mean
from survstudy.data.registry import text_values
from survstudy.errors import InputError, Problem

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CohortFlow", "FlowStep", "apply_cohort"]

BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class FlowStep:
    """One inclusion step: patients entering it, excluded by it (and why), remaining."""

    step: str
    rule: str
    n_before: int
    n_excluded: int
    n_after: int
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {
            "step": self.step,
            "rule": self.rule,
            "n_before": self.n_before,
            "n_excluded": self.n_excluded,
            "n_after": self.n_after,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class CohortFlow:
    """The flow from the registry to the analysed cohort.

    ``excluded_at`` gives, per registry row, the index of the step that excluded it (-1 kept).
    """

    n_registry: int
    steps: tuple[FlowStep, ...]
    excluded_at: NDArray[np.intp]

    @property
    def keep(self) -> BoolArray:
        return np.asarray(self.excluded_at < 0)

    @property
    def n_final(self) -> int:
        return int(self.keep.sum())

    def to_dict(self) -> dict[str, object]:
        return {
            "n_registry": self.n_registry,
            "n_final": self.n_final,
            "steps": [s.to_dict() for s in self.steps],
        }


def _rule_text(step: CohortStep) -> str:
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


def _bound(value: float | dt.date, dates: bool) -> float:
    if isinstance(value, dt.date):
        return float((value - dt.date(1970, 1, 1)).days)
    return float(value)


def _rule_mask(
    study: StudyFile,
    i: int,
    step: CohortStep,
    frame: pd.DataFrame,
    dates: dict[str, NDArray[np.float64]],
) -> BoolArray:
    import pandas as pd

    if step.where is not None:
        return _where(study, i, step.where, frame)
    col = step.column
    assert col is not None
    if col not in frame.columns:
        close = did_you_mean(col, [str(c) for c in frame.columns])
        hint = f"; did you mean '{close}'?" if close else ""
        raise InputError(
            study.problem(
                ("cohort", i, "column"),
                "column is not in the data nor derived by the study file" + hint,
                col,
            )
        )
    values = frame[col]
    present = values.notna().to_numpy()
    if step.present is not None:
        return np.asarray(present if step.present else ~present)
    if step.is_ is not None or step.is_not is not None:
        text = text_values(values).astype(str)
        listed = np.isin(text, step.is_ if step.is_ is not None else step.is_not or [])
        return np.asarray(listed & present if step.is_ is not None else ~(listed & present))
    is_date = col in dates
    if is_date:
        num = dates[col]
    else:
        num = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        for b in (step.min, step.max):
            if isinstance(b, dt.date):
                raise InputError(
                    study.problem(
                        ("cohort", i), f"'{col}' is not a date column; give a number", str(b)
                    )
                )
    keep = ~np.isnan(num)
    if step.min is not None:
        keep &= num >= _bound(step.min, is_date)
    if step.max is not None:
        keep &= num <= _bound(step.max, is_date)
    return np.asarray(keep)


def _where(study: StudyFile, i: int, condition: str, frame: pd.DataFrame) -> BoolArray:
    import duckdb

    con = duckdb.connect()
    view = frame.assign(__survstudy_row=np.arange(len(frame)))
    con.register("registry", view)
    try:
        rows = con.sql(f"SELECT __survstudy_row FROM registry WHERE {condition}").fetchnumpy()
    except duckdb.Error as e:
        first = str(e).strip().splitlines()[0]
        raise InputError(
            study.problem(
                ("cohort", i, "where"),
                f"the condition is not valid SQL for this data: {first}",
                condition,
            )
        ) from None
    mask = np.zeros(len(frame), dtype=bool)
    mask[np.asarray(rows["__survstudy_row"], dtype=np.intp)] = True
    return mask


def apply_cohort(
    study: StudyFile, frame: pd.DataFrame, dates: dict[str, Any] | None = None
) -> CohortFlow:
    """Apply the ``[[cohort]]`` steps in order; problems in a step name its line and key."""
    n = len(frame)
    excluded_at = np.full(n, -1, dtype=np.intp)
    steps = []
    problems: list[Problem] = []
    alive = np.ones(n, dtype=bool)
    for i, step in enumerate(study.config.cohort):
        try:
            meets = _rule_mask(study, i, step, frame, dates or {})
        except InputError as e:
            problems += e.problems
            continue
        out = alive & ~meets
        excluded_at[out] = i
        before = int(alive.sum())
        alive &= meets
        reason = step.reason or f"did not meet: {step.step}"
        steps.append(
            FlowStep(step.step, _rule_text(step), before, int(out.sum()), int(alive.sum()), reason)
        )
    if problems:
        raise InputError(problems)
    return CohortFlow(n, tuple(steps), excluded_at)
