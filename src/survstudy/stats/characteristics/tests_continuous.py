"""Tests for a continuous variable across groups, and the rule that picks one.

The rule (DESIGN.md), ``rule="auto"``: Shapiro-Wilk p ≥ 0.05 in every group → Student's t-test
(two groups) or one-way ANOVA; otherwise Mann-Whitney U or Kruskal-Wallis. ``"nonparametric"``
always takes the rank test and ``"parametric"`` always Student's t or ANOVA: a normality
pre-test in groups of 6 and 7 has almost no power, so a study may fix the family instead
(Shapiro-Wilk is still computed and recorded). Each test reproduces R:
``t.test(var.equal = TRUE)``, ``t.test()`` (Welch), ``wilcox.test`` (exact when both groups
have fewer than 50 values and there are no ties, otherwise the normal approximation with
continuity and tie correction), ``aov`` and ``kruskal.test``; Shapiro-Wilk as ``shapiro.test``
(3 to 5000 values, not all equal).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, Literal, TypeVar, get_args

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from survstudy.arrays import FloatArray
from survstudy.stats.characteristics.tests_common import (
    TWO_GROUP_TESTS,
    TestResult,
    finite,
    not_testable,
    tie_term,
)

__all__ = [
    "ALPHA_NORMALITY",
    "CONTINUOUS_RULES",
    "ON_VALUES",
    "ContinuousRule",
    "Normality",
    "TestsOn",
    "anova",
    "continuous_test",
    "kruskal_wallis",
    "mann_whitney",
    "mann_whitney_normal",
    "pooled_t",
    "shapiro_wilk",
    "student_t",
    "welch_from",
    "welch_t",
]

#: Shapiro-Wilk p at or above this in every group → parametric test.
ALPHA_NORMALITY = 0.05
#: How the test of a continuous variable is chosen: by the Shapiro-Wilk pre-test ("auto"),
#: always a rank test ("nonparametric") or always Student's t / ANOVA ("parametric").
ContinuousRule = Literal["auto", "nonparametric", "parametric"]
CONTINUOUS_RULES: tuple[str, ...] = get_args(ContinuousRule)
#: R ``wilcox.test``: exact p only when both groups have fewer values than this (and no ties).
EXACT_LIMIT = 50


@dataclass(frozen=True)
class Normality:
    """Shapiro-Wilk test of one group, or why it could not be done."""

    statistic: float | None
    p_value: float | None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": "shapiro-wilk",
            "statistic": self.statistic,
            "p_value": self.p_value,
            "note": self.note,
        }


def shapiro_wilk(x: FloatArray) -> Normality:
    """Shapiro-Wilk as R ``shapiro.test``: needs 3 to 5000 values, not all equal."""
    if x.size < 3:
        return Normality(None, None, "fewer than 3 values")
    if x.size > 5000:
        return Normality(None, None, "more than 5000 values (R's limit)")
    if np.ptp(x) == 0:
        return Normality(None, None, "all values equal")
    r = stats.shapiro(x)
    return Normality(float(r.statistic), float(r.pvalue))


class _Untestable(Exception):
    """The chosen test cannot be computed on these data (message says why)."""


def _t_sf2(t: float, df: float) -> float:
    return float(2 * stats.t.sf(abs(t), df))


def student_t(x: FloatArray, y: FloatArray) -> tuple[float, float, float]:
    """Student's t (statistic, df, p) with pooled variance, as R ``t.test(var.equal=TRUE)``."""
    return pooled_t(*_moments(x), *_moments(y))


def welch_t(x: FloatArray, y: FloatArray) -> tuple[float, float, float]:
    """Welch's t (statistic, df, p), as R ``t.test()``."""
    return welch_from(*_moments(x), *_moments(y))


def _moments(x: FloatArray) -> tuple[int, float, float]:
    """Size, mean and variance (0 for fewer than 2 values, where no test uses it)."""
    mean = float(x.mean()) if x.size else 0.0
    return x.size, mean, float(np.var(x, ddof=1)) if x.size > 1 else 0.0


