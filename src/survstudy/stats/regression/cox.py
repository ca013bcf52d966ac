"""Cox proportional hazards regression on row data, computed like R's ``coxph``.

The kernel walks rows sorted by (stratum, time): risk-set sums are reverse cumulative sums,
Efron's correction for tied deaths is one array operation over all (death time, k) pairs,
and the information matrix is ``X' diag(w) X - A'A`` with per-row weights, so nothing loops
over patients in Python. Newton-Raphson starts at 0 with step halving and R's stopping rule
(relative change in the log-likelihood below 1e-9, at most 20 iterations), so estimates agree
with R to its precision. A coefficient that runs to infinity (monotone likelihood) is detected
with R's rule and reported as such, never as a finite-looking Wald interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

from survstudy.arrays import FloatArray
from survstudy.arrays import IndexArray as IntArray
from survstudy.errors import Problem
from survstudy.stats.regression.cox_concordance import concordance
from survstudy.stats.regression.cox_result import (
    CoxResult,
    CoxTerm,
    Ties,
    chi_square,
)
from survstudy.stats.regression.design import ModelData

__all__ = [
    "Evaluation",
    "RiskSets",
    "concordance",
    "evaluate",
    "fit_cox",
    "newton",
    "risk_sets",
]

EPS = 1e-9
MAX_ITER = 20
#: R's ``toler.inf``: a remaining Newton step this large relative to the coefficient means
#: the coefficient is running to infinity.
TOLER_INF = float(np.sqrt(EPS))


@dataclass(frozen=True)
class RiskSets:
    """Rows sorted by (stratum, time), covariates centred, with the index arrays of the kernel.

    A *death group* is the set of deaths sharing a stratum and a time; its risk set is the
    rows of the stratum from ``group_start`` to ``group_end``. Each group of ``d`` deaths has
    ``d`` Efron terms with fractions ``k/d`` (all 0 for Breslow).
    """

    x: FloatArray = field(repr=False)
    means: FloatArray
    order: IntArray = field(repr=False)
    event: NDArray[np.bool_] = field(repr=False)
    death_rows: IntArray = field(repr=False)
    death_first: IntArray = field(repr=False)
    death_group: IntArray = field(repr=False)
    group_start: IntArray = field(repr=False)
    group_end: IntArray = field(repr=False)
    term_group: IntArray = field(repr=False)
    term_frac: FloatArray = field(repr=False)
    row_upto: IntArray = field(repr=False)
    row_from: IntArray = field(repr=False)
    ties: Ties = "efron"
    #: case weights in sorted order (None: every row counts once)
    weights: FloatArray | None = field(default=None, repr=False)
    #: ``x`` transposed and contiguous (covariates by rows): the kernel's cumulative sums
    #: run along memory (``x`` is its transposed view)
    xt: FloatArray | None = field(default=None, repr=False)
    #: whether some Efron term has a nonzero fraction (else the deaths' own sums are unused)
    tied: bool = True
    #: whether every risk set runs to the last row (no strata: no upper bound to subtract)
    open_ended: bool = False
    #: the deaths' (centred) covariates summed, the score's constant part (unweighted)
    dead_sum: FloatArray | None = field(default=None, repr=False)


def _stable_order(values: FloatArray) -> IntArray:
    """``np.argsort(values, kind="stable")``, faster: the default (introsort) argsort,
    then equal values put back in row order by one sort of (value rank, row) packed in one
    integer (a plain sort is several times faster than an argsort)."""
    n = values.size
    bits = max(int(n).bit_length(), 1)
    if 2 * bits > 62:
        return np.argsort(values, kind="stable").astype(np.intp)
    perm = np.argsort(values)
    ordered = values[perm]
    rank = np.zeros(n, dtype=np.int64)
    np.cumsum(ordered[1:] != ordered[:-1], out=rank[1:])
    packed = np.sort((rank << bits) | perm.astype(np.int64))
    return np.asarray(packed & ((1 << bits) - 1), dtype=np.intp)


def risk_sets(
    x: FloatArray,
    time: FloatArray,
    event: NDArray[np.bool_],
    stratum: IntArray | None = None,
    ties: Ties = "efron",
    weights: FloatArray | None = None,
) -> RiskSets:
    """Sort once and precompute where each risk set starts and ends.

    With case ``weights`` the means and risk-set sums are weighted and each Efron term of a
    group of tied deaths carries the group's mean death weight, as R's ``coxph(weights=)``.
    """
    n = time.size
    strat = np.zeros(n, dtype=np.intp) if stratum is None else np.asarray(stratum, np.intp)
    # np.lexsort((time, strat))'s order by stable sorts: one sort without strata
    order = _stable_order(time)
    if stratum is not None:
        order = order[np.argsort(strat[order], kind="stable")]
    t, s, ev = time[order], strat[order], event[order].astype(bool)
    means = x.mean(axis=0) if weights is None else (weights @ x) / weights.sum()
    xt = np.take(x, order, axis=0).T.copy()
    xt -= means[:, None]
    xs = xt.T
    new_time = np.r_[True, (t[1:] != t[:-1]) | (s[1:] != s[:-1])]
    new_stratum = np.r_[True, s[1:] != s[:-1]]
    time_start = np.maximum.accumulate(np.where(new_time, np.arange(n), 0))
    stratum_start = np.maximum.accumulate(np.where(new_stratum, np.arange(n), 0))
    starts = np.flatnonzero(new_stratum)
    stratum_end = np.r_[starts[1:], n][np.cumsum(new_stratum) - 1]
    death_rows = np.flatnonzero(ev)
    key = time_start[death_rows]
    first = np.r_[True, key[1:] != key[:-1]]
    death_first = np.flatnonzero(first).astype(np.intp)
    death_group = (np.cumsum(first) - 1).astype(np.intp)
    group_start = key[first]
    group_end = stratum_end[death_rows][first]
    size = np.diff(np.r_[death_first, death_rows.size])
    term_group = np.repeat(np.arange(size.size), size)
    k = np.arange(death_rows.size) - np.repeat(death_first, size)
    frac = k / np.repeat(size, size) if ties == "efron" else np.zeros(death_rows.size)
    # how many groups start at or before each row, and before its stratum (one pass each)
    started = np.r_[0, np.cumsum(np.bincount(group_start, minlength=n))].astype(np.intp)
    row_upto = started[1:]
    row_from = started[stratum_start]
    return RiskSets(
        xs,
        means,
        order,
        ev,
        death_rows.astype(np.intp),
        death_first,
        death_group,
        group_start.astype(np.intp),
        group_end.astype(np.intp),
        term_group.astype(np.intp),
        frac.astype(np.float64),
        row_upto,
        row_from,
        ties,
        None if weights is None else np.asarray(weights, dtype=np.float64)[order],
        xt,
        bool(frac.any()),
        bool(np.all(group_end == n)),
        xt[:, death_rows].sum(axis=1),
    )


@dataclass(frozen=True)
class Moments:
    """Risk-set quantities at one ``beta``: per Efron term the denominator and the mean of x."""

    eta: FloatArray
    r: FloatArray
    shift: float
    den: FloatArray
    mean: FloatArray
    row_weight: FloatArray
    death_weight: FloatArray
    #: per Efron term, the mean case weight of its group's deaths (1 without weights)
    term_weight: FloatArray | None = None


def _between(cum: FloatArray, start: IntArray, end: IntArray) -> FloatArray:
    """Sums over rows [start, end) from a reverse cumulative sum with a trailing zero."""
    return cum[start] - cum[end]


def moments(rs: RiskSets, beta: FloatArray) -> Moments:
    """Risk-set denominators and means for every Efron term, vectorised over death times.

    The risk-set sums of ``r`` and ``r x`` are one reverse cumulative sum over a
    (1 + p) x n block; the deaths' own sums (Efron) only where some group has ties.
    """
    xt = rs.xt if rs.xt is not None else np.ascontiguousarray(rs.x.T)
    p, n = xt.shape
    eta = beta @ xt
    top = float(eta.max())
    shift = top if abs(top) > 300.0 else 0.0
    r = np.exp(eta - shift)
    cr = r if rs.weights is None else rs.weights * r
    rx = np.empty((p + 1, n))
    rx[0] = cr
    np.multiply(xt, cr, out=rx[1:])
    cum = np.empty((p + 1, n + 1))
    cum[:, n] = 0.0
    np.cumsum(rx[:, ::-1], axis=1, out=cum[:, n - 1 :: -1] if n else cum[:, :0])
    risk = cum[:, rs.group_start]
    if not rs.open_ended:
        risk -= cum[:, rs.group_end]
    g, f = rs.term_group, rs.term_frac
    per_death = g.size == risk.shape[1]  # every group one death: terms are groups
    if rs.tied:
        dead = np.add.reduceat(rx[:, rs.death_rows], rs.death_first, axis=1)
        term = risk[:, g] - f * dead[:, g]
        den = term[0]
        mean_t = term[1:] / den
    elif per_death:
        den = risk[0]
        mean_t = risk[1:] / den
    else:
        den = risk[0][g]
        mean_t = (risk[1:] / risk[0])[:, g]
    hz = None
    if rs.weights is not None:
        size = np.diff(np.r_[rs.death_first, rs.death_rows.size])
        hz = (np.add.reduceat(rs.weights[rs.death_rows], rs.death_first) / size)[g]
    if per_death and hz is None:
        inv = 1.0 / den
    else:
        inv = np.bincount(g, (1.0 if hz is None else hz) / den, minlength=risk.shape[1])
    cum0 = np.r_[0.0, np.cumsum(inv)]
    row_weight = cum0[rs.row_upto] - cum0[rs.row_from]
    death_weight = np.bincount(
        g, (f if hz is None else hz * f) / den, minlength=risk.shape[1]
    )[rs.death_group].astype(np.float64)
    return Moments(eta, r, shift, den, mean_t.T, row_weight, death_weight, hz)


@dataclass(frozen=True)
class Evaluation:
    """Log partial likelihood, score vector and information matrix at ``beta``."""

    beta: FloatArray
    loglik: float
    score: FloatArray
    information: FloatArray


def evaluate(rs: RiskSets, beta: FloatArray) -> Evaluation:
    """Log partial likelihood and its first two derivatives (Efron or Breslow)."""
    m = moments(rs, beta)
    d = rs.death_rows
    xt = rs.xt if rs.xt is not None else np.ascontiguousarray(rs.x.T)
    mean_t = m.mean.T
    if rs.weights is not None and m.term_weight is not None:
        c, hz = rs.weights, m.term_weight
        loglik = float(c[d] @ m.eta[d] - hz @ np.log(m.den) - c[d].sum() * m.shift)
        w = c * m.r * m.row_weight
        w[d] -= c[d] * m.r[d] * m.death_weight
        score = xt[:, d] @ c[d] - xt @ w
        information = (xt * w) @ xt.T - (mean_t * hz) @ m.mean
        return Evaluation(beta, loglik, score, information)
    loglik = float(m.eta[d].sum() - np.log(m.den).sum() - d.size * m.shift)
    w = m.r * m.row_weight
    w[d] -= m.r[d] * m.death_weight
    dead_sum = rs.dead_sum if rs.dead_sum is not None else xt[:, d].sum(axis=1)
    score = dead_sum - xt @ w
    information = (xt * w) @ xt.T - mean_t @ m.mean
    return Evaluation(beta, loglik, score, information)


def _solve(matrix: FloatArray, vector: FloatArray) -> FloatArray:
    try:
        return np.asarray(np.linalg.solve(matrix, vector), dtype=np.float64)
    except np.linalg.LinAlgError:
        return np.asarray(np.linalg.lstsq(matrix, vector, rcond=None)[0], dtype=np.float64)


@dataclass(frozen=True)
class NewtonPath:
    """Where Newton-Raphson started and stopped."""

    initial: Evaluation
    final: Evaluation
    iterations: int
    converged: bool


def newton(
    evaluate_at: Callable[[FloatArray], Evaluation],
    init: FloatArray,
    *,
    eps: float = EPS,
    max_iter: int = MAX_ITER,
) -> NewtonPath:
    """R's ``coxfit6`` iteration: Newton steps, shortened while the log-likelihood falls.

    As in R, convergence is tested first: a step whose log-likelihood is within ``eps``
    (relative) of the best one ends the iteration even if it is lower by rounding (testing
    the fall first halved forever at the optimum). Each further fall moves the proposal to
    ``(new + h best) / (h + 1)`` for the h-th fall in a row; without convergence the path
    ends at the best (last accepted) point, as R's ``coxph``.
    """
    initial = evaluate_at(init)
    best = initial
    new_beta = init + _solve(initial.information, initial.score)
    halving = 0
    for iteration in range(1, max_iter + 1):
        current = evaluate_at(new_beta)
        finite = bool(
            np.isfinite(current.loglik)
            and np.all(np.isfinite(current.score))
            and np.all(np.isfinite(current.information))
        )
        if finite and abs(1.0 - best.loglik / current.loglik) <= eps:
            return NewtonPath(initial, current, iteration, True)
        if iteration == max_iter:
            break
        if not finite or current.loglik < best.loglik:
            halving += 1
            new_beta = (new_beta + halving * best.beta) / (halving + 1.0)
        else:
            halving = 0
            best = current
            new_beta = new_beta + _solve(current.information, current.score)
    return NewtonPath(initial, best, max_iter, False)


def _z(conf_level: float) -> float:
    # the standard library's normal quantile and tail (erfc), not SciPy's: the same values
    # (within 1e-15 and 3e-13 relative) without 0.5 s of SciPy import in every `survstudy cox`
    return NormalDist().inv_cdf(0.5 + conf_level / 2.0)


def _two_sided(z: float) -> float:
    """``2 P(Z > |z|)`` for a standard normal Z (``2 ndtr(-|z|)``)."""
    return math.erfc(abs(z) / math.sqrt(2.0))


def _wald_terms(
    names: Sequence[str],
    owners: Sequence[str],
    beta: FloatArray,
    var: FloatArray,
    infinite: IntArray,
    conf_level: float,
) -> tuple[CoxTerm, ...]:
    z = _z(conf_level)
    out = []
    se = np.sqrt(np.clip(np.diag(var), 0.0, None))
    for j, name in enumerate(names):
        if infinite[j]:
            out.append(CoxTerm(name, owners[j], None, None, None, None, None, int(infinite[j])))
            continue
        b, s = float(beta[j]), float(se[j])
        p = _two_sided(b / s) if s > 0 else None
        out.append(
            CoxTerm(
                name,
                owners[j],
                b,
                s,
                float(np.exp(b)),
                (float(np.exp(b - z * s)), float(np.exp(b + z * s))),
                p,
            )
        )
    return tuple(out)


def monotone_terms(final: Evaluation, var: FloatArray) -> IntArray:
    """R's check: +1/-1 where the remaining Newton step is not small next to the coefficient."""
    step = np.abs(var @ final.score)
    flag = (step > EPS) & (step > TOLER_INF * np.abs(final.beta))
    return (flag * np.sign(final.beta)).astype(np.intp)


