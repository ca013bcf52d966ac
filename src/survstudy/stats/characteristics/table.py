"""Table 1: patient characteristics by group, with a test per variable chosen and explained.

:func:`characteristics_table_rows` takes the rows (the public
:func:`survstudy.characteristics_table` reads them from a DataFrame or a file) and returns an
immutable :class:`CharacteristicsTable` holding numbers only: per group and overall,
categorical levels as n and percent of the patients with a known value (missing values listed
separately) and continuous variables as n, mean, SD, median, quartiles and range; per variable
the test used, why it was chosen, its statistic and p-value (or why none), the standardized mean
difference, and for 2×2 tables the odds ratio with its exact CI. ``to_dict()`` gives the JSON
document; the text table is rendered by :mod:`survstudy.report.table1`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from survstudy.stats.characteristics.counted import (
    EXPAND_LIMIT,
    Counted,
    counted_smd,
    merge_counted,
    summarise_counted,
)
from survstudy.stats.characteristics.counted_tests import counted_test
from survstudy.stats.characteristics.describe import (
    ContinuousSummary,
    Smd,
    categorical_smd,
    continuous_smd,
    level_counts,
    summarise,
)
from survstudy.stats.characteristics.fisher import NetworkLimits, OddsRatio, odds_ratio
from survstudy.stats.characteristics.table_rows import check_request, load_table1_data, parse_tests
from survstudy.stats.characteristics.tests_categorical import categorical_test
from survstudy.stats.characteristics.tests_common import TWO_GROUP_TESTS, TestResult, not_testable
from survstudy.stats.characteristics.tests_continuous import (
    ContinuousRule,
    Normality,
    continuous_test,
)

if TYPE_CHECKING:
    import pandas as pd

    from survstudy.engine.sources import Source

IntArray = np.ndarray[Any, np.dtype[np.int64]]
FloatArray = np.ndarray[Any, np.dtype[np.float64]]

__all__ = [
    "CategoricalRow",
    "CharacteristicsTable",
    "ContinuousRow",
    "FloatArray",
    "IntArray",
    "Level",
    "Row",
    "Table1Input",
    "assemble_table",
    "categorical_row",
    "characteristics_table_rows",
    "continuous_row",
    "continuous_row_counted",
    "group_samples",
]

PERCENT_BASE = "patients with a known value in the group (missing values listed separately)"


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
    """Patient characteristics by group (Table 1); numbers only, every choice recorded
    (``continuous_rule``: how the continuous variables' tests were chosen)."""

    source: str
    group: str
    groups: tuple[str, ...]
    n: tuple[int, ...]
    excluded: int
    rows: tuple[Row, ...]
    continuous_rule: ContinuousRule = "auto"

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
            "continuous_rule": self.continuous_rule,
            "rows": [r.to_dict(self.groups) for r in self.rows],
        }

    def to_frame(self) -> pd.DataFrame:
        """Numbers only, one row per categorical level and per continuous variable.

        Per group ``g`` and ``overall``: ``n_g``, ``percent_g`` (levels), ``mean_g``, ``sd_g``,
        ``median_g`` (continuous), ``missing_g``; then the variable's test, statistic, p-value
        and SMD (repeated on each level of a categorical variable).
        """
        import pandas as pd

        names = [*self.groups, "overall"]
        records: list[dict[str, Any]] = []
        for r in self.rows:
            common = {"test": r.test.test, "statistic": r.test.statistic,
                      "p_value": r.test.p_value, "smd": r.smd.value}
            if isinstance(r, CategoricalRow):
                missed = (*r.missing, r.missing_overall)
            else:
                missed = (*(su.missing for su in r.summaries), r.overall.missing)
            missing = {f"missing_{g}": m for g, m in zip(names, missed, strict=True)}
            if isinstance(r, CategoricalRow):
                for lv in r.levels:
                    rec: dict[str, Any] = {"variable": r.variable, "type": r.type,
                                           "level": lv.level}
                    for g, n, pct in zip(names, (*lv.n, lv.n_overall),
                                         (*lv.percent, lv.percent_overall), strict=True):
                        rec[f"n_{g}"], rec[f"percent_{g}"] = n, pct
                    records.append({**rec, **missing, **common})
            else:
                rec = {"variable": r.variable, "type": r.type, "level": None}
                for g, su in zip(names, (*r.summaries, r.overall), strict=True):
                    rec.update({f"n_{g}": su.n, f"mean_{g}": su.mean, f"sd_{g}": su.sd,
                                f"median_{g}": su.median})
                records.append({**rec, **missing, **common})
        frame = pd.DataFrame.from_records(records)
        last = ["test", "statistic", "p_value", "smd"]
        frame = frame[[c for c in frame.columns if c not in last] + last]
        counts = [c for c in frame.columns if c.startswith(("n_", "missing_"))]
        return frame.astype({c: "Int64" for c in counts})


