"""Kaplan-Meier curves with case weights, as R's ``survfit(..., weights = w)``.

Point estimates and numbers at risk are the weighted counts. The variance is R's choice:
Greenwood's formula on the weighted counts when every weight is a whole number (a weight of
k is k identical patients), otherwise the infinitesimal jackknife (IJ): the sum over patients
of (w_i * dS(t)/dw_i)². For the Kaplan-Meier product the derivative has a closed form, so the
IJ variance of log S at every time is two cumulative sums — no loop over patients:

    d log S(t) / dw_i = C(min(t, t_i)) - [event_i and t_i <= t] / (Y(t_i) - D(t_i)),
    C(t) = sum over times s <= t of D(s) / (Y(s) (Y(s) - D(s))).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from survstudy.arrays import FloatArray
from survstudy.engine.counts import count_table, merge_near_ties
from survstudy.stats.survival.km import (
    ConfType,
    KaplanMeier,
    SurvivalCurve,
    confidence_interval,
    kaplan_meier_counts,
)

__all__ = [
    "Variance",
    "ij_se_log",
    "weighted_kaplan_meier",
]

Variance = Literal["auto", "infinitesimal jackknife", "greenwood"]


def ij_se_log(
    time: FloatArray, event: NDArray[np.bool_], weight: FloatArray, curve: SurvivalCurve
) -> FloatArray:
    """Infinitesimal-jackknife standard error of log S at each time of ``curve``.

    ``time``/``event``/``weight`` are the rows of the curve's group, on the same (tie-merged)
    time scale as the curve.
    """
    y, d = curve.n_risk, curve.n_event
    k = np.searchsorted(curve.time, time)
    with np.errstate(divide="ignore", invalid="ignore"):
        left = y - d
        c = np.where(d > 0, d / (y * left), 0.0)
        cum = np.cumsum(c)
        b = 1.0 / left
        own = np.where(event, b[k], 0.0) - cum[k]
        w2 = weight * weight
        settled = np.cumsum(np.bincount(k, w2 * own * own, minlength=y.size))
        # weight of the rows still at risk after each time (clipped: rounding can leave -0)
        later = np.clip(w2.sum() - np.cumsum(np.bincount(k, w2, minlength=y.size)), 0.0, None)
        var = settled + cum * cum * later
    return np.asarray(np.sqrt(var), dtype=np.float64)


def weighted_kaplan_meier(
    time: ArrayLike,
    event: ArrayLike,
    weight: ArrayLike,
    group: ArrayLike | None = None,
    *,
    groups: Sequence[str] | None = None,
    conf_type: ConfType = "log-log",
    conf_level: float = 0.95,
    variance: Variance = "auto",
    excluded: int = 0,
) -> KaplanMeier:
    """Kaplan-Meier curves with case weights (per group of ``group`` when given).

    ``variance="auto"`` follows R: Greenwood when every weight is whole, otherwise the
    infinitesimal jackknife (recorded as ``KaplanMeier.variance``). Weights must be finite
    and non-negative (the caller checks).
    """
    t = np.asarray(time, dtype=np.float64)
    e = np.asarray(event, dtype=bool)
    w = np.asarray(weight, dtype=np.float64)
    if variance not in ("auto", "infinitesimal jackknife", "greenwood"):
        raise ValueError(f"unknown variance {variance!r}")
    if variance == "auto":
        whole = bool(np.all(w == np.floor(w)))
        variance = "greenwood" if whole else "infinitesimal jackknife"
    t, merged = merge_near_ties(t)
    counts = count_table(t, e, group, weight=w, groups=groups, excluded=excluded)
    counts = replace(counts, ties_merged=merged)
    with np.errstate(over="ignore"):  # log-log bounds of S near 1 overflow to 0
        km = kaplan_meier_counts(counts, conf_type=conf_type, conf_level=conf_level)
    if variance == "greenwood":
        return km
    labels = (
        np.full(t.size, counts.groups[0], dtype=object)
        if group is None
        else np.asarray(group).astype(str)
    )
    curves = []
    for curve in km:
        rows = labels == curve.label
        se_log = ij_se_log(t[rows], e[rows], w[rows], curve)
        with np.errstate(over="ignore"):  # log-log bounds of S near 1 overflow to 0
            lower, upper = confidence_interval(curve.survival, se_log, conf_type, conf_level)
        curves.append(replace(curve, se_log=se_log, ci_lower=lower, ci_upper=upper))
    return replace(km, curves=tuple(curves), variance="infinitesimal jackknife")
