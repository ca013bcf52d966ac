"""The continuous tests of Table 1 from value counts (:mod:`.counted`): the same choice and
the same numbers as :func:`~survstudy.stats.characteristics.tests_continuous.continuous_test`
on the expanded values, without expanding large groups.

Shapiro-Wilk runs on the values of groups of 3 to 5000 (R's limit; larger groups get the
same note without their values), the exact Mann-Whitney p on the values when both groups
have fewer than 50; everything else (W and the rank sums from mid-ranks of the pooled
distinct values, the tie correction from their counts, t, Welch, ANOVA from moments) from
the counts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

from survstudy.stats.characteristics.counted import Counted, merge_counted, moments, rank_sums
from survstudy.stats.characteristics.tests_common import (
    TWO_GROUP_TESTS,
    TestResult,
    finite,
    not_testable,
    tie_term,
)
from survstudy.stats.characteristics.tests_continuous import (
    _T_TESTS,
    CONTINUOUS_RULES,
    EXACT_LIMIT,
    ContinuousRule,
    Normality,
    _choose,
    _t_sf2,
    _Untestable,
    mann_whitney,
    shapiro_wilk,
)

__all__ = ["counted_test"]

#: R ``shapiro.test`` takes at most this many values.
_SHAPIRO_MAX = 5000


def _normality(c: Counted) -> Normality:
    if c.size <= _SHAPIRO_MAX:
        return shapiro_wilk(c.expand())
    # shapiro_wilk only looks at the size here: a view of one value, no memory
    return shapiro_wilk(np.broadcast_to(c.values[:1], (c.size,)))


def _student(x: Counted, y: Counted) -> tuple[float, float, float]:
    nx, mx, ssx = moments(x)
    ny, my, ssy = moments(y)
    df = nx + ny - 2
    if df < 1:
        raise _Untestable("needs at least 3 values in all, with a value in each group")
    v = 0.0
    if nx > 1:
        v += (nx - 1) * (ssx / (nx - 1))
    if ny > 1:
        v += (ny - 1) * (ssy / (ny - 1))
    v /= df
    se = math.sqrt(v * (1 / nx + 1 / ny))
    if se < 10 * np.finfo(float).eps * max(abs(mx), abs(my)):
        raise _Untestable("data are essentially constant")
    t = (mx - my) / se
    return t, float(df), _t_sf2(t, df)


def _welch(x: Counted, y: Counted) -> tuple[float, float, float]:
    nx, mx, ssx = moments(x)
    ny, my, ssy = moments(y)
    if nx < 2 or ny < 2:
        raise _Untestable("needs at least 2 values in each group")
    vx, vy = ssx / (nx - 1) / nx, ssy / (ny - 1) / ny
    se = math.sqrt(vx + vy)
    if se < 10 * np.finfo(float).eps * max(abs(mx), abs(my)):
        raise _Untestable("data are essentially constant")
    df = (vx + vy) ** 2 / (vx**2 / (nx - 1) + vy**2 / (ny - 1))
    t = (mx - my) / se
    return t, df, _t_sf2(t, df)


def _mann_whitney(x: Counted, y: Counted) -> tuple[float, float, str]:
    nx, ny = x.size, y.size
    if nx < EXACT_LIMIT and ny < EXACT_LIMIT:
        return mann_whitney(x.expand(), y.expand())
    sums, tie_sizes = rank_sums([x, y])
    w = float(sums[0] - nx * (nx + 1) / 2)
    ties = bool(np.any(tie_sizes > 1))
    z = w - nx * ny / 2
    n = nx + ny
    sigma = math.sqrt(
        (nx * ny / 12) * ((n + 1) - tie_term(tie_sizes) / (n * (n - 1)))
    )
    if sigma == 0:
        raise _Untestable("all values are equal")
    z = (z - math.copysign(0.5, z) * (z != 0)) / sigma
    why = "ties" if ties else f"a group has {EXACT_LIMIT} or more values"
    method = f"normal approximation with continuity correction ({why}"
    method += ", tie-corrected variance)" if ties else ")"
    return w, float(2 * min(stats.norm.cdf(z), stats.norm.sf(z))), method


def _anova(samples: Sequence[Counted]) -> tuple[float, tuple[float, float], float]:
    k = len(samples)
    each = [moments(s) for s in samples]
    n = sum(m[0] for m in each)
    if n - k < 1:
        raise _Untestable("needs more values than groups")
    grand = moments(merge_counted(samples)[0])[1]
    between = sum(size * (mean - grand) ** 2 for size, mean, _ in each)
    within = sum(ss for _, _, ss in each)
    if within == 0:
        raise _Untestable("no variation within groups")
    f = (between / (k - 1)) / (within / (n - k))
    return f, (float(k - 1), float(n - k)), float(stats.f.sf(f, k - 1, n - k))


def _kruskal(samples: Sequence[Counted]) -> tuple[float, float, float]:
    sums, tie_sizes = rank_sums(samples)
    sizes = np.array([s.size for s in samples])
    n = int(sizes.sum())
    k = len(samples)
    correction = 1 - tie_term(tie_sizes) / (n**3 - n)
    if correction == 0:
        raise _Untestable("all values are equal")
    h = (12 * float(np.sum(sums**2 / sizes)) / (n * (n + 1)) - 3 * (n + 1)) / correction
    return h, float(k - 1), float(stats.chi2.sf(h, k - 1))


def counted_test(
    samples: Sequence[Counted],
    labels: Sequence[str],
    *,
    force: str | None = None,
    rule: ContinuousRule = "auto",
) -> tuple[TestResult, tuple[Normality | None, ...]]:
    """:func:`~survstudy.stats.characteristics.tests_continuous.continuous_test` on value
    counts (``samples``: each group's known values as :class:`Counted`)."""
    if rule not in CONTINUOUS_RULES:
        raise ValueError(f"continuous test rule {rule!r}: use one of {CONTINUOUS_RULES}")
    forced = force is not None
    present = [i for i, s in enumerate(samples) if s.size > 0]
    normality: list[Normality | None] = [None] * len(samples)
    for i in present:
        normality[i] = _normality(samples[i])
    norm = tuple(normality)
    if len(present) < 2:
        return not_testable("values in fewer than two groups", forced=forced), norm
    values = [samples[i] for i in present]
    names = [labels[i] for i in present]
    k = len(present)
    if min(float(s.values[0]) for s in values) == max(float(s.values[-1]) for s in values):
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
        return _run(test, values, reason, forced), norm
    except _Untestable as e:
        return not_testable(str(e), test=test, forced=forced), norm


def _run(test: str, values: list[Counted], reason: str, forced: bool) -> TestResult:
    common: dict[str, Any] = {"test": test, "reason": reason, "forced": forced}
    if test == "mann-whitney":
        w, p, method = _mann_whitney(values[0], values[1])
        return TestResult(
            p_value=finite(p), statistic=w, statistic_name="W", method=method, **common
        )
    dfs: tuple[float, ...]
    if test in _T_TESTS:
        method = _T_TESTS[test][1]
        stat, df, p = (_student if test == "t-test" else _welch)(values[0], values[1])
        name, dfs = "t", (df,)
    elif test == "anova":
        stat, dfs, p = _anova(values)
        name, method = "F", "F distribution"
    elif test == "kruskal-wallis":
        stat, df, p = _kruskal(values)
        name, dfs = "Kruskal-Wallis chi-squared", (df,)
        method = "chi-square approximation, tie-corrected"
    else:
        raise ValueError(f"{test!r} is not a test for continuous variables")
    return TestResult(p_value=finite(p), statistic=finite(stat), statistic_name=name, df=dfs,
                      method=method, **common)