def characteristics_table_rows(
    read: Callable[[Sequence[str]], tuple[pd.DataFrame, Source]],
    group: str,
    categorical: Sequence[str] = (),
    continuous: Sequence[str] = (),
    *,
    tests: Mapping[str, str] | Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    levels: Mapping[str, Sequence[str]] | None = None,
    labels: Mapping[str, Mapping[str, str]] | None = None,
    conf_level: float = 0.95,
    fisher_limits: NetworkLimits | None = None,
    continuous_rule: ContinuousRule = "auto",
) -> CharacteristicsTable:
    """:func:`survstudy.characteristics_table` on rows: ``read`` gives the named columns and
    their :class:`Source` once the request has been checked."""

    def load(names: Sequence[str], numbers: Sequence[str]) -> Table1Input:
        data_ = load_table1_data(read, group, names, numbers, groups=groups, levels=levels,
                                 labels=labels)
        codes = data_.group.codes
        k = len(data_.group.labels)

        def counts(name: str) -> tuple[tuple[str, ...], IntArray, IntArray]:
            coded = data_.categorical[name]
            table = level_counts(coded.codes, codes, len(coded.labels), k)
            missing = np.bincount(codes[coded.codes < 0], minlength=k).astype(np.int64)
            return coded.labels, table, missing

        def values(name: str) -> tuple[list[Counted], IntArray]:
            samples, missing = group_samples(data_.continuous[name], codes, k)
            return [Counted(*np.unique(s, return_counts=True)) for s in samples], missing

        n = np.bincount(codes, minlength=k).astype(np.int64)
        return Table1Input(data_.source, data_.group.labels, n, data_.excluded, counts, values)

    return assemble_table(
        group,
        categorical,
        continuous,
        tests,
        load,
        conf_level=conf_level,
        fisher_limits=fisher_limits,
        continuous_rule=continuous_rule,
    )


@dataclass(frozen=True)
class Table1Input:
    """What an engine hands :func:`assemble_table`: the groups and, per variable on demand,
    a level × group count table with per-group missing counts (categorical) or each group's
    known values as value counts and its number of missing values (continuous)."""

    source: str
    groups: tuple[str, ...]
    n: IntArray
    excluded: int
    counts: Callable[[str], tuple[tuple[str, ...], IntArray, IntArray]]
    values: Callable[[str], tuple[list[Counted], IntArray]]


