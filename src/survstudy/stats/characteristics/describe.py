"""Descriptive statistics of Table 1: summaries of continuous values, level counts, SMDs.

Percentages are of the patients with a known value (missing values are listed separately);
quantiles are R's default (type 7); standardized mean differences follow R ``tableone``:
continuous ``|m1 - m2| / sqrt((s1² + s2²) / 2)``, categorical the multinomial SMD of Yang &
Dalton (2012) with a generalised inverse, and for more than two groups the mean over pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from survstudy.arrays import FloatArray, IntArray
from survstudy.jsonsafe import Record
from survstudy.stats.characteristics.tests_common import finite

__all__ = [
    "ContinuousSummary",
    "Smd",
    "categorical_smd",
    "continuous_smd",
    "level_counts",
    "summarise",
]

#: Relative cutoff of singular values in the generalised inverse (MASS::ginv's default).
_GINV_TOL = float(np.sqrt(np.finfo(float).eps))


@dataclass(frozen=True)
class ContinuousSummary(Record):
    """n (known values), missing, mean, SD, median, quartiles (R type 7) and range."""

    n: int
    missing: int
    mean: float | None
    sd: float | None
    median: float | None
    q1: float | None
    q3: float | None
    min: float | None
    max: float | None


def summarise(values: FloatArray, missing: int) -> ContinuousSummary:
    """Summary of the known ``values`` of one group (``missing`` listed separately)."""
    n = int(values.size)
    if n == 0:
        return ContinuousSummary(0, missing, None, None, None, None, None, None, None)
    q1, median, q3 = (float(v) for v in np.quantile(values, [0.25, 0.5, 0.75]))
    sd = float(np.std(values, ddof=1)) if n > 1 else None
    return ContinuousSummary(
        n=n,
        missing=missing,
        mean=float(values.mean()),
        sd=sd,
        median=median,
        q1=q1,
        q3=q3,
        min=float(values.min()),
        max=float(values.max()),
    )


def level_counts(level: IntArray, group: IntArray, n_levels: int, n_groups: int) -> IntArray:
    """Counts of each (level, group) pair: a levels × groups table (codes < 0 are missing)."""
    ok = (level >= 0) & (group >= 0)
    flat = np.bincount(level[ok] * n_groups + group[ok], minlength=n_levels * n_groups)
    return flat.reshape(n_levels, n_groups).astype(np.int64)


@dataclass(frozen=True)
class Smd:
    """Standardized mean difference: the mean over pairs of groups, and each pair's value."""

    value: float | None
    pairs: tuple[tuple[str, str, float | None], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "pairs": [{"groups": [a, b], "smd": v} for a, b, v in self.pairs],
        }


def _mean_of(pairs: list[tuple[str, str, float | None]]) -> Smd:
    values = [v for _, _, v in pairs]
    known = [v for v in values if v is not None]
    mean = float(np.mean(known)) if known and len(known) == len(values) else None
    return Smd(mean, tuple(pairs))


def continuous_smd(samples: Sequence[FloatArray], labels: Sequence[str]) -> Smd:
    """``|m1 - m2| / sqrt((s1² + s2²)/2)`` for each pair of groups (None where undefined)."""
    pairs = []
    for i, j in combinations(range(len(samples)), 2):
        a, b = samples[i], samples[j]
        value = None
        if a.size > 1 and b.size > 1:
            pooled = np.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / 2)
            if pooled > 0:
                value = finite(abs(a.mean() - b.mean()) / pooled)
        pairs.append((labels[i], labels[j], value))
    return _mean_of(pairs)


def categorical_smd(table: IntArray, labels: Sequence[str]) -> Smd:
    """Multinomial SMD (Yang & Dalton) for each pair of groups of a levels × groups table.

    With level proportions p (first level dropped), ``T = p1 - p2`` and
    ``S = (diag(p1) - p1 p1ᵀ + diag(p2) - p2 p2ᵀ) / 2``, the SMD is ``sqrt(Tᵀ S⁺ T)`` with S⁺
    the Moore-Penrose inverse (as tableone's ``MASS::ginv``).
    """
    x = np.asarray(table, dtype=np.float64)
    totals = x.sum(axis=0)
    pairs = []
    for i, j in combinations(range(x.shape[1]), 2):
        value = None
        if totals[i] > 0 and totals[j] > 0 and x.shape[0] > 1:
            p1 = x[1:, i] / totals[i]
            p2 = x[1:, j] / totals[j]
            s = (np.diag(p1) - np.outer(p1, p1) + np.diag(p2) - np.outer(p2, p2)) / 2
            t = p1 - p2
            inverse = np.linalg.pinv(s, rtol=_GINV_TOL)
            value = finite(np.sqrt(max(0.0, float(t @ inverse @ t))))
        pairs.append((labels[i], labels[j], value))
    return _mean_of(pairs)
