"""A continuous variable of Table 1 as value counts: each group's distinct values and how often
each occurs, so that a registry of 10^7 ages is ~100 numbers per group, never 10^7.

Every number of a continuous row comes from the counts: n, mean and SD from weighted sums,
quartiles (R type 7, NumPy's ``linear``) from the two order statistics around each quantile
found in the cumulative counts and interpolated as :func:`numpy.quantile` does, min and max,
mid-ranks of the pooled distinct values (Mann-Whitney's W, Kruskal-Wallis' rank sums and tie
correction), and the moments of Student's t, Welch's t, ANOVA and the SMD. Only what needs
the values themselves expands them, and only where it applies to few values: Shapiro-Wilk
(3 to 5000 values) and the exact Mann-Whitney p (both groups under 50 values, no ties).
Below :data:`EXPAND_LIMIT` values the groups are expanded and the array path
(:func:`~survstudy.stats.characteristics.table.continuous_row`) used, so small tables are
computed by exactly the same code as before; above it, sums over distinct values replace
NumPy's pairwise sums over rows (equal to ~1e-15 relative; exact for integer values).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations, pairwise

import numpy as np

from survstudy.arrays import FloatArray, IntArray
from survstudy.stats.characteristics.describe import ContinuousSummary, Smd
from survstudy.stats.characteristics.tests_common import finite

__all__ = [
    "EXPAND_LIMIT",
    "Counted",
    "counted_groups",
    "counted_smd",
    "merge_counted",
    "moments",
    "quantiles",
    "rank_sums",
    "summarise_counted",
]

#: Groups of at most this many known values in all are expanded to arrays (the exact path).
EXPAND_LIMIT = 100_000


@dataclass(frozen=True)
class Counted:
    """One group's known values: ``values`` sorted and distinct, ``counts`` their counts."""

    values: FloatArray
    counts: IntArray

    @property
    def size(self) -> int:
        return int(self.counts.sum())

    def expand(self) -> FloatArray:
        """The values themselves, sorted (for the tests that need them; few values only)."""
        return np.repeat(self.values, self.counts)


def counted_groups(
    codes: IntArray, x: FloatArray, n: IntArray, k: int
) -> tuple[list[Counted], IntArray]:
    """Each group's :class:`Counted` and its number of missing values, from distinct
    (group code, value, count) rows (value NaN = missing)."""
    order = np.lexsort((x, codes))
    codes, x, n = codes[order], x[order], n[order]
    known = ~np.isnan(x)
    missing = np.bincount(codes[~known], weights=n[~known], minlength=k).astype(np.int64)
    codes, x, n = codes[known], x[known], n[known]
    edges = np.searchsorted(codes, np.arange(k + 1))
    groups = [Counted(x[a:b], n[a:b]) for a, b in pairwise(edges)]
    return groups, missing


def merge_counted(samples: Sequence[Counted]) -> tuple[Counted, list[IntArray]]:
    """The pooled values of ``samples`` and, per sample, its count of each pooled value."""
    if not samples:
        return Counted(np.empty(0), np.zeros(0, dtype=np.int64)), []
    values, where = np.unique(np.concatenate([s.values for s in samples]), return_inverse=True)
    per: list[IntArray] = []
    start = 0
    for s in samples:
        stop = start + s.values.size
        per.append(np.bincount(where[start:stop], weights=s.counts,
                               minlength=values.size).astype(np.int64))
        start = stop
    return Counted(values, np.sum(per, axis=0, dtype=np.int64)), per


def moments(c: Counted) -> tuple[int, float, float]:
    """(n, mean, sum of squared deviations from the mean); n > 0."""
    n = c.size
    mean = float(np.sum(c.values * c.counts)) / n
    ss = float(np.sum(c.counts * (c.values - mean) ** 2))
    return n, mean, ss


def quantiles(c: Counted, probs: Sequence[float]) -> list[float]:
    """Quantiles of type 7 as :func:`numpy.quantile` computes them on the expanded values."""
    n = c.size
    virtual = (n - 1) * np.asarray(probs, dtype=np.float64)
    below = np.floor(virtual)
    lo = below.astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    ends = np.cumsum(c.counts)
    a = c.values[np.searchsorted(ends, lo, side="right")]
    b = c.values[np.searchsorted(ends, hi, side="right")]
    t = virtual - below
    diff = b - a
    return [float(v) for v in np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)]


def summarise_counted(c: Counted, missing: int) -> ContinuousSummary:
    """:func:`~survstudy.stats.characteristics.describe.summarise` from value counts."""
    n = c.size
    if n == 0:
        return ContinuousSummary(0, missing, None, None, None, None, None, None, None)
    q1, median, q3 = quantiles(c, [0.25, 0.5, 0.75])
    _, mean, ss = moments(c)
    sd = math.sqrt(ss / (n - 1)) if n > 1 else None
    return ContinuousSummary(n, missing, mean, sd, median, q1, q3,
                             float(c.values[0]), float(c.values[-1]))


def rank_sums(samples: Sequence[Counted]) -> tuple[FloatArray, IntArray]:
    """Each sample's sum of mid-ranks in the pooled values, and the pooled tie sizes."""
    pooled, per = merge_counted(samples)
    ends = np.cumsum(pooled.counts)
    mid = (ends - pooled.counts) + (pooled.counts + 1) / 2
    return np.array([float(np.sum(p * mid)) for p in per]), pooled.counts


def counted_smd(samples: Sequence[Counted], labels: Sequence[str]) -> Smd:
    """:func:`~survstudy.stats.characteristics.describe.continuous_smd` from value counts."""
    from survstudy.stats.characteristics.describe import _mean_of

    stats_ = [moments(s) if s.size > 1 else None for s in samples]
    pairs = []
    for i, j in combinations(range(len(samples)), 2):
        a, b = stats_[i], stats_[j]
        value = None
        if a is not None and b is not None:
            pooled = math.sqrt((a[2] / (a[0] - 1) + b[2] / (b[0] - 1)) / 2)
            if pooled > 0:
                value = finite(abs(a[1] - b[1]) / pooled)
        pairs.append((labels[i], labels[j], value))
    return _mean_of(pairs)
