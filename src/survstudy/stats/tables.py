"""Table 1: patient characteristics by group, with a test per variable chosen and explained.

:func:`characteristics_table` takes a DataFrame or a file and returns an immutable
:class:`CharacteristicsTable` holding numbers only: per group and overall, categorical levels
as n and percent of the patients with a known value (missing counted apart) and continuous
variables as n, mean, SD, median, quartiles and range; per variable the test used, why it was
chosen, its statistic and p-value (or why none), the standardized mean difference, and for
2×2 tables the odds ratio with its exact CI. ``to_dict()`` gives the JSON document and
``to_frame()`` a DataFrame ready to print (:mod:`.table1_render`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from survstudy.stats.describe import (
    ContinuousSummary,
    Smd,
    categorical_smd,
    continuous_smd,
    level_counts,
    summarise,
)
from survstudy.stats.fisher import NetworkLimits, OddsRatio, odds_ratio
from survstudy.stats.table1_data import check_request, load_table1_data, parse_tests
from survstudy.stats.tests_categorical import categorical_test
from survstudy.stats.tests_common import TWO_GROUP_TESTS, TestResult, not_testable
from survstudy.stats.tests_continuous import Normality, continuous_test

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CategoricalRow",
    "CharacteristicsTable",
    "ContinuousRow",
    "Level",
    "characteristics_table",
]

PERCENT_BASE = "patients with a known value in the group (missing values counted apart)"


def _pct(n: int, total: int) -> float | None:
    return 100.0 * n / total if total else None


@dataclass(frozen=True)
class Level:
    """One level of a categorical variable: count and percent per group and overall."""

    level: str
    n: tuple[int, ...]
    percent: tuple[float | None, ...]
    n_overall: int
    percent_overall: float | None


@dataclass(frozen=True)
class CategoricalRow:
    """A categorical variable: its levels, missing counts, test, SMD and (2×2) odds ratio."""

    variable: str
    levels: tuple[Level, ...]
    missing: tuple[int, ...]
    missing_overall: int
    test: TestResult
    smd: Smd
    odds_ratio: OddsRatio | None
    odds_ratio_level: str | None = None
    type: Literal["categorical"] = "categorical"

    def to_dict(self, groups: Sequence[str]) -> dict[str, Any]:
        out = _test_part(self.variable, self.type, self.test)
        out["levels"] = [
            {
                "level": lv.level,
                "n": dict(zip(groups, lv.n, strict=True)),
                "percent": dict(zip(groups, lv.percent, strict=True)),
                "overall": {"n": lv.n_overall, "percent": lv.percent_overall},
            }
            for lv in self.levels
        ]
        out["missing"] = dict(zip(groups, self.missing, strict=True))
        out["missing_overall"] = self.missing_overall
        out["percent_base"] = PERCENT_BASE
        out["smd"] = self.smd.value
        out["smd_pairs"] = self.smd.to_dict()["pairs"]
        out["odds_ratio"] = (
            None
            if self.odds_ratio is None
            else {
                **self.odds_ratio.to_dict(),
                "level": self.odds_ratio_level,
                "groups": list(groups),
            }
        )
        return out


@dataclass(frozen=True)
class ContinuousRow:
    """A continuous variable: summaries per group and overall, normality checks, test, SMD."""

    variable: str
    summaries: tuple[ContinuousSummary, ...]
    overall: ContinuousSummary
    normality: tuple[Normality | None, ...]
    test: TestResult
    smd: Smd
    type: Literal["continuous"] = "continuous"

    def to_dict(self, groups: Sequence[str]) -> dict[str, Any]:
        out = _test_part(self.variable, self.type, self.test)
        out["summary"] = {g: s.to_dict() for g, s in zip(groups, self.summaries, strict=True)}
        out["overall"] = self.overall.to_dict()
        out["missing"] = {g: s.missing for g, s in zip(groups, self.summaries, strict=True)}
        out["missing_overall"] = self.overall.missing
        out["normality"] = {
            g: None if s is None else s.to_dict()
            for g, s in zip(groups, self.normality, strict=True)
        }
        out["smd"] = self.smd.value
        out["smd_pairs"] = self.smd.to_dict()["pairs"]
        return out


Row = CategoricalRow | ContinuousRow


def _test_part(variable: str, kind: str, test: TestResult) -> dict[str, Any]:
    body = test.to_dict()
    return {"variable": variable, "type": kind, **body}


@dataclass(frozen=True)
class CharacteristicsTable:
    """Patient characteristics by group (Table 1); numbers only, every choice recorded."""

    source: str
    group: str
    groups: tuple[str, ...]
    n: tuple[int, ...]
    excluded: int
    rows: tuple[Row, ...]

    @property
    def n_overall(self) -> int:
        return sum(self.n)

    def row(self, variable: str) -> Row:
        for r in self.rows:
            if r.variable == variable:
                return r
        raise KeyError(variable)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "group": self.group,
            "groups": list(self.groups),
            "n": dict(zip(self.groups, self.n, strict=True)),
            "n_overall": self.n_overall,
            "excluded": {
                "rows": self.excluded,
                "reason": f"missing value in the group column '{self.group}'",
            },
            "percent_base": PERCENT_BASE,
            "rows": [r.to_dict(self.groups) for r in self.rows],
        }

    def to_frame(self, digits: int = 1) -> pd.DataFrame:
        """The table as text cells, one line per statistic, ready to print or export."""
        from survstudy.stats.table1_render import table_frame

        return table_frame(self, digits=digits)

    def footnotes(self) -> list[str]:
        """One line per variable naming its test and why it was chosen."""
        from survstudy.stats.table1_render import footnotes

        return footnotes(self)


def characteristics_table(
    data: pd.DataFrame | str | Path,
    group: str,
    categorical: Sequence[str] = (),
    continuous: Sequence[str] = (),
    *,
    tests: Mapping[str, str] | Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    levels: Mapping[str, Sequence[str]] | None = None,
    conf_level: float = 0.95,
    fisher_limits: NetworkLimits | None = None,
) -> CharacteristicsTable:
    """Patient characteristics of ``data`` by ``group``, with a test for each variable.

    ``tests`` forces a test per variable ({"age": "welch"} or ["age=welch"]); otherwise the
    rule of DESIGN.md chooses and the reason is recorded. ``groups`` and ``levels`` state the
    display order (default: numeric order when all values are numbers, else text order).
    Rows with a missing group are left out and counted. Raises :class:`survstudy.InputError`
    listing every problem in the data, ValueError for an impossible request.
    """
    categorical, continuous = list(categorical), list(continuous)
    forced = parse_tests(tests)
    check_request(group, categorical, continuous, forced)
    data_ = load_table1_data(data, group, categorical, continuous, groups=groups, levels=levels)
    labels = data_.group.labels
    k = len(labels)
    for variable, test in forced.items():
        if test in TWO_GROUP_TESTS and k != 2:
            raise ValueError(
                f"{test} for '{variable}' compares two groups, but '{group}' has {k}; "
                "use anova or kruskal-wallis"
            )
    codes = data_.group.codes
    n = tuple(int(c) for c in np.bincount(codes, minlength=k))
    rows: list[Row] = []
    for name in [*categorical, *continuous]:
        if name in data_.categorical:
            coded = data_.categorical[name]
            rows.append(
                _categorical_row(
                    name,
                    coded.labels,
                    coded.codes,
                    codes,
                    labels,
                    forced.get(name),
                    conf_level,
                    fisher_limits,
                )
            )
        else:
            rows.append(
                _continuous_row(name, data_.continuous[name], codes, labels, forced.get(name))
            )
    return CharacteristicsTable(
        source=data_.source,
        group=group,
        groups=labels,
        n=n,
        excluded=data_.excluded,
        rows=tuple(rows),
    )


def _categorical_row(
    name: str,
    level_labels: tuple[str, ...],
    level_codes: np.ndarray[Any, np.dtype[np.int64]],
    group_codes: np.ndarray[Any, np.dtype[np.int64]],
    groups: tuple[str, ...],
    force: str | None,
    conf_level: float,
    limits: NetworkLimits | None,
) -> CategoricalRow:
    k = len(groups)
    table = level_counts(level_codes, group_codes, len(level_labels), k)
    known = table.sum(axis=0)
    missing = np.bincount(group_codes[level_codes < 0], minlength=k)
    total = int(known.sum())
    levels = tuple(
        Level(
            level=label,
            n=tuple(int(v) for v in table[i]),
            percent=tuple(_pct(int(v), int(known[j])) for j, v in enumerate(table[i])),
            n_overall=int(table[i].sum()),
            percent_overall=_pct(int(table[i].sum()), total),
        )
        for i, label in enumerate(level_labels)
    )
    if total == 0:
        test = not_testable("all values are missing", forced=force is not None)
    else:
        test = categorical_test(table, force=force, limits=limits)
    nonempty = np.flatnonzero(table.sum(axis=1) > 0)
    used = table[nonempty]
    two_by_two = used.shape == (2, 2) and bool(np.all(used.sum(axis=0) > 0))
    ratio = odds_ratio(used, conf_level) if two_by_two else None
    return CategoricalRow(
        variable=name,
        levels=levels,
        missing=tuple(int(m) for m in missing),
        missing_overall=int(missing.sum()),
        test=test,
        smd=categorical_smd(table[table.sum(axis=1) > 0], groups),
        odds_ratio=ratio,
        odds_ratio_level=level_labels[int(nonempty[0])] if two_by_two else None,
    )


def _continuous_row(
    name: str,
    values: np.ndarray[Any, np.dtype[np.float64]],
    group_codes: np.ndarray[Any, np.dtype[np.int64]],
    groups: tuple[str, ...],
    force: str | None,
) -> ContinuousRow:
    known = ~np.isnan(values)
    samples = [values[known & (group_codes == j)] for j in range(len(groups))]
    missing = np.bincount(group_codes[~known], minlength=len(groups))
    summaries = tuple(summarise(s, int(m)) for s, m in zip(samples, missing, strict=True))
    overall = summarise(values[known], int(missing.sum()))
    if not known.any():
        test: TestResult = not_testable("all values are missing", forced=force is not None)
        normality: tuple[Normality | None, ...] = tuple(None for _ in groups)
    else:
        test, normality = continuous_test(samples, groups, force=force)
    return ContinuousRow(
        variable=name,
        summaries=summaries,
        overall=overall,
        normality=normality,
        test=test,
        smd=continuous_smd(samples, groups),
    )