def pooled_t(
    nx: int, mx: float, varx: float, ny: int, my: float, vary: float
) -> tuple[float, float, float]:
    """Student's t from each group's size, mean and variance."""
    df = nx + ny - 2
    if nx < 1 or ny < 1 or df < 1:
        raise _Untestable("needs at least 3 values in all, with a value in each group")
    v = 0.0
    if nx > 1:
        v += (nx - 1) * varx
    if ny > 1:
        v += (ny - 1) * vary
    v /= df
    se = math.sqrt(v * (1 / nx + 1 / ny))
    if se < 10 * np.finfo(float).eps * max(abs(mx), abs(my)):
        raise _Untestable("data are essentially constant")
    t = (mx - my) / se
    return t, float(df), _t_sf2(t, df)


def welch_from(
    nx: int, mx: float, varx: float, ny: int, my: float, vary: float
) -> tuple[float, float, float]:
    """Welch's t from each group's size, mean and variance."""
    if nx < 2 or ny < 2:
        raise _Untestable("needs at least 2 values in each group")
    vx, vy = varx / nx, vary / ny
    se = math.sqrt(vx + vy)
    if se < 10 * np.finfo(float).eps * max(abs(mx), abs(my)):
        raise _Untestable("data are essentially constant")
    df = (vx + vy) ** 2 / (vx**2 / (nx - 1) + vy**2 / (ny - 1))
    t = (mx - my) / se
    return t, df, _t_sf2(t, df)


@lru_cache(maxsize=64)
def _wilcox_counts(m: int, n: int) -> tuple[float, ...]:
    """Number of orderings giving each W = 0..m·n (no ties), by the recurrence on the largest
    observation: c(w; m, n) = c(w - n; m - 1, n) + c(w; m, n - 1). Sums only, no cancellation."""
    prev = [np.ones(1) for _ in range(n + 1)]  # m' = 0
    for i in range(1, m + 1):
        cur = [np.ones(1)]
        for j in range(1, n + 1):
            out = np.zeros(i * j + 1)
            a = prev[j]
            out[j : j + a.size] += a
            b = cur[j - 1]
            out[: b.size] += b
            cur.append(out)
        prev = cur
    return tuple(prev[n].tolist())


def mann_whitney(x: FloatArray, y: FloatArray) -> tuple[float, float, str]:
    """Mann-Whitney U as R ``wilcox.test`` two-sided: (W for ``x``, p, method)."""
    nx, ny = x.size, y.size
    if nx < 1 or ny < 1:
        raise _Untestable("needs a value in each group")
    ranks = stats.rankdata(np.r_[x, y])
    w = float(ranks[:nx].sum() - nx * (nx + 1) / 2)
    _, tie_sizes = np.unique(np.r_[x, y], return_counts=True)
    ties = bool(np.any(tie_sizes > 1))
    if nx < EXACT_LIMIT and ny < EXACT_LIMIT and not ties:
        counts = np.asarray(_wilcox_counts(nx, ny))
        total = counts.sum()
        q = round(w)
        tail = counts[q:].sum() if w > nx * ny / 2 else counts[: q + 1].sum()
        return w, float(min(1.0, 2 * tail / total)), "exact"
    return mann_whitney_normal(w, nx, ny, tie_sizes)


