"""The chi-square upper tail for whole degrees of freedom, with the standard library only.

The log-rank family needs ``P(X² ≥ x)`` on k − 1 degrees of freedom. Importing SciPy for it
costs the ``km`` command about 0.15 s of start-up, a third of its time on 10^7 rows; the
closed forms below are exact to double precision (checked against ``scipy.special.chdtrc``).
"""

from __future__ import annotations

import math

__all__ = ["chi2_sf"]


def chi2_sf(x: float, df: int) -> float:
    """Survival function of the chi-square distribution with ``df`` (a whole number) df.

    Even df: ``exp(-x/2) Σ_{i<df/2} (x/2)^i / i!``. Odd df: ``erfc(√(x/2))`` plus
    ``Σ (x/2)^(i+1/2) exp(-x/2) / Γ(i+3/2)`` for ``i < (df-1)/2``. All terms are positive, so
    nothing cancels; each is computed on the log scale so large x cannot overflow.
    """
    if df < 1 or int(df) != df:
        raise ValueError(f"degrees of freedom must be a whole number >= 1, not {df}")
    if math.isnan(x):
        return math.nan
    if x <= 0:
        return 1.0
    if math.isinf(x):
        return 0.0
    half = x / 2
    log_half = math.log(half)
    if df % 2 == 0:
        terms = (math.exp(i * log_half - half - math.lgamma(i + 1)) for i in range(df // 2))
        return min(1.0, math.fsum(terms))
    head = math.erfc(math.sqrt(half))
    terms = (
        math.exp((i + 0.5) * log_half - half - math.lgamma(i + 1.5))
        for i in range((df - 1) // 2)
    )
    return min(1.0, head + math.fsum(terms))
