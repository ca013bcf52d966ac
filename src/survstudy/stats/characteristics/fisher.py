"""Fisher's exact test for r×c tables, two-sided, with the same p-value as R's ``fisher.test``.

* 2×2: the hypergeometric distribution of the first cell, summing the probabilities no larger
  than the observed one times ``1 + 1e-7`` (R's ``relErr``); with the conditional maximum
  likelihood odds ratio and its exact confidence interval, as R reports them.
* larger tables: exact enumeration by a network algorithm (:mod:`.fisher_network`), summing
  the tables no more probable than the observed one with FEXACT's tolerance (R for r×c).
* Only when exact enumeration passes the stated size (:class:`NetworkLimits`) is a Monte Carlo
  p-value computed instead, from random tables with the observed margins (Patefield's
  algorithm), as R's ``simulate.p.value``: ``(1 + #{T ≤ T_obs}) / (B + 1)``, reported with its
  number of replicates, seed and standard error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq
from scipy.special import gammaln

from survstudy.jsonsafe import Record
from survstudy.stats.characteristics.fisher_network import (
    LOG_TOLERANCE,
    Abandon,
    NetworkLimits,
    network_pvalue,
)
from survstudy.stats.characteristics.hypergeometric import FirstCell

__all__ = [
    "MONTE_CARLO_REPLICATES",
    "MONTE_CARLO_SEED",
    "RELATIVE_TOLERANCE_2X2",
    "FisherResult",
    "MonteCarlo",
    "NetworkLimits",
    "OddsRatio",
    "fisher_exact",
]

#: R's ``relErr`` for the two-sided 2×2 p-value.
RELATIVE_TOLERANCE_2X2 = 1e-7
#: Replicates and seed of the Monte Carlo p-value used past the exact limits.
MONTE_CARLO_REPLICATES = 100_000
MONTE_CARLO_SEED = 20_111_230

Method = Literal["exact", "monte-carlo"]


@dataclass(frozen=True)
class OddsRatio(Record):
    """Conditional maximum likelihood odds ratio of a 2×2 table with its exact CI (as R).

    The odds ratio is ``(a·d)/(b·c)`` for the table ``[[a, b], [c, d]]`` as given: the odds of
    the first column in the first row relative to the second row.
    """

    estimate: float
    ci_lower: float
    ci_upper: float
    conf_level: float
    method: str = "conditional maximum likelihood, exact CI (as R fisher.test)"


@dataclass(frozen=True)
class MonteCarlo(Record):
    """How a Monte Carlo p-value was obtained, to be reported next to it."""

    replicates: int
    seed: int
    standard_error: float
    reason: str


@dataclass(frozen=True)
class FisherResult:
    """Two-sided Fisher exact test of one contingency table (empty rows/columns removed)."""

    table: tuple[tuple[int, ...], ...]
    p_value: float
    method: Method
    tolerance: float
    odds_ratio: OddsRatio | None = None
    replicates: int | None = None
    seed: int | None = None
    standard_error: float | None = None
    note: str = ""

    @property
    def monte_carlo(self) -> MonteCarlo | None:
        if self.method != "monte-carlo" or self.replicates is None or self.seed is None:
            return None
        return MonteCarlo(self.replicates, self.seed, self.standard_error or 0.0, self.note)

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": "fisher",
            "p_value": self.p_value,
            "method": self.method,
            "tolerance": self.tolerance,
            "table": [list(r) for r in self.table],
            "odds_ratio": None if self.odds_ratio is None else self.odds_ratio.to_dict(),
            "replicates": self.replicates,
            "seed": self.seed,
            "standard_error": self.standard_error,
            "note": self.note,
        }


def _as_table(table: ArrayLike) -> NDArray[np.int64]:
    x = np.asarray(table)
    if x.ndim != 2:
        raise ValueError("Fisher's test needs a two-way table")
    if x.size and (not np.all(np.isfinite(x)) or np.any(x < 0) or np.any(x != np.round(x))):
        raise ValueError("table entries must be non-negative whole numbers")
    x = x.astype(np.int64)
    x = np.asarray(x[x.sum(axis=1) > 0][:, x.sum(axis=0) > 0], dtype=np.int64)
    if min(x.shape) < 2:
        raise ValueError("Fisher's test needs at least 2 non-empty rows and 2 non-empty columns")
    return x


def fisher_exact(
    table: ArrayLike,
    *,
    conf_level: float = 0.95,
    limits: NetworkLimits | None = None,
    replicates: int = MONTE_CARLO_REPLICATES,
    seed: int = MONTE_CARLO_SEED,
) -> FisherResult:
    """Two-sided Fisher exact test of ``table`` (rows and columns that are all zero are dropped).

    Exact as R's ``fisher.test`` for every table within ``limits``; past them, a Monte Carlo
    p-value with ``replicates`` random tables drawn with ``seed``, labelled as such.
    """
    x = _as_table(table)
    cells = tuple(tuple(int(v) for v in row) for row in x)
    if x.shape == (2, 2):
        return FisherResult(
            table=cells,
            p_value=_two_by_two_p(x),
            method="exact",
            tolerance=RELATIVE_TOLERANCE_2X2,
            odds_ratio=odds_ratio(x, conf_level),
        )
    try:
        p = network_pvalue(x, limits)
    except Abandon as e:
        p, se = _monte_carlo(x, replicates, seed)
        return FisherResult(
            table=cells,
            p_value=p,
            method="monte-carlo",
            tolerance=LOG_TOLERANCE,
            replicates=replicates,
            seed=seed,
            standard_error=se,
            note=f"exact enumeration stopped: {e}; Monte Carlo p from {replicates:,} tables",
        )
    return FisherResult(table=cells, p_value=p, method="exact", tolerance=LOG_TOLERANCE)


# --- 2×2 ---------------------------------------------------------------------------------


def _two_by_two_p(x: NDArray[np.int64]) -> float:
    cell = FirstCell(x)
    s, d = cell.density(1.0)
    at = np.flatnonzero(s == cell.observed)
    observed = float(d[at[0]]) if at.size else 0.0  # outside the window: exp(...) is 0
    return float(min(1.0, d[d <= observed * (1 + RELATIVE_TOLERANCE_2X2)].sum()))


def odds_ratio(table: ArrayLike, conf_level: float = 0.95) -> OddsRatio:
    """Conditional MLE odds ratio of a 2×2 table and its exact two-sided CI, as R.

    R solves the same equations with ``uniroot``'s default tolerance (about 1e-4), so its
    printed estimate and limits agree with these to about 4 significant digits.
    """
    cell = FirstCell(np.asarray(table, dtype=np.int64))
    lo, hi, a = cell.lo, cell.hi, cell.observed

    def mean(t: float) -> float:
        s, d = cell.density(t)
        return float(np.sum(s * d))

    def lower_tail(t: float) -> float:  # P(X ≤ a)
        s, d = cell.density(t)
        return float(d[s <= a].sum())

    def upper_tail(t: float) -> float:  # P(X ≥ a)
        s, d = cell.density(t)
        return float(d[s >= a].sum())

    def solve(f: Any, target: float, increasing: bool) -> float:
        """Root of f(t) = target over t in (0, inf), searching t in (0, 1] or 1/t in (0, 1]."""
        at_one = f(1.0) - target
        if at_one == 0:
            return 1.0
        if (at_one > 0) == increasing:  # root below 1
            return float(brentq(lambda t: f(t) - target, 1e-300, 1.0, xtol=1e-300, rtol=1e-13))
        u = brentq(lambda u: f(1.0 / u) - target, 1e-300, 1.0, xtol=1e-300, rtol=1e-13)
        return float(1.0 / u)

    if a == lo:
        estimate = 0.0
    elif a == hi:
        estimate = math.inf
    else:
        estimate = solve(mean, float(a), increasing=True)
    alpha = (1.0 - conf_level) / 2.0
    upper = math.inf if a == hi else solve(lower_tail, alpha, increasing=False)
    lower = 0.0 if a == lo else solve(upper_tail, alpha, increasing=True)
    return OddsRatio(estimate=estimate, ci_lower=lower, ci_upper=upper, conf_level=conf_level)


# --- Monte Carlo -------------------------------------------------------------------------


def _monte_carlo(x: NDArray[np.int64], replicates: int, seed: int) -> tuple[float, float]:
    """R's simulated p: (1 + #{-Σ log x! ≤ observed}) / (B + 1), and its standard error."""
    from scipy.stats import random_table

    rows, cols = x.sum(axis=1), x.sum(axis=0)
    lf = gammaln(np.arange(int(x.sum()) + 1) + 1.0)
    observed = -float(lf[x].sum())
    almost_one = 1 + 64 * np.finfo(float).eps  # as R
    rng = np.random.default_rng(seed)
    dist = random_table(rows, cols)
    hits = 0
    done = 0
    chunk = max(1, 2_000_000 // x.size)
    while done < replicates:
        size = min(chunk, replicates - done)
        tables = dist.rvs(size=size, method="patefield", random_state=rng)
        stat = -lf[tables].sum(axis=(1, 2))
        hits += int(np.sum(stat <= observed / almost_one))
        done += size
    p = (1 + hits) / (replicates + 1)
    return p, math.sqrt(p * (1 - p) / replicates)
