"""Kaplan-Meier estimation on a count table, matching R's ``survfit`` and ``summary.survfit``.

Greenwood variance of log S, pointwise confidence intervals on the ``plain``, ``log`` or
``log-log`` scale, survival at chosen times with the number at risk, quantiles with
Brookmeyer-Crowley intervals (R's ``quantile.survfit``) and the restricted mean survival time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from survstudy.arrays import FloatArray
from survstudy.engine.counts import CountTable, Stratum, Totals
from survstudy.jsonsafe import Record
from survstudy.stats.survival.curves import (
    CurveSet,
    count_value,
    curve_columns,
    finite_or_none,
)

__all__ = [
    "CONF_TYPES",
    "ConfType",
    "KaplanMeier",
    "Quantile",
    "RestrictedMean",
    "SurvivalAt",
    "SurvivalCurve",
    "confidence_interval",
    "count_value",
    "kaplan_meier_counts",
]

ConfType = Literal["log-log", "log", "plain"]
CONF_TYPES: tuple[ConfType, ...] = ("log-log", "log", "plain")

#: R's tolerance when a curve is flat exactly at a requested quantile.
QUANTILE_TOLERANCE = float(np.sqrt(np.finfo(float).eps))


def _z(conf_level: float) -> float:
    return NormalDist().inv_cdf(1 - (1 - conf_level) / 2)


def confidence_interval(
    survival: FloatArray, se_log: FloatArray, conf_type: ConfType, conf_level: float
) -> tuple[FloatArray, FloatArray]:
    """Pointwise interval for S(t) from the standard error of log S(t), as R's survfit.

    Where S = 0 the interval is not estimable (NaN), as in R. On the log-log scale it is also
    NaN where S = 1 (the transform is undefined there), again as R's stored curve; read
    before the first observed time the curve is 1 with interval [1, 1], as ``summary.survfit``.
    """
    z = _z(conf_level)
    p = np.asarray(survival, dtype=float)
    se = np.asarray(se_log, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "plain":
            half = z * se * p
            lower = np.maximum(p - half, 0.0)
            upper = np.minimum(p + half, 1.0)
            lower = np.where(p == 0, np.nan, lower)
            upper = np.where(p == 0, np.nan, upper)
        elif conf_type == "log":
            x = np.where(p == 0, np.nan, p)
            lower = np.exp(np.log(x) - z * se)
            upper = np.minimum(np.exp(np.log(x) + z * se), 1.0)
        elif conf_type == "log-log":
            x = np.where((p == 0) | (p == 1), np.nan, p)
            log_x = np.log(x)
            shift = z * se / log_x
            log_log = np.log(-log_x)
            lower = np.exp(-np.exp(log_log - shift))
            upper = np.exp(-np.exp(log_log + shift))
        else:
            raise ValueError(f"unknown conf_type {conf_type!r}; use one of {CONF_TYPES}")
    return lower, upper


@dataclass(frozen=True)
class SurvivalAt(Record):
    """The curve read at one time. ``survival`` is None where it is not estimable."""

    time: float
    n_risk: int | float  # int unless case weights make it fractional
    cumulative_events: int | float
    survival: float | None
    std_err: float | None
    ci_lower: float | None
    ci_upper: float | None

    @property
    def estimable(self) -> bool:
        return self.survival is not None


@dataclass(frozen=True)
class Quantile(Record):
    """Time by which a fraction ``probability`` has had the event; None where not reached."""

    probability: float
    estimate: float | None
    ci_lower: float | None
    ci_upper: float | None


@dataclass(frozen=True)
class RestrictedMean(Record):
    """Restricted mean survival time up to ``horizon`` (area under the curve) and its SE."""

    horizon: float
    estimate: float
    std_err: float
    ci_lower: float
    ci_upper: float


@dataclass(frozen=True)
class SurvivalCurve(Totals):
    """Kaplan-Meier estimate for one group, at every distinct time of its count table."""

    label: str
    time: FloatArray
    n_risk: FloatArray
    n_event: FloatArray
    n_censor: FloatArray
    survival: FloatArray
    se_log: FloatArray  # Greenwood standard error of log S (R's survfit ``std.err``)
    ci_lower: FloatArray
    ci_upper: FloatArray
    conf_type: ConfType
    conf_level: float

    @property
    def std_err(self) -> FloatArray:
        """Standard error on the survival scale (R's ``summary.survfit`` ``std.err``)."""
        with np.errstate(invalid="ignore"):
            se = self.survival * self.se_log
        return np.where(self.survival == 0, np.nan, se)

    @property
    def last_time(self) -> float:
        return float(self.time[-1]) if self.time.size else 0.0

    def at(self, times: Iterable[float]) -> list[SurvivalAt]:
        """Read the curve at ``times`` as ``summary.survfit(times=, extend=TRUE)``.

        Past the last observed time the survival is not estimable (None) unless the curve has
        already reached 0.
        """
        out = []
        se = self.std_err
        for t in times:
            t = float(t)
            i = int(np.searchsorted(self.time, t, side="right")) - 1
            j = int(np.searchsorted(self.time, t, side="left"))  # first time >= t
            n_risk = count_value(self.n_risk[j]) if j < self.time.size else 0
            n_event = count_value(self.n_event[: i + 1].sum())
            if i < 0:
                out.append(SurvivalAt(t, n_risk, 0, 1.0, 0.0, 1.0, 1.0))
                continue
            s = float(self.survival[i])
            if t > self.last_time and s > 0:
                out.append(SurvivalAt(t, 0, n_event, None, None, None, None))
                continue
            out.append(
                SurvivalAt(
                    t,
                    n_risk,
                    n_event,
                    s,
                    finite_or_none(se[i]),
                    finite_or_none(self.ci_lower[i]),
                    finite_or_none(self.ci_upper[i]),
                )
            )
        return out

    def quantile(self, probability: float) -> Quantile:
        """Time where the curve falls to ``1 - probability``, with Brookmeyer-Crowley CI."""
        return self.quantiles([probability])[0]

    def quantiles(self, probabilities: Sequence[float]) -> list[Quantile]:
        """:meth:`quantile` at each probability; each curve's steps are found once."""
        x = np.r_[0.0, self.time]
        found = [
            _find_quantiles(x, np.r_[0.0, 1 - values], probabilities)
            for values in (self.survival, self.ci_lower, self.ci_upper)
        ]
        return [
            Quantile(p, est, lower, upper)
            for p, est, lower, upper in zip(probabilities, *found, strict=True)
        ]

    @property
    def median(self) -> Quantile:
        return self.quantile(0.5)

    def restricted_mean(self, horizon: float) -> RestrictedMean:
        """Area under the curve from 0 to ``horizon`` with R's ``survmean`` standard error."""
        keep = self.time <= horizon
        t = np.r_[0.0, self.time[keep], horizon]
        s = np.r_[1.0, self.survival[keep]]
        areas = np.diff(t) * s
        estimate = float(areas.sum())
        # area from each event time to the horizon
        tail = np.cumsum(areas[::-1])[::-1][1:]
        d = self.n_event[keep]
        n = self.n_risk[keep]
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(d > 0, tail**2 * d / (n * (n - d)), 0.0)
        var = float(np.nansum(terms))
        se = float(np.sqrt(var))
        z = _z(self.conf_level)
        return RestrictedMean(float(horizon), estimate, se, estimate - z * se, estimate + z * se)

    def to_dict(self) -> dict[str, object]:
        return {
            **curve_columns(
                self.label,
                self.time,
                n_risk=self.n_risk,
                n_event=self.n_event,
                n_censor=self.n_censor,
            ),
            "survival": self.survival.tolist(),
            "std_err": [finite_or_none(v) for v in self.std_err],
            "ci_lower": [finite_or_none(v) for v in self.ci_lower],
            "ci_upper": [finite_or_none(v) for v in self.ci_upper],
        }


def _first_of_each_value(y: FloatArray) -> NDArray[np.bool_]:
    """Where each distinct value of ``y`` first occurs (all NaN count as one value).

    A curve's values rise (or fall) step by step, so where they are monotone that is where a
    value differs from the one before: linear, not a sort of every distinct time.
    """
    nan = np.isnan(y)
    where = np.flatnonzero(~nan)
    steps = np.diff(y[where])
    keep = np.zeros(y.size, dtype=bool)
    if np.all(steps >= 0) or np.all(steps <= 0):
        keep[where[np.r_[True, steps != 0]] if where.size else where] = True
        if nan.any():
            keep[int(np.argmax(nan))] = True
        return keep
    _, first = np.unique(y, return_index=True, equal_nan=True)
    keep[first] = True
    return keep


def _find_quantiles(x: FloatArray, y: FloatArray, ps: Sequence[float]) -> list[float | None]:
    """Where the step function ``y`` (1 - survival, rising) reaches each p; R's ``findq``.

    A flat exactly at ``p`` (within tolerance) gives the midpoint of the flat.
    """
    tol = QUANTILE_TOLERANCE
    xmax = x[-1]
    if not np.any(np.isfinite(y)):
        return [None for _ in ps]
    top = np.nanmax(y)
    # drop repeated y values (censorings), keeping the first; NaN repeats NaN, as in R
    keep = _first_of_each_value(y)
    x, y = x[keep], y[keep]
    usable = np.flatnonzero(np.isfinite(y))
    if usable.size == 0:
        return [None for _ in ps]
    high, low = (y + tol)[usable], (y - tol)[usable]
    last = y[usable[-1]]

    def first_reaching(v: FloatArray, p: float) -> int | None:
        if p < v[0] or p > v[-1]:
            return None
        return int(usable[np.searchsorted(v, p, side="left")])

    out: list[float | None] = []
    for p in ps:
        if top < p:
            out.append(None)
            continue
        if p == 0:
            out.append(float(x[0]))
            continue
        i1 = first_reaching(high, p)
        i2 = first_reaching(low, p)
        if i1 is None:
            out.append(None)
        elif abs(p - last) < tol:
            out.append(float((x[i1] + xmax) / 2))
        elif i2 is None:
            out.append(None)
        else:
            out.append(float((x[i1] + x[i2]) / 2))
    return out


def _curve(stratum: Stratum, conf_type: ConfType, conf_level: float) -> SurvivalCurve:
    n, d = stratum.n_risk, stratum.n_event
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = np.cumprod(1.0 - d / n).astype(np.float64)
        increments = np.where(d > 0, d / (n * (n - d)), 0.0)
    se_log = np.sqrt(np.cumsum(increments))
    lower, upper = confidence_interval(survival, se_log, conf_type, conf_level)
    return SurvivalCurve(
        label=stratum.label,
        time=stratum.time,
        n_risk=n,
        n_event=d,
        n_censor=stratum.n_censor,
        survival=survival,
        se_log=se_log,
        ci_lower=lower,
        ci_upper=upper,
        conf_type=conf_type,
        conf_level=conf_level,
    )


@dataclass(frozen=True)
class KaplanMeier(CurveSet[SurvivalCurve]):
    """Kaplan-Meier curves of every group, with the count table they came from.

    Iterate or index by group label; ``to_frame()`` has one row per group and distinct time
    (time, n_risk, n_event, n_censor, survival, std_err, ci_lower, ci_upper).
    """

    curves: tuple[SurvivalCurve, ...]
    counts: CountTable
    conf_type: ConfType
    conf_level: float
    #: how the standard errors were computed: "greenwood" or "infinitesimal jackknife"
    variance: str = "greenwood"

    def summary(
        self, at: Sequence[float] = (), quantiles: Sequence[float] = (0.5,)
    ) -> list[dict[str, object]]:
        """Per group: n, events, quantiles with CI and the curve at ``at`` (plain numbers)."""
        rows: list[dict[str, object]] = []
        for c in self.curves:
            *qs, median = c.quantiles([*quantiles, 0.5])
            rows.append(
                {
                    "group": c.label,
                    "n": count_value(c.n),
                    "events": count_value(c.events),
                    "median": median.estimate,
                    "median_ci": [median.ci_lower, median.ci_upper],
                    "quantiles": [q.to_dict() for q in qs],
                    "at": [a.to_dict() for a in c.at(at)],
                }
            )
        return rows


def kaplan_meier_counts(
    counts: CountTable, conf_type: ConfType = "log-log", conf_level: float = 0.95
) -> KaplanMeier:
    """Kaplan-Meier curves for each stratum of ``counts``."""
    if conf_type not in CONF_TYPES:
        raise ValueError(f"unknown conf_type {conf_type!r}; use one of {CONF_TYPES}")
    if not 0 < conf_level < 1:
        raise ValueError("conf_level must be between 0 and 1")
    curves = tuple(_curve(s, conf_type, conf_level) for s in counts if s.time.size)
    return KaplanMeier(curves, counts, conf_type, conf_level)
