"""Propensity scores by logistic regression and inverse-probability-of-treatment weights.

The logistic fit is R's ``glm(family = binomial)``: iteratively reweighted least squares from
``mu = (y + 0.5) / 2``, the logit link's clamping at |eta| > 30, and glm's stopping rule
(relative change in deviance below 1e-8, at most 25 iterations), so coefficients agree with R
to its precision. A treatment that the covariates predict perfectly (separation) gives fitted
probabilities of 0 or 1 and infinite weights: that is a positivity violation and raises
:class:`InputError` naming the covariate, never a crash or a silent infinite weight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from survstudy.arrays import BoolArray, FloatArray
from survstudy.errors import InputError, Problem
from survstudy.jsonsafe import Record

__all__ = [
    "EXTREME_PS",
    "EXTREME_WEIGHT",
    "Estimand",
    "LogisticFit",
    "WeightSummary",
    "fit_logistic",
    "iptw_weights",
    "propensity_warnings",
    "separation_error",
    "weight_summary",
]

Estimand = Literal["ate", "att"]

#: glm.control(): epsilon and maxit.
GLM_EPSILON = 1e-8
GLM_MAXIT = 25
#: glm.fit's "fitted probabilities numerically 0 or 1" threshold.
NUMERICALLY_BOUNDARY = 10 * float(np.finfo(float).eps)
#: R's logit link: beyond this |eta| the inverse link and its derivative are clamped.
_THRESH = 30.0
_EPS = float(np.finfo(float).eps)
_LINKINV_THRESH = -float(np.log(_EPS))
#: Warn when a propensity score is below this or above one minus this (positivity).
EXTREME_PS = 0.01
#: Warn when a weight exceeds this (a common rule of thumb for unstable weights).
EXTREME_WEIGHT = 10.0


@dataclass(frozen=True)
class LogisticFit:
    """A logistic regression fitted as R's ``glm``: coefficients, SEs, fitted probabilities."""

    terms: tuple[str, ...]
    coef: FloatArray = field(repr=False)
    se: FloatArray = field(repr=False)
    fitted: FloatArray = field(repr=False)
    deviance: float
    null_deviance: float
    iterations: int
    converged: bool

    @property
    def coefficients(self) -> dict[str, float]:
        return {t: float(b) for t, b in zip(self.terms, self.coef, strict=True)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "coefficients": self.coefficients,
            "std_errors": {t: float(s) for t, s in zip(self.terms, self.se, strict=True)},
            "deviance": self.deviance,
            "null_deviance": self.null_deviance,
            "iterations": self.iterations,
            "converged": self.converged,
            "criterion": "relative change in deviance < 1e-8 (R glm), at most 25 iterations",
        }


def _linkinv(eta: FloatArray) -> FloatArray:
    """R's ``logit_linkinv``: exp(eta)/(1+exp(eta)) with eta clamped at ±36.04."""
    tmp = np.exp(np.clip(eta, -_LINKINV_THRESH, _LINKINV_THRESH))
    tmp = np.where(eta < -_LINKINV_THRESH, _EPS, np.where(eta > _LINKINV_THRESH, 1 / _EPS, tmp))
    return np.asarray(tmp / (1.0 + tmp), dtype=np.float64)


def _mu_eta(eta: FloatArray) -> FloatArray:
    """R's ``logit_mu_eta``: derivative of the inverse link, clamped beyond |eta| > 30."""
    e = np.exp(np.clip(eta, -_THRESH, _THRESH))
    out = e / (1.0 + e) ** 2
    return np.asarray(np.where(np.abs(eta) > _THRESH, _EPS, out), dtype=np.float64)


def _deviance(y: FloatArray, mu: FloatArray) -> float:
    with np.errstate(divide="ignore"):
        return float(-2.0 * np.where(y > 0.5, np.log(mu), np.log1p(-mu)).sum())


def fit_logistic(x: FloatArray, y: FloatArray, terms: Sequence[str]) -> LogisticFit:
    """Logistic regression of 0/1 ``y`` on ``x`` (whose first column is the intercept), as glm."""
    mu = (y + 0.5) / 2.0
    eta = np.log(mu / (1.0 - mu))
    dev_old = _deviance(y, mu)
    coef = np.zeros(x.shape[1])
    xtwx = np.eye(x.shape[1])
    converged = False
    iteration = 0
    for iteration in range(1, GLM_MAXIT + 1):  # noqa: B007 - the count is reported
        d = _mu_eta(eta)
        var = mu * (1.0 - mu)
        z = eta + (y - mu) / d
        w = np.sqrt(d * d / var)
        xw = x * w[:, None]
        xtwx = xw.T @ xw
        coef = np.asarray(np.linalg.lstsq(xw, z * w, rcond=None)[0], dtype=np.float64)
        eta = x @ coef
        mu = _linkinv(eta)
        dev = _deviance(y, mu)
        if abs(dev - dev_old) / (abs(dev) + 0.1) < GLM_EPSILON:
            converged = True
            break
        dev_old = dev
    try:
        cov = np.linalg.inv(xtwx)
        se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    except np.linalg.LinAlgError:
        se = np.full(x.shape[1], np.nan)
    p = float(y.mean())
    null_dev = _deviance(y, np.full(y.size, p))
    return LogisticFit(
        tuple(terms), coef, se, mu, _deviance(y, mu), null_dev, iteration, converged
    )