def assemble_table(
    group: str,
    categorical: Sequence[str],
    continuous: Sequence[str],
    tests: Mapping[str, str] | Sequence[str] | None,
    load: Callable[[Sequence[str], Sequence[str]], Table1Input],
    *,
    conf_level: float,
    fisher_limits: NetworkLimits | None,
    continuous_rule: ContinuousRule = "auto",
) -> CharacteristicsTable:
    """Check the request, ``load`` the data through an engine, and build one row per variable
    in the order given (categorical first); shared by the pandas and the DuckDB paths."""
    categorical, continuous = list(categorical), list(continuous)
    forced = parse_tests(tests)
    check_request(group, categorical, continuous, forced)
    loaded = load(categorical, continuous)
    labels = loaded.groups
    k = len(labels)
    for variable, test in forced.items():
        if test in TWO_GROUP_TESTS and k != 2:
            raise ValueError(
                f"{test} for '{variable}' compares two groups, but '{group}' has {k}; "
                "use anova or kruskal-wallis"
            )
    rows: list[Row] = []
    for name in categorical:
        level_labels, table, missing = loaded.counts(name)
        rows.append(
            categorical_row(
                name,
                level_labels,
                table,
                missing,
                labels,
                forced.get(name),
                conf_level,
                fisher_limits,
            )
        )
    for name in continuous:
        samples, missing = loaded.values(name)
        rows.append(continuous_row_counted(name, samples, missing, labels, forced.get(name),
                                           continuous_rule))
    return CharacteristicsTable(
        source=loaded.source,
        group=group,
        groups=labels,
        n=tuple(int(c) for c in loaded.n),
        excluded=loaded.excluded,
        rows=tuple(rows),
        continuous_rule=continuous_rule,
    )


def categorical_row(
    name: str,
    level_labels: tuple[str, ...],
    table: IntArray,
    missing: IntArray,
    groups: tuple[str, ...],
    force: str | None,
    conf_level: float,
    limits: NetworkLimits | None,
) -> CategoricalRow:
    """The row of a categorical variable from its level × group count table and the number
    of patients with a missing value in each group."""
    known = table.sum(axis=0)
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


def group_samples(
    values: FloatArray, group_codes: IntArray, k: int
) -> tuple[list[FloatArray], IntArray]:
    """Each group's known values (sorted) and its number of missing values (NaN)."""
    known = ~np.isnan(values)
    samples = [np.sort(values[known & (group_codes == j)]) for j in range(k)]
    return samples, np.bincount(group_codes[~known], minlength=k).astype(np.int64)


def continuous_row(
    name: str,
    samples: Sequence[FloatArray],
    missing: IntArray,
    groups: tuple[str, ...],
    force: str | None,
    rule: ContinuousRule = "auto",
) -> ContinuousRow:
    """The row of a continuous variable from each group's known values, sorted (so the result
    does not depend on row order), and its count of missing values: the exact tests and the
    normality checks need the values themselves."""
    samples = list(samples)
    summaries = tuple(summarise(s, int(m)) for s, m in zip(samples, missing, strict=True))
    known = np.sort(np.concatenate(samples)) if samples else np.empty(0)
    overall = summarise(known, int(missing.sum()))
    if not known.size:
        test: TestResult = not_testable("all values are missing", forced=force is not None)
        normality: tuple[Normality | None, ...] = tuple(None for _ in groups)
    else:
        test, normality = continuous_test(samples, groups, force=force, rule=rule)
    return ContinuousRow(
        variable=name,
        summaries=summaries,
        overall=overall,
        normality=normality,
        test=test,
        smd=continuous_smd(samples, groups),
    )


def continuous_row_counted(
    name: str,
    samples: Sequence[Counted],
    missing: IntArray,
    groups: tuple[str, ...],
    force: str | None,
    rule: ContinuousRule = "auto",
    expand_limit: int = EXPAND_LIMIT,
) -> ContinuousRow:
    """:func:`continuous_row` from each group's value counts: up to ``expand_limit`` known
    values the groups are expanded and :func:`continuous_row` used; above it every number
    comes from the counts (see :mod:`survstudy.stats.characteristics.counted`)."""
    if sum(s.size for s in samples) <= expand_limit:
        return continuous_row(name, [s.expand() for s in samples], missing, groups, force, rule)
    pooled, _ = merge_counted(samples)
    test, normality = counted_test(samples, groups, force=force, rule=rule)
    return ContinuousRow(
        variable=name,
        summaries=tuple(summarise_counted(s, int(m)) for s, m in zip(samples, missing,
                                                                      strict=True)),
        overall=summarise_counted(pooled, int(missing.sum())),
        normality=normality,
        test=test,
        smd=counted_smd(samples, groups),
    )
