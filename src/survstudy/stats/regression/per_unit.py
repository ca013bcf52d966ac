"""Hazard ratios of continuous covariates per k units instead of per unit.

A Cox coefficient β is per unit of x; per k units it is k·β, so the hazard ratio is
exp(k·β) = HRᵏ and each confidence bound is raised to the same power (the Wald interval of
k·β is k times that of β, k > 0). The p-value is unchanged: it tests β = 0, which is k·β = 0.
This is what a refit with x / k gives (the likelihood is invariant to the rescaling).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from survstudy.stats.regression.prognostic import PrognosticRow

__all__ = ["per_units"]


def _power(x: float, k: float) -> float:
    """xᵏ computed as exp(k·log x), the form of exp(k·β); 0 and inf stay 0 and inf."""
    with np.errstate(divide="ignore"):
        return float(np.exp(k * np.log(x)))


def per_units(rows: Sequence[PrognosticRow], per: Mapping[str, float]) -> tuple[PrognosticRow, ...]:
    """``rows`` with the HR and CI of each numeric term of a covariate in ``per`` given per
    ``per[covariate]`` units; level terms of categorical factors (which have a reference) and
    covariates not in ``per`` are returned unchanged."""
    for name, k in per.items():
        if not (np.isfinite(k) and k > 0):
            raise ValueError(f"the scale of '{name}' must be a positive number, not {k}")
    out = []
    for r in rows:
        step = per.get(r.covariate)
        if step is None or r.reference is not None or r.term != r.covariate:
            out.append(r)
            continue
        hr = None if r.hr is None else _power(r.hr, step)
        ci = None if r.hr_ci is None else (_power(r.hr_ci[0], step), _power(r.hr_ci[1], step))
        out.append(dataclasses.replace(r, hr=hr, hr_ci=ci))
    return tuple(out)
