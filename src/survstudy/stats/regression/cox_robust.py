"""Robust (sandwich) variance and robust score test of a Cox model, as R's ``coxph(robust=TRUE)``.

Score residuals (R's ``residuals(fit, type = "score")``) are computed for every row at once
from the risk-set moments of :mod:`survstudy.stats.regression.cox`: for row i with linear
predictor r_i,

    U_i = event_i (x_i - xbar_i) - r_i sum_k (1 - f_ik) h_k (x_i - m_k)

over the Efron terms k whose risk set holds i (h_k: hazard increment, m_k: risk-set mean,
f_ik: the Efron fraction for a death of that group, 0 otherwise; xbar_i: the mean of its
group's m_k). With case weights c_i the robust variance is V D'D V with D = c U (R's
``dfbeta`` with ``weighted=TRUE``), and the robust score test is u' (S'S)^-1 u with S the
weighted score residuals at beta = 0 and u their sum (R's ``fit$rscore``).
"""

from __future__ import annotations

import numpy as np

from survstudy.arrays import FloatArray
from survstudy.stats.regression.cox import RiskSets, moments

__all__ = ["robust_covariance", "robust_score_statistic", "score_residuals"]



def score_residuals(rs: RiskSets, beta: FloatArray) -> FloatArray:
    """Unweighted score residuals at ``beta``, one row per patient in ``rs`` (sorted) order."""
    m = moments(rs, beta)
    hz = np.ones(m.den.size) if m.term_weight is None else m.term_weight
    haz = hz / m.den
    g, f = rs.term_group, rs.term_frac
    n_groups = rs.group_start.size
    p = rs.x.shape[1]

    def per_group(values: FloatArray) -> FloatArray:
        out = np.zeros((n_groups, p))
        np.add.at(out, g, values)
        return out

    hm = per_group(haz[:, None] * m.mean)
    cum = np.vstack([np.zeros((1, p)), np.cumsum(hm, axis=0)])
    b = cum[rs.row_upto] - cum[rs.row_from]  # sum of h_k m_k over the row's risk sets
    a = m.row_weight.copy()  # sum of h_k over the row's risk sets
    d = rs.death_rows
    size = np.bincount(g, minlength=n_groups).astype(np.float64)
    xbar = per_group(m.mean) / size[:, None]
    fb = per_group((f * haz)[:, None] * m.mean)
    a[d] -= m.death_weight
    b[d] -= fb[rs.death_group]
    resid = -m.r[:, None] * (rs.x * a[:, None] - b)
    resid[d] += rs.x[d] - xbar[rs.death_group]
    return np.asarray(resid, dtype=np.float64)


def _weighted(rs: RiskSets, resid: FloatArray) -> FloatArray:
    return resid if rs.weights is None else resid * rs.weights[:, None]


def robust_covariance(rs: RiskSets, beta: FloatArray, naive: FloatArray) -> FloatArray:
    """Sandwich variance V (sum_i c_i² U_i U_i') V with V the inverse information."""
    dfbeta = _weighted(rs, score_residuals(rs, beta)) @ naive
    return np.asarray(dfbeta.T @ dfbeta, dtype=np.float64)


def robust_score_statistic(rs: RiskSets) -> float:
    """R's robust score test of beta = 0: u' (S'S)^-1 u from weighted score residuals at 0."""
    s = _weighted(rs, score_residuals(rs, np.zeros(rs.x.shape[1])))
    u = s.sum(axis=0)
    return float(u @ np.linalg.solve(s.T @ s, u))
