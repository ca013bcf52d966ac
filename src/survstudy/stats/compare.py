"""Comparing survival curves on a count table: the weighted log-rank family.

Mantel-Haenszel log-rank (R's ``survdiff``), Fleming-Harrington G(rho, gamma) including
Peto-Peto (rho = 1, weights from the pooled Kaplan-Meier as R does), Tarone-Ware
(weights sqrt(n)) and Gehan-Breslow (weights n, SPSS's "Breslow").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from survstudy.engine.counts import CountTable

__all__ = ["METHODS", "Method", "SurvivalTest", "weighted_log_rank"]

FloatArray = NDArray[np.float64]
Method = Literal["log-rank", "peto-peto", "fleming-harrington", "tarone-ware", "gehan"]
METHODS: tuple[Method, ...] = ("log-rank", "peto-peto", "fleming-harrington", "tarone-ware",
                               "gehan")


@dataclass(frozen=True)
class SurvivalTest:
    """A k-sample test: chi-square statistic on ``df`` degrees of freedom and its p-value.

    ``observed`` and ``expected`` are the (weighted) event counts per group, in the order of
    ``groups``; ``weights`` says how event times were weighted.
    """

    method: str
    statistic: float
    df: int
    p_value: float
    groups: tuple[str, ...]
    observed: tuple[float, ...]
    expected: tuple[float, ...]
    weights: str

    def to_dict(self) -> dict[str, object]:
        return {
            "method": self.method,
            "statistic": self.statistic,
            "df": self.df,
            "p_value": self.p_value,
            "groups": list(self.groups),
            "observed": list(self.observed),
            "expected": list(self.expected),
            "weights": self.weights,
        }


def _chi2_sf(x: float, df: int) -> float:
    from scipy.special import chdtrc

    return float(chdtrc(df, x))


def _weights(
    method: Method, n: FloatArray, d: FloatArray, rho: float, gamma: float
) -> tuple[FloatArray, str]:
    if method == "log-rank":
        return np.ones_like(n), "1 (log-rank)"
    if method == "tarone-ware":
        return np.sqrt(n), "sqrt(number at risk) (Tarone-Ware)"
    if method == "gehan":
        return n.copy(), "number at risk (Gehan-Breslow)"
    if method == "peto-peto":
        rho, gamma = 1.0, 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(np.where(n > 0, 1 - d / n, 1.0))
    before = np.r_[1.0, surv[:-1]]  # pooled Kaplan-Meier just before each time
    label = f"S(t-)^{rho:g} (1 - S(t-))^{gamma:g} from the pooled Kaplan-Meier"
    return before**rho * (1 - before) ** gamma, label


def weighted_log_rank(
    counts: CountTable,
    method: Method = "log-rank",
    *,
    rho: float = 0.0,
    gamma: float = 0.0,
) -> SurvivalTest:
    """Weighted log-rank test of equal survival across the groups of ``counts``."""
    if method not in METHODS:
        raise ValueError(f"unknown test {method!r}; use one of {', '.join(METHODS)}")
    _, at_risk, events = counts.pooled()
    n = at_risk.sum(axis=1)
    d = events.sum(axis=1)
    w, label = _weights(method, n, d, rho, gamma)
    use = d > 0
    n, d, w, at_risk, events = n[use], d[use], w[use], at_risk[use], events[use]
    share = at_risk / n[:, None]
    expected = share * d[:, None]
    observed_w = (w[:, None] * events).sum(axis=0)
    expected_w = (w[:, None] * expected).sum(axis=0)
    u = observed_w - expected_w
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(n > 1, w**2 * d * (n - d) / (n - 1), 0.0)
    # V_kl = sum_t factor * share_k (delta_kl - share_l)
    v = np.einsum("t,tk,kl->kl", factor, share, np.eye(share.shape[1])) - np.einsum(
        "t,tk,tl->kl", factor, share, share
    )
    present = expected.sum(axis=0) > 0
    df = int(present.sum()) - 1
    if df < 1:
        statistic, p_value = 0.0, 1.0
    else:
        keep = np.flatnonzero(present)[:-1]
        sub = v[np.ix_(keep, keep)]
        statistic = float(u[keep] @ np.linalg.pinv(sub) @ u[keep])
        p_value = _chi2_sf(statistic, df)
    name = method if method != "fleming-harrington" else f"fleming-harrington({rho:g},{gamma:g})"
    return SurvivalTest(
        method=name,
        statistic=statistic,
        df=df,
        p_value=p_value,
        groups=counts.groups,
        observed=tuple(float(x) for x in events.sum(axis=0)),
        expected=tuple(float(x) for x in expected.sum(axis=0)),
        weights=label,
    )