def separation_error(
    fit: LogisticFit, x: FloatArray, treated: BoolArray, columns: Sequence[str], source: str
) -> InputError | None:
    """A positivity error when the fit did not converge or a fitted probability is 0 or 1.

    Names each model term whose values do not overlap between the arms (complete or
    quasi-complete separation); otherwise says a combination of covariates separates them.
    """
    ps = fit.fitted
    boundary = (ps < NUMERICALLY_BOUNDARY) | (ps > 1.0 - NUMERICALLY_BOUNDARY)
    if fit.converged and not boundary.any():
        return None
    problems = []
    for j, term in enumerate(fit.terms[1:], start=1):
        a, b = x[treated, j], x[~treated, j]
        if a.max() <= b.min() or b.max() <= a.min():
            low, high = ("treated", "control") if a.max() <= b.min() else ("control", "treated")
            cut = min(a.max(), b.max())
            problems.append(
                Problem(
                    f"positivity violated: '{term}' separates the arms (every {low} patient has "
                    f"{term} <= {cut:g} and every {high} patient has {term} >= "
                    f"{max(a.min(), b.min()):g}), so the propensity score is 0 or 1 and the "
                    "weights are infinite; remove or coarsen this covariate, or restrict the "
                    "cohort to patients who could have received either treatment",
                    file=source,
                    column=columns[j - 1],
                )
            )
    if not problems:
        how = (
            f"{int(boundary.sum())} patients have a propensity score of 0 or 1"
            if boundary.any()
            else f"the logistic fit did not converge in {fit.iterations} iterations"
        )
        problems.append(
            Problem(
                f"positivity violated: {how}; a combination of the covariates "
                f"({', '.join(dict.fromkeys(columns))}) predicts the treatment perfectly "
                "(separation), so the weights are infinite; remove or coarsen covariates, or "
                "restrict the cohort to patients who could have received either treatment",
                file=source,
            )
        )
    return InputError(problems)


def iptw_weights(
    ps: FloatArray,
    treated: BoolArray,
    estimand: Estimand = "ate",
    *,
    stabilize: bool = False,
    trim: tuple[float, float] | None = None,
) -> FloatArray:
    """Inverse-probability-of-treatment weights.

    ATE: 1/ps (treated), 1/(1-ps) (control); ATT: 1 (treated), ps/(1-ps) (control).
    ``stabilize`` multiplies ATE weights by the marginal probability of the patient's own arm
    and ATT control weights by P(control)/P(treated). ``trim=(lo, hi)`` truncates the weights
    of each arm at that arm's ``lo`` and ``hi`` quantiles (R's type 7).
    """
    if estimand not in ("ate", "att"):
        raise ValueError(f"estimand must be 'ate' or 'att', not {estimand!r}")
    p1 = float(treated.mean())
    if estimand == "ate":
        w = np.where(treated, 1.0 / ps, 1.0 / (1.0 - ps))
        if stabilize:
            w = w * np.where(treated, p1, 1.0 - p1)
    else:
        w = np.where(treated, 1.0, ps / (1.0 - ps))
        if stabilize:
            w = w * np.where(treated, 1.0, (1.0 - p1) / p1)
    if trim is not None:
        lo, hi = trim
        if not 0.0 <= lo < hi <= 1.0:
            raise ValueError(f"trim must be two quantiles 0 <= lower < upper <= 1, not {trim}")
        for arm in (treated, ~treated):
            q_lo, q_hi = np.quantile(w[arm], [lo, hi])
            w[arm] = np.clip(w[arm], q_lo, q_hi)
    return np.asarray(w, dtype=np.float64)


@dataclass(frozen=True)
class WeightSummary(Record):
    """The weights of one arm: n, sum, min, max, mean, effective sample size (Σw)²/Σw²."""

    group: str
    n: int
    sum: float
    min: float
    max: float
    mean: float
    ess: float


def weight_summary(weights: FloatArray, group: str) -> WeightSummary:
    w = weights
    return WeightSummary(
        group,
        int(w.size),
        float(w.sum()),
        float(w.min()),
        float(w.max()),
        float(w.mean()),
        float(w.sum() ** 2 / (w * w).sum()),
    )


def propensity_warnings(
    ps: FloatArray, weights: FloatArray, source: str
) -> tuple[Problem, ...]:
    """Warnings for propensity scores near 0 or 1 and for extreme weights."""
    out = []
    near = (ps < EXTREME_PS) | (ps > 1.0 - EXTREME_PS)
    if near.any():
        out.append(
            Problem(
                f"positivity: {int(near.sum())} patients have a propensity score below "
                f"{EXTREME_PS} or above {1 - EXTREME_PS} (range {ps.min():.3g} to "
                f"{ps.max():.3g}); their weights dominate: consider trimming (trim=) or "
                "restricting the cohort",
                file=source,
                severity="warning",
            )
        )
    big = weights > EXTREME_WEIGHT
    if big.any():
        out.append(
            Problem(
                f"extreme weights: {int(big.sum())} patients have a weight above "
                f"{EXTREME_WEIGHT:g} (largest {weights.max():.3g}); estimates rest on few "
                "patients: consider stabilised or trimmed weights",
                file=source,
                severity="warning",
            )
        )
    return tuple(out)
