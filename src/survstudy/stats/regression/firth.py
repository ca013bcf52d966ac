"""Firth's penalized partial likelihood for Cox models (Heinze and Schemper, Biometrics 2001).

The penalized log-likelihood ``l*(β) = l(β) + ½ log det I(β)`` has a finite maximum even
under monotone likelihood (a group with every event, or none), and removes most of the
small-sample bias of the ordinary estimate. Its score adds ``½ tr(I⁻¹ ∂I/∂β_r)``, computed
from third central moments of x over each risk set with the same reverse-cumulative-sum
kernel as the ordinary fit (:mod:`survstudy.stats.regression.cox`). Intervals are profile penalized
likelihood intervals and per-term p-values come from penalized likelihood-ratio tests, as in
the R package ``coxphf``; the Wald standard error uses ``I(β̂)⁻¹``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from survstudy.arrays import FloatArray
from survstudy.errors import Problem
from survstudy.stats.regression.cox import (
    RiskSets,
    concordance,
    evaluate,
    fit_cox,
    moments,
    risk_sets,
)
from survstudy.stats.regression.cox_result import CoxResult, CoxTerm, Ties, chi_square

if TYPE_CHECKING:
    from survstudy.stats.regression.design import ModelData

__all__ = ["PenalizedEvaluation", "fit_firth", "penalized", "penalized_fit", "profile_interval"]


TOL = 1e-9
MAX_ITER = 200
MAX_STEP = 0.5
#: profile intervals are searched this far (on the log hazard ratio scale) from the estimate
SEARCH_LIMIT = 50.0


@dataclass(frozen=True)
class PenalizedEvaluation:
    """Penalized log-likelihood, penalized score and (unpenalized) information at ``beta``."""

    beta: FloatArray
    loglik: float
    score: FloatArray
    information: FloatArray
    plain_loglik: float


def penalized(rs: RiskSets, beta: FloatArray) -> PenalizedEvaluation:
    """``l*(β)`` and its gradient: the ordinary score plus ½ tr(I⁻¹ ∂I/∂β)."""
    ev = evaluate(rs, beta)
    sign, logdet = np.linalg.slogdet(ev.information)
    if sign <= 0 or not np.isfinite(logdet):
        return PenalizedEvaluation(beta, -np.inf, ev.score, ev.information, ev.loglik)
    a = np.linalg.inv(ev.information)
    m = moments(rs, beta)
    x, d = rs.x, rs.death_rows
    g, f, n_groups = rs.term_group, rs.term_frac, rs.group_start.size
    dead = np.zeros(x.shape[0], dtype=bool)
    dead[d] = True
    w = m.r * m.row_weight - np.where(dead, m.r, 0.0) * _per_row(m.death_weight, d, x.shape[0])
    h = np.einsum("ij,jk,ik->i", x, a, x)
    # Σ_terms E[h x]: the same per-row weights as the score
    e_hx = (h * w) @ x
    # Σ_terms m · E[h]
    rh = m.r * h
    cum = np.r_[np.cumsum(rh[::-1])[::-1], 0.0]
    risk_h = cum[rs.group_start] - cum[rs.group_end]
    dead_h = np.add.reduceat(rh[d], rs.death_first)
    e_h = (risk_h[g] - f * dead_h[g]) / m.den
    m_eh = m.mean.T @ e_h
    # Σ_terms V A m = Σ_terms E[x x'] v - m (m'v), v = A m
    v = m.mean @ a
    per_group = (
        np.column_stack(
            [np.bincount(g, v[:, c] / m.den, minlength=n_groups) for c in range(x.shape[1])]
        )
        if x.shape[1]
        else np.zeros((n_groups, 0))
    )
    cum_v = np.vstack([np.zeros((1, x.shape[1])), np.cumsum(per_group, axis=0)])
    wv = cum_v[rs.row_upto] - cum_v[rs.row_from]
    death_v = (
        np.column_stack(
            [np.bincount(g, f * v[:, c] / m.den, minlength=n_groups) for c in range(x.shape[1])]
        )
        if x.shape[1]
        else np.zeros((n_groups, 0))
    )
    xv = np.einsum("ij,ij->i", x, wv) * m.r
    xv[d] -= np.einsum("ij,ij->i", x[d], death_v[rs.death_group]) * m.r[d]
    vam = xv @ x - m.mean.T @ np.einsum("ij,ij->i", m.mean, v)
    score = ev.score + 0.5 * (e_hx - m_eh - 2.0 * vam)
    return PenalizedEvaluation(beta, ev.loglik + 0.5 * logdet, score, ev.information, ev.loglik)


def _per_row(values: FloatArray, rows: NDArray[np.intp], n: int) -> FloatArray:
    out = np.zeros(n)
    out[rows] = values
    return out


@dataclass(frozen=True)
class PenalizedFit:
    final: PenalizedEvaluation
    iterations: int
    converged: bool


def penalized_fit(
    rs: RiskSets, init: FloatArray, free: NDArray[np.bool_] | None = None
) -> PenalizedFit:
    """Maximise ``l*`` over the ``free`` coefficients (others fixed at ``init``).

    Newton steps with the information matrix, each coordinate moved at most 0.5, halved
    while ``l*`` falls (as ``coxphf``); stops when both the largest step and the largest
    penalized score are below 1e-9.
    """
    free = np.ones(init.size, dtype=bool) if free is None else free
    current = penalized(rs, init)
    for iteration in range(1, MAX_ITER + 1):
        u, info = current.score[free], current.information[np.ix_(free, free)]
        try:
            step = np.linalg.solve(info, u)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(info, u, rcond=None)[0]
        biggest = float(np.max(np.abs(step))) if step.size else 0.0
        if biggest > MAX_STEP:
            step *= MAX_STEP / biggest
        if biggest <= TOL and (not u.size or float(np.max(np.abs(u))) <= TOL):
            return PenalizedFit(current, iteration - 1, True)
        for _ in range(30):
            beta = current.beta.copy()
            beta[free] += step
            trial = penalized(rs, beta)
            if trial.loglik >= current.loglik - 1e-12 * abs(current.loglik):
                break
            step = step / 2.0
        current = trial
    return PenalizedFit(current, MAX_ITER, False)


def _profile(rs: RiskSets, beta: FloatArray, j: int, value: float) -> float:
    start = beta.copy()
    start[j] = value
    free = np.ones(beta.size, dtype=bool)
    free[j] = False
    return penalized_fit(rs, start, free).final.loglik


def profile_interval(
    rs: RiskSets, fit: PenalizedEvaluation, j: int, conf_level: float
) -> tuple[float | None, float | None, float]:
    """Profile penalized likelihood CI for coefficient ``j`` and its penalized LR p-value.

    A bound not reached within ``SEARCH_LIMIT`` of the estimate is None (not finite).
    """
    from scipy.optimize import brentq
    from scipy.stats import chi2

    cut = float(chi2.ppf(conf_level, 1)) / 2.0
    top, b = fit.loglik, float(fit.beta[j])

    def drop(value: float) -> float:
        return top - _profile(rs, fit.beta, j, value) - cut

    se = float(np.sqrt(max(np.linalg.inv(fit.information)[j, j], 1e-12)))
    bounds: list[float | None] = []
    for direction in (-1.0, 1.0):
        width = max(min(2.0 * se, SEARCH_LIMIT), 0.1)
        inner, found = b, None
        while width <= 2 * SEARCH_LIMIT:
            outer = b + direction * width
            if drop(outer) > 0:
                lo, hi = sorted((inner, outer))
                found = float(brentq(drop, lo, hi, xtol=1e-12, rtol=1e-13))
                break
            inner, width = outer, width * 2
        bounds.append(found)
    statistic = max(2.0 * (top - _profile(rs, fit.beta, j, 0.0)), 0.0)
    return bounds[0], bounds[1], float(chi2.sf(statistic, 1))


def fit_firth(data: ModelData, *, ties: Ties = "efron", conf_level: float = 0.95) -> CoxResult:
    """Firth-penalized Cox fit of prepared data (see :func:`survstudy.cox_regression`)."""
    design = data.design
    ordinary = fit_cox(data, ties=ties, conf_level=conf_level, with_concordance=False)
    rs = risk_sets(design.matrix, data.time, data.event, data.stratum, ties)
    p = design.matrix.shape[1]
    null = penalized(rs, np.zeros(p))
    fit = penalized_fit(rs, np.zeros(p))
    final = fit.final
    var = np.asarray(np.linalg.inv(final.information), dtype=np.float64)
    se = np.sqrt(np.clip(np.diag(var), 0.0, None))
    terms = []
    for j, name in enumerate(design.terms):
        lo, hi, p_value = profile_interval(rs, final, j, conf_level)
        b = float(final.beta[j])
        ci = (
            float(np.exp(lo)) if lo is not None else 0.0,
            float(np.exp(hi)) if hi is not None else float("inf"),
        )
        terms.append(
            CoxTerm(name, design.covariate_of[j], b, float(se[j]), float(np.exp(b)), ci, p_value)
        )
    warnings = [w for w in ordinary.warnings if "monotone likelihood" not in w.message]
    if ordinary.monotone:
        warnings.append(
            Problem(
                f"monotone likelihood in the ordinary fit ({', '.join(ordinary.monotone)}): "
                "Firth's penalized likelihood gives finite estimates",
                severity="note",
            )
        )
    if not fit.converged:
        warnings.append(
            Problem(
                f"the penalized fit did not converge in {fit.iterations} iterations; the "
                "estimates are not reliable",
                severity="warning",
            )
        )
    unbounded = [
        t.term
        for t in terms
        if t.hr_ci is not None and (t.hr_ci[0] == 0.0 or not np.isfinite(t.hr_ci[1]))
    ]
    if unbounded:
        warnings.append(
            Problem(
                f"the profile likelihood interval of {', '.join(unbounded)} has no finite bound "
                f"within {SEARCH_LIMIT:g} on the log scale",
                severity="warning",
            )
        )
    score0 = float(null.score @ np.linalg.solve(null.information, null.score))
    tests = {
        "likelihood_ratio": chi_square(
            2 * (final.loglik - null.loglik), p, "penalized likelihood ratio"
        ),
        "wald": chi_square(float(final.beta @ final.information @ final.beta), p, "Wald"),
        "score": chi_square(score0, p, "penalized score"),
    }
    lp = design.matrix @ final.beta
    return CoxResult(
        method="firth",
        ties=ties,
        n=data.n,
        events=data.events,
        terms=tuple(terms),
        loglik=(null.loglik, final.loglik),
        tests=tests,
        concordance=concordance(data.time, data.event, lp, data.stratum),
        iterations=fit.iterations,
        converged=fit.converged,
        monotone=ordinary.monotone,
        ci_method="profile penalized likelihood",
        p_value_method="penalized likelihood ratio",
        conf_level=conf_level,
        coef=final.beta,
        covariance=var,
        warnings=tuple(warnings),
        data=data,
    )
