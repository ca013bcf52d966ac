"""Proportional-hazards check as R's ``cox.zph`` (survival 3.x).

Each covariate x is paired with ``g(t)·x``, g the Kaplan-Meier transform of time (1 − S(t⁻),
centred at its mean over the events). At (β̂, 0) the first p scores are zero; the score test
for the p new coefficients uses the full 2p×2p information matrix
``[[ΣV, Σg·V], [Σg·V, Σg²·V]]`` summed over Efron terms, per term (all columns of a
categorical together) and globally. This is survival 3.x's formulation; the older
``cox.zph`` assumed V(t) constant and gives different numbers. Scaled Schoenfeld residuals
(for plots of β(t)) use the per-stratum average information, as R does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from survstudy.arrays import FloatArray
from survstudy.jsonsafe import Record
from survstudy.stats.regression.cox import RiskSets, moments, risk_sets

if TYPE_CHECKING:
    import pandas as pd

    from survstudy.stats.regression.cox_result import CoxResult

__all__ = ["PHTest", "ProportionalHazardsTest", "km_transform", "proportional_hazards_test"]



@dataclass(frozen=True)
class PHTest(Record):
    """Score test of a time-varying coefficient for one term (or ``GLOBAL``)."""

    term: str
    chisq: float
    df: int
    p_value: float


@dataclass(frozen=True)
class ProportionalHazardsTest:
    """Per-term and global tests, with scaled Schoenfeld residuals against transformed time.

    ``residuals`` has one row per event (sorted by stratum, then time) and one column per
    term; a term constant within a stratum has no residual there (NaN, null in ``to_dict``).
    """

    tests: tuple[PHTest, ...]
    transform: str
    method: str
    x: FloatArray = field(repr=False)
    time: FloatArray = field(repr=False)
    residuals: FloatArray = field(repr=False)
    terms: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        res = [[None if not np.isfinite(v) else float(v) for v in row] for row in self.residuals]
        return {
            "method": self.method,
            "transform": self.transform,
            "tests": [t.to_dict() for t in self.tests],
            "terms": list(self.terms),
            "x": self.x.tolist(),
            "time": self.time.tolist(),
            "residuals": res,
        }

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([t.to_dict() for t in self.tests])


def km_transform(time: FloatArray, event: NDArray[np.bool_]) -> FloatArray:
    """1 − S(t⁻) for each row, S the pooled Kaplan-Meier curve (R's ``transform="km"``)."""
    times, inverse = np.unique(time, return_inverse=True)
    deaths = np.bincount(inverse, event.astype(np.float64), minlength=times.size)
    exits = np.bincount(inverse, minlength=times.size).astype(np.float64)
    at_risk = np.cumsum(exits[::-1])[::-1]
    surv = np.cumprod(1.0 - deaths / at_risk)
    before = np.r_[1.0, surv][inverse.ravel()]
    return np.asarray(1.0 - before, dtype=np.float64)


def _weighted_cross(rs: RiskSets, m: Any, c: FloatArray) -> FloatArray:
    """Σ over Efron terms of c · V(term), V the weighted variance of x over the term's set."""
    g, f = rs.term_group, rs.term_frac
    n_groups = rs.group_start.size
    per = np.bincount(g, c / m.den, minlength=n_groups)
    cum = np.r_[0.0, np.cumsum(per)]
    w = m.r * (cum[rs.row_upto] - cum[rs.row_from])
    d = rs.death_rows
    w[d] -= m.r[d] * np.bincount(g, c * f / m.den, minlength=n_groups)[rs.death_group]
    second = (rs.x * w[:, None]).T @ rs.x
    return np.asarray(second - (m.mean * c[:, None]).T @ m.mean, dtype=np.float64)


def _used(x: FloatArray, stratum: NDArray[np.intp], deaths_per: FloatArray) -> FloatArray:
    """Per stratum and column: the stratum's deaths if the column varies there, else 0."""
    n_strata = deaths_per.size
    lo = np.full((n_strata, x.shape[1]), np.inf)
    hi = np.full((n_strata, x.shape[1]), -np.inf)
    np.minimum.at(lo, stratum, x)
    np.maximum.at(hi, stratum, x)
    return np.where(hi > lo, deaths_per[:, None], 0.0)


def proportional_hazards_test(result: CoxResult) -> ProportionalHazardsTest:
    """R's ``cox.zph(fit)`` (KM transform, terms together, global test) for a fitted model."""
    from scipy.stats import chi2

    data = result.data
    if data is None:
        raise ValueError("the result does not keep its data; refit with cox_regression")
    design = data.design
    x, beta = design.matrix, np.asarray(result.coef, dtype=np.float64)
    p = x.shape[1]
    stratum = np.zeros(data.n, dtype=np.intp) if data.stratum is None else data.stratum
    rs = risk_sets(x, data.time, data.event, stratum, result.ties)
    m = moments(rs, beta)
    ttimes = km_transform(data.time, data.event)
    gtime = ttimes - ttimes[data.event].mean()
    sorted_g = gtime[rs.order]
    g_group = sorted_g[rs.death_rows][rs.death_first]
    g_term = g_group[rs.term_group]
    ones = np.ones(rs.term_group.size)
    h1 = _weighted_cross(rs, m, ones)
    h2 = _weighted_cross(rs, m, g_term)
    h3 = _weighted_cross(rs, m, g_term**2)
    imat = np.block([[h1, h2], [h2, h3]])
    d = rs.death_rows
    n_groups = rs.group_start.size
    mean_avg = (
        np.column_stack(
            [np.bincount(rs.term_group, m.mean[:, c], minlength=n_groups) for c in range(p)]
        )
        / np.bincount(rs.term_group, minlength=n_groups)[:, None]
    )
    schoen = rs.x[d] - mean_avg[rs.death_group]
    u2 = (schoen * sorted_g[d][:, None]).sum(axis=0)

    names = list(dict.fromkeys(design.covariate_of))
    columns = [[j for j, c in enumerate(design.covariate_of) if c == name] for name in names]
    tests = []
    for name, cols in zip(names, columns, strict=True):
        keep = list(range(p)) + [p + j for j in cols]
        u = np.r_[np.zeros(p), u2[cols]]
        stat = float(u @ np.linalg.solve(imat[np.ix_(keep, keep)], u))
        tests.append(PHTest(name, stat, len(cols), float(chi2.sf(stat, len(cols)))))
    u = np.r_[np.zeros(p), u2]
    stat = float(u @ np.linalg.solve(imat, u))
    tests.append(PHTest("GLOBAL", stat, p, float(chi2.sf(stat, p))))

    s_death = stratum[rs.order][d]
    deaths_per = np.bincount(s_death, minlength=int(stratum.max()) + 1).astype(np.float64)
    used = _used(x, stratum, deaths_per)
    for cols in columns:
        if len(cols) > 1 and (used[:, cols] == 0).any():
            used[:, cols] = used[:, cols].max(axis=1)[:, None]
    wtmat = np.minimum(used[:, :, None], used[:, None, :]).sum(axis=0)
    vmean = h1 / np.where(wtmat == 0, 1.0, wtmat)
    resid = schoen
    if any(len(c) > 1 for c in columns):
        collapse = np.zeros((p, len(names)))
        for i, cols in enumerate(columns):
            collapse[cols, i] = 1.0 if len(cols) == 1 else beta[cols]
        resid = schoen @ collapse
        vmean = collapse.T @ vmean @ collapse
        used = used[:, [c[0] for c in columns]]
    scaled = np.full(resid.shape, np.nan)
    for s in range(used.shape[0]):
        k = np.flatnonzero(used[s] > 0)
        rows = np.flatnonzero(s_death == s)
        if k.size and rows.size:
            scaled[np.ix_(rows, k)] = np.linalg.solve(
                vmean[np.ix_(k, k)], resid[np.ix_(rows, k)].T
            ).T
    for i, cols in enumerate(columns):
        scaled[:, i] += beta[cols[0]] if len(cols) == 1 else 1.0
    return ProportionalHazardsTest(
        tests=tuple(tests),
        transform="km",
        method="score test of g(t)·x terms at (beta, 0), survival 3.x cox.zph",
        x=ttimes[rs.order][d],
        time=data.time[rs.order][d],
        residuals=scaled,
        terms=tuple(names),
    )