def mann_whitney_normal(
    w: float, nx: int, ny: int, tie_sizes: NDArray[np.integer[Any]]
) -> tuple[float, float, str]:
    """Mann-Whitney's normal approximation, continuity- and tie-corrected, as R: (W, p,
    method), from W and the sizes of the groups of equal values."""
    ties = bool(np.any(tie_sizes > 1))
    z = w - nx * ny / 2
    n = nx + ny
    sigma = math.sqrt((nx * ny / 12) * ((n + 1) - tie_term(tie_sizes) / (n * (n - 1))))
    if sigma == 0:
        raise _Untestable("all values are equal")
    z = (z - math.copysign(0.5, z) * (z != 0)) / sigma
    why = "ties" if ties else f"a group has {EXACT_LIMIT} or more values"
    method = f"normal approximation with continuity correction ({why}"
    method += ", tie-corrected variance)" if ties else ")"
    return w, float(2 * min(stats.norm.cdf(z), stats.norm.sf(z))), method


def anova(samples: Sequence[FloatArray]) -> tuple[float, tuple[float, float], float]:
    """One-way ANOVA (F, (df1, df2), p), as R ``aov``."""
    k = len(samples)
    n = sum(s.size for s in samples)
    if n - k < 1:
        raise _Untestable("needs more values than groups")
    grand = float(np.concatenate(samples).mean())
    between = sum(s.size * (float(s.mean()) - grand) ** 2 for s in samples)
    within = sum(float(np.sum((s - s.mean()) ** 2)) for s in samples)
    if within == 0:
        raise _Untestable("no variation within groups")
    f = (between / (k - 1)) / (within / (n - k))
    return f, (float(k - 1), float(n - k)), float(stats.f.sf(f, k - 1, n - k))


def kruskal_wallis(samples: Sequence[FloatArray]) -> tuple[float, float, float]:
    """Kruskal-Wallis (chi-squared, df, p) with tie correction, as R ``kruskal.test``."""
    values = np.concatenate(samples)
    n = values.size
    k = len(samples)
    ranks = stats.rankdata(values)
    edges = np.cumsum([0] + [s.size for s in samples])
    sums = np.add.reduceat(ranks, edges[:-1])
    sizes = np.diff(edges)
    _, tie_sizes = np.unique(values, return_counts=True)
    correction = 1 - tie_term(tie_sizes) / (n**3 - n)
    if correction == 0:
        raise _Untestable("all values are equal")
    h = (12 * float(np.sum(sums**2 / sizes)) / (n * (n + 1)) - 3 * (n + 1)) / correction
    return h, float(k - 1), float(stats.chi2.sf(h, k - 1))


def _choose(
    normality: Sequence[Normality], labels: Sequence[str], k: int, rule: ContinuousRule
) -> tuple[str, str]:
    rank_test = "mann-whitney" if k == 2 else "kruskal-wallis"
    if rule == "nonparametric":
        return rank_test, "rank test for every continuous characteristic, no normality assumed"
    if rule == "parametric":
        return ("t-test" if k == 2 else "anova"), (
            "normality assumed for every continuous characteristic"
        )
    missing = [(g, s.note) for g, s in zip(labels, normality, strict=True) if s.p_value is None]
    if missing:
        where = "; ".join(f"group '{g}': {note}" for g, note in missing)
        return rank_test, f"Shapiro-Wilk not computable ({where})"
    low = [
        (g, s.p_value)
        for g, s in zip(labels, normality, strict=True)
        if s.p_value is not None and s.p_value < ALPHA_NORMALITY
    ]
    if not low:
        return ("t-test" if k == 2 else "anova"), "Shapiro-Wilk p >= 0.05 in every group"
    where = ", ".join(f"'{g}' (p = {p:.3g})" for g, p in low)
    return rank_test, f"Shapiro-Wilk p < 0.05 in {where}"


S = TypeVar("S")


@dataclass(frozen=True)
class TestsOn(Generic[S]):
    """How each test is computed on one kind of sample: arrays of values, or value counts."""

    size: Callable[[S], int]
    normality: Callable[[S], Normality]
    all_equal: Callable[[list[S]], bool]
    mann_whitney: Callable[[S, S], tuple[float, float, str]]
    student: Callable[[S, S], tuple[float, float, float]]
    welch: Callable[[S, S], tuple[float, float, float]]
    anova: Callable[[list[S]], tuple[float, tuple[float, float], float]]
    kruskal: Callable[[list[S]], tuple[float, float, float]]


