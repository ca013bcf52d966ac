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

from collections.abc import Sequence

import numpy as np
from scipy import stats

from survstudy.stats.characteristics.counted import Counted, merge_counted, moments, rank_sums
from survstudy.stats.characteristics.tests_common import (
    TestResult,
    tie_term,
)
from survstudy.stats.characteristics.tests_continuous import (
    EXACT_LIMIT,
    ContinuousRule,
    Normality,
    TestsOn,
    _Untestable,
    continuous_test,
    mann_whitney,
    mann_whitney_normal,
    pooled_t,
    shapiro_wilk,
    welch_from,
)

__all__ = ["ON_COUNTS", "counted_test"]

#: R ``shapiro.test`` takes at most this many values.
_SHAPIRO_MAX = 5000


def _normality(c: Counted) -> Normality:
    if c.size <= _SHAPIRO_MAX:
        return shapiro_wilk(c.expand())
    # shapiro_wilk only looks at the size here: a view of one value, no memory
    return shapiro_wilk(np.broadcast_to(c.values[:1], (c.size,)))


def _variance(c: Counted) -> tuple[int, float, float]:
    """Size, mean and variance (0 for fewer than 2 values, where no test uses it)."""
    n, mean, ss = moments(c)
    return n, mean, ss / (n - 1) if n > 1 else 0.0


def _student(x: Counted, y: Counted) -> tuple[float, float, float]:
    return pooled_t(*_variance(x), *_variance(y))


def _welch(x: Counted, y: Counted) -> tuple[float, float, float]:
    return welch_from(*_variance(x), *_variance(y))


def _mann_whitney(x: Counted, y: Counted) -> tuple[float, float, str]:
    nx, ny = x.size, y.size
    if nx < EXACT_LIMIT and ny < EXACT_LIMIT:
        return mann_whitney(x.expand(), y.expand())
    sums, tie_sizes = rank_sums([x, y])
    return mann_whitney_normal(float(sums[0] - nx * (nx + 1) / 2), nx, ny, tie_sizes)


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


def _all_equal(values: list[Counted]) -> bool:
    return min(float(s.values[0]) for s in values) == max(float(s.values[-1]) for s in values)


#: The tests on value counts.
ON_COUNTS: TestsOn[Counted] = TestsOn(
    lambda s: int(s.size), _normality, _all_equal, _mann_whitney, _student, _welch, _anova, _kruskal
)


def counted_test(
    samples: Sequence[Counted],
    labels: Sequence[str],
    *,
    force: str | None = None,
    rule: ContinuousRule = "auto",
) -> tuple[TestResult, tuple[Normality | None, ...]]:
    """:func:`~survstudy.stats.characteristics.tests_continuous.continuous_test` on value
    counts (``samples``: each group's known values as :class:`Counted`)."""
    return continuous_test(samples, labels, force=force, rule=rule, on=ON_COUNTS)
