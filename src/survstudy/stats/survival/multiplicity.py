"""Adjusting p-values for multiple comparisons, as R's ``p.adjust``.

Holm (step-down, controls the family-wise error rate), Benjamini-Hochberg (step-up, controls
the false discovery rate) and Bonferroni. Missing p-values (NaN) stay missing and are not
counted among the comparisons, as R's default ``n = sum(!is.na(p))``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from survstudy.arrays import FloatArray

__all__ = [
    "ADJUST_METHODS",
    "Adjust",
    "adjust_p_values",
    "benjamini_hochberg",
    "bonferroni",
    "holm",
]

Adjust = Literal["holm", "bh", "bonferroni", "none"]
ADJUST_METHODS: tuple[Adjust, ...] = ("holm", "bh", "bonferroni", "none")


def _split(p: ArrayLike) -> tuple[FloatArray, NDArray[np.bool_]]:
    values = np.asarray(p, dtype=np.float64).ravel()
    known = ~np.isnan(values)
    if np.any((values[known] < 0) | (values[known] > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    return values, known


def _put_back(
    values: FloatArray, known: NDArray[np.bool_], order: NDArray[np.intp], stepped: FloatArray
) -> FloatArray:
    """``values`` with the known ones replaced by ``stepped`` (adjusted p-values sorted by
    ``order``), in the input order; NaN stays NaN."""
    out = values.copy()
    adjusted = np.empty(order.size)
    adjusted[order] = stepped
    out[known] = adjusted
    return out


def holm(p: ArrayLike) -> FloatArray:
    """Holm's step-down adjustment: running maximum of (m - i + 1) p_(i), capped at 1."""
    values, known = _split(p)
    q = values[known]
    m = q.size
    order = np.argsort(q, kind="stable")
    stepped = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * q[order]))
    return _put_back(values, known, order, stepped)


def benjamini_hochberg(p: ArrayLike) -> FloatArray:
    """Benjamini-Hochberg step-up adjustment: running minimum from the largest of m/i p_(i)."""
    values, known = _split(p)
    q = values[known]
    m = q.size
    order = np.argsort(-q, kind="stable")  # largest first
    rank = m - np.arange(m)  # i of p_(i) in ascending order
    stepped = np.minimum(1.0, np.minimum.accumulate(m / rank * q[order]))
    return _put_back(values, known, order, stepped)


def bonferroni(p: ArrayLike) -> FloatArray:
    """Bonferroni: m p, capped at 1."""
    values, known = _split(p)
    out = values.copy()
    out[known] = np.minimum(1.0, known.sum() * values[known])
    return out


def adjust_p_values(p: ArrayLike, method: Adjust = "holm") -> FloatArray:
    """Adjusted p-values in the input order; ``method`` is holm, bh, bonferroni or none."""
    if method == "holm":
        return holm(p)
    if method == "bh":
        return benjamini_hochberg(p)
    if method == "bonferroni":
        return bonferroni(p)
    if method == "none":
        return _split(p)[0].copy()
    raise ValueError(f"unknown adjustment {method!r}; use one of {', '.join(ADJUST_METHODS)}")
