"""Covariate balance: standardized mean differences before and after weighting.

Per model-matrix term, SMD = (mean treated - mean control) / sqrt((s1² + s0²) / 2), where the
means are weighted after weighting but the denominator is always the pooled *unweighted*
standard deviation (cobalt's default), so that before and after share one scale and a change
in the SMD is a change in the means only. Binary terms are treated like any other term.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from survstudy.arrays import FloatArray

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BALANCE_THRESHOLD", "BalanceRow", "BalanceTable", "balance_table"]


#: |SMD| above this is flagged as imbalance (a common rule, Austin 2009).
BALANCE_THRESHOLD = 0.1

DENOMINATOR = "pooled unweighted SD sqrt((s1^2 + s0^2)/2)"


@dataclass(frozen=True)
class BalanceRow:
    """One term: means by arm before and after weighting, the SD used, both SMDs."""

    term: str
    covariate: str
    mean_treated: float
    mean_control: float
    weighted_mean_treated: float
    weighted_mean_control: float
    sd_pooled: float
    smd_before: float
    smd_after: float

    def to_dict(self, threshold: float = BALANCE_THRESHOLD) -> dict[str, Any]:
        return {
            "term": self.term,
            "covariate": self.covariate,
            "smd_before": self.smd_before,
            "smd_after": self.smd_after,
            "mean_treated": self.mean_treated,
            "mean_control": self.mean_control,
            "weighted_mean_treated": self.weighted_mean_treated,
            "weighted_mean_control": self.weighted_mean_control,
            "sd_pooled": self.sd_pooled,
            "imbalanced_before": bool(abs(self.smd_before) > threshold),
            "imbalanced_after": bool(abs(self.smd_after) > threshold),
        }


@dataclass(frozen=True)
class BalanceTable:
    """Balance of every term; ``balanced`` when every |SMD| after weighting is ≤ threshold."""

    rows: tuple[BalanceRow, ...]
    threshold: float = BALANCE_THRESHOLD
    denominator: str = DENOMINATOR

    @property
    def imbalanced(self) -> tuple[str, ...]:
        """Terms whose |SMD| after weighting exceeds the threshold."""
        return tuple(r.term for r in self.rows if abs(r.smd_after) > self.threshold)

    @property
    def balanced(self) -> bool:
        return not self.imbalanced

    @property
    def max_abs_smd_after(self) -> float:
        return max((abs(r.smd_after) for r in self.rows), default=0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "denominator": self.denominator,
            "balanced": self.balanced,
            "rows": [r.to_dict(self.threshold) for r in self.rows],
        }

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([r.to_dict(self.threshold) for r in self.rows])


def balance_table(
    x: FloatArray,
    terms: Sequence[str],
    covariates: Sequence[str],
    treated: NDArray[np.bool_],
    weights: FloatArray,
    *,
    threshold: float = BALANCE_THRESHOLD,
) -> BalanceTable:
    """SMDs of every column of ``x`` (no intercept) between treated and control patients."""
    x1, x0 = x[treated], x[~treated]
    w1, w0 = weights[treated], weights[~treated]
    m1, m0 = x1.mean(axis=0), x0.mean(axis=0)
    s = np.sqrt((x1.var(axis=0, ddof=1) + x0.var(axis=0, ddof=1)) / 2.0)
    wm1 = (w1 @ x1) / w1.sum()
    wm0 = (w0 @ x0) / w0.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        before = (m1 - m0) / s
        after = (wm1 - wm0) / s
    rows = tuple(
        BalanceRow(
            terms[j],
            covariates[j],
            float(m1[j]),
            float(m0[j]),
            float(wm1[j]),
            float(wm0[j]),
            float(s[j]),
            float(before[j]),
            float(after[j]),
        )
        for j in range(x.shape[1])
    )
    return BalanceTable(rows, threshold)