def fit_cox(
    data: ModelData,
    *,
    ties: Ties = "efron",
    conf_level: float = 0.95,
    with_concordance: bool = True,
    weights: FloatArray | None = None,
    robust: bool | None = None,
    weights_label: str = "weights",
) -> CoxResult:
    """Maximum partial likelihood fit of prepared data (see :func:`cox_regression`).

    ``weights`` (one per row of ``data``) are case weights; weights that are all 1 are no
    weights. ``robust`` gives the sandwich variance and the robust score test; by default it
    is on when some weight is not a whole number, as in R.
    """
    design = data.design
    if weights is not None and np.all(weights == 1.0):
        weights = None
    if robust is None:
        robust = weights is not None and bool(np.any(weights != np.floor(weights)))
    rs = risk_sets(design.matrix, data.time, data.event, data.stratum, ties, weights)
    p = design.matrix.shape[1]
    path = newton(lambda b: evaluate(rs, b), np.zeros(p))
    final = path.final
    var = np.asarray(np.linalg.inv(final.information), dtype=np.float64)
    infinite = monotone_terms(final, var)
    warnings = list(data.warnings)
    monotone = tuple(design.terms[j] for j in np.flatnonzero(infinite))
    if monotone:
        warnings.append(
            Problem(
                f"monotone likelihood: the coefficient of {', '.join(monotone)} runs to "
                "infinity (e.g. every event is in one group), so its hazard ratio is infinite or "
                "zero and has no Wald confidence interval; use Firth's penalized likelihood "
                "(firth=True) for finite estimates",
                severity="warning",
                column=design.covariate_of[int(np.flatnonzero(infinite)[0])],
            )
        )
    if not path.converged:
        warnings.append(
            Problem(
                f"Newton-Raphson did not converge in {path.iterations} iterations; the estimates "
                "are not reliable",
                severity="warning",
            )
        )
    beta = final.beta
    score_stat = float(
        np.dot(path.initial.score, _solve(path.initial.information, path.initial.score))
    )
    naive = var
    if robust:
        from survstudy.stats.regression.cox_robust import robust_covariance, robust_score_statistic

        var = robust_covariance(rs, beta, naive)
    tests = {
        "likelihood_ratio": chi_square(
            2 * (final.loglik - path.initial.loglik), p, "likelihood ratio"
        ),
        "wald": chi_square(float(beta @ _solve(var, beta)), p, "Wald"),
        "score": chi_square(score_stat, p, "score (log-rank)"),
    }
    if robust:
        tests["robust_score"] = chi_square(robust_score_statistic(rs), p, "robust score")
    conc = None
    if with_concordance and weights is None:
        lp = design.matrix @ beta
        conc = concordance(data.time, data.event, lp, data.stratum, rs.order)
    terms = _wald_terms(design.terms, design.covariate_of, beta, var, infinite, conf_level)
    return CoxResult(
        method="cox",
        ties=ties,
        n=data.n,
        events=data.events,
        terms=terms,
        loglik=(path.initial.loglik, final.loglik),
        tests=tests,
        concordance=conc,
        iterations=path.iterations,
        converged=path.converged,
        monotone=monotone,
        ci_method="Wald",
        p_value_method="Wald",
        conf_level=conf_level,
        coef=beta,
        covariance=var,
        warnings=tuple(warnings),
        data=data,
        variance="robust" if robust else "model-based",
        weights=None if weights is None else weights_label,
        naive_covariance=naive if robust else None,
    )