def _all_equal(values: list[FloatArray]) -> bool:
    return bool(np.ptp(np.concatenate(values)) == 0)


def continuous_test(
    samples: Sequence[S],
    labels: Sequence[str],
    *,
    force: str | None = None,
    rule: ContinuousRule = "auto",
    on: TestsOn[S] | None = None,
) -> tuple[TestResult, tuple[Normality | None, ...]]:
    """Test a continuous variable across groups (``samples``: non-missing values per group,
    arrays unless ``on`` says how to test other samples), by ``force`` if given, else by
    ``rule`` (see the module docstring).

    Groups without values are left out (and said so). Returns the test and, per group, its
    Shapiro-Wilk result (None for groups without values).
    """
    tests: TestsOn[Any] = ON_VALUES if on is None else on
    if rule not in CONTINUOUS_RULES:
        raise ValueError(f"continuous test rule {rule!r}: use one of {CONTINUOUS_RULES}")
    forced = force is not None
    present = [i for i, s in enumerate(samples) if tests.size(s) > 0]
    normality: list[Normality | None] = [None] * len(samples)
    for i in present:
        normality[i] = tests.normality(samples[i])
    norm = tuple(normality)
    if len(present) < 2:
        return not_testable("values in fewer than two groups", forced=forced), norm
    values = [samples[i] for i in present]
    names = [labels[i] for i in present]
    k = len(present)
    if tests.all_equal(values):
        return not_testable("all values are equal", forced=forced), norm
    if force is None:
        test, reason = _choose([n for n in normality if n is not None], names, k, rule)
    else:
        test, reason = force, "chosen by the user"
        if test in TWO_GROUP_TESTS and k != 2:
            return not_testable(
                f"compares two groups; {k} have values", test=test, forced=True
            ), norm
    empty = [labels[i] for i in range(len(samples)) if i not in present]
    if empty:
        reason += "; no values in " + ", ".join(f"'{g}'" for g in empty) + ", tested without"
    try:
        return _run(test, values, reason, forced, tests), norm
    except _Untestable as e:
        return not_testable(str(e), test=test, forced=forced), norm


#: How each t-test's p-value is described.
_T_METHODS = {
    "t-test": "t distribution, pooled variance",
    "welch": "t distribution, Welch-Satterthwaite df",
}


def _run(test: str, values: list[S], reason: str, forced: bool, tests: TestsOn[S]) -> TestResult:
    common: dict[str, Any] = {"test": test, "reason": reason, "forced": forced}
    if test == "mann-whitney":
        w, p, method = tests.mann_whitney(values[0], values[1])
        return TestResult(
            p_value=finite(p), statistic=w, statistic_name="W", method=method, **common
        )
    dfs: tuple[float, ...]
    if test in _T_METHODS:
        method = _T_METHODS[test]
        stat, df, p = (tests.student if test == "t-test" else tests.welch)(values[0], values[1])
        name, dfs = "t", (df,)
    elif test == "anova":
        stat, dfs, p = tests.anova(values)
        name, method = "F", "F distribution"
    elif test == "kruskal-wallis":
        stat, df, p = tests.kruskal(values)
        name, dfs = "Kruskal-Wallis chi-squared", (df,)
        method = "chi-square approximation, tie-corrected"
    else:
        raise ValueError(f"{test!r} is not a test for continuous variables")
    return TestResult(
        p_value=finite(p),
        statistic=finite(stat),
        statistic_name=name,
        df=dfs,
        method=method,
        **common,
    )


#: The tests on arrays of values.
ON_VALUES: TestsOn[FloatArray] = TestsOn(
    lambda s: int(s.size),
    shapiro_wilk,
    _all_equal,
    mann_whitney,
    student_t,
    welch_t,
    anova,
    kruskal_wallis,
)
